"""Partial-order reduction: which steps commute, so a search takes them in one order only.

A local step (bump, state, progress) changes one session's record or run activity and
emits no event the invariants read (they read only requested and completed events, which
only ticks, advances and releases make). Two local steps x, y on different sessions, taken
where `commute` holds, commute: the records they touch are different objects, no record is
created, and no prune runs, so p -x-> -y-> and p -y-> -x-> end in the same state, with the
same checker. So every state has a shortest path on which, within each run of local steps
after `commute` first holds (it then holds until the next tick or advance: local steps
create records and never remove one, and `now` stays), sessions come in non-decreasing
index order. The search (probe.explore.tree) takes a local step on session i at a state s
only if some arrival at s in s's first layer (a sleep set, intersected over those arrivals)
came by a step that was not local on a session j > i from a state where `commute` held.
Along such a sorted path no step is skipped, so every state is still reached at its
shortest depth, each reached state is checked, and every step that can violate an
invariant (never a local one) is taken from every state: same states, same verdicts, same
shortest counterexamples, fewer transitions. With symmetry the sleep sets are kept in
canonical places (sigma), so mirror arrivals intersect correctly.
"""

from __future__ import annotations

from probe.model.state import MAX_ENTRIES, PRUNE_INTERVAL_MS
from probe.model.world import World
from probe.scenario.values import Bump, Progress, StateChange, Step

# Steps on one session that emit nothing the invariants read (the argument above).
LOCAL_STEPS = (Bump, StateChange, Progress)


def session_of(step: Step) -> str | None:
    if isinstance(step, LOCAL_STEPS):
        return step.session
    return None


def commute(world: World, sessions: int) -> bool:
    """Local steps on different sessions commute here: no record is created or pruned.

    Every seeded session has its record (a lookup creates none, so the insertion order
    stays) and no prune is due (lookups prune nothing, and `now` does not move until the
    next tick or advance, which end the window).
    """
    store = world.store
    last = store.last_prune_at
    return (
        last is not None
        and world.clock.now - last < PRUNE_INTERVAL_MS
        and len(store.records) == sessions
        and sessions <= MAX_ENTRIES
    )
