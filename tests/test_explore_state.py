"""The shortcuts explore takes for speed change nothing it can observe.

Each test walks many seeded random step sequences over several seeds and strategies and
compares the fast path with the plain one, step by step.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import FrozenInstanceError, fields, replace

import pytest

from probe.explore.search import explore
from probe.explore.steps import candidate_steps
from probe.explore.values import ISSUE_SEED, ExploreConfig
from probe.invariants import INVARIANTS, OBSERVED_EVENTS, InvariantChecker, request_identity
from probe.model.activity import (
    ActivitySnapshot,
    BackendAttempt,
    Repeated,
    Request,
    RunActivity,
)
from probe.model.clock import Timer
from probe.model.events import Event, defined, payload
from probe.model.heartbeat import RecoveryRequest
from probe.model.state import PRUNE_INTERVAL_MS, SessionRecord
from probe.model.world import World
from probe.properties.selection import Choice
from probe.scenario.values import Scenario, Settings, Step
from probe.strategies import REGISTRY, DedupStrategy
from tests.test_invariants import OneKey

TWO = replace(
    ISSUE_SEED,
    sessions=(
        ISSUE_SEED.sessions[0],
        replace(ISSUE_SEED.sessions[0], ref="agent:main:b", progress_age_ms=360_000),
    ),
)
# Settle timers, an honoured abort and a tool call: the paths the issue's seed never takes.
MIXED = replace(
    ISSUE_SEED,
    sessions=(
        replace(ISSUE_SEED.sessions[0], abort="honoured"),
        replace(
            ISSUE_SEED.sessions[0],
            ref="agent:main:b",
            owner="none",
            work="tool_call",
            progress_age_ms=200_000,
        ),
    ),
    settings=Settings(drain="settle", warn_ms=60_000),
)
SEEDS = {
    "issue": ISSUE_SEED,
    "two": TWO,
    "settle": replace(TWO, settings=Settings()),
    "mixed": MIXED,
}
STRATEGIES: dict[str, DedupStrategy] = {**REGISTRY, "one-key": OneKey()}
CASES = [(s, t) for s in SEEDS for t in STRATEGIES]
WALKS, LENGTH = 40, 14


def walks(scenario: Scenario, seed: int) -> Iterator[list[Step]]:
    """Random step sequences over every action (a release only while its run is on)."""
    rng = random.Random(seed)
    config = ExploreConfig()
    for _ in range(WALKS):
        world = World(scenario, REGISTRY["fixed"])
        steps: list[Step] = []
        for number in range(1, LENGTH + 1):
            step = rng.choice(candidate_steps(scenario, world, config))
            world.apply(number, step)
            steps.append(step)
        yield steps


def _seen(event: Event) -> tuple[object, ...]:
    """An event but for its sequence number (a filtered bus numbers only what it keeps)."""
    return (
        event.type,
        event.ref,
        event.at_ms,
        event.step,
        event.fields,
        event.generation,
        event.layer,
    )


@pytest.mark.parametrize(("seed", "strategy"), CASES)
def test_dropping_unobserved_event_types_changes_no_verdict(seed: str, strategy: str) -> None:
    scenario, strat = SEEDS[seed], STRATEGIES[strategy]
    for steps in walks(scenario, CASES.index((seed, strategy))):
        full, kept = World(scenario, strat), World(scenario, strat, keep_events=OBSERVED_EVENTS)
        full_checker, kept_checker = InvariantChecker(), InvariantChecker()
        for number, step in enumerate(steps, start=1):
            full.apply(number, step)
            kept.apply(number, step)
            assert [_seen(e) for e in kept.bus.events] == [
                _seen(e) for e in full.bus.events if e.type in OBSERVED_EVENTS
            ]
            assert full_checker.observe_all(full.bus.events) == kept_checker.observe_all(
                kept.bus.events
            )
            full.bus.events.clear()
            kept.bus.events.clear()
        assert full_checker.finish(settled=True, step=0) == kept_checker.finish(
            settled=True, step=0
        )


@pytest.mark.parametrize(("seed", "strategy"), CASES)
def test_clones_are_independent_of_their_original(seed: str, strategy: str) -> None:
    """Explore clones a state once per step but the last, which the state takes itself."""
    scenario, strat = SEEDS[seed], STRATEGIES[strategy]
    rng = random.Random(CASES.index((seed, strategy)))
    for steps in walks(scenario, CASES.index((seed, strategy))):
        plain, world = World(scenario, strat), World(scenario, strat)
        plain_checker, checker = InvariantChecker(), InvariantChecker()
        for number, step in enumerate(steps, start=1):
            before = (world.state_key(), checker.key(), checker.finish(settled=True, step=0))
            siblings = []
            others = candidate_steps(scenario, world, ExploreConfig())
            # In any order and any number: a fixed one can hide a leak that a later one undoes.
            for other in rng.sample(others, rng.randint(0, len(others))):
                twin, twin_checker = world.clone(), checker.clone()
                assert (twin.state_key(), twin_checker.key()) == before[:2]
                twin.apply(number, other)
                twin_checker.observe_all(twin.bus.events)
                siblings.append(
                    (
                        twin,
                        twin_checker,
                        twin.state_key(),
                        twin_checker.key(),
                        twin.runtime_outcomes(),
                    )
                )
                assert (world.state_key(), checker.key(), checker.finish(settled=True, step=0)) == (
                    before
                )
            if rng.random() < 0.5:
                world, checker = world.clone(), checker.clone()
            world.apply(number, step)
            plain.apply(number, step)
            for twin, twin_checker, key, checker_key, outcomes in siblings:
                assert twin.state_key() == key and twin.runtime_outcomes() == outcomes
                assert twin_checker.key() == checker_key
            assert world.state_key() == plain.state_key()
            assert world.clock.now == plain.clock.now
            assert world.runtime_outcomes() == plain.runtime_outcomes()
            assert [_seen(e) for e in world.bus.events] == [_seen(e) for e in plain.bus.events]
            assert checker.observe_all(world.bus.events) == plain_checker.observe_all(
                plain.bus.events
            )
            assert checker.key() == plain_checker.key()
            assert checker.coordinator_absorbed == plain_checker.coordinator_absorbed
            world.bus.events.clear()
            plain.bus.events.clear()
        assert checker.finish(settled=True, step=0) == plain_checker.finish(settled=True, step=0)


def replayed(scenario: Scenario, strategy: DedupStrategy, steps: list[Step]) -> World:
    world = World(scenario, strategy)
    for number, step in enumerate(steps, start=1):
        world.apply(number, step)
    world.bus.events.clear()
    return world


@pytest.mark.parametrize(("seed", "strategy"), CASES)
def test_a_snapshot_never_changes_whatever_its_worlds_do_next(seed: str, strategy: str) -> None:
    """Explore restores a state's snapshot before each of its steps, and keeps snapshots."""
    scenario, strat = SEEDS[seed], STRATEGIES[strategy]
    rng = random.Random(CASES.index((seed, strategy)))
    for steps in walks(scenario, CASES.index((seed, strategy))):
        plain, world, other = (World(scenario, strat) for _ in range(3))
        saved = []
        for number, step in enumerate(steps, start=1):
            snapshot = world.snapshot()
            saved.append((snapshot, steps[: number - 1]))
            others = candidate_steps(scenario, world, ExploreConfig())
            siblings = rng.sample(others, rng.randint(0, len(others)))
            for sibling in siblings:
                world.restore(snapshot)
                world.apply(number, sibling)
            if siblings or rng.random() < 0.5:
                world.restore(snapshot)
            world.apply(number, step)
            plain.apply(number, step)
            assert world.state_key() == plain.state_key()
            assert world.runtime_outcomes() == plain.runtime_outcomes()
            assert [_seen(e) for e in world.bus.events] == [_seen(e) for e in plain.bus.events]
            world.bus.events.clear()
            plain.bus.events.clear()
            # Any earlier snapshot, restored into another world, behaves as a world that
            # took the same steps from scratch, whatever the worlds restored from it did.
            old, prefix = rng.choice(saved)
            other.restore(old)
            fresh = replayed(scenario, strat, prefix)
            assert other.state_key() == fresh.state_key()
            after = rng.choice(candidate_steps(scenario, other, ExploreConfig()))
            other.apply(len(prefix) + 1, after)
            fresh.apply(len(prefix) + 1, after)
            assert other.state_key() == fresh.state_key()
            assert other.runtime_outcomes() == fresh.runtime_outcomes()
            assert [_seen(e) for e in other.bus.events] == [_seen(e) for e in fresh.bus.events]


