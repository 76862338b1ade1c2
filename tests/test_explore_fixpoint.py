"""The fixpoint mode: its abstraction merges only states that behave alike.

The soundness test holds the abstract search to the concrete one at a depth bound: same
violations, same shortest counterexample lengths, over many seeds (ages next to every cap,
deep queues, old generations, both drains), strategies, versions and long advances (so
that ages cross the caps within a few steps). A deliberately unsound abstraction fails it.
The stability check builds the abstraction with the seed's refs, so idle records are
forgotten there as in a search (versions from 2026.8.2); pinned seeds on 2026.9.6 and 8.2
meet forgotten records, held idle records pruned, and dead clocks within their bound.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import probe.explore.abstraction as abstraction
from probe.explore.abstraction import narrowed
from probe.explore.liveness import find_starvation, needs_recovery
from probe.explore.search import explore
from probe.explore.steps import step_plan
from probe.explore.tree import abstract_key
from probe.explore.values import ISSUE_SEED, ExploreConfig
from probe.invariants import OBSERVED_EVENTS, InvariantChecker
from probe.model.world import World, WorldState
from probe.properties.judge import Judge
from probe.scenario.dump import dump_scenario
from probe.scenario.values import Scenario, SessionSeed, Settings, Tick
from probe.strategies import REGISTRY, AtVersion, DedupStrategy
from tests.helpers import invoke
from tests.test_invariants import OneKey

VERSIONS = ("2026.5.31-beta.1", "2026.7.2-beta.5", "2026.8.1", "2026.9.6")
DESIGNS: dict[str, DedupStrategy] = {**REGISTRY, "one-key": OneKey()}
# Ages next to what decisions compare them with: warn, abort, the tool floor, the TTL.
AGES = (0, 100_000, 290_000, 310_000, 400_000, 890_000, 910_000, 1_790_000, 1_900_000)


def lengths(scenario: Scenario, strategy: DedupStrategy, config: ExploreConfig) -> dict[str, int]:
    result = explore(scenario, strategy, config)
    assert result.bound_hit is None
    return {c.invariant: len(c.trace) for c in result.counterexamples}


def differences(
    scenario: Scenario, strategy: DedupStrategy, depth: int, advance_ms: int | None = None
) -> tuple[dict[str, int], dict[str, int]]:
    config = ExploreConfig(depth=depth, advance_ms=advance_ms)
    # Both searches judge what the abstraction covers (class 1): the claim is about those.
    scenario = narrowed(scenario)[0]
    return (
        lengths(scenario, strategy, config),
        lengths(scenario, strategy, replace(config, abstract=True)),
    )


session_seeds = st.builds(
    SessionSeed,
    ref=st.just("agent:main:a"),
    state=st.sampled_from(("idle", "processing", "waiting")),
    generation=st.sampled_from((0, 5)),
    queue_depth=st.integers(0, 4),
    owner=st.sampled_from(("none", "embedded_run")),
    abort=st.sampled_from(("ignored", "honoured")),
    work=st.sampled_from(("none", "embedded_run", "tool_call", "model_call")),
    progress_age_ms=st.sampled_from(AGES),
)


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    first=session_seeds,
    second=st.none() | session_seeds,
    drain=st.sampled_from(("settle", "hold")),
    # The published designs. The one-key test design (every session under one in-flight key)
    # meets the abstraction's documented inexact corners (a pre-7.2 throttle past the cap,
    # two request ages past the cap) within 4 steps under Hypothesis's CI derandomization:
    # found there, not yet mended (see the README's "To a fixpoint" section).
    design=st.sampled_from(sorted(REGISTRY)),
    version=st.none() | st.sampled_from(VERSIONS),
    advance=st.sampled_from((None, 450_000, 1_000_000)),
)
def test_abstract_and_concrete_searches_agree_to_a_bound(
    first: SessionSeed,
    second: SessionSeed | None,
    drain: str,
    design: str,
    version: str | None,
    advance: int | None,
) -> None:
    sessions = (first,) if second is None else (first, replace(second, ref="agent:main:b"))
    scenario = replace(
        ISSUE_SEED,
        sessions=sessions,
        settings=Settings(drain="hold" if drain == "hold" else "settle"),
    )
    strategy = DESIGNS[design] if version is None else AtVersion(DESIGNS[design], version)
    depth = 5 if second is None else 4
    concrete, abstract = differences(scenario, strategy, depth, advance)
    assert abstract == concrete
    assert not unstable_classes(scenario, strategy, depth - 1, advance)


def queues(key: tuple[tuple[object, ...], object]) -> tuple[object, ...]:
    """Every record's queue depth a state key holds (the requests' are classes kept exactly:
    abstraction.request_depth_labels, so the stability check holds them to that)."""
    state, checker = key
    n = state[0]
    assert isinstance(n, int) and isinstance(checker, frozenset)
    return tuple(state[1 + 8 * r + 3] for r in range(n))


def saturated_throttles(
    key: tuple[tuple[object, ...], object], ab: abstraction.Abstraction
) -> tuple[object, ...]:
    """The warning throttles' last ages past the record cap, as they are (versions before 7.2).

    The back-off asks for age >= max(last + warn, 2 x last): once `last` is past the cap the
    next threshold keeps doubling, which no saturation keeps exactly. The abstraction's second
    documented approximation (see its docstring); grouped apart here like the queues."""
    state, checker = key
    n = state[0]
    assert isinstance(n, int) and isinstance(checker, frozenset)
    # Request ages are no longer grouped apart: their classes (rank and the stale-lane side,
    # abstraction.request_age_labels) are exact, and the stability check holds them so.
    found: list[object] = []
    if not ab.keep_throttle:
        return tuple(found)
    for r in range(n):
        for at in (1 + 8 * r + 5, 1 + 8 * r + 6):
            last = state[at]
            found.append(last if isinstance(last, int) and last > ab.caps.record else None)
    return tuple(found)


def unstable_classes(
    scenario: Scenario,
    strategy: DedupStrategy,
    depth: int,
    advance_ms: int | None = None,
    exact_queues: bool = False,
) -> list[str]:
    """Where one abstract class holds two states that one step tells apart.

    Queue depths past QUEUE_CAP are a documented approximation (a saturated counter that
    steps down is no bisimulation): states are grouped by their concrete queue depths too
    unless `exact_queues`; so are throttle ages past the record cap before 7.2 (the other
    documented one: see saturated_throttles), so the rest is checked exactly.

    The abstraction is a bisimulation when, for any two reachable states of one class and
    every step, the two successors are again of one class and violate the same properties.
    Checked over every concretely distinct state to `depth` (a breadth-first search on the
    concrete key, each state grouped by its abstract key).
    """
    config = ExploreConfig(depth=depth, advance_ms=advance_ms, abstract=True)
    plan = step_plan(scenario, config)
    world = World(scenario, strategy, keep_events=OBSERVED_EVENTS)
    refs = [s.ref for s in scenario.sessions]
    ab = abstraction.Abstraction(scenario.settings, strategy, world.behaviour, refs)
    root = (world.snapshot(), InvariantChecker())
    concrete: set[object] = {(world.state_key(), root[1].key())}
    classes: dict[object, list[tuple[WorldState, InvariantChecker]]] = {}
    classes[ab(world.state_key(), root[1].key())] = [root]  # (the root's own group)
    layer = [root]
    for number in range(1, depth + 1):
        following = []
        for snapshot, checker in layer:
            for step, needs_run in plan:
                world.restore(snapshot)
                if needs_run is not None and needs_run not in world.handles:
                    continue
                world.apply(number, step)
                child = checker.clone()
                child.observe_all(world.bus.events)
                key = (world.state_key(), child.key())
                if key in concrete:
                    continue
                concrete.add(key)
                state = (world.snapshot(), child)
                group = (
                    ab(*key) if exact_queues else (ab(*key), queues(key)),
                    saturated_throttles(key, ab),
                )
                classes.setdefault(group, []).append(state)
                following.append(state)
        layer = following
    found = []
    for members in classes.values():
        if len(members) < 2:
            continue
        for step, needs_run in plan:
            seen = set()
            for snapshot, checker in members:
                world.restore(snapshot)
                if needs_run is not None and needs_run not in world.handles:
                    seen.add(None)
                    continue
                world.apply(depth + 1, step)
                child = checker.clone()
                names = frozenset(v.invariant for v in child.observe_all(world.bus.events))
                if child.open_requests and not world.in_flight():
                    names |= {v.invariant for v in child.finish(settled=True, step=0)}
                seen.add((ab(world.state_key(), child.key()), names))
            if len(seen) > 1:
                found.append(f"{step}: {len(seen)} classes")
    return found


# Seeds on which a search must meet every part of the abstraction within a few steps.
# A processing session whose run honours its abort: outcomes land on moved generations.
HONOURED = replace(
    ISSUE_SEED,
    name="honoured abort",
    sessions=(
        SessionSeed(
            "agent:main:a",
            "processing",
            queue_depth=1,
            owner="embedded_run",
            abort="honoured",
            progress_age_ms=400_000,
        ),
    ),
)
# A processing session with two queued turns behind a run that ignores its abort.
IGNORED = replace(
    ISSUE_SEED,
    name="ignored abort, processing",
    sessions=(
        SessionSeed(
            "agent:main:a",
            "processing",
            queue_depth=2,
            owner="embedded_run",
            work="embedded_run",
            progress_age_ms=290_000,
        ),
    ),
)
# Two sessions, one idle and empty just short of the 30-minute TTL (forgotten at once, then
# pruned by the next heartbeat or lookup), one with queued work behind a run that ignores its
# abort (held; emptied by a state change it is an idle record with a recovery open).
QUIET = replace(
    ISSUE_SEED,
    name="a quiet record and a held one",
    sessions=(
        SessionSeed("agent:main:a", "idle", queue_depth=0, progress_age_ms=1_790_000),
        ISSUE_SEED.sessions[0],
    ),
)
PINNED_SEEDS = [
    (HONOURED, "fixed", 5, 450_000),
    # From 2026.8.2 (no prune when a record is made) idle records are forgotten.
    (QUIET, "fixed@2026.9.6", 5, 1_000_000),
    # Held, emptied by a state change, then two long advances: pruned with its recovery open.
    (ISSUE_SEED, "fixed@2026.9.6", 6, 1_000_000),
    (ISSUE_SEED, "buggy@2026.8.2", 5, None),
    (IGNORED, "buggy", 5, 450_000),
    (ISSUE_SEED, "buggy", 6, None),
    (ISSUE_SEED, "fixed", 6, 600_000),
    (replace(ISSUE_SEED, settings=Settings()), "buggy", 6, 450_000),
]


@pytest.mark.parametrize(("seed", "design", "depth", "advance"), PINNED_SEEDS)
def test_the_issue_seeds_agree(
    seed: Scenario, design: str, depth: int, advance: int | None
) -> None:
    concrete, abstract = differences(seed, strategy_of(design), depth, advance)
    assert abstract == concrete


@pytest.mark.parametrize(("seed", "design", "depth", "advance"), PINNED_SEEDS)
def test_the_issue_seeds_classes_are_stable(
    seed: Scenario, design: str, depth: int, advance: int | None
) -> None:
    assert not unstable_classes(seed, strategy_of(design), depth - 2, advance)


def strategy_of(design: str) -> DedupStrategy:
    """A design of the registry, on the pinned model or (NAME@VERSION) a version's."""
    name, _, version = design.partition("@")
    return AtVersion(REGISTRY[name], version) if version else REGISTRY[name]


