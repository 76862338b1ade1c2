"""The shortcuts explore takes for speed change nothing it can observe.

Each test walks many seeded random step sequences over several seeds and strategies and
compares the fast path with the plain one, step by step.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace

import pytest

from probe.explore import ISSUE_SEED, ExploreConfig, candidate_steps
from probe.invariants import OBSERVED_EVENTS, InvariantChecker
from probe.model.events import Event
from probe.model.world import World
from probe.scenario import Scenario, Settings, Step
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
        for number, step in enumerate(steps, start=1):
            before = world.state_key()
            siblings = []
            others = candidate_steps(scenario, world, ExploreConfig())
            # In any order and any number: a fixed one can hide a leak that a later one undoes.
            for other in rng.sample(others, rng.randint(0, len(others))):
                twin = world.clone()
                assert twin.state_key() == before
                twin.apply(number, other)
                siblings.append((twin, twin.state_key(), twin.runtime_outcomes()))
                assert world.state_key() == before
            if rng.random() < 0.5:
                world = world.clone()
            world.apply(number, step)
            plain.apply(number, step)
            for twin, key, outcomes in siblings:
                assert (twin.state_key(), twin.runtime_outcomes()) == (key, outcomes)
            assert world.state_key() == plain.state_key()
            assert world.clock.now == plain.clock.now
            assert world.runtime_outcomes() == plain.runtime_outcomes()
            assert [_seen(e) for e in world.bus.events] == [_seen(e) for e in plain.bus.events]
            world.bus.events.clear()
            plain.bus.events.clear()
