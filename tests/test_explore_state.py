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
