"""probe explore: shortest counterexamples, bounded proofs, dedup, written files that replay."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from probe.cli import app
from probe.explore.counterexamples import counterexample_scenario
from probe.explore.search import explore
from probe.explore.steps import candidate_steps
from probe.explore.values import ISSUE_SEED, ExploreConfig
from probe.explore.walks import explore_random
from probe.invariants import PHANTOM_REQUEST, SWALLOWED_REQUEST
from probe.model.world import World
from probe.replay import replay
from probe.scenario.values import Bump, Tick
from probe.strategies import REGISTRY
from tests.test_invariants import OneKey

REF = "agent:main:direct"
TWO = replace(
    ISSUE_SEED,
    sessions=(
        ISSUE_SEED.sessions[0],
        replace(ISSUE_SEED.sessions[0], ref="agent:main:b", progress_age_ms=360_000),
    ),
)
ENV = {"COLUMNS": "140", "NO_COLOR": "1"}


def test_buggy_minimal_counterexample_is_the_issues_shape() -> None:
    result = explore(ISSUE_SEED, REGISTRY["buggy"], ExploreConfig(depth=4))
    [example] = [c for c in result.counterexamples if c.invariant == PHANTOM_REQUEST]
    assert example.trace == (Tick(), Bump(REF), Tick())


def test_fixed_has_no_violation_up_to_the_default_depth() -> None:
    result = explore(ISSUE_SEED, REGISTRY["fixed"], ExploreConfig())
    assert result.counterexamples == () and result.bound_hit is None
    assert result.depth == ExploreConfig().depth


def test_broken_strategy_swallows_another_sessions_recovery() -> None:
    result = explore(TWO, OneKey(), ExploreConfig(depth=2, actions=("tick", "bump")))
    assert SWALLOWED_REQUEST in result.violated
    [example] = [c for c in result.counterexamples if c.invariant == SWALLOWED_REQUEST]
    assert example.trace == (Tick(),)


def _all_traces(depth: int, actions: tuple[str, ...]) -> list[tuple[object, ...]]:
    world = World(ISSUE_SEED, REGISTRY["buggy"])
    steps = candidate_steps(ISSUE_SEED, world, ExploreConfig(actions=actions))
    return [t for n in range(1, depth + 1) for t in itertools.product(steps, repeat=n)]


def test_breadth_first_is_minimal_against_brute_force() -> None:
    """Every trace up to depth 4 replayed from scratch: the shortest violating one is BFS's."""
    actions = ("tick", "bump", "state")
    shortest = min(
        len(t)
        for t in _all_traces(4, actions)
        if PHANTOM_REQUEST in replay(replace(ISSUE_SEED, steps=t), REGISTRY["buggy"]).violation_names  # type: ignore[arg-type]
    )
    found = explore(ISSUE_SEED, REGISTRY["buggy"], ExploreConfig(depth=4, actions=actions))
    assert len(found.counterexamples[0].trace) == shortest == 3


def test_dedup_expands_fewer_states_and_finds_the_same() -> None:
    config = ExploreConfig(depth=5, actions=("tick", "bump", "state", "progress"))
    deduped = explore(ISSUE_SEED, REGISTRY["buggy"], config)
    tree = explore(ISSUE_SEED, REGISTRY["buggy"], replace(config, dedup=False))
    assert deduped.violated == tree.violated
    assert [len(c.trace) for c in deduped.counterexamples] == [
        len(c.trace) for c in tree.counterexamples
    ]
    assert deduped.states_expanded < tree.states_expanded


def test_commuting_bumps_reach_one_state() -> None:
    """bump a then bump b, and bump b then bump a: one state, expanded once."""
    config = ExploreConfig(depth=2, actions=("bump",))
    result = explore(TWO, REGISTRY["fixed"], config)
    assert result.per_depth == (1, 2, 3)  # aa, ab = ba, bb


def test_max_states_bound_is_reported() -> None:
    result = explore(ISSUE_SEED, REGISTRY["fixed"], ExploreConfig(depth=10, max_states=50))
    assert result.bound_hit == "max_states" and result.depth < 10


def test_random_mode_finds_and_shrinks_the_phantom() -> None:
    config = ExploreConfig(depth=8, actions=("tick", "bump", "progress", "state"))
    result = explore_random(ISSUE_SEED, REGISTRY["buggy"], config, seed=7, runs=300)
    [example] = [c for c in result.counterexamples if c.invariant == PHANTOM_REQUEST]
    assert example.trace == (Tick(), Bump(REF), Tick())
    again = explore_random(ISSUE_SEED, REGISTRY["buggy"], config, seed=7, runs=300)
    assert again.counterexamples == result.counterexamples  # seeded: repeatable


