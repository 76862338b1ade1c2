"""A session's backend and its no-output allowance: the `backend` step (switch F42)."""

from __future__ import annotations

from pathlib import Path

import pytest

from probe.engines.engine import model_engine, normalized
from probe.errors import ScenarioError
from probe.model.world import World
from probe.scenario.dump import dump_scenario
from probe.scenario.generate import GenerateOptions, generate_many
from probe.scenario.loader import parse_scenario
from probe.scenario.values import Backend, Scenario
from probe.strategies import REGISTRY
from probe.versions import behaviour_of
from tests.helpers import validate_in_a_process

HEAD = """\
name = "backend"
[settings]
warn_ms = 30000
abort_ms = 60000
drain = "hold"
[[session]]
ref = "a"
state = "processing"
owner = "embedded_run"
"""


def _load(steps: str, head: str = HEAD) -> Scenario:
    return parse_scenario(head + steps, "backend.toml", REGISTRY.keys())


def backend(action: str, extra: str = "") -> str:
    return f'[[step]]\ndo = "backend"\nsession = "a"\naction = "{action}"\n{extra}'


def begin(allowance_ms: int) -> str:
    return backend("begin", f"allowance_ms = {allowance_ms}\n")


def advance(ms: int) -> str:
    return f'[[step]]\ndo = "advance"\nms = {ms}\n'


def _requests(scenario: Scenario, version: str) -> list[int]:
    run = model_engine(f"fixed@{version}").replay(scenario)
    return [e.at_ms for e in run.events if e.type == "session.recovery.requested"]


def test_backend_steps_load_dump_back_and_reach_the_harness() -> None:
    scenario = _load(begin(480_000) + backend("model_output") + backend("close"))
    assert scenario.steps == (
        Backend("a", "begin", 480_000),
        Backend("a", "model_output"),
        Backend("a", "close"),
    )
    again = parse_scenario(dump_scenario(scenario), "again.toml", REGISTRY.keys())
    assert again.steps == scenario.steps
    assert normalized(scenario)["steps"][0] == {
        "do": "backend",
        "session": "a",
        "action": "begin",
        "allowance_ms": 480_000,
    }


MODEL_START = '[[step]]\ndo = "start"\nsession = "a"\nwork = "model_call"\n'


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (backend("begin"), "step[1].allowance_ms", "required"),
        (backend("output", "allowance_ms = 1000\n"), "step[1].allowance_ms", "only `begin`"),
        (backend("begin", "allowance_ms = 0\n"), "step[1].allowance_ms", "out of range"),
        (backend("stop"), "step[1].action", "is not one of"),
        ('[[step]]\ndo = "backend"\nsession = "a"\n', "step[1].action", "required"),
        (begin(1000) + MODEL_START, "step[2]", "a model call in session 'a'"),
        (MODEL_START + begin(1000), "step[1]", "which has a backend (step[2])"),
        (
            begin(1000)
            + '[[step]]\ndo = "start"\nsession = "a"\nwork = "tool_call"\ndeadline_ms = 5\n',
            "step[2]",
            "a deadline tool call",
        ),
    ],
)
def test_bad_backend_steps_are_located_errors(text: str, where: str, message: str) -> None:
    with pytest.raises(ScenarioError) as err:
        _load(text)
    (problem,) = err.value.problems
    assert problem.where == where and message in problem.message and problem.line is not None


def test_a_session_seeded_with_a_model_call_takes_no_backend() -> None:
    with pytest.raises(ScenarioError) as err:
        _load(begin(1000), HEAD + 'work = "model_call"\n')
    (problem,) = err.value.problems
    assert problem.where == "step[1]" and "seeded with a model call" in problem.message


def test_a_bad_backend_step_exits_2_with_file_line_and_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(HEAD + backend("output", "allowance_ms = 1000\n"))
    done = validate_in_a_process(path)
    assert done.returncode == 2, done.stderr
    assert f"{path}:14: step[1].allowance_ms: only `begin`" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_allowance_holds_a_stalled_runs_request_back_from_9_6() -> None:
    scenario = _load(begin(480_000) + advance(500_000))
    assert _requests(scenario, "2026.9.6") == [480_000]
    assert _requests(scenario, "2026.9.2") == [60_000]
    # An allowance shorter than the abort threshold changes nothing.
    assert _requests(_load(begin(1_000) + advance(100_000)), "2026.9.6") == [60_000]