# Counted by the search before any of its shortcuts: the states it merges, the transitions it
# takes and the coverage it sums must not move.
PINNED = [
    (
        "two", "fixed", 8, ("tick", "bump", "release"),
        (1, 5, 17, 57, 180, 512, 1317, 3094, 6703), 20473, (),
        (4796, 4796, 3758, 0, 0, 3144),
    ),
    (
        "issue", "buggy", 5, None,
        (1, 8, 44, 189, 549, 1325), 6153, ("phantom-request",),
        (226, 35, 299, 54, 0, 199),
    ),
    ("settle", "fixed", 3, None, (1, 14, 124, 902), 1910, (), (38, 0, 0, 0, 76, 30)),
    ("mixed", "buggy", 3, None, (1, 13, 106, 705), 1529, (), (0, 0, 0, 0, 0, 0)),
    (
        "settle", "buggy", 7, ("tick", "bump", "release", "advance"),
        (1, 6, 26, 100, 314, 858, 2166, 5106), 15046, (),
        (750, 0, 0, 0, 1500, 1008),
    ),
]  # fmt: skip


PAIRING_NAMES = tuple(INVARIANTS)


@pytest.mark.parametrize(
    ("seed", "strategy", "depth", "actions", "per_depth", "transitions", "violated", "coverage"),
    PINNED,
)
def test_the_search_counts_what_it_always_counted(
    seed: str,
    strategy: str,
    depth: int,
    actions: tuple[str, ...] | None,
    per_depth: tuple[int, ...],
    transitions: int,
    violated: tuple[str, ...],
    coverage: tuple[int, ...],
) -> None:
    config = ExploreConfig(depth=depth) if actions is None else ExploreConfig(depth, actions)
    # The plain search: no symmetry, no partial-order reduction (tests/test_explore_scale.py
    # holds those to this one).
    config = replace(config, symmetry=False, reduction=False)
    # The figures are the pairing search's (class 1, what explore always judged); the whole
    # catalogue's search is held to a full-key search in tests/test_explore_scale.py.
    seed_scenario = replace(SEEDS[seed], properties=Choice(only=PAIRING_NAMES))
    result = explore(seed_scenario, STRATEGIES[strategy], config)
    assert result.per_depth == per_depth
    assert result.distinct_states == sum(per_depth)
    assert result.transitions == transitions
    assert tuple(c.invariant for c in result.counterexamples) == violated
    assert tuple(n for _, n in result.coverage) == coverage


