"""Held bus deliveries: `start` with `delivery = "held"` and the `deliver` step.

openclaw's diagnostic bus numbers an event when it is emitted but hands tool and model call
starts to run activity on a later turn (setImmediate), so a start emitted just before a
recovery's request can reach run activity after the recovery was applied. A held start says
exactly that; `deliver` is the later turn. The rules here keep such a scenario meaning the same
on every build.
"""

from __future__ import annotations

from collections.abc import Iterator

from probe.scenario.values import Backend, Deliver, SessionSeed, Start, Step

DELIVERIES = ("now", "held")


def held_misuse(sessions: list[SessionSeed], steps: list[Step]) -> Iterator[tuple[str, str]]:
    """(where, why) for each held start that no `deliver` follows, or that shares a session
    with a run owner of its own (a timed model call, a backend): closing such an owner fences
    the session's earlier starts as a recovery does, which probe does not model."""
    delivers = [n for n, s in enumerate(steps, start=1) if isinstance(s, Deliver)]
    last_deliver = max(delivers, default=0)
    owners: dict[str, int] = {}
    for number, step in enumerate(steps, start=1):
        if (isinstance(step, Start) and step.timeout_ms is not None) or isinstance(step, Backend):
            owners.setdefault(step.session, number)
    for number, step in enumerate(steps, start=1):
        if not (isinstance(step, Start) and step.held):
            continue
        where = f"step[{number}].delivery"
        if number > last_deliver:
            yield where, "held, but no later `deliver` step delivers it"
        if step.session in owners:
            yield (
                where,
                f"held in session {step.session!r}, which has a run owner of its own "
                f"(step[{owners[step.session]}]: a timed model call or a backend), whose close "
                "fences held starts in a way probe does not model",
            )
    del sessions  # the seeds hold no owner of that kind (a seeded model call is plain)
