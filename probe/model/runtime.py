"""recoverStuckDiagnosticSession: in-flight set #2 (keyed by ref), abort-and-drain, outcomes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from operator import itemgetter
from typing import TypeVar

from probe.model.activity import RunActivity, RunHandle
from probe.model.clock import Clock, Timer
from probe.model.coverage import Coverage
from probe.model.heartbeat import BLOCKED_TOOL_ABORT_FLOOR_MS, RecoveryRequest
from probe.model.lanes import Lane
from probe.model.outcomes import (
    ABORTED,
    ACTIVE_EMBEDDED_RUN,
    NO_ACTIVE_WORK,
    RELEASED,
    RELEASED_NO_ACTIVE_WORK,
    RUNTIME_ALREADY_IN_FLIGHT,
    STALE_SESSION_STATE,
    Outcome,
)
from probe.model.replies import KEEP_REPLY, MAINTENANCE_PHASES, ReplyOp
from probe.model.state import SessionStore
from probe.scenario.values import Settings

V = TypeVar("V")


def in_ref_order(mapping: Mapping[str, V]) -> dict[str, V]:
    """The mapping with its items in ref order.

    Run activity, handles and waiters are kept so (their order means nothing else), which
    is the order World.state_key reads them in: it need not sort them for every key.
    """
    return dict(sorted(mapping.items(), key=itemgetter(0)))


# A held start's entry kind among a request's fresh markers (probe.model.world.HeldStart): it
# was emitted after the request, whatever ends before the bus delivers it.
HELD = "held"
# Used when a request carries no staleActiveProgressAbortMs (active-abort requests).
DEFAULT_STALE_PROGRESS_ABORT_MS = 300_000
MIN_SETTLE_TIMER_MS = 100
# STALE_ACTIVE_LANE_TASK_RELEASE_MS (switch stale-lane-release): no compactionSafetyTimeoutMs.
STALE_LANE_TASK_RELEASE_MS = 300_000
STUCK_SESSION_SETTLE_MS = 15_000  # STUCK_SESSION_ABORT_SETTLE_MS
KEEP_LANE = Outcome("skipped", "keep_lane", "active_lane_task")


@dataclass(frozen=True, slots=True)
class Waiter:
    """A recovery that asked its run to abort and is waiting for it to end.

    Immutable, so that saved states and clones share them.
    """

    request: RecoveryRequest
    # The coordinator's in-flight key; None for a direct call (a `recover` step).
    key: str | None
    call_index: int
    timer: Timer | None
    # The work markers (kind, id) that started while it waited: openclaw numbers marker starts
    # and keeps those after the request's sequence (recoveryStartedAfter*Sequence).
    fresh: tuple[tuple[str, str], ...] = ()
    # The session lane's active task ids when the abort began (preAbortActiveTaskIds).
    lane_ids: tuple[int, ...] = ()
    # It waits on the session's reply operation (waitForReplyRunEndBySessionId), not a handle.
    reply: bool = False


@dataclass(frozen=True, slots=True)
class Resolved:
    """A runtime call's outcome, and whether it came only after awaiting its run's end.

    An honoured abort awaits the drain, so its outcome lands after every outcome of the
    same tick that was returned without awaiting anything.
    """

    outcome: Outcome
    awaited: bool = False
    # A refused abort's force-clear where it is async (switch async-force-clear): the run is
    # cleared once every call of the tick is entered, and the outcome lands after the drains.
    deferred_clear: bool = False


# call's answers that need no request of their own, built once.
_ABSORBED = Resolved(RUNTIME_ALREADY_IN_FLIGHT)
_STALE = Resolved(STALE_SESSION_STATE)
_HANDS_OFF = Resolved(ACTIVE_EMBEDDED_RUN)
_ABORTED_AFTER_DRAIN = Resolved(ABORTED, awaited=True)
_RELEASED = Resolved(RELEASED)
_NO_ACTIVE_WORK = Resolved(NO_ACTIVE_WORK)
_RELEASED_NO_ACTIVE_WORK = Resolved(RELEASED_NO_ACTIVE_WORK)
_KEEP_LANE = Resolved(KEEP_LANE)
_KEEP_REPLY = Resolved(KEEP_REPLY)
# A reply operation's maintenance phase within the compaction window (reply-own-activity).
_KEEP_MAINTENANCE = Resolved(Outcome("skipped", "keep_lane", "active_reply_work"))
# A reply operation waiting for the global lane, or for deferred maintenance: always kept.
_KEEP_GLOBAL_LANE_WAIT = Resolved(Outcome("skipped", "keep_lane", "global_lane_wait"))
_KEEP_DEFERRED_MAINTENANCE_WAIT = Resolved(
    Outcome("skipped", "keep_lane", "deferred_maintenance_wait")
)
_FORCE_CLEARED = Resolved(ABORTED)
_FORCE_CLEARED_LATER = Resolved(ABORTED, awaited=True, deferred_clear=True)


class RecoveryRuntime:
    __slots__ = (
        "abort_reply",
        "activity",
        "async_force_clear",
        "backend_liveness",
        "clock",
        "coverage",
        "end_run",
        "handles",
        "in_flight",
        "lane_fresh_task",
        "lane_of",
        "released_no_active_work",
        "reply_of",
        "reply_own_activity",
        "reset_lane",
        "session_files",
        "settings",
        "stale_lane_release",
        "stale_run_threshold",
        "store",
        "tool_deadline",
        "waiters",
    )

    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        store: SessionStore,
        activity: Mapping[str, RunActivity],
        handles: Mapping[str, RunHandle],
        coverage: Coverage,
        end_run: Callable[[str, str], None],
        released_no_active_work: bool = False,
        stale_run_threshold: bool = False,
        async_force_clear: bool = False,
        *,
        lane_of: Callable[[str], Lane | None] = lambda ref: None,
        reset_lane: Callable[[str], int] = lambda ref: 0,
        lane_fresh_task: bool = False,
        stale_lane_release: bool = False,
        tool_deadline: bool = False,
        backend_liveness: bool = False,
        reply_of: Callable[[str], ReplyOp | None] = lambda ref: None,
        abort_reply: Callable[[str], bool] = lambda ref: False,
        session_files: Mapping[str, str] | None = None,
        reply_own_activity: bool = False,
    ) -> None:
        self.settings = settings
        # Switch reply-own-activity (R2): reply operations' phases and clocks decide.
        self.reply_own_activity = reply_own_activity
        # Switch async-force-clear (F38): a refused abort's force-clear comes after the tick.
        self.async_force_clear = async_force_clear
        # The session's command lane, and resetCommandLane on it (the world owns the lanes).
        self.lane_of = lane_of
        self.reset_lane = reset_lane
        # The session's open reply operation, and abortByUser on it (the world owns them):
        # True when the abort cleared it at once.
        self.reply_of = reply_of
        self.abort_reply = abort_reply
        # Each session's session file (seeded; its record and run handle carry it).
        self.session_files: Mapping[str, str] = session_files or {}
        # Switches lane-fresh-task (L1) and stale-lane-release (L2).
        self.lane_fresh_task = lane_fresh_task
        self.stale_lane_release = stale_lane_release
        # Switch tool-deadline (F41): a tool call's recorded deadline decides the abort.
        self.tool_deadline = tool_deadline
        # Switch backend-liveness (F42): a backend's allowance holds a run's abort back.
        self.backend_liveness = backend_liveness
        # Switch stale-run-threshold (F36): a running tool call needs 900 s of stale progress.
        self.stale_run_threshold = stale_run_threshold
        # Switch released-no-active-work (F18): the runtime's tail of 8.1-beta.3 and later.
        self.released_no_active_work = released_no_active_work
        self.clock = clock
        self.store = store
        self.activity = activity
        self.handles = handles
        self.coverage = coverage
        self.end_run = end_run
        # Both replaced, never changed in place, so that saved states can share them; the
        # waiters in ref order (see in_ref_order).
        self.in_flight: frozenset[str] = frozenset()
        self.waiters: Mapping[str, Waiter] = {}

    def call(
        self,
        request: RecoveryRequest,
        key: str | None,
        call_index: int,
        check_state: bool = True,
        compaction_safety_ms: int | None = None,
    ) -> Resolved | None:
        """The call's outcome, or None while it waits on an aborted run that has not ended.

        `check_state` off: the caller passed no stateGeneration (a direct call), so the
        runtime's isDiagnosticSessionStateCurrent answers yes without reading the record.
        """
        ref = request.ref
        if ref in self.in_flight:
            self.coverage.runtime_absorbed += 1
            return _ABSORBED
        if check_state and not self.store.is_current(
            ref, request.generation, request.expected_state
        ):
            return _STALE
        handle = self.handles.get(ref)
        op = self.reply_of(ref) if self.reply_own_activity else None
        if op is not None:
            # The reply operation's waits and maintenance window come before any run handle.
            kept = self._reply_phase_kept(op, compaction_safety_ms)
            if kept is not None:
                return kept
        if handle is not None:
            if not self._may_abort(request):
                return _HANDS_OFF
            lane = self.lane_of(ref)
            lane_ids = lane.active if lane is not None else ()
            if handle.abort == "honoured":
                if op is not None:
                    # abortAndDrain expires the operation before it aborts the handle (the
                    # model plays a handle beside one only when both honour the abort).
                    self.abort_reply(ref)
                self.end_run(ref, "run_completed")
                if self.reply_of(ref) is not None:
                    # The drain looks for the run after the abort: with the handle gone it
                    # waits on the session's reply operation instead (waitForReplyRunEnd...).
                    self._wait(request, key, call_index, lane_ids, reply=True)
                    return None
                outcome = self.aborted_outcome(request, lane_ids, drained=True)
                return _ABORTED_AFTER_DRAIN if outcome is ABORTED else Resolved(outcome, True)
            if handle.abort == "refused":
                # The abort call fails (the handle throws): nothing to wait for, the run is
                # force-cleared, and the outcome still says aborted; not aborted, not drained,
                # so every era resets the lane (unless, from 6.6, a fresh task holds it).
                if self.async_force_clear:
                    return _FORCE_CLEARED_LATER
                self.end_run(ref, "stuck_recovery")
                outcome = self.aborted_outcome(request, lane_ids, drained=False)
                return _FORCE_CLEARED if outcome is ABORTED else Resolved(outcome)
            self._wait(request, key, call_index, lane_ids)
            return None
        if self._file_run(ref):
            # resolveActiveEmbeddedRunHandleSessionIdBySessionFile: another session's run
            # registered under this session's file is its active run, left alone (the loader
            # refuses what could let the runtime abort it: see probe/scenario/session_files.py).
            return _HANDS_OFF
        if op is not None:
            return self._own_reply_work(request, key, call_index, op)
        if self.reply_of(ref) is not None:
            return self._reply_work(request, key, call_index)
        lane = self.lane_of(ref)
        if lane is not None and lane.active:
            # No run: lane tasks still running hold the lane, unless (L2) the call's age says
            # they are stale; then the lane is reset (none can have started since: no await).
            stale_after = STALE_LANE_TASK_RELEASE_MS
            if compaction_safety_ms:  # resolveStaleActiveLaneTaskReleaseMs
                stale_after = max(stale_after, compaction_safety_ms + STUCK_SESSION_SETTLE_MS)
            if self.stale_lane_release and request.age_ms >= stale_after:
                queued = len(lane.queued)
                released = self.reset_lane(ref)
                return Resolved(
                    Outcome(
                        "released",
                        "release_lane",
                        "stale_lane_task",
                        released=released,
                        queued_count=queued,
                    )
                )
            return _KEEP_LANE
        # No owner and no reply work; an idle lane's reset releases nothing.
        if self.released_no_active_work:
            # Nothing released and no active session: released, whatever the queue.
            return _RELEASED_NO_ACTIVE_WORK
        return _RELEASED if request.queue_depth > 0 else _NO_ACTIVE_WORK

    def _file_run(self, ref: str) -> bool:
        """Whether another session's run handle is registered under ref's session file."""
        path = self.session_files.get(ref)
        if path is None:
            return False
        return any(other != ref and self.session_files.get(other) == path for other in self.handles)

    def _reply_work(
        self, request: RecoveryRequest, key: str | None, call_index: int
    ) -> Resolved | None:
        """Reply work and no run handle: kept (keep_lane/active_reply_work) unless the call
        allows an active abort or its progress is stale behind queued work; then aborted and
        drained as a run is, the drain waiting on the operation's end."""
        if not request.allow_active_abort and not self._progress_stale(request):
            return _KEEP_REPLY
        lane_ids, done = self._abort_reply(request)
        if done is not None:
            return done
        self._wait(request, key, call_index, lane_ids, reply=True)
        return None

    def _abort_reply(self, request: RecoveryRequest) -> tuple[tuple[int, ...], Resolved | None]:
        """Abort the session's reply operation: the lane's active tasks, and the outcome once
        drained where the operation ended on the abort (else None: the caller waits)."""
        lane = self.lane_of(request.ref)
        lane_ids = lane.active if lane is not None else ()
        if not self.abort_reply(request.ref):
            return lane_ids, None
        outcome = self.aborted_outcome(request, lane_ids, drained=True)
        return lane_ids, _ABORTED_AFTER_DRAIN if outcome is ABORTED else Resolved(outcome, True)

    def _reply_phase_kept(self, op: ReplyOp, compaction_safety_ms: int | None) -> Resolved | None:
        """reply-own-activity: a wait for the global lane, or a preflight compaction or memory
        flush whose activity is younger than the compaction window, is kept whatever the call
        allows (resolveStaleActiveLaneTaskReleaseMs: max(300 s, timeout + 15 s))."""
        if op.phase == "waiting_for_global_lane":
            return _KEEP_GLOBAL_LANE_WAIT
        if op.phase in MAINTENANCE_PHASES:
            window = STALE_LANE_TASK_RELEASE_MS
            if compaction_safety_ms:
                window = max(window, compaction_safety_ms + STUCK_SESSION_SETTLE_MS)
            if self.clock.now - op.last_activity_at < window:
                return _KEEP_MAINTENANCE
        return None

    def _own_reply_work(
        self, request: RecoveryRequest, key: str | None, call_index: int, op: ReplyOp
    ) -> Resolved | None:
        """Reply work and no run handle, from reply-own-activity (8.1, 9.6), past the phase
        checks (_reply_phase_kept): a wait for deferred maintenance is kept, whatever the call
        allows; other reply work is kept unless the call allows an
        active abort or the run's progress is stale (queued work needed only behind a
        maintenance phase). The abort expires the operation: cleared at once when its owner
        completes it, else awaited until completed, or force-cleared once the drain and the
        owner wait after it run out (a reply_wait timer, then a settle timer)."""
        ref = request.ref
        maintenance = op.phase in MAINTENANCE_PHASES
        if op.phase == "waiting_for_deferred_maintenance":
            return _KEEP_DEFERRED_MAINTENANCE_WAIT
        if not request.allow_active_abort and not self._reply_stale(request, maintenance):
            return _KEEP_REPLY
        lane_ids, done = self._abort_reply(request)
        if done is not None:
            return done
        self.in_flight = self.in_flight | {ref}
        due = self.clock.now + max(MIN_SETTLE_TIMER_MS, self.settings.settle_ms)
        timer = self.clock.schedule(due, "reply_wait", ref)
        waiter = Waiter(request, key, call_index, timer, lane_ids=lane_ids, reply=True)
        self.waiters = in_ref_order({**self.waiters, ref: waiter})
        return None

    def _reply_stale(self, request: RecoveryRequest, backlog: bool) -> bool:
        """isActiveRunProgressStale for reply work (requireQueueBacklog only behind a
        maintenance phase): the run's progress age, or the call's age with no run activity."""
        if backlog and request.queue_depth <= 0:
            return False
        activity = self.activity.get(request.ref)
        age = request.age_ms if activity is None else self.clock.now - activity.last_progress_at
        return age >= (request.stale_abort_ms or DEFAULT_STALE_PROGRESS_ABORT_MS)

    def rearm(self, ref: str, timer: Timer) -> None:
        """The waiter on ref waits on, now, `timer` (its previous one has fired)."""
        self.waiters = {**self.waiters, ref: replace(self.waiters[ref], timer=timer)}

    def undrained_outcome(self, request: RecoveryRequest, lane_ids: tuple[int, ...]) -> Outcome:
        """The outcome of an expired reply operation whose owner completed it only after the
        drain ran out (reply-own-activity): not aborted, not drained, nothing force-cleared
        (the operation is gone); the lane is reset unless a task started during the abort."""
        lane = self.lane_of(request.ref)
        released = 0
        if lane is not None and not (
            self.lane_fresh_task and any(t not in lane_ids for t in lane.active)
        ):
            released = self.reset_lane(request.ref)
        if released:
            return Outcome("released", "release_lane", released=released)
        return ACTIVE_EMBEDDED_RUN

    def _wait(
        self,
        request: RecoveryRequest,
        key: str | None,
        call_index: int,
        lane_ids: tuple[int, ...],
        *,
        reply: bool = False,
    ) -> None:
        """The call waits for the aborted run (or reply operation) to end, in flight meanwhile;
        in drain settle the settle timer bounds the wait."""
        ref = request.ref
        self.in_flight = self.in_flight | {ref}
        timer = None
        if self.settings.drain == "settle":
            due = self.clock.now + max(MIN_SETTLE_TIMER_MS, self.settings.settle_ms)
            timer = self.clock.schedule(due, "settle", ref)
        waiter = Waiter(request, key, call_index, timer, lane_ids=lane_ids, reply=reply)
        self.waiters = in_ref_order({**self.waiters, ref: waiter})

    def aborted_outcome(
        self, request: RecoveryRequest, lane_ids: tuple[int, ...], *, drained: bool
    ) -> Outcome:
        """The outcome once the abort is over (`drained`: the run ended before the settle
        timer), with what the runtime then does to the session's command lane.

        Up to 6.5 the lane is reset only when the run did not drain; from 6.6 (L1) also when
        lane tasks or queued messages wait, and never when a lane task started during the
        abort. `released` is what the reset released; queuedCount the lane's queued tasks.
        """
        lane = self.lane_of(request.ref)
        if lane is None:
            return ABORTED
        queued = len(lane.queued)
        if self.lane_fresh_task:
            fresh = any(t not in lane_ids for t in lane.active)
            wanted = not fresh and (queued > 0 or request.queue_depth > 0 or not drained)
        else:
            wanted = not drained
        released = self.reset_lane(request.ref) if wanted else 0
        if not released and not queued:
            return ABORTED
        return Outcome(
            "aborted",
            "abort_embedded_run",
            None,
            "embedded_run",
            released=released,
            queued_count=queued or None,
        )

    def take_waiter(self, ref: str) -> Waiter | None:
        waiter = self.pop_waiter(ref)
        if waiter is not None:
            if waiter.timer is not None:
                self.clock.cancel(waiter.timer)
            self.leave(ref)
        return waiter

    def pop_waiter(self, ref: str) -> Waiter | None:
        """Forget the recovery waiting on ref's run, and nothing else."""
        if ref not in self.waiters:
            return None
        waiters = dict(self.waiters)
        waiter = waiters.pop(ref)
        self.waiters = waiters
        return waiter

    def note_start(self, ref: str, kind: str, marker: str) -> None:
        """A work marker started on ref while its recovery waits: it started after the request."""
        waiter = self.waiters.get(ref)
        if waiter is None or (kind, marker) in waiter.fresh:
            return
        fresh = tuple(sorted((*waiter.fresh, (kind, marker))))
        self.waiters = {**self.waiters, ref: replace(waiter, fresh=fresh)}

    def note_end(self, ref: str, kind: str, marker: str, clear: bool) -> None:
        """A work marker ended on ref while its recovery waits: no longer one to keep."""
        waiter = self.waiters.get(ref)
        if waiter is None or not waiter.fresh:
            return
        # An embedded run's end also ends the tool and model calls unless `clear` is off.
        gone = (kind, marker)
        fresh = tuple(
            f
            for f in waiter.fresh
            if f != gone
            and not (kind == "embedded_run" and clear and f[0] not in ("embedded_run", HELD))
        )
        if fresh != waiter.fresh:
            self.waiters = {**self.waiters, ref: replace(waiter, fresh=fresh)}

    def leave(self, ref: str) -> None:
        """ref's recovery is no longer in flight here."""
        self.in_flight = self.in_flight - {ref}

    def _may_abort(self, request: RecoveryRequest) -> bool:
        """isActiveRunProgressStale: whether the runtime may abort the session's run."""
        read = self.tool_deadline or self.backend_liveness
        activity = self.activity.get(request.ref) if read else None
        deadline = activity.tool_deadline_at() if activity and self.tool_deadline else None
        if deadline is None:
            if activity is not None and not activity.tools and not self._backend_passed(activity):
                # A backend's no-output allowance (switch backend-liveness) holds a run's
                # abort back until it runs out, allowActiveAbort or not (not a tool call's).
                return False
            return request.allow_active_abort or self._progress_stale(request)
        # A recorded tool deadline (2026.9.6): nothing before it passes, whatever the request
        # allows (resolveRunStaleThresholdMs: progress age >= age + deadline - now); without
        # allowActiveAbort, queued work is still needed.
        if not request.allow_active_abort and request.queue_depth <= 0:
            return False
        return self.clock.now >= deadline

    def _backend_passed(self, activity: RunActivity) -> bool:
        backend = activity.backend_deadline_at() if self.backend_liveness else None
        return backend is None or self.clock.now >= backend

    def _progress_stale(self, request: RecoveryRequest) -> bool:
        """Stale reclaim: queued work behind a run whose progress is older than the threshold."""
        if request.queue_depth <= 0:
            return False
        activity = self.activity.get(request.ref)
        if activity is None:
            return False
        threshold = request.stale_abort_ms or DEFAULT_STALE_PROGRESS_ABORT_MS
        if self.stale_run_threshold and activity.tools:
            # resolveRunStaleThresholdMs: a tool call is given the blocked-tool floor.
            threshold = max(threshold, BLOCKED_TOOL_ABORT_FLOOR_MS)
        elif self.stale_run_threshold:
            # ... and other work the longest running model request timeout (a `recover`
            # without allowActiveAbort reaches it while a timed model call runs).
            timeout = activity.snapshot(self.clock.now).request_timeout_ms
            if timeout is not None:
                threshold = max(threshold, timeout)
        return max(0, self.clock.now - activity.last_progress_at) >= threshold
