"""The steps a search may take: the plan of every allowed action, and those offered in a state."""

from __future__ import annotations

from probe.explore.values import ExploreConfig
from probe.model.world import World
from probe.scenario.values import (
    SESSION_STATES,
    Advance,
    Bump,
    Own,
    Progress,
    Release,
    Scenario,
    StateChange,
    Step,
    Tick,
)


def step_plan(scenario: Scenario, config: ExploreConfig) -> list[tuple[Step, str | None]]:
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
        elif action == "own":
            # A new run that honours aborts registers, replacing the session's handle.
            plan.extend((Own(r, "honoured"), None) for r in refs)
    return plan


def candidate_steps(scenario: Scenario, world: World, config: ExploreConfig) -> list[Step]:
    """Every allowed action on every seeded session, in a fixed order."""
    return offered_steps(step_plan(scenario, config), world)


def offered_steps(plan: list[tuple[Step, str | None]], world: World) -> list[Step]:
    # Releasing a session with no run changes nothing: not a real choice.
    handles = world.handles
    return [step for step, needs_run in plan if needs_run is None or needs_run in handles]
