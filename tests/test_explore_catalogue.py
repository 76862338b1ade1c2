"""The failure catalogue's seeds under `probe explore --fixpoint` on a version's model.

A search of model:NAME@V is held to the seed's [expect."NAME@W"] table as `probe run` is, and
not to properties the fixpoint search leaves out; `--liveness` finds class 4's starvation
(an owned stale run in a record the heartbeat passes over) as a lasso that, replayed, trips
the bounded stale-run-coverage property; and the graph's building stops at the deadline.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from probe.explore.abstraction import narrowed
from probe.explore.liveness import COVERAGE, RECOVERY, find_starvation
from probe.explore.values import ExploreConfig, expected_violations
from probe.model.world import World
from probe.properties.judge import judge
from probe.properties.liveness import REQUEST_LIVENESS, STALE_RUN_COVERAGE
from probe.scenario.values import Scenario, Tick
from probe.strategies import REGISTRY, AtVersion
from tests.helpers import invoke, load

FAILURES = Path(__file__).resolve().parent.parent / "scenarios" / "failures"
V96 = "2026.9.6"


def at_96() -> AtVersion:
    return AtVersion(REGISTRY["fixed"], V96)


def replayed_violations(seed: Scenario, steps: tuple[Tick, ...] | tuple[object, ...]) -> set[str]:
    """The seed's sessions and settings, these steps, judged as `probe run` judges them."""
    scenario = replace(seed, steps=steps)  # type: ignore[arg-type]
    world = World(scenario, at_96())
    for number, step in enumerate(scenario.steps, start=1):
        world.apply(number, step)
    verdict = judge(scenario, world.bus.events, settled=not world.in_flight())
    return {v.invariant for v in verdict.violations}


def test_a_versioned_search_reads_its_versions_expectation() -> None:
    seed = load(FAILURES / "c2-throttled-recovery.toml")
    # [expect.fixed] says request-liveness; [expect."fixed@2026.6.8"] says nothing.
    assert expected_violations(seed, "fixed") == {REQUEST_LIVENESS}
    assert expected_violations(seed, "fixed", V96) == frozenset()
    assert expected_violations(seed, "fixed", "2026.6.6") == {REQUEST_LIVENESS}


def test_a_fixpoint_search_is_not_expected_to_find_what_it_does_not_judge() -> None:
    seed = load(FAILURES / "c4-idle-owned-stale-run.toml")
    _, left_out = narrowed(seed)
    assert STALE_RUN_COVERAGE in left_out
    assert expected_violations(seed, "fixed", V96) == {STALE_RUN_COVERAGE}
    assert expected_violations(seed, "fixed", V96, left_out) == frozenset()


def test_cli_fixpoint_on_a_class_fixed_at_the_version_passes() -> None:
    code, out, err = invoke(
        "explore", str(FAILURES / "c2-throttled-recovery.toml"), "-e", f"model:fixed@{V96}",
        "--fixpoint", "--actions", "tick", "--no-write",
    )  # fmt: skip
    assert code == 0, out + err
    assert "verified" in out and "expected violations: none" in out
    assert "request-liveness" in err  # left out of the fixpoint, and said so


def test_class_4_starvation_is_a_lasso_that_replays_to_stale_run_coverage() -> None:
    seed = load(FAILURES / "c4-idle-owned-stale-run.toml")
    result = find_starvation(seed, at_96(), ExploreConfig(actions=("tick",)))
    assert result.complete and not result.stopped
    (lasso,) = result.lassos
    assert lasso.need == COVERAGE and lasso.session == "agent:main:direct"
    assert lasso.loop and all(isinstance(s, Tick) for s in lasso.loop)
    assert STALE_RUN_COVERAGE in replayed_violations(seed, lasso.unrolled(3))


def test_the_class_4_control_has_no_starvation_under_its_own_steps() -> None:
    """Processing, the stale run is asked for at the first heartbeat: no lasso of either need.
    (Under `state` it has one: moved to idle, the same run is passed over, as class 4 says.)"""
    seed = load(FAILURES / "c4-idle-owned-stale-run-control.toml")
    result = find_starvation(seed, at_96(), ExploreConfig(actions=("tick",)))
    assert result.complete and not result.lassos
    moved = find_starvation(seed, at_96(), ExploreConfig(actions=("tick", "state")))
    assert {(x.need, x.session) for x in moved.lassos} == {(COVERAGE, "agent:main:direct")}
    (lasso,) = moved.lassos
    assert STALE_RUN_COVERAGE in replayed_violations(seed, lasso.unrolled(3))


def test_class_2_late_ticks_starve_on_96_and_the_control_does_not() -> None:
    seed = load(FAILURES / "c2-late-ticks-never-asked.toml")
    config = ExploreConfig(actions=("tick", "bump", "release"))
    (lasso,) = find_starvation(seed, at_96(), config).lassos
    assert lasso.need == RECOVERY
    # The bounded property needs more than within_heartbeats (4) unasked heartbeats in a row:
    # the loop written out often enough trips it, three times does not yet.
    assert REQUEST_LIVENESS in replayed_violations(seed, lasso.unrolled(8))
    control = load(FAILURES / "c2-late-ticks-never-asked-control.toml")
    assert not find_starvation(control, at_96(), config).lassos


def test_the_graphs_building_stops_at_the_deadline() -> None:
    seed = load(FAILURES / "c4-idle-owned-stale-run.toml")
    result = find_starvation(seed, at_96(), ExploreConfig(), stop=lambda: True)
    assert result.stopped and not result.complete and result.states == 1
