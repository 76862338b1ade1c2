"""A tool call's command deadline: `start` of a tool call with `deadline_ms` (switch F41)."""

from __future__ import annotations

from pathlib import Path

import pytest

from probe.engines.engine import model_engine, normalized
from probe.errors import ScenarioError
from probe.model.world import World
from probe.scenario.dump import dump_scenario
from probe.scenario.generate import GenerateOptions, generate_many
from probe.scenario.loader import parse_scenario
from probe.scenario.values import Scenario, Start
from probe.strategies import REGISTRY
from probe.versions import behaviour_of
from tests.helpers import validate_in_a_process

HEAD = """\
name = "deadlines"
[[session]]
ref = "a"
state = "processing"
owner = "embedded_run"
abort = "honoured"
"""
# No run at all: only the oldest tool call's deadline counts.
OWNERLESS = 'name = "deadlines"\n[[session]]\nref = "a"\nstate = "processing"\n'


def _load(steps: str, head: str = HEAD) -> Scenario:
    return parse_scenario(head + steps, "deadlines.toml", REGISTRY.keys())


def tool(verb: str, marker: str, extra: str = "", work: str = "tool_call") -> str:
    return f'[[step]]\ndo = "{verb}"\nsession = "a"\nwork = "{work}"\nid = "{marker}"\n{extra}'


def advance(ms: int) -> str:
    return f'[[step]]\ndo = "advance"\nms = {ms}\n'


def recover(extra: str = "") -> str:
    return f'[[step]]\ndo = "recover"\nsession = "a"\nage_ms = 1\n{extra}'


DEADLINE = tool("start", "x", "deadline_ms = 60000\n")


def _requests(scenario: Scenario, version: str) -> list[int]:
    run = model_engine(f"fixed@{version}").replay(scenario)
    return [e.at_ms for e in run.events if e.type == "session.recovery.requested"]


def _outcomes(scenario: Scenario, version: str) -> list[str]:
    return list(model_engine(f"fixed@{version}").replay(scenario).runtime_outcomes)


def test_deadline_ms_loads_dumps_back_and_reaches_the_harness() -> None:
    scenario = _load(DEADLINE)
    assert scenario.steps == (Start("a", "tool_call", "x", None, 60_000),)
    again = parse_scenario(dump_scenario(scenario), "again.toml", REGISTRY.keys())
    assert again.steps == scenario.steps
    assert normalized(scenario)["steps"] == [
        {"do": "start", "session": "a", "work": "tool_call", "id": "x", "deadline_ms": 60_000}
    ]


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (tool("start", "x", "deadline_ms = 0\n"), "step[1].deadline_ms", "out of range"),
        (tool("start", "x", "deadline_ms = 86400001\n"), "step[1].deadline_ms", "out of range"),
        (tool("start", "x", 'deadline_ms = "1s"\n'), "step[1].deadline_ms", "must be an integer"),
        (
            tool("start", "x", "deadline_ms = 1000\n", "model_call"),
            "step[1].deadline_ms",
            "only a tool call",
        ),
        (tool("end", "x", "deadline_ms = 1000\n"), "step[1].deadline_ms", "unknown key"),
        (
            tool("start", "x") + DEADLINE,
            "step[2].deadline_ms",
            "also starts without a deadline (step[1])",
        ),
        (
            tool("start", "r", "timeout_ms = 1000\n", "model_call") + DEADLINE,
            "step[2].deadline_ms",
            "has timed model calls",
        ),
    ],
)
def test_bad_deadline_tool_calls_are_located_errors(text: str, where: str, message: str) -> None:
    with pytest.raises(ScenarioError) as err:
        _load(text)
    (problem,) = err.value.problems
    assert problem.where == where and message in problem.message and problem.line is not None


def test_seedings_own_tool_call_takes_no_deadline() -> None:
    with pytest.raises(ScenarioError) as err:
        _load(tool("start", "main", "deadline_ms = 1000\n"), HEAD + 'work = "tool_call"\n')
    (problem,) = err.value.problems
    assert problem.where == "step[1].deadline_ms" and "seeded with a plain tool call" in (
        problem.message
    )


def test_a_bad_deadline_exits_2_with_file_line_and_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(HEAD + tool("start", "x", "deadline_ms = 1000\n", "model_call"))
    done = validate_in_a_process(path)
    assert done.returncode == 2, done.stderr
    assert f"{path}:12: step[1].deadline_ms: only a tool call" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_heartbeat_waits_for_the_deadline_plus_900_s_from_9_6() -> None:
    scenario = _load(DEADLINE + advance(1_000_000))
    # 60 s + 900 s: the first heartbeat at or after t=960 s, not the 900 s floor.
    assert _requests(scenario, "2026.9.6") == [960_000]
    assert _requests(scenario, "2026.9.2") == [900_000]
    # A deadline far ahead holds the abort back beyond the floor for as long.
    later = _load(tool("start", "x", "deadline_ms = 1200000\n") + advance(2_200_000))
    assert _requests(later, "2026.9.6") == [2_100_000]


