"""start / end: work markers (embedded run, tool call, model call) starting and ending."""

from __future__ import annotations

import pytest

from probe.engines.engine import model_engine, normalized
from probe.errors import ScenarioError
from probe.model.world import World
from probe.scenario.dump import dump_scenario
from probe.scenario.loader import parse_scenario
from probe.scenario.values import End, Scenario, Start
from probe.strategies import REGISTRY, get_strategy

HEAD = """\
name = "markers"
[[session]]
ref = "a"
state = "processing"
owner = "embedded_run"
progress_age_ms = 100000
"""


def _load(steps: str) -> Scenario:
    return parse_scenario(HEAD + steps, "markers.toml", REGISTRY.keys())


def _world(scenario: Scenario) -> World:
    world = World(scenario, get_strategy("fixed"))
    for index, step in enumerate(scenario.steps, start=1):
        world.apply(index, step)
    return world


def step(verb: str, work: str, extra: str = "") -> str:
    return f'[[step]]\ndo = "{verb}"\nsession = "a"\nwork = "{work}"\n{extra}'


def test_start_and_end_load_dump_back_and_reach_the_harness() -> None:
    scenario = _load(
        step("start", "tool_call", 'id = "2"\n') + step("end", "embedded_run", "clear = false\n")
    )
    assert scenario.steps == (Start("a", "tool_call", "2"), End("a", "embedded_run", "main", False))
    again = parse_scenario(dump_scenario(scenario), "again.toml", REGISTRY.keys())
    assert again.steps == scenario.steps
    assert normalized(scenario)["steps"] == [
        {"do": "start", "session": "a", "work": "tool_call", "id": "2"},
        {"do": "end", "session": "a", "work": "embedded_run", "clear": False},
    ]


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (step("start", "none"), "step[1].work", "'none' is not one of"),
        (step("end", "tool_call", 'id = "a b"\n'), "step[1].id", "letters, digits"),
        (step("end", "tool_call", 'clear = "no"\n'), "step[1].clear", "must be a boolean"),
        ('[[step]]\ndo = "start"\nsession = "a"\n', "step[1].work", "required key is missing"),
        (step("start", "tool_call", "clear = true\n"), "step[1].clear", "unknown key"),
    ],
)
def test_bad_marker_steps_are_located_errors(text: str, where: str, message: str) -> None:
    with pytest.raises(ScenarioError) as err:
        _load(text)
    (problem,) = err.value.problems
    assert problem.where == where and message in problem.message and problem.line is not None


def test_several_markers_of_a_kind_each_by_id_and_the_oldest_tool_is_reported() -> None:
    world = _world(
        _load(
            step("start", "tool_call")
            + '[[step]]\ndo = "advance"\nms = 5000\n'
            + step("start", "tool_call", 'id = "2"\n')
            + step("end", "tool_call")
        )
    )
    activity = world.activity["a"]
    assert activity.tools == (("2", 5000),)
    assert activity.last_progress_reason == "tool:scenario_tool:ended"
    assert activity.snapshot(6000).work_kind == "tool_call"
    assert activity.snapshot(6000).tool_age_ms == 1000


def test_an_embedded_run_end_clears_the_calls_unless_told_not_to() -> None:
    start = step("start", "model_call") + step("start", "embedded_run", 'id = "x"\n')
    cleared = _world(_load(start + step("end", "embedded_run", 'id = "x"\n'))).activity["a"]
    kept = _world(_load(start + step("end", "embedded_run", 'id = "x"\nclear = false\n')))
    assert (cleared.embedded_runs, cleared.model_calls) == (("main",), ())
    assert (kept.activity["a"].embedded_runs, kept.activity["a"].model_calls) == (
        ("main",),
        ("main",),
    )
    assert cleared.last_progress_reason == "embedded_run:ended"


def test_the_owning_runs_end_leaves_a_second_embedded_run() -> None:
    world = _world(
        _load(step("start", "embedded_run", 'id = "x"\n') + '[[step]]\ndo = "release"\n')
    )
    assert world.activity["a"].embedded_runs == ("x",)
    assert "a" not in world.handles


def test_ending_work_of_a_session_without_run_activity_changes_nothing() -> None:
    text = HEAD.replace('owner = "embedded_run"\n', "") + step("end", "model_call")
    world = _world(parse_scenario(text, "x.toml", REGISTRY.keys()))
    assert "a" not in world.activity


def test_a_tool_started_mid_run_is_judged_by_its_own_age() -> None:
    # The run is 100 s stale; a tool starting now makes it a tool call, blocked only once the
    # tool itself is older than warn.
    scenario = _load(
        step("start", "tool_call")
        + '[[step]]\ndo = "tick"\n[[step]]\ndo = "advance"\nms = 120000\n'
    )
    run = model_engine("fixed@2026.9.6").replay(scenario)
    kinds = [(e.at_ms, dict(e.fields).get("classification")) for e in run.events]
    assert kinds[0] == (30_000, "long_running")
    assert (150_000, "blocked_tool_call") in kinds