def test_output_restarts_the_allowance_and_model_output_is_progress() -> None:
    bytes_only = begin(120_000) + advance(100_000) + backend("output") + advance(300_000)
    # Deadline 220 s; progress from the begin at 0: the first heartbeat from 220 s asks.
    assert _requests(_load(bytes_only), "2026.9.6") == [240_000]
    model = begin(120_000) + advance(100_000) + backend("model_output") + advance(300_000)
    # Deadline 220 s and progress at 100 s: both past at 220 s.
    assert _requests(_load(model), "2026.9.6") == [240_000]
    world = _world(_load(begin(120_000) + advance(100_000) + backend("model_output")), "2026.9.6")
    activity = world.activity["a"]
    assert (activity.last_progress_at, activity.last_progress_reason) == (
        100_000,
        "model_call:stream_progress",
    )
    assert activity.snapshot(100_000).backend_deadline_at == 220_000


def test_outstanding_work_raises_the_allowance_to_the_floor_and_settling_lowers_it() -> None:
    steps = begin(30_000) + advance(20_000) + backend("outstanding")
    activity = _world(_load(steps), "2026.9.6").activity["a"]
    assert activity.snapshot(20_000).backend_deadline_at == 900_000
    settled = _world(_load(steps + backend("settled")), "2026.9.6").activity["a"]
    assert settled.snapshot(20_000).backend_deadline_at == 30_000
    # An allowance above the floor is kept.
    long = begin(1_200_000) + backend("outstanding")
    assert _world(_load(long), "2026.9.6").activity["a"].snapshot(0).backend_deadline_at == (
        1_200_000
    )


def test_close_revokes_the_allowance_and_later_steps_do_nothing() -> None:
    closed = begin(480_000) + advance(10_000) + backend("close")
    assert _requests(_load(closed + advance(100_000)), "2026.9.6") == [60_000]
    activity = _world(_load(closed + backend("model_output")), "2026.9.6").activity["a"]
    assert activity.snapshot(10_000).backend_deadline_at is None
    assert activity.last_progress_reason == "embedded_run:started"


def _world(scenario: Scenario, version: str) -> World:
    world = World(scenario, REGISTRY["fixed"], behaviour=behaviour_of(version))
    for index, one in enumerate(scenario.steps):
        world.apply(index, one)
    return world


def test_the_backend_owner_is_a_run_of_its_own_that_outlives_a_recovery() -> None:
    head = HEAD.replace('drain = "hold"', "") + 'abort = "honoured"\n'
    # The run's abort is honoured at the request (t=480 s); the backend's owner run is still
    # active, so the outcome is stale and the allowance still counts (as on the build:
    # tests/verb_scenarios/backend-owner-outlives-recovery.toml).
    steps = begin(480_000) + advance(500_000) + backend("model_output")
    run = model_engine("fixed@2026.9.6").replay(_load(steps, head))
    (completed,) = [e for e in run.events if e.type == "session.recovery.completed"]
    assert completed.get("stale") is True
    activity = _world(_load(steps, head), "2026.9.6").activity["a"]
    assert activity.backend is not None and activity.backend.run and activity.embedded_run
    assert activity.snapshot(500_000).backend_deadline_at == 980_000
    # Without a run handle the owner's run is the session's embedded run.
    no_handle = head.replace('owner = "embedded_run"\n', "")
    assert _world(_load(begin(1_000), no_handle), "2026.9.6").activity["a"].embedded_run


def test_a_version_without_backend_allowances_notes_the_steps_did_nothing() -> None:
    scenario = _load(begin(480_000) + advance(500_000))
    (note,) = [n for n in model_engine("fixed@2026.9.2").replay(scenario).notes if "backend" in n]
    assert note.startswith("step[1]: this version has no backend no-output allowance")
    assert not _world(scenario, "2026.9.2").activity["a"].backend
    held = _load(begin(480_000) + advance(300_000))
    notes = model_engine("fixed@2026.9.6").replay(held).notes
    assert any("backend's no-output allowance had not run out" in n for n in notes), notes


def test_the_generator_draws_backends_and_can_leave_them_out() -> None:
    def drawn(options: GenerateOptions) -> int:
        return sum(
            any(isinstance(s, Backend) for s in scenario.steps)
            for _, scenario in generate_many(7, 200, options)
        )

    assert drawn(GenerateOptions()) >= 10
    assert drawn(GenerateOptions(backends=False)) == 0