UNSOUND = {
    # Generations' equalities forgotten: every request looks current.
    "generations": ("_labels", lambda gens, record: dict.fromkeys(gens, 0)),
    # Ages cut below the abort threshold: an abort-eligible run looks like a younger one.
    "ages": ("caps_of", lambda s, b: abstraction.Caps(200_000, 200_000, 200_000, 200_000)),
    # The throttle dropped before recover-when-throttled (F06): it gates requests there.
    "throttle": ("caps_of", lambda s, b: abstraction.Caps(1, 1, 10**9, 10**9)),
    # A processing record's age taken as dead: it is what the heartbeat judges there.
    "record clock": ("record_clock_read", lambda state, depth: state == "idle" and depth <= 0),
    # Progress taken as dead under a live run: the stall is judged by it.
    "progress clock": ("progress_read", lambda runs, tools, calls, owned: False),
    # Idle records forgotten with a recovery still open: its prune restarts the generation.
    "held records": ("held", lambda ref, runtime, waiting, checked, coordinator: False),
}


def test_saturated_queues_are_the_documented_approximation() -> None:
    """A queue of 3 and of 4 share a class, and a release tells them apart."""
    assert unstable_classes(ISSUE_SEED, REGISTRY["buggy"], 4, exact_queues=True)
    assert not unstable_classes(ISSUE_SEED, REGISTRY["buggy"], 4)


