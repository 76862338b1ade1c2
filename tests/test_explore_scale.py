"""explore at scale: fingerprints, symmetry, partial-order reduction, memory bound, workers.

Each reduction is held to the plain search it replaces: the same states at the same depths
(or, for symmetry, the same verdicts and shortest lengths), and counterexamples that replay.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

import probe.explore.search as explore_module
from probe.cli import app
from probe.cli.explore import parse_size
from probe.explore.fingerprints import Fingerprints
from probe.explore.search import explore
from probe.explore.steps import candidate_steps
from probe.explore.values import ISSUE_SEED, ExploreConfig, ExploreResult
from probe.invariants import OBSERVED_EVENTS, InvariantChecker
from probe.model.world import World
from probe.properties.judge import Judge
from probe.replay import replay
from probe.resources import process_memory
from probe.scenario.values import Scenario, Settings, Step
from probe.strategies import REGISTRY, DedupStrategy
from tests.conftest import ROOT
from tests.test_explore_state import MIXED, TWO
from tests.test_invariants import OneKey

SEED = ISSUE_SEED.sessions[0]
# Equal but for their ref: interchangeable.
SYM2 = replace(ISSUE_SEED, sessions=(SEED, replace(SEED, ref="agent:main:b")))
SYM3 = replace(
    ISSUE_SEED,
    sessions=(SEED, replace(SEED, ref="agent:main:b"), replace(SEED, ref="agent:main:c")),
)
SYM_SETTLE = replace(SYM2, settings=Settings(drain="settle"))
# Two interchangeable sessions and one of another kind.
PARTLY = replace(
    ISSUE_SEED,
    sessions=(*SYM2.sessions, replace(SEED, ref="agent:main:z", abort="honoured")),
)
SEEDS = {
    "issue": ISSUE_SEED,
    "two": TWO,
    "mixed": MIXED,
    "sym2": SYM2,
    "sym3": SYM3,
    "sym-settle": SYM_SETTLE,
    "partly": PARTLY,
}
STRATEGIES: dict[str, DedupStrategy] = {**REGISTRY, "one-key": OneKey()}
ALL = ExploreConfig().actions
PLAIN = dict(symmetry=False, reduction=False)


def reference_search(
    scenario: Scenario, strategy: DedupStrategy, depth: int, actions: tuple[str, ...]
) -> tuple[tuple[int, ...], int, dict[str, tuple[Step, ...]]]:
    """Breadth-first over full state keys, every snapshot kept: the search as it was."""
    config = ExploreConfig(depth=depth, actions=actions)
    root = Judge.of(scenario)  # the whole catalogue, as explore judges by default
    world = World(scenario, strategy, keep_events=root.event_types)
    seen = {(world.state_key(), root.key())}
    frontier: list[tuple[object, Judge, tuple[Step, ...]]] = [(world.snapshot(), root, ())]
    per_depth, transitions, found = [1], 0, {}
    for d in range(1, depth + 1):
        nxt = []
        for snap, checker, trace in frontier:
            world.restore(snap)  # type: ignore[arg-type]
            for step in candidate_steps(scenario, world, config):
                world.restore(snap)  # type: ignore[arg-type]
                world.apply(d, step)
                c = checker.clone()
                violations = c.step(d, step, world.bus.events)
                if c.truth.pairing.open_requests and not world.in_flight():
                    violations.extend(c.finish(settled=True, step=d))
                transitions += 1
                for v in violations:
                    found.setdefault(v.invariant, (*trace, step))
                key = (world.state_key(), c.key())
                if key not in seen:
                    seen.add(key)
                    nxt.append((world.snapshot(), c, (*trace, step)))
        per_depth.append(len(nxt))
        frontier = nxt
    return tuple(per_depth), transitions, found


FINGERPRINT_CASES = [
    ("issue", "buggy", 5, ALL),
    ("two", "fixed", 7, ("tick", "bump", "release")),
    ("mixed", "buggy", 3, ALL),
    ("two", "one-key", 3, ALL),
    ("sym-settle", "buggy", 4, ("tick", "bump", "release", "advance", "state")),
]


@pytest.mark.parametrize("keep_bytes", [0, 1 << 30], ids=["rebuilt", "kept"])
@pytest.mark.parametrize(("seed", "strategy", "depth", "actions"), FINGERPRINT_CASES)
def test_fingerprint_search_equals_the_full_key_search(
    seed: str, strategy: str, depth: int, actions: tuple[str, ...], keep_bytes: int
) -> None:
    """Whether a layer's states are rebuilt from the tree or kept, the search is the same."""
    per_depth, transitions, found = reference_search(
        SEEDS[seed], STRATEGIES[strategy], depth, actions
    )
    config = ExploreConfig(depth, actions, keep_bytes=keep_bytes, **PLAIN)  # type: ignore[arg-type]
    result = explore(SEEDS[seed], STRATEGIES[strategy], config)
    assert result.per_depth == per_depth
    assert result.transitions == transitions
    assert {c.invariant: c.trace for c in result.counterexamples} == found