def reference_key(world: World) -> tuple[object, ...]:
    """World.state_key as first written, plainly: the meaning any faster key must keep."""
    now = world.clock.now
    hb = world.heartbeat
    store = world.store
    return (
        tuple(
            (
                r.ref,
                r.state,
                r.generation,
                r.queue_depth,
                r.last_activity - now,
                r.last_stuck_warn_age,
                r.last_long_running_warn_age,
            )
            for r in store.records.values()
        ),
        None if store.last_prune_at is None else min(now - store.last_prune_at, PRUNE_INTERVAL_MS),
        tuple(
            (
                ref,
                a.embedded_run,
                None if a.tool_started_at is None else a.tool_started_at - now,
                a.model_call,
                a.last_progress_at - now,
                a.last_progress_reason,
            )
            for ref, a in sorted(world.activity.items())
        ),
        tuple(sorted((ref, h.abort) for ref, h in world.handles.items())),
        tuple(sorted(world.coordinator.in_flight)),
        tuple(sorted(world.runtime.in_flight)),
        tuple(
            (
                ref,
                w.request,
                w.key,
                None if w.timer is None else (w.timer.due - now, w.timer.seq < hb.seq),
            )
            for ref, w in sorted(world.runtime.waiters.items())
        ),
        hb.due - now,
    )