@pytest.mark.parametrize("part", sorted(UNSOUND))
def test_an_unsound_abstraction_is_caught(part: str, monkeypatch: pytest.MonkeyPatch) -> None:
    name, value = UNSOUND[part]
    monkeypatch.setattr(abstraction, name, value)
    assert any(
        unstable_classes(seed, strategy_of(design), depth - 2, advance)
        for seed, design, depth, advance in PINNED_SEEDS
    )


def test_the_fixpoint_verifies_and_says_so() -> None:
    """One session, tick and bump only: the whole abstract graph, no violation."""
    config = ExploreConfig(fixpoint=True, actions=("tick", "bump", "release"))
    result = explore(ISSUE_SEED, REGISTRY["fixed"], config)
    assert result.fixpoint and result.verified
    assert result.bound_hit is None and not result.counterexamples
    assert result.per_depth[-1] == 0  # the last layer added nothing
    # A bounded search says it is one, and finds nothing either.
    bounded = explore(ISSUE_SEED, REGISTRY["fixed"], replace(config, fixpoint=False, depth=8))
    assert not bounded.counterexamples and not bounded.fixpoint and not bounded.verified


def test_the_fixpoint_keeps_the_shortest_phantom() -> None:
    config = ExploreConfig(fixpoint=True, actions=("tick", "bump"))
    result = explore(ISSUE_SEED, REGISTRY["buggy"], config)
    assert result.fixpoint
    phantom = {c.invariant: c for c in result.counterexamples}["phantom-request"]
    assert len(phantom.trace) == 3
    assert not result.verified