def _verdict(result: ExploreResult) -> dict[str, int]:
    return {c.invariant: len(c.trace) for c in result.counterexamples}


REDUCTION_CASES = [
    (seed, strategy, depth, actions)
    for seed in ("two", "sym2", "sym3", "mixed", "partly", "sym-settle")
    for strategy in ("buggy", "fixed", "one-key")
    for depth, actions in ((4, ALL), (5, ("tick", "bump", "state", "release")))
    if not (seed in ("sym3", "partly", "mixed") and depth == 5)
    and not (seed in ("sym3", "partly") and strategy == "one-key")
]


@pytest.mark.parametrize(("seed", "strategy", "depth", "actions"), REDUCTION_CASES)
def test_reductions_keep_verdicts_and_shortest_lengths(
    seed: str, strategy: str, depth: int, actions: tuple[str, ...]
) -> None:
    scenario, strat = SEEDS[seed], STRATEGIES[strategy]
    base = ExploreConfig(depth, actions)
    plain = explore(scenario, strat, replace(base, keep_bytes=0, **PLAIN))  # type: ignore[arg-type]
    por = explore(scenario, strat, replace(base, symmetry=False))
    sym = explore(scenario, strat, replace(base, reduction=False))
    both = explore(scenario, strat, base)
    for result in (por, sym, both):
        assert _verdict(result) == _verdict(plain)
    # Partial-order reduction skips steps, never states: the same states at every depth.
    assert por.per_depth == plain.per_depth and por.transitions + por.pruned == plain.transitions
    assert both.per_depth == sym.per_depth
    assert por.reduction and por.pruned > 0
    if seed in ("sym2", "sym3", "partly", "sym-settle") and strategy != "one-key":
        assert sym.symmetry and sym.distinct_states < plain.distinct_states
    else:
        assert not sym.symmetry and sym.per_depth == plain.per_depth
    # Counterexamples stay concrete: `probe run` replays each to the same violation.
    for result in (por, sym, both):
        for c in result.counterexamples:
            run = replay(replace(scenario, steps=c.trace), strat)
            assert c.invariant in run.violation_names


def test_symmetry_halves_two_mirror_sessions() -> None:
    """bump a and bump b: mirror images, one state."""
    result = explore(SYM2, REGISTRY["fixed"], ExploreConfig(depth=1, actions=("bump",)))
    assert result.symmetry and result.per_depth == (1, 1)
    plain = explore(SYM2, REGISTRY["fixed"], ExploreConfig(1, ("bump",), **PLAIN))  # type: ignore[arg-type]
    assert plain.per_depth == (1, 2)


def test_symmetry_is_off_where_the_key_ignores_the_ref() -> None:
    """One key for every ref couples the sessions: their mirror images are not alike."""
    result = explore(SYM2, OneKey(), ExploreConfig(depth=2))
    assert not result.symmetry