@pytest.mark.parametrize(("seed", "strategy"), CASES)
def test_state_key_merges_exactly_what_the_reference_key_merges(seed: str, strategy: str) -> None:
    scenario, strat = SEEDS[seed], STRATEGIES[strategy]
    to_reference: dict[object, object] = {}
    from_reference: dict[object, object] = {}
    samples = 0
    for steps in walks(scenario, CASES.index((seed, strategy))):
        world = World(scenario, strat, keep_events=OBSERVED_EVENTS)
        for number, step in enumerate(steps, start=1):
            world = world.clone()
            world.apply(number, step)
            key, reference = world.state_key(), reference_key(world)
            assert to_reference.setdefault(key, reference) == reference
            assert from_reference.setdefault(reference, key) == key
            # The key reads these in the order they are kept, which must be ref order.
            for mapping in (world.activity, world.handles, world.runtime.waiters):
                assert list(mapping) == sorted(mapping)
            samples += 1
    assert len(from_reference) < samples  # some walks met: the check compared something


def test_defined_is_payload_from_pairs() -> None:
    fields = defined(("state", "idle"), ("ageMs", None), ("stale", True))
    assert fields == payload(state="idle", ageMs=None, stale=True)


# The frozen dataclasses with an __init__ of their own (see probe.model.frozen), and a
# distinct value for each field.
HAND_BUILT: list[tuple[type, dict[str, object]]] = [
    (
        Event,
        dict(seq=3, at_ms=60_000, step=2, type="t", ref="r", fields=(("a", 1),), generation=5,
             layer="coordinator"),
    ),
    (
        ActivitySnapshot,
        dict(work_kind="tool_call", has_active_embedded_run=True, tool_age_ms=7,
             progress_age_ms=8, progress_reason="why", request_timeout_ms=9,
             tool_deadline_at=10, backend_deadline_at=11, repeated_age_ms=12),
    ),
    (
        RunActivity,
        dict(embedded_runs=("main",), tools=(("main", -5),), model_calls=("2",),
             last_progress_at=-6, last_progress_reason="why",
             requests=(Request("r", 60_000, True, False),), tool_order=(("main", 12),),
             backend=BackendAttempt(True, False, 13, 14, 15), repeated=Repeated(16, 2)),
    ),
    (
        RecoveryRequest,
        dict(ref="r", expected_state="waiting", generation=2, age_ms=3, queue_depth=4,
             allow_active_abort=True, stale_abort_ms=9),
    ),
    (Timer, dict(due=10, seq=11, kind="settle", ref="r")),
]  # fmt: skip


@pytest.mark.parametrize(("cls", "values"), HAND_BUILT, ids=lambda v: getattr(v, "__name__", ""))
def test_a_hand_written_init_builds_the_plain_frozen_value(
    cls: type, values: dict[str, object]
) -> None:
    assert [f.name for f in fields(cls)] == list(values)
    built = cls(**values)
    assert {name: getattr(built, name) for name in values} == values
    again = cls(*values.values())
    assert built == again and hash(built) == hash(again) and repr(built) == repr(again)
    assert replace(built) == built
    with pytest.raises(FrozenInstanceError):
        setattr(built, next(iter(values)), None)


def test_request_identity_reads_fields_in_any_order() -> None:
    model = defined(
        ("state", "idle"), ("stateGeneration", 2), ("ageMs", 5), ("queueDepth", 1), ("x", 0)
    )
    for payload_ in (model, tuple(sorted(model)), tuple(reversed(model))):
        event = Event(1, 0, 1, "session.recovery.completed", "r", payload_)
        assert request_identity(event) == ("r", "idle", 2, 5, 1)


def test_a_record_copy_has_every_field_and_is_its_own() -> None:
    rec = SessionRecord("r", "waiting", 2, 3, -4, 5, 6, True)
    twin = rec.copy()
    assert twin == rec and twin is not rec
    assert [getattr(twin, f.name) for f in fields(SessionRecord)] == [
        "r",
        "waiting",
        2,
        3,
        -4,
        5,
        6,
        True,
    ]
    twin.touch(9)
    assert (rec.generation, rec.last_activity) == (2, -4)