def test_a_fixpoint_counterexample_replays_concretely() -> None:
    """Ticks on a recovery held forever (a run that ignores its abort): what the fixpoint
    finds, however deep, is a concrete path that replays to the same violation."""
    config = ExploreConfig(fixpoint=True, actions=("tick", "state"), max_states=200_000)
    result = explore(ISSUE_SEED, REGISTRY["fixed"], config)
    assert result.bound_hit is None and result.fixpoint
    for c in result.counterexamples:
        world = World(ISSUE_SEED, REGISTRY["fixed"])
        checker = InvariantChecker()
        found = []
        for number, step in enumerate(c.trace, 1):
            world.apply(number, step)
            found += checker.observe_all(world.bus.events)
            world.bus.events.clear()
            if checker.open_requests and not world.in_flight():
                found += checker.finish(settled=True, step=number)
        assert (c.invariant, len(c.trace)) in {(v.invariant, v.step) for v in found}


SYM2 = replace(
    ISSUE_SEED,
    sessions=(ISSUE_SEED.sessions[0], replace(ISSUE_SEED.sessions[0], ref="agent:main:b")),
)


@pytest.mark.parametrize("design", ["fixed", "buggy"])
def test_symmetry_reads_the_abstract_key(design: str) -> None:
    """Mirror sessions with waiters: the abstract key keeps the layout Fingerprints reads."""
    config = ExploreConfig(depth=5, actions=("tick", "bump", "release"))
    concrete = lengths(SYM2, REGISTRY[design], config)
    abstract = explore(SYM2, REGISTRY[design], replace(config, abstract=True))
    assert abstract.symmetry
    assert {c.invariant: len(c.trace) for c in abstract.counterexamples} == concrete


def test_a_planted_starvation_cycle_is_found() -> None:
    """One key for every session: b's asks are absorbed while a's recovery is held forever."""
    result = find_starvation(SYM2, OneKey(), ExploreConfig(actions=("tick",)))
    assert result.complete
    starved = {lasso.session: lasso for lasso in result.lassos}
    assert set(starved) == {"agent:main:b"}
    lasso = starved["agent:main:b"]
    assert lasso.loop and all(isinstance(s, Tick) for s in lasso.loop)
    # Replayed concretely, the prefix then the loop: b is asked for once at most, then never.
    world = World(SYM2, OneKey())
    for number, step in enumerate(lasso.unrolled(20), 1):
        world.apply(number, step)
    asked = [e for e in world.bus.events if e.type == "session.recovery.requested"]
    assert [e.ref for e in asked] == ["agent:main:direct"]
    assert needs_recovery(world, "agent:main:b")