def test_fingerprints_do_not_depend_on_the_hash_seed() -> None:
    code = (
        "from tests.test_explore_scale import fingerprints_of_a_walk as f; print(f())"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"},
        ).stdout
        for seed in ("0", "1", "12345")
    }
    assert len(outs) == 1 and len(next(iter(outs)).split()) == 24


def fingerprints_of_a_walk() -> str:
    """The fingerprints (plain and canonical) along a fixed walk over every action."""
    out = []
    for symmetry in (False, True):
        world = World(SYM3, REGISTRY["buggy"], keep_events=OBSERVED_EVENTS)
        checker = InvariantChecker()
        fingerprint = Fingerprints(SYM3, REGISTRY["buggy"], symmetry)
        for number in range(1, 13):
            steps = candidate_steps(SYM3, world, ExploreConfig())
            world.apply(number, steps[(number * 7) % len(steps)])
            checker.observe_all(world.bus.events)
            world.bus.events.clear()
            out.append(str(fingerprint(world.state_key(), checker.key())[0]))
    return " ".join(out)


def test_memory_bound_stops_the_search() -> None:
    """A search that would grow past the bound stops, says so, and claims no proof."""
    readings = iter(range(0, 1 << 40, 1 << 20))  # a megabyte more at every reading
    result = explore(
        TWO,
        REGISTRY["fixed"],
        ExploreConfig(depth=12, actions=("tick", "bump", "release"), max_memory=40 << 20),
        memory=lambda: next(readings),
    )
    assert result.bound_hit == "memory" and result.depth < 12
    assert (40 << 20) < result.peak_memory <= (41 << 20)


def test_memory_bound_with_real_memory_in_the_cli() -> None:
    result = CliRunner().invoke(
        app,
        ["explore", str(ROOT / "scenarios" / "two-sessions-one-bumped.toml"), "-f", "json",
         "--no-write", "--depth", "14", "--strategy", "fixed", "--actions", "tick,bump,release",
         "--max-memory", "3M", "--workers", "1"],
        env={"NO_COLOR": "1"},
    )
    doc = json.loads(result.stdout)["strategies"]["fixed"]
    assert doc["bound_hit"] == "memory" and doc["depth"] < 14
    assert doc["memory_measure"] == "rss" and doc["peak_memory_bytes"] > 3 << 20


def test_process_memory_reads_this_process() -> None:
    before = process_memory()
    block = bytearray(64 << 20)
    block[:: 4096] = b"x" * len(block[::4096])  # touch every page
    assert process_memory() - before >= 60 << 20


@pytest.mark.parametrize(("text", "size"), [("800M", 800 << 20), ("2G", 2 << 30),
                                            ("1.5GiB", 3 << 29), ("4096", 4096), ("64kb", 65536)])
