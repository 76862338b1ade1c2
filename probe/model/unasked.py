"""Heartbeats that found a session needing attention and asked for nothing, and why.

What the notes read to say why nothing was asked in the words of what happened (a late tick
deferred, a throttled warning, active work not eligible for an abort), instead of guessing
from the events afterwards. Recorded only when the bus records every event (a replay, not a
search), so a search's states carry none of it.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFERRED = "deferred"  # a late (F12) or slow (7.2-beta.1) tick defers every request
THROTTLED = "throttled"  # a recovery-eligible session.stuck inside its back-off (before F06)
NOT_ELIGIBLE = "not_eligible"  # active work the heartbeat does not ask to abort


@dataclass(frozen=True, slots=True)
class Unasked:
    at_ms: int
    ref: str
    why: str
    age_ms: int  # the attention age the heartbeat judged
    event: str  # the attention event's type (emitted or, when throttled, not)
    classification: str
    work: str | None  # the active work kind, if any
    overdue_ms: int  # how late the tick was by the version's own measure (0 before F12)
    request_timeout_ms: int | None = None  # the longest running model request timeout (F39)
    # When a blocked tool call's recorded command deadline lets recovery act (F41).
    tool_deadline_at: int | None = None
    # When a backend's no-output allowance runs out, while it held a stalled run back (F42).
    backend_deadline_at: int | None = None