def test_no_starvation_where_every_session_gets_its_own_recovery() -> None:
    for design in ("fixed", "buggy"):
        result = find_starvation(SYM2, REGISTRY[design], ExploreConfig(actions=("tick",)))
        assert result.complete and not result.lassos


def test_a_cycle_without_a_heartbeat_is_no_execution() -> None:
    """Bumps while time stands still cycle in the abstract graph (queues saturate) but are
    not an execution under the heartbeat's fairness: no lasso from them alone."""
    result = find_starvation(SYM2, REGISTRY["fixed"], ExploreConfig(actions=("bump",)))
    assert result.complete and not result.lassos


def test_cli_says_verified_at_the_fixpoint_and_bounded_otherwise() -> None:
    args = ["explore", "--strategy", "fixed", "--actions", "tick,bump,release", "--no-write"]
    code, out, _ = invoke(*args, "--fixpoint")
    assert code == 0 and "to a fixpoint (abstract states)" in out
    assert "verified: no interleaving of this session under tick,bump,release" in out
    code, out, _ = invoke(*args, "--depth", "3")
    assert code == 0 and "a bounded proof" in out and "verified" not in out
    code, out, _ = invoke(*args, "--fixpoint", "-f", "json")
    doc = json.loads(out)
    assert doc["depth_bound"] is None and doc["fixpoint_mode"]
    assert doc["strategies"]["fixed"]["fixpoint"] and doc["strategies"]["fixed"]["verified"]


def test_cli_liveness_reads_every_session_is_asked_for() -> None:
    code, out, _ = invoke(
        "explore",
        "--strategy",
        "fixed",
        "--actions",
        "tick",
        "--no-write",
        "--fixpoint",
        "--liveness",
    )
    assert code == 0 and "every session that needs recovery is eventually asked for" in out


def test_a_lasso_renders_its_loop_and_says_it_repeats() -> None:
    from probe.report.explore_report import render_lassos

    found = find_starvation(SYM2, OneKey(), ExploreConfig(actions=("tick",)))
    text = render_lassos("one-key", found.lassos, found.states, found.complete)
    assert "starves agent:main:b" in text and "(loop)" in text
    assert text.rstrip().endswith("the loop repeats forever")


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (["--liveness"], "--liveness needs --fixpoint"),
        (["--fixpoint", "--random"], "not with --random"),
    ],
)
def test_cli_fixpoint_misuse_exits_2(extra: list[str], says: str) -> None:
    code, _, err = invoke("explore", "--no-write", *extra)
    assert code == 2 and says in err


def test_cli_refuses_a_fixpoint_over_jitter(tmp_path: Path) -> None:
    seed = tmp_path / "jitter.toml"
    seed.write_text(
        dump_scenario(replace(ISSUE_SEED, settings=Settings(tick_jitter_ms=(0, 500)))),
        encoding="utf-8",
    )
    code, out, err = invoke("explore", str(seed), "--fixpoint", "--no-write")
    assert code == 2 and "tick_jitter_ms" in err and str(seed) in err and not out


def test_request_classes_keep_what_the_runtime_compares() -> None:
    ages = abstraction.request_age_labels({0, 299_999, 300_000, 400_000})
    assert ages == {0: 0, 299_999: 0, 300_000: 1, 400_000: 1}  # the stale lane-task side
    assert abstraction.request_depth_labels({0, 1, 7}) == {0: 0, 1: 1, 7: 1}  # above 0


