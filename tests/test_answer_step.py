"""The scripted runtime (settings.runtime = "scripted") and its `answer` step."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from probe.engines.engine import model_engine, normalized
from probe.errors import ScenarioError
from probe.model.world import World
from probe.scenario.dump import dump_scenario
from probe.scenario.loader import parse_scenario
from probe.scenario.values import Answer, Scenario
from probe.strategies import REGISTRY
from tests.helpers import validate_in_a_process

HEAD = """\
name = "answer"
[settings]
warn_ms = 30000
abort_ms = 60000
{runtime}
[[session]]
ref = "a"
state = "processing"
queue_depth = {depth}
work = "{work}"
progress_age_ms = {age}
"""
SCRIPTED = 'runtime = "scripted"'


def _load(
    steps: str,
    *,
    runtime: str = SCRIPTED,
    depth: int = 0,
    work: str = "none",
    age: int = 0,
) -> Scenario:
    text = HEAD.format(runtime=runtime, depth=depth, work=work, age=age) + steps
    return parse_scenario(text, "answer.toml", REGISTRY.keys())


def answer(extra: str = 'status = "none"\n') -> str:
    return f'[[step]]\ndo = "answer"\nsession = "a"\n{extra}'


TICK = '[[step]]\ndo = "tick"\n'


def _types(scenario: Scenario, version: str = "2026.9.6") -> list[tuple[str, object]]:
    run = model_engine(f"fixed@{version}").replay(scenario)
    return [
        (e.type, dict(e.fields).get("status") or dict(e.fields).get("reason"))
        for e in run.events
        if e.type.startswith("session.recovery") or e.type == "session.state"
    ]


def test_answers_load_dump_back_and_reach_the_harness() -> None:
    scenario = _load(
        answer()
        + answer('status = "aborted"\nreleased = 1\nqueued_count = 2\nwork = "embedded_run"\n')
        + answer('status = "noop"\nreason = "no_active_work"\n')
        + answer('status = "skipped"\naction = "keep_lane"\nreason = "active_lane_task"\n')
    )
    assert scenario.settings.runtime == "scripted"
    assert scenario.steps == (
        Answer("a", "none"),
        Answer("a", "aborted", "abort_embedded_run", None, 1, 2, "embedded_run"),
        Answer("a", "noop", "none", "no_active_work"),
        Answer("a", "skipped", "keep_lane", "active_lane_task"),
    )
    again = parse_scenario(dump_scenario(scenario), "again.toml", REGISTRY.keys())
    assert again.steps == scenario.steps and again.settings == scenario.settings
    doc = normalized(scenario)
    assert doc["settings"]["runtime"] == "scripted"
    assert doc["steps"][1] == {
        "do": "answer",
        "session": "a",
        "status": "aborted",
        "action": "abort_embedded_run",
        "released": 1,
        "queued_count": 2,
        "work": "embedded_run",
    }
    # The real runtime is the default, and says nothing in the harness's input.
    plain = _load(TICK, runtime="")
    assert plain.settings.runtime == "real" and "runtime" not in normalized(plain)["settings"]


@pytest.mark.parametrize(
    ("text", "runtime", "where", "message"),
    [
        (answer(), "", "step[1].do", 'needs settings.runtime = "scripted"'),
        ('[[step]]\ndo = "answer"\nsession = "a"\n', SCRIPTED, "step[1].status", "missing"),
        (answer('status = "done"\n'), SCRIPTED, "step[1].status", "not one"),
        (answer('status = "noop"\naction = "x"\n'), SCRIPTED, "step[1].action", "not one"),
        (answer('status = "none"\nreleased = 1\n'), SCRIPTED, "step[1].released", "no effect"),
        (answer('status = "noop"\nreason = "a b"\n'), SCRIPTED, "step[1].reason", "one word"),
        (answer('status = "released"\nreleased = -1\n'), SCRIPTED, "step[1].released", "range"),
        (answer('status = "aborted"\nwork = "none"\n'), SCRIPTED, "step[1].work", "not one"),
        (TICK, 'runtime = "mock"', "settings.runtime", "not one"),
    ],
)
def test_bad_answers_are_located_errors(
    text: str, runtime: str, where: str, message: str
) -> None:
    with pytest.raises(ScenarioError) as err:
        _load(text, runtime=runtime)
    (problem,) = err.value.problems
    assert problem.where == where and message in problem.message and problem.line is not None


def test_the_cli_refuses_an_answer_without_the_scripted_runtime_at_its_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(_text := HEAD.format(runtime="", depth=0, work="none", age=0) + answer())
    line = _text.splitlines().index('do = "answer"') + 1  # the step's `do`
    done = validate_in_a_process(path)
    assert done.returncode == 2, done.stderr
    assert f"{path}:{line}: step[1].do: answer needs" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_call_waits_for_its_answer_and_nothing_is_applied_as_nothing() -> None:
    # Asked at 60 s; the call stays pending across the 90 s tick (in flight: absorbed by the
    # coordinator), then the answer of nothing frees it without any completion.
    scenario = _load(TICK * 3 + answer() + TICK)
    run = model_engine("fixed@2026.9.6").replay(scenario)
    assert tuple(run.runtime_outcomes) == ("none/none", "pending")
    completed = [e for e in run.events if e.type == "session.recovery.completed"]
    assert [dict(e.fields)["outcomeReason"] for e in completed] == ["already_in_flight"]
    assert run.requested == 2


def test_the_coordinator_applies_a_scripted_outcome_as_the_version_applies_a_real_one() -> None:
    scenario = _load(TICK * 2 + answer('status = "noop"\nreason = "no_active_work"\n'), depth=1)
    # noop/no_active_work changes the record up to 8.1-beta.2, not after (F19).
    assert _types(scenario, "2026.7.1") == [
        ("session.recovery.requested", "queued_work_without_active_run"),
        ("session.state", "stuck_recovery:noop"),
        ("session.recovery.completed", "noop"),
    ]
    assert _types(scenario, "2026.9.6") == [
        ("session.recovery.requested", "queued_work_without_active_run"),
        ("session.recovery.completed", "noop"),
    ]


def test_work_started_while_the_call_waits_blocks_the_clear_from_the_cut_off_era() -> None:
    steps = (
        TICK
        + '[[step]]\ndo = "start"\nsession = "a"\nwork = "embedded_run"\n'
        + answer('status = "aborted"\nwork = "embedded_run"\n')
    )
    scenario = _load(steps, work="embedded_run", age=400_000)
    for version, stale in (("2026.9.6", True), ("2026.5.31-beta.1", False)):
        run = model_engine(f"fixed@{version}").replay(scenario)
        (done,) = [dict(e.fields) for e in run.events if e.type == "session.recovery.completed"]
        assert done["status"] == "aborted" and done.get("stale", False) is stale, version


def test_an_answer_with_no_pending_call_does_nothing_and_real_runtime_stays_untouched() -> None:
    scenario = _load(answer('status = "released"\n') + TICK * 2 + answer())
    run = model_engine("fixed@2026.9.6").replay(scenario)
    assert tuple(run.runtime_outcomes) == ("none/none",)


def test_pending_scripted_calls_are_part_of_the_state_and_survive_a_snapshot() -> None:
    scenario = _load(TICK * 2, depth=1)
    world = World(scenario, REGISTRY["fixed"])
    for i, step in enumerate(scenario.steps):
        world.apply(i, step)
    assert world.in_flight() and len(world.scripted) == 1
    twin = world.clone()
    assert twin.state_key() == world.state_key() and twin.scripted == world.scripted
    world.apply(2, Answer("a", "released", "release_lane"))
    assert not world.scripted and twin.state_key() != world.state_key()


def test_explore_refuses_a_scripted_scenario_with_exit_2() -> None:
    path = Path(__file__).parent / "verb_scenarios" / "scripted-answers.toml"
    done = subprocess.run(
        [sys.executable, "-m", "probe", "explore", str(path), "--depth", "1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2 and "cannot be explored" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
