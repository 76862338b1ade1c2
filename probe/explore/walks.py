"""Seeded random walks over the steps: a quick search without a depth-complete proof."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from probe.explore.counterexamples import shrink
from probe.explore.steps import offered_steps, step_plan
from probe.explore.values import Counterexample, ExploreConfig, RandomResult
from probe.model.world import World
from probe.properties.judge import Judge
from probe.scenario.values import Scenario, Step
from probe.strategies import DedupStrategy


@dataclass(slots=True)
class _Trace:
    """How a state was first reached: a link to its parent's trace and the step taken.

    Kept apart from the state itself (its snapshot and checker), which can then be freed once
    expanded: only counterexample traces ever walk back up the links.
    """

    parent: _Trace | None
    step: Step | None

    def steps(self) -> tuple[Step, ...]:
        steps: list[Step] = []
        node: _Trace | None = self
        while node is not None and node.step is not None:
            steps.append(node.step)
            node = node.parent
        return tuple(reversed(steps))


_ROOT = _Trace(None, None)


def explore_random(
    scenario: Scenario,
    strategy: DedupStrategy,
    config: ExploreConfig,
    *,
    seed: int,
    runs: int,
    stop: Callable[[], bool] = lambda: False,
) -> RandomResult:
    """Seeded random walks of `config.depth` steps; counterexamples are shrunk."""
    rng = random.Random(seed)
    plan = step_plan(scenario, config)
    result = RandomResult(strategy.name, 0, 0)
    found: dict[str, Counterexample] = {}
    for _ in range(runs):
        if stop():
            break
        result.runs += 1
        checker, trace = Judge.of(scenario), _ROOT
        world = World(scenario, strategy, keep_events=checker.event_types)
        for number in range(1, config.depth + 1):
            step = rng.choice(offered_steps(plan, world))
            world.apply(number, step)
            violations = checker.step(number, step, world.bus.events)
            world.bus.events.clear()
            if checker.truth.pairing.open_requests and not world.in_flight():
                violations.extend(checker.finish(settled=True, step=number))
            trace = _Trace(trace, step)
            result.steps += 1
            for v in violations:
                if v.invariant not in found:
                    small = shrink(scenario, strategy, trace.steps(), v.invariant)
                    found[v.invariant] = Counterexample(v.invariant, small, v.message)
    result.counterexamples = [found[n] for n in sorted(found)]
    return result