@pytest.mark.parametrize(("seed", "design", "depth", "advance"), PINNED_SEEDS)
def test_every_waiting_request_is_open_in_the_checker(
    seed: Scenario, design: str, depth: int, advance: int | None
) -> None:
    """What the request classes rest on: a waiter's request always has its own open check
    (so a settled request completes it, and which of two equal checks goes is no matter)."""
    config = ExploreConfig(depth=depth, advance_ms=advance)
    plan = step_plan(seed, config)
    world = World(seed, strategy_of(design), keep_events=OBSERVED_EVENTS)
    layer = [(world.snapshot(), InvariantChecker())]
    seen: set[object] = set()
    waited = 0
    for number in range(1, depth + 1):
        following = []
        for snapshot, checker in layer:
            for step, needs_run in plan:
                world.restore(snapshot)
                if needs_run is not None and needs_run not in world.handles:
                    continue
                world.apply(number, step)
                child = checker.clone()
                child.observe_all(world.bus.events)
                key = (world.state_key(), child.key())
                if key in seen:
                    continue
                seen.add(key)
                for ref, waiter in world.runtime.waiters.items():
                    r = waiter.request
                    identity = (r.ref, r.expected_state, r.generation, r.age_ms, r.queue_depth)
                    assert identity in [i for i, _ in child.open_requests.get(ref, ())], key
                    waited += 1
                following.append((world.snapshot(), child))
        layer = following
    # Each pinned seed but the honoured abort (resolved at once) holds a recovery somewhere.
    assert waited or seed is HONOURED


def unstable_judged_classes(
    scenario: Scenario, strategy: DedupStrategy, depth: int, advance_ms: int | None = None
) -> list[str]:
    """unstable_classes with the seed's own judge (every property the abstraction covers, so
    the monitors beyond class 1 too) in place of the pairing checker: states grouped by the
    key a fixpoint search fingerprints (tree.abstract_key), and by their concrete record
    queues and pre-7.2 throttles past the cap (the documented approximations)."""
    scenario = narrowed(scenario)[0]
    config = ExploreConfig(depth=depth, advance_ms=advance_ms, abstract=True)
    plan = step_plan(scenario, config)
    root_judge = Judge.of(scenario)
    world = World(scenario, strategy, keep_events=root_judge.event_types)
    refs = [s.ref for s in scenario.sessions]
    ab = abstraction.Abstraction(scenario.settings, strategy, world.behaviour, refs)

    def group(judge: Judge) -> object:
        key = (world.state_key(), judge.truth.pairing.key())
        return abstract_key(ab, world, judge), queues(key), saturated_throttles(key, ab)

    root = (world.snapshot(), root_judge)
    concrete: set[object] = {(world.state_key(), root_judge.key())}
    classes: dict[object, list[tuple[WorldState, Judge]]] = {group(root_judge): [root]}
    layer = [root]
    for number in range(1, depth + 1):
        following = []
        for snapshot, judge in layer:
            for step, needs_run in plan:
                world.restore(snapshot)
                if needs_run is not None and needs_run not in world.handles:
                    continue
                world.apply(number, step)
                child = judge.clone()
                child.step(number, step, world.bus.events)
                key = (world.state_key(), child.key())
                if key in concrete:
                    continue
                concrete.add(key)
                state = (world.snapshot(), child)
                classes.setdefault(group(child), []).append(state)
                following.append(state)
        layer = following
    found = []
    for members in classes.values():
        if len(members) < 2:
            continue
        for step, needs_run in plan:
            seen = set()
            for snapshot, judge in members:
                world.restore(snapshot)
                if needs_run is not None and needs_run not in world.handles:
                    seen.add(None)
                    continue
                world.apply(depth + 1, step)
                child = judge.clone()
                found_now = child.step(depth + 1, step, world.bus.events)
                names = frozenset(v.invariant for v in found_now)
                if child.truth.pairing.open_requests and not world.in_flight():
                    names |= {v.invariant for v in child.finish(settled=True, step=0)}
                seen.add((abstract_key(ab, world, child), names))
            if len(seen) > 1:
                found.append(f"{step}: {len(seen)} classes")
    return found


def test_the_fixpoint_judges_more_than_class_1() -> None:
    _, left_out = narrowed(ISSUE_SEED)  # every property of the catalogue chosen
    assert {"stale-evidence", "truthful-outcome"} <= abstraction.ABSTRACTED
    assert "stale-evidence" not in left_out and "truthful-outcome" not in left_out
    assert "healthy-run-aborted" in left_out and "request-liveness" in left_out


@pytest.mark.parametrize(("seed", "design", "depth", "advance"), PINNED_SEEDS)
def test_the_judged_classes_are_stable(
    seed: Scenario, design: str, depth: int, advance: int | None
) -> None:
    assert not unstable_judged_classes(seed, strategy_of(design), depth - 2, advance)
