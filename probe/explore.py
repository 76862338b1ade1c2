"""Breadth-first search over step interleavings: shortest counterexamples, bounded proofs.

Pure: no printing, no files, no wall clock. The caller passes `stop` (for a time limit) and
`progress` callbacks, and times the call itself.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from probe.invariants import (
    INVARIANTS,
    OBSERVED_EVENTS,
    PHANTOM_REQUEST,
    InvariantChecker,
)
from probe.model.coverage import Coverage
from probe.model.world import World, WorldState
from probe.replay import replay
from probe.scenario import (
    SESSION_STATES,
    Advance,
    Bump,
    Expectation,
    Progress,
    Release,
    Scenario,
    SessionSeed,
    Settings,
    StateChange,
    Step,
    Tick,
)
from probe.strategies import DedupStrategy

ACTIONS = ("tick", "bump", "release", "advance", "state", "progress")
DEFAULT_ACTIONS = ACTIONS
DEFAULT_DEPTH = 6

ISSUE_SEED = Scenario(
    name="issue #88010 seed",
    description="One session idle with queued work, owned by an embedded run that ignores "
    "abort, progress 370 s stale; the recovery is held until its run ends.",
    sessions=(
        SessionSeed(
            ref="agent:main:direct",
            state="idle",
            generation=0,
            queue_depth=1,
            owner="embedded_run",
            abort="ignored",
            work="embedded_run",
            progress_age_ms=370_000,
        ),
    ),
    steps=(Tick(),),
    settings=Settings(drain="hold"),
)


def default_expected(strategy: str) -> frozenset[str]:
    """Without [expect.NAME].violations: the buggy design must show the phantom, others nothing."""
    return frozenset({PHANTOM_REQUEST}) if strategy == "buggy" else frozenset()


@dataclass(frozen=True, slots=True)
class ExploreConfig:
    depth: int = DEFAULT_DEPTH
    actions: tuple[str, ...] = DEFAULT_ACTIONS
    advance_ms: int | None = None  # default: the scenario's settle_ms
    max_states: int | None = None
    dedup: bool = True


@dataclass(frozen=True, slots=True)
class Counterexample:
    invariant: str
    trace: tuple[Step, ...]
    message: str


@dataclass(frozen=True, slots=True)
class ExploreResult:
    strategy: str
    states_expanded: int
    distinct_states: int
    transitions: int
    depth: int
    bound_hit: str | None
    counterexamples: tuple[Counterexample, ...]
    coverage: tuple[tuple[str, int], ...]
    # Distinct states first reached at each depth (index 0: the seed).
    per_depth: tuple[int, ...] = ()

    @property
    def violated(self) -> frozenset[str]:
        return frozenset(c.invariant for c in self.counterexamples)


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


def _step_plan(scenario: Scenario, config: ExploreConfig) -> list[tuple[Step, str | None]]:
    """Every allowed action on every seeded session, in a fixed order.

    A release is paired with its session: it is a real choice only while that session has a
    run. Everything else is always offered (paired with None).
    """
    refs = [s.ref for s in scenario.sessions]
    advance = config.advance_ms if config.advance_ms is not None else scenario.settings.settle_ms
    plan: list[tuple[Step, str | None]] = []
    for action in config.actions:
        if action == "tick":
            plan.append((Tick(), None))
        elif action == "advance":
            plan.append((Advance(max(1, advance)), None))
        elif action == "bump":
            plan.extend((Bump(r), None) for r in refs)
        elif action == "release":
            plan.extend((Release(r), r) for r in refs)
        elif action == "state":
            plan.extend((StateChange(r, to), None) for r in refs for to in SESSION_STATES)
        elif action == "progress":
            plan.extend((Progress(r), None) for r in refs)
    return plan


def candidate_steps(scenario: Scenario, world: World, config: ExploreConfig) -> list[Step]:
    """Every allowed action on every seeded session, in a fixed order."""
    return _offered(_step_plan(scenario, config), world)


def _offered(plan: list[tuple[Step, str | None]], world: World) -> list[Step]:
    # Releasing a session with no run changes nothing: not a real choice.
    handles = world.handles
    return [step for step, needs_run in plan if needs_run is None or needs_run in handles]


def explore(
    scenario: Scenario,
    strategy: DedupStrategy,
    config: ExploreConfig = ExploreConfig(),
    *,
    stop: Callable[[], bool] = lambda: False,
    progress: Callable[[int, int, int], None] | None = None,
) -> ExploreResult:
    """Breadth-first to `config.depth`: the first counterexample of each invariant is shortest."""
    coverage = Coverage()
    # One world does every step: each step starts from its state's snapshot, restored.
    # It records only the event types the checker reads (the others are never even built),
    # and counts into the search's coverage.
    world = World(scenario, strategy, keep_events=OBSERVED_EVENTS).clone(coverage)
    root_checker = InvariantChecker()
    seen: set[tuple[object, ...]] = {(world.state_key(), root_checker.key())}
    frontier: list[tuple[WorldState, InvariantChecker, _Trace]] = [
        (world.snapshot(), root_checker, _ROOT)
    ]
    plan = _step_plan(scenario, config)
    found: dict[str, Counterexample] = {}
    expanded = transitions = reached = 0
    per_depth = [1]
    bound: str | None = None
    dedup, max_states, seen_add = config.dedup, config.max_states, seen.add
    for depth in range(1, config.depth + 1):
        next_frontier: list[tuple[WorldState, InvariantChecker, _Trace]] = []
        # The deepest level is never expanded: its states are counted, not kept.
        keep = depth < config.depth
        reached_now = 0
        for state, node_checker, trace in frontier:
            if stop():
                bound = "time_limit"
                break
            if max_states is not None and len(seen) >= max_states:
                bound = "max_states"
                break
            expanded += 1
            world.restore(state)
            for i, step in enumerate(_offered(plan, world)):
                if i:
                    world.restore(state)
                world.apply(depth, step)
                events = world.bus.events
                if events:
                    checker = node_checker.clone()
                    violations = checker.observe_all(events)
                else:
                    # Nothing to observe: the child shares its parent's checker, which no
                    # one changes once it is in a frontier (only clones record events).
                    checker, violations = node_checker, []
                if checker.open_requests and not world.in_flight():
                    violations.extend(checker.finish(settled=True, step=depth))
                transitions += 1
                for v in violations:
                    if v.invariant not in found:
                        steps_to = _Trace(trace, step).steps()
                        found[v.invariant] = Counterexample(v.invariant, steps_to, v.message)
                if dedup:
                    size = len(seen)
                    seen_add((world.state_key(), checker.key()))
                    if len(seen) == size:
                        continue
                reached_now += 1
                if keep:
                    next_frontier.append((world.snapshot(), checker, _Trace(trace, step)))
        if bound is not None:
            break
        reached = depth
        per_depth.append(reached_now)
        if progress is not None:
            progress(depth, len(seen) if config.dedup else transitions + 1, transitions)
        frontier = next_frontier
        if not reached_now:
            break
    return ExploreResult(
        strategy=strategy.name,
        states_expanded=expanded,
        distinct_states=len(seen) if config.dedup else transitions + 1,
        transitions=transitions,
        depth=reached,
        bound_hit=bound,
        counterexamples=tuple(found[name] for name in sorted(found)),
        coverage=tuple(sorted(coverage.as_dict().items())),
        per_depth=tuple(per_depth),
    )


def violates(
    scenario: Scenario, strategy: DedupStrategy, steps: Iterable[Step], invariant: str
) -> bool:
    run = replay(_with_steps(scenario, tuple(steps)), strategy)
    return invariant in run.violation_names


def shrink(
    scenario: Scenario, strategy: DedupStrategy, trace: tuple[Step, ...], invariant: str
) -> tuple[Step, ...]:
    """Drop steps one at a time while the violation persists (greedy delta debugging)."""
    current = list(trace)
    changed = True
    while changed:
        changed = False
        for i in range(len(current)):
            candidate = current[:i] + current[i + 1 :]
            if candidate and violates(scenario, strategy, candidate, invariant):
                current = candidate
                changed = True
                break
    return tuple(current)


@dataclass
class RandomResult:
    strategy: str
    runs: int
    steps: int
    counterexamples: list[Counterexample] = field(default_factory=list)


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
    plan = _step_plan(scenario, config)
    result = RandomResult(strategy.name, 0, 0)
    found: dict[str, Counterexample] = {}
    for _ in range(runs):
        if stop():
            break
        result.runs += 1
        world = World(scenario, strategy, keep_events=OBSERVED_EVENTS)
        checker, trace = InvariantChecker(), _ROOT
        for number in range(1, config.depth + 1):
            step = rng.choice(_offered(plan, world))
            world.apply(number, step)
            violations = checker.observe_all(world.bus.events)
            world.bus.events.clear()
            if not world.in_flight():
                violations.extend(checker.finish(settled=True, step=number))
            trace = _Trace(trace, step)
            result.steps += 1
            for v in violations:
                if v.invariant not in found:
                    small = shrink(scenario, strategy, trace.steps(), v.invariant)
                    found[v.invariant] = Counterexample(v.invariant, small, v.message)
    result.counterexamples = [found[n] for n in sorted(found)]
    return result


def _with_steps(scenario: Scenario, steps: tuple[Step, ...]) -> Scenario:
    return Scenario(
        name=scenario.name,
        description=scenario.description,
        sessions=scenario.sessions,
        steps=steps,
        settings=scenario.settings,
    )


def counterexample_scenario(
    seed: Scenario,
    example: Counterexample,
    found_by: str,
    strategies: Iterable[DedupStrategy],
) -> Scenario:
    """The trace as a scenario whose [expect.*] record what each strategy did with it."""
    base = _with_steps(seed, example.trace)
    expect: list[tuple[str, Expectation]] = []
    for strategy in strategies:
        run = replay(base, strategy)
        expect.append(
            (
                strategy.name,
                Expectation(
                    requested=run.requested,
                    requested_generations=tuple(run.requested_generations),
                    completed=run.completed,
                    runtime_outcomes=run.runtime_outcomes,
                    violations=tuple(run.violation_names),
                ),
            )
        )
    return Scenario(
        name=f"shortest {example.invariant} counterexample for {found_by}",
        description=(
            f"Found by probe explore from {seed.name!r}: a shortest sequence of steps "
            f"({len(example.trace)}) that makes the {found_by} strategy violate "
            f"{example.invariant} ({INVARIANTS[example.invariant]}). {example.message}"
        ),
        sessions=seed.sessions,
        steps=example.trace,
        settings=seed.settings,
        expect=tuple(expect),
    )
