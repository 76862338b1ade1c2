"""A scripted recovery runtime: calls the coordinator makes wait for the scenario's answers.

openclaw's heartbeat and coordinator tests replace the runtime (startDiagnosticHeartbeat's
recoverStuckSession, vi.fn) and decide what it returns and when. With `settings.runtime =
"scripted"` every call the coordinator makes is pending until an `answer` step names its
session; the coordinator then applies the answer exactly as it applies a real outcome.
Pure: the world holds the pending calls (immutable, so saved states share them).
"""

from __future__ import annotations

from dataclasses import replace

from probe.model.outcomes import Outcome
from probe.model.runtime import HELD, Waiter
from probe.scenario.values import Answer

# What the harness notes for a call that resolved with nothing (its outcomeString).
NO_OUTCOME_LABEL = "none/none"
Pending = tuple[Waiter, ...]


def answered_outcome(step: Answer) -> Outcome | None:
    """The outcome the answer scripts; None when the runtime returns nothing."""
    if step.status == "none":
        return None
    return Outcome(
        step.status,
        step.action,
        step.reason,
        step.work,
        released=step.released,
        queued_count=step.queued_count,
    )


def take(pending: Pending, ref: str) -> tuple[Waiter | None, Pending]:
    """The session's oldest pending call, and the calls left."""
    for i, call in enumerate(pending):
        if call.request.ref == ref:
            return call, pending[:i] + pending[i + 1 :]
    return None, pending


def noted_start(pending: Pending, ref: str, kind: str, marker: str) -> Pending:
    """A marker started on ref: after every pending call of ref (its recovery's cut-off)."""
    if not any(c.request.ref == ref for c in pending):
        return pending
    return tuple(
        replace(c, fresh=tuple(sorted({*c.fresh, (kind, marker)})))
        if c.request.ref == ref
        else c
        for c in pending
    )


def noted_delivery(
    pending: Pending, ref: str, tag: tuple[str, str], kind: str, marker: str
) -> Pending:
    """A held start delivered: a marker started after the pending calls of ref that it was
    emitted after (those that hold its `tag`, see World.hold_start), and no others."""
    return tuple(
        replace(c, fresh=tuple(sorted({*c.fresh, (kind, marker)})))
        if c.request.ref == ref and tag in c.fresh
        else c
        for c in pending
    )


def noted_end(pending: Pending, ref: str, kind: str, marker: str, clear: bool) -> Pending:
    """A marker ended on ref: no longer one its pending recoveries keep (see Waiter.fresh)."""

    def kept(f: tuple[str, str]) -> bool:
        # An embedded run's end also ends the tool and model calls unless `clear` is off.
        return f != (kind, marker) and not (
            kind == "embedded_run" and clear and f[0] not in ("embedded_run", HELD)
        )

    return tuple(
        replace(c, fresh=tuple(f for f in c.fresh if kept(f))) if c.request.ref == ref else c
        for c in pending
    )