def test_the_runtime_leaves_the_run_alone_until_the_deadline_even_with_allow_active_abort() -> (
    None
):
    calls = recover("allow_active_abort = true\n") + recover("queue_depth = 1\n")
    before = _load(DEADLINE + advance(500_000) + calls, HEAD.replace("honoured", "ignored"))
    assert _outcomes(before, "2026.9.6") == ["skipped/active_embedded_run"] * 2
    # 2026.9.2: allowActiveAbort aborts at once; the second call finds the drain in flight.
    assert _outcomes(before, "2026.9.2")[0] == "pending"
    # Past the deadline, queued work behind the run is enough (no allowActiveAbort); none is not.
    head = HEAD + "[settings]\nheartbeat_ms = 2000000\n"
    past = _load(DEADLINE + advance(960_000) + recover() + recover("queue_depth = 1\n"), head)
    assert _outcomes(past, "2026.9.6") == [
        "skipped/active_embedded_run",
        "aborted/abort_embedded_run",
    ]


def _world(scenario: Scenario, version: str) -> World:
    world = World(scenario, REGISTRY["fixed"], behaviour=behaviour_of(version))
    for index, one in enumerate(scenario.steps):
        world.apply(index, one)
    return world


def test_under_a_run_the_latest_deadline_counts_and_without_one_the_oldest_tools() -> None:
    two = DEADLINE + advance(1_000) + tool("start", "y", "deadline_ms = 1000\n")
    owned = _world(_load(two), "2026.9.6").activity["a"]
    assert owned.snapshot(1_000).tool_deadline_at == 60_000 + 900_000
    ownerless = _world(_load(two, OWNERLESS), "2026.9.6").activity["a"]
    assert ownerless.snapshot(1_000).tool_deadline_at == 60_000 + 900_000
    # The oldest is a plain call: no deadline, whatever the later ones record.
    masked = tool("start", "p") + advance(1_000) + DEADLINE
    assert _world(_load(masked, OWNERLESS), "2026.9.6").activity["a"].snapshot(
        1_000
    ).tool_deadline_at is None
    # Started at the same instant, the first started is the oldest, whatever its id: a
    # restart keeps its place and takes the new start's deadline.
    tied = tool("start", "z", "deadline_ms = 5000\n") + tool("start", "b")
    tied_world = _world(_load(tied, OWNERLESS), "2026.9.6")
    assert tied_world.activity["a"].snapshot(0).tool_deadline_at == 905_000
    restarted = tied + tool("start", "z", "deadline_ms = 7000\n")
    assert _world(_load(restarted, OWNERLESS), "2026.9.6").activity["a"].snapshot(
        0
    ).tool_deadline_at == 907_000
    # Before 9.6 the call is a plain tool call.
    assert _world(_load(two), "2026.9.2").activity["a"].snapshot(1_000).tool_deadline_at is None


def test_an_ended_deadline_tool_no_longer_counts() -> None:
    ended = DEADLINE + advance(1_000) + tool("end", "x")
    activity = _world(_load(ended), "2026.9.6").activity["a"]
    assert activity.tools == () and activity.tool_order == ()
    assert activity.snapshot(1_000).tool_deadline_at is None


def test_a_version_without_tool_deadlines_notes_that_the_call_ran_plain() -> None:
    scenario = _load(DEADLINE + advance(1_000_000))
    (note,) = [n for n in model_engine("fixed@2026.9.2").replay(scenario).notes if "deadline" in n]
    assert note.startswith("step[1].deadline_ms: this version reads no tool call's command")
    assert not [
        n
        for n in model_engine("fixed@2026.9.6").replay(scenario).notes
        if "ran as plain ones" in n
    ]


def test_the_note_names_the_instant_a_deadline_lets_recovery_act() -> None:
    scenario = _load(tool("start", "x", "deadline_ms = 1200000\n") + advance(1_000_000))
    notes = model_engine("fixed@2026.9.6").replay(scenario).notes
    assert any("once that deadline plus 900000 ms has passed: at t=2100000 ms" in n for n in notes)


def test_the_generator_draws_deadline_tools_and_can_leave_them_out() -> None:
    def drawn(options: GenerateOptions) -> int:
        return sum(
            any(isinstance(s, Start) and s.deadline_ms is not None for s in scenario.steps)
            for _, scenario in generate_many(7, 200, options)
        )

    # The session-file stream, drawn after, drops a shared file's sibling's steps: measure the
    # deadline stream's own rate without it, and that the default still draws them.
    assert drawn(GenerateOptions(session_files=False)) >= 20
    assert drawn(GenerateOptions()) >= 15
    assert drawn(GenerateOptions(deadlines=False)) == 0
