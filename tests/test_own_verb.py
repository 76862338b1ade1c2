"""own: a run registering on a session (setActiveEmbeddedRun), a second run handle included."""

from __future__ import annotations

from dataclasses import replace

import pytest

from probe.engines.engine import model_engine, normalized
from probe.errors import ScenarioError
from probe.model.world import World
from probe.properties.trace import Truth, trace
from probe.scenario.dump import dump_scenario
from probe.scenario.files import read_scenario
from probe.scenario.loader import parse_scenario
from probe.scenario.values import Own, Release, Scenario
from probe.strategies import REGISTRY, get_strategy
from probe.versions import behaviour_of
from tests.conftest import ROOT

HEAD = """\
name = "own"
[[session]]
ref = "a"
state = "processing"
owner = "embedded_run"
progress_age_ms = 400000
"""
SETTLE = ROOT / "tests" / "verb_scenarios" / "own-replaces-run-during-settle.toml"
HELD = ROOT / "tests" / "verb_scenarios" / "own-replaces-run-during-held-recovery.toml"


def _load(steps: str, head: str = HEAD) -> Scenario:
    return parse_scenario(head + steps, "own.toml", REGISTRY.keys())


def _world(scenario: Scenario, version: str = "2026.9.6") -> World:
    world = World(scenario, get_strategy("fixed"), behaviour=behaviour_of(version))
    for index, step in enumerate(scenario.steps, start=1):
        world.apply(index, step)
    return world


def test_own_loads_dumps_back_and_reaches_the_harness() -> None:
    own = '[[step]]\ndo = "own"\nsession = "a"\n'
    scenario = _load(own + 'abort = "honoured"\n' + own)
    assert scenario.steps == (Own("a", "honoured"), Own("a", "ignored"))
    again = parse_scenario(dump_scenario(scenario), "again.toml", REGISTRY.keys())
    assert again.steps == scenario.steps
    assert normalized(scenario)["steps"] == [
        {"do": "own", "session": "a", "abort": "honoured"},
        {"do": "own", "session": "a", "abort": "ignored"},
    ]


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ('[[step]]\ndo = "own"\n', "step[1].session", "required key is missing"),
        ('[[step]]\ndo = "own"\nsession = "b"\n', "step[1].session", "no [[session]] has ref 'b'"),
        (
            '[[step]]\ndo = "own"\nsession = "a"\nabort = "maybe"\n',
            "step[1].abort",
            "'maybe' is not one of",
        ),
        (
            '[[step]]\ndo = "own"\nsession = "a"\nwork = "tool_call"\n',
            "step[1].work",
            "unknown key",
        ),
    ],
)
def test_bad_own_steps_are_located_errors(text: str, where: str, message: str) -> None:
    with pytest.raises(ScenarioError) as err:
        _load(text)
    (problem,) = err.value.problems
    assert problem.where == where and message in problem.message and problem.line is not None


def test_a_first_run_starts_the_record_processing_and_its_embedded_run() -> None:
    head = HEAD.replace('owner = "embedded_run"\n', "").replace('"processing"', '"idle"')
    run = model_engine("fixed@2026.9.6").replay(
        _load('[[step]]\ndo = "own"\nsession = "a"\nabort = "honoured"\n', head)
    )
    (state,) = [e for e in run.events if e.type == "session.state"]
    assert (state.get("prevState"), state.get("state"), state.get("reason")) == (
        "idle",
        "processing",
        "run_started",
    )
    world = _world(_load('[[step]]\ndo = "own"\nsession = "a"\nabort = "honoured"\n', head))
    assert world.handles["a"].abort == "honoured"
    assert world.activity["a"].embedded_runs == ("main",)
    assert world.activity["a"].last_progress_reason == "embedded_run:started"


def test_a_second_run_replaces_the_handle() -> None:
    run = model_engine("fixed@2026.7.1").replay(_load('[[step]]\ndo = "own"\nsession = "a"\n'))
    assert [e.get("reason") for e in run.events if e.type == "session.state"] == ["run_replaced"]
    # Nothing awaited the first run: the second is not marked as replacing anything.
    assert not _world(_load('[[step]]\ndo = "own"\nsession = "a"\n')).handles["a"].replacing


