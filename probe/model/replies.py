"""Reply operations: reply work of a session with no embedded run handle (createReplyOperation).

What the builds up to 2026.7.2-beta.4 (and 7.33-7.35) do with one, read in their reply-run
registry: begun in phase `queued`, it marks an embedded run in run activity under its own work
key (`reply:KEY`, so progress `embedded_run:started`); completing it, or a force-clear failing
it, ends that run with `clearRunActivity: false` and wakes a recovery waiting on it. An abort
(abortByUser) marks it aborted and fires its abort signal; only an operation still `queued`
is cleared at once, any other stays until its owner completes it (here: `abort = "honoured"`)
or the runtime's drain times out and force-clears it. The runtime reaches it only when the
session has no run handle (activeWorkSessionId without activeSessionId).
"""

from __future__ import annotations

from dataclasses import dataclass

from probe.model.outcomes import Outcome

# The embedded-run marker of a reply operation: an id no `start` step can name (a marker id
# is letters, digits, _ . -), standing for the build's own work key `reply:KEY`.
REPLY_MARKER = "reply:"
# What an abort leaves of an operation that was not queued: aborted, until it is cleared.
ABORTED = "aborted"
# What an expiry leaves of an operation (reply-own-activity): failed, until it is cleared.
FAILED = "failed"
# The phases the runtime keeps within the compaction window (reply-own-activity).
MAINTENANCE_PHASES = ("preflight_compacting", "memory_flushing")
# The run progress reasons of an operation's creation and clearState (reply-own-activity).
REPLY_QUEUED_REASON = "reply_operation:queued"
REPLY_ENDED_REASON = "reply_operation:ended"
# waitForReplyOperationOwnerSettlement's floor once the drain's deadline has passed.
OWNER_WAIT_MS = 100
# skipped/keep_lane/active_reply_work: reply work the runtime leaves running.
KEEP_REPLY = Outcome("skipped", "keep_lane", "active_reply_work", "embedded_run")


@dataclass(frozen=True, slots=True)
class ReplyOp:
    """An open reply operation: its phase (or `aborted`) and whether its owner completes it
    when its abort signal fires."""

    phase: str
    honours_abort: bool = False
    # lastActivityAtMs: when it began or last changed phase (read from reply-own-activity).
    last_activity_at: int = 0

    @property
    def clears_on_abort(self) -> bool:
        """abortByUser clears it at once: it was still queued, or its owner completes it."""
        return self.phase == "queued" or self.honours_abort