def test_counterexample_records_what_each_strategy_did() -> None:
    example = explore(ISSUE_SEED, REGISTRY["buggy"], ExploreConfig(depth=3)).counterexamples[0]
    sc = counterexample_scenario(ISSUE_SEED, example, "buggy", REGISTRY.values())
    buggy, fixed = sc.expectation("buggy"), sc.expectation("fixed")
    assert buggy is not None and buggy.violations == (PHANTOM_REQUEST,)
    assert fixed is not None and fixed.violations == () and fixed.requested == 1


def test_cli_writes_a_counterexample_that_probe_run_replays(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "found"
    result = runner.invoke(app, ["explore", "--depth", "3", "--out", str(out)], env=ENV)
    assert result.exit_code == 0, result.stderr
    written = out / "buggy-phantom-request.toml"
    assert "1. tick" in result.stdout and str(written) in result.stdout
    assert "no violation up to depth 3: a bounded proof" in result.stdout
    replayed = runner.invoke(app, ["run", "-f", "json", str(written)], env=ENV)
    assert replayed.exit_code == 0
    doc = json.loads(replayed.stdout)["scenarios"][0]["strategies"]
    assert [v["invariant"] for v in doc["buggy"]["violations"]] == [PHANTOM_REQUEST]
    assert doc["fixed"]["violations"] == []
    again = runner.invoke(app, ["explore", "--depth", "3", "--out", str(out)], env=ENV)
    assert again.exit_code == 0  # the same counterexample as on disk: not a conflict
    written.write_text(written.read_text() + "# edited\n")
    again = runner.invoke(app, ["explore", "--depth", "3", "--out", str(out)], env=ENV)
    assert again.exit_code == 2 and "already exists" in again.stderr
    assert runner.invoke(app, ["explore", "--depth", "3", "--out", str(out), "--force"],
                         env=ENV).exit_code == 0


def test_cli_json_keys_and_exit_code_when_expectation_breaks(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app, ["explore", "-f", "json", "--no-write", "--depth", "2", "--strategy", "buggy"], env=ENV
    )
    # Two steps cannot reach the phantom: the buggy strategy's default expectation fails.
    assert result.exit_code == 1
    doc = json.loads(result.stdout)["strategies"]["buggy"]
    for key in ("states_expanded", "distinct_states", "transitions", "depth", "seconds",
                "states_per_second", "bound_hit", "violations"):
        assert key in doc
    assert doc["bound_hit"] is None and doc["violations"] == []


def test_cli_vary_shows_where_the_phantom_needs_a_pending_recovery() -> None:
    result = CliRunner().invoke(
        app,
        ["explore", "--drain", "settle", "--vary", "settle_ms=25000..35000:5000", "--depth", "3",
         "--actions", "tick,bump"],
        env=ENV,
    )
    assert result.exit_code == 0, result.stderr
    rows = {line.split()[0]: line for line in result.stdout.splitlines()[2:]}
    assert "phantom-request" not in rows["25000"]
    assert "phantom-request (3)" in rows["30000"] and "phantom-request (3)" in rows["35000"]


def test_cli_vary_sweeps_tick_lateness_per_version() -> None:
    # From 2026.7.2-beta.2 a heartbeat 1 000 ms or more late defers its requests: the buggy
    # key's second request never comes within 3 steps; 7.1 sees only later ticks.
    result = CliRunner().invoke(
        app,
        ["explore", "--vary", "tick_late_ms=0..1500:500", "--depth", "3", "--actions",
         "tick,bump", "--engine", "model:buggy@2026.9.6", "--engine", "model:buggy@2026.7.1",
         "-f", "json"],
        env=ENV,
    )
    assert result.exit_code == 0, result.stderr
    rows = {r["tick_late_ms"]: r for r in json.loads(result.stdout)["rows"]}
    assert [v for v, r in rows.items() if r["buggy@2026.9.6"]] == [0, 500]
    assert all(r["buggy@2026.7.1"] == {"phantom-request": 3} for r in rows.values())


@pytest.mark.parametrize("bad", [["--actions", "fly"], ["--vary", "nope"],
                                 ["--vary", "colour=1..2"], ["--format", "xml"]])
def test_cli_bad_options_exit_2(bad: list[str]) -> None:
    result = CliRunner().invoke(app, ["explore", "--no-write", *bad], env=ENV)
    assert result.exit_code == 2 and "Traceback" not in result.stderr