@pytest.mark.parametrize(
    ("version", "force_clears_new_run"),
    [
        ("2026.5.31-beta.1", True),
        ("2026.7.1", True),
        ("2026.7.2-beta.4", True),
        ("2026.7.2-beta.5", False),
        ("2026.8.1", False),
        ("2026.9.6", False),
    ],
)
def test_which_run_a_timed_out_drain_force_clears_depends_on_the_version(
    version: str, force_clears_new_run: bool
) -> None:
    run = model_engine(f"fixed@{version}").replay(read_scenario(SETTLE, REGISTRY.keys()))
    cleared = [
        e.at_ms
        for e in run.events
        if e.type == "session.state" and e.get("reason") == "stuck_recovery"
    ]
    assert (cleared == [45_000]) is force_clears_new_run
    # The recovery's own outcome is aborted either way (its abort call succeeded).
    assert run.runtime_outcomes[0] == "aborted/abort_embedded_run"
    # Where the new run stays, it is asked for once stale itself, and aborts (it honours).
    assert (len(run.runtime_outcomes) == 2) is not force_clears_new_run
    assert dict(run.coverage)["settle_force_clears"] == (1 if force_clears_new_run else 0)


def test_a_recovery_awaiting_a_replaced_run_stays_pending_until_the_sessions_run_ends() -> None:
    scenario = read_scenario(HELD, REGISTRY.keys())
    release = next(i for i, s in enumerate(scenario.steps) if isinstance(s, Release))
    for version in ("2026.5.31-beta.1", "2026.9.6"):
        cut = replace(scenario, steps=scenario.steps[:release])
        held = model_engine(f"fixed@{version}").replay(cut)
        assert list(held.runtime_outcomes) == ["pending"]
        done = model_engine(f"fixed@{version}").replay(scenario)
        assert list(done.runtime_outcomes) == ["aborted/abort_embedded_run"]


REFUSED = ROOT / "tests" / "verb_scenarios" / "abort-refused-force-clears-at-once.toml"
ORDER = ROOT / "tests" / "verb_scenarios" / "abort-refused-order-in-one-tick.toml"


def test_a_refused_abort_force_clears_at_once_and_is_reported_aborted() -> None:
    run = model_engine("fixed@2026.7.1").replay(read_scenario(REFUSED, REGISTRY.keys()))
    a = [e for e in run.events if e.ref == "agent:main:a" and e.at_ms == 30_000]
    kinds = [(e.type, e.get("reason") or e.get("status")) for e in a]
    assert ("session.state", "stuck_recovery") in kinds
    assert kinds.index(("session.state", "stuck_recovery")) < kinds.index(
        ("session.recovery.completed", "aborted")
    )
    assert list(run.runtime_outcomes) == ["aborted/abort_embedded_run"] * 3
    # No drain, no settle timer: nothing is left in flight, nothing force-cleared by a timer.
    assert dict(run.coverage)["settle_force_clears"] == 0
    assert "truthful-outcome" in run.violation_names


@pytest.mark.parametrize(
    ("version", "order"),
    [
        ("2026.7.1", ["a", "b", "c", "e", "f", "d"]),
        ("2026.8.1", ["a", "c", "f", "d", "b", "e"]),
        ("2026.9.6", ["a", "c", "f", "d", "b", "e"]),
    ],
)
def test_where_a_refused_abort_lands_among_the_ticks_outcomes(
    version: str, order: list[str]
) -> None:
    run = model_engine(f"fixed@{version}").replay(read_scenario(ORDER, REGISTRY.keys()))
    done = [e.ref[0] for e in run.events if e.type == "session.recovery.completed"]
    assert done == order
    clears = [
        e.ref[0] for e in run.events if e.get("reason") in ("stuck_recovery", "run_completed")
    ]
    # Cleared inside the call (call order) before; after every call is entered from 8.1-beta.3.
    assert clears == (["b", "d", "e"] if version == "2026.7.1" else ["d", "b", "e"])


def test_refused_loads_for_a_session_and_an_own_step() -> None:
    text = HEAD.replace('owner = "embedded_run"\n', 'owner = "embedded_run"\nabort = "refused"\n')
    scenario = _load('[[step]]\ndo = "own"\nsession = "a"\nabort = "refused"\n', text)
    assert scenario.sessions[0].abort == "refused" and scenario.steps == (Own("a", "refused"),)
    assert normalized(scenario)["sessions"][0]["abort"] == "refused"


@pytest.mark.parametrize(("version", "owned"), [("2026.7.1", False), ("2026.9.6", True)])
def test_the_properties_truth_keeps_a_run_that_outlived_the_drain_it_replaced(
    version: str, owned: bool
) -> None:
    scenario = read_scenario(SETTLE, REGISTRY.keys())
    cut = replace(scenario, steps=scenario.steps[:3])  # tick, own, the drain's timeout
    run = model_engine(f"fixed@{version}").replay(cut)
    truth = Truth.of(cut)
    for moment in trace(cut, run.events):
        truth.apply(moment)
    # Up to 7.2-beta.4 the timed-out drain force-clears the new run; later it stays registered.
    assert truth.sessions["agent:main:a"].owner is owned