def test_sizes(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize(("seed", "strategy", "depth", "actions"), [
    ("two", "fixed", 9, ("tick", "bump", "release")),
    ("sym2", "buggy", 4, ALL),
    ("mixed", "one-key", 4, ALL),
])  # fmt: skip
def test_workers_give_identical_results(
    seed: str, strategy: str, depth: int, actions: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small chunks and workers from the first layer on: every merge path is taken.
    monkeypatch.setattr(explore_module, "CHUNK_STATES", 7)
    monkeypatch.setattr(explore_module, "PARALLEL_FROM", 1)
    config = ExploreConfig(depth, actions, keep_bytes=0)
    one = explore(SEEDS[seed], STRATEGIES[strategy], replace(config, keep_bytes=1 << 30))
    two = explore(SEEDS[seed], STRATEGIES[strategy], replace(config, workers=2))
    three = explore(SEEDS[seed], STRATEGIES[strategy], replace(config, workers=3))
    assert two.workers == 2 and three.workers == 3 and one.workers == 1
    for other in (two, three):
        assert other.per_depth == one.per_depth
        assert other.transitions == one.transitions and other.pruned == one.pruned
        assert other.counterexamples == one.counterexamples
        assert other.coverage == one.coverage
        assert other.states_expanded == one.states_expanded


def test_max_states_stops_alike_with_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(explore_module, "CHUNK_STATES", 5)
    monkeypatch.setattr(explore_module, "PARALLEL_FROM", 1)
    config = ExploreConfig(depth=10, actions=("tick", "bump", "release"), max_states=700)
    one = explore(TWO, REGISTRY["fixed"], config)
    two = explore(TWO, REGISTRY["fixed"], replace(config, workers=2))
    assert one.bound_hit == two.bound_hit == "max_states"
    assert (one.distinct_states, one.per_depth) == (two.distinct_states, two.per_depth)


def test_cli_reports_the_search_figures() -> None:
    result = CliRunner().invoke(
        app,
        ["explore", "-f", "json", "--no-write", "--depth", "3", "--workers", "1",
         "--skip-invariant", "stall-reported"],
        env={"NO_COLOR": "1"},
    )
    assert result.exit_code == 0
    doc = json.loads(result.stdout)["strategies"]["buggy"]
    assert doc["fingerprint_bits"] == 64 and doc["memory_measure"] == "rss"
    n = doc["distinct_states"]
    assert doc["collision_probability"] == pytest.approx(n * (n - 1) / 2 / 2**64)
    assert doc["workers"] == 1 and doc["symmetry"] is False and doc["reduction"] is False
    assert doc["peak_memory_bytes"] >= 0 and "memory_per_state_bytes" in doc


SYM2_TOML = """\
name = "two interchangeable sessions"
description = "The issue's stalled session twice, equal but for the ref: mirror images for explore's symmetry."

[settings]
drain = "hold"

[[session]]
ref = "agent:main:a"
state = "idle"
queue_depth = 1
owner = "embedded_run"
abort = "ignored"
work = "embedded_run"
progress_age_ms = 370000

[[session]]
ref = "agent:main:b"
state = "idle"
queue_depth = 1
owner = "embedded_run"
abort = "ignored"
work = "embedded_run"
progress_age_ms = 370000

[[step]]
do = "tick"
"""


def test_cli_switches_reach_the_search(tmp_path: Path) -> None:
    seed = tmp_path / "sym2.toml"
    seed.write_text(SYM2_TOML, encoding="utf-8")
    args = ["explore", str(seed), "-f", "json", "--no-write", "--depth", "4",
            "--strategy", "fixed", "--workers", "1"]
    runner = CliRunner()
    on = json.loads(runner.invoke(app, args).stdout)["strategies"]["fixed"]
    off = json.loads(
        runner.invoke(app, [*args, "--no-symmetry", "--no-reduction"]).stdout
    )["strategies"]["fixed"]
    assert on["symmetry"] and on["reduction"] and on["pruned_steps"] > 0
    assert not off["symmetry"] and not off["reduction"] and off["pruned_steps"] == 0
    assert on["distinct_states"] < off["distinct_states"]


@pytest.mark.parametrize("bad", [["--max-memory", "lots"], ["--max-memory", "0"],
                                 ["--workers", "0"], ["--keep-memory", "lots"]])
def test_cli_bad_scale_options_exit_2(bad: list[str]) -> None:
    result = CliRunner().invoke(app, ["explore", "--no-write", *bad], env={"NO_COLOR": "1"})
    assert result.exit_code == 2 and "Traceback" not in result.stderr


def test_progress_lines_on_request() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "probe", "explore", "--no-write", "--depth", "6",
         "--strategy", "fixed", "--progress", "--workers", "1", "--invariant", "phantom-request"],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "distinct states" in result.stderr and "states/s" in result.stderr
    assert "memory" in result.stderr
    quiet = subprocess.run(
        [sys.executable, "-m", "probe", "explore", "--no-write", "--depth", "6",
         "--strategy", "fixed", "--workers", "1", "--invariant", "phantom-request"],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )
    assert quiet.stderr == ""
