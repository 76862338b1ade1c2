"""replay(scenario, strategy) -> Run: the pure core. No printing, no I/O, no wall clock."""

from __future__ import annotations

from probe.model.behaviour import Behaviour
from probe.model.events import REQUESTED
from probe.model.world import World
from probe.run import Run
from probe.scenario.values import Scenario
from probe.strategies import DedupStrategy


def replay(
    scenario: Scenario,
    strategy: DedupStrategy,
    behaviour: Behaviour | None = None,
    version: str | None = None,
) -> Run:
    """The model's run; `behaviour` the switches of an openclaw version (see probe.versions),
    `version` that version's name where it picks the scenario's [expect."D@V"] table."""
    from probe.notes import (
        idle_step,
        ignored_backends,
        nearest_attention,
        nothing_asked,
        plain_deadline_tools,
        throttled_gaps,
        uncounted_attempts,
        untimed_requests,
    )
    from probe.properties.judge import judge

    world = World(scenario, strategy, behaviour=behaviour)
    at_start = nearest_attention(world)[0]
    notes: list[str] = []
    for number, step in enumerate(scenario.steps, start=1):
        note = idle_step(world, number, step)
        if note is not None:
            notes.append(note)
        world.apply(number, step)
    # The properties read the trace the run left, as they read a real build's.
    verdict = judge(scenario, world.bus.events, settled=not world.in_flight())
    if behaviour is None:  # a strategy at a version (AtVersion) carries its own
        version = getattr(strategy, "version", None)
    expected = scenario.expectation(strategy.name, version)
    # A table that expects no request already says nothing was asked: no note to explain it.
    expects_none = expected is not None and expected.requested == 0
    if any(e.type == REQUESTED for e in world.bus.events):
        if expected is None:  # a table already records how often it was asked
            notes.extend(throttled_gaps(world))
    elif not expects_none:
        notes.append(nothing_asked(at_start, world))
    if expected is None and not world.behaviour.model_request_timeout:
        notes.extend(untimed_requests(scenario))
    if expected is None and not world.behaviour.tool_deadline:
        notes.extend(plain_deadline_tools(scenario))
    if expected is None and not world.behaviour.backend_liveness:
        notes.extend(ignored_backends(scenario))
    if expected is None and not world.behaviour.repeated_requests:
        notes.extend(uncounted_attempts(scenario))
    return Run(
        strategy=strategy.name,
        engine=f"model:{strategy.name}",
        events=tuple(world.bus.events),
        runtime_outcomes=tuple(world.runtime_outcomes()),
        violations=verdict.violations,
        coordinator_absorbed=verdict.coordinator_absorbed,
        judged=verdict.judged,
        coverage=tuple(world.coverage.as_dict().items()),
        drain=scenario.settings.drain,
        # A strategy at a version (AtVersion) is held to that version's expectations.
        version=version,
        notes=tuple(notes),
    )


def first_divergence(runs: list[Run]) -> int | None:
    """The first step at which the strategies' event streams differ (None: they never do)."""
    if len(runs) < 2:
        return None
    per_run = [_by_step(r) for r in runs]
    steps = sorted({step for grouped in per_run for step in grouped})
    for step in steps:
        if len({tuple(grouped.get(step, ())) for grouped in per_run}) > 1:
            return step
    return None


def _by_step(run: Run) -> dict[int, list[tuple[str, str, object]]]:
    grouped: dict[int, list[tuple[str, str, object]]] = {}
    for e in run.events:
        if e.step is not None:
            # Payload order is not meaning: a real build's fields arrive sorted.
            fields = tuple(sorted(e.fields, key=lambda kv: kv[0]))
            grouped.setdefault(e.step, []).append((e.type, e.ref, fields))
    return grouped
