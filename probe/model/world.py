"""The whole simulated openclaw process: seeding, the outside world's mutators, timers, steps."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple, assert_never

from probe.model.activity import (
    NO_ACTIVITY,
    NO_MARKERS,
    NO_TOOLS,
    RECOVERY_SKIPPED_ACTIVE_OWNER,
    RUN_ENDED_REASON,
    TOOL_DEADLINE_GRACE_MS,
    ActivitySnapshot,
    RunActivity,
    RunHandle,
    progress_fields,
)
from probe.model.behaviour import PINNED, Behaviour
from probe.model.bus import EventBus
from probe.model.clock import Clock, ClockState, Timer
from probe.model.coordinator import Coordinator, Fresh
from probe.model.coverage import Coverage
from probe.model.events import QUEUED, STATE, payload
from probe.model.heartbeat import (
    THROTTLED as THROTTLED_EVENTS,
)
from probe.model.heartbeat import (
    Classification,
    RecoveryRequest,
    attention_age,
    build_request,
    classify,
    is_active_abort_eligible_as,
    is_idle_queued_stall,
    passes_throttle,
)
from probe.model.lanes import Lane, enqueue, finish_quick, reset
from probe.model.outcomes import FAILED, Outcome
from probe.model.replies import (
    ABORTED,
    OWNER_WAIT_MS,
    REPLY_ENDED_REASON,
    REPLY_MARKER,
    REPLY_QUEUED_REASON,
    ReplyOp,
)
from probe.model.replies import FAILED as REPLY_FAILED
from probe.model.runtime import HELD, RecoveryRuntime, Resolved, Waiter, in_ref_order
from probe.model.script import (
    NO_OUTCOME_LABEL,
    Pending,
    answered_outcome,
    noted_delivery,
    noted_end,
    noted_start,
    take,
)
from probe.model.state import PRUNE_INTERVAL_MS, SessionStore, StoreState
from probe.model.unasked import DEFERRED, NOT_ELIGIBLE, THROTTLED, Unasked
from probe.scenario.values import (
    DEFAULT_PROGRESS_REASON,
    MAIN_MARKER,
    REPLY_WAITS,
    AbortAnswer,
    Advance,
    Answer,
    Backend,
    Bump,
    Deliver,
    End,
    Enqueue,
    Key,
    LaneTaskKind,
    MarkerKind,
    Own,
    Progress,
    ProgressTarget,
    Recover,
    Release,
    Reply,
    ReplyAbort,
    ReplyPhase,
    Scenario,
    SessionSeed,
    SessionState,
    Start,
    StateChange,
    Step,
    Tick,
)
from probe.strategies import DedupStrategy

# Seeding's last progress reason, as the calls that seed the work leave it (attention events
# carry it as lastProgressReason).
SEEDED_PROGRESS_REASONS: Mapping[str, str] = {
    "embedded_run": "embedded_run:started",
    "tool_call": "tool:scenario_tool:started",
    "model_call": "model_call:started",
}
# forceClearEmbeddedAgentRun's reason: a run (and the reply operation) cleared by recovery.
FORCE_CLEAR_REASON = "stuck_recovery"
PENDING = "pending"
# The in-flight key of a runtime call made by a `recover` step: none, as no coordinator holds
# it, so its outcome is noted and applied by nobody (a strategy's key is always a string).
DIRECT_KEY = None
# openclaw's own heartbeat interval (DIAGNOSTIC_HEARTBEAT_INTERVAL_MS): what a late tick is
# measured against (switch defer-late-tick, F12).
BUILD_HEARTBEAT_MS = 30_000
# DEFAULT_LIVENESS_EVENT_LOOP_DELAY_WARN_MS: an overdue this large defers recovery.
DEFER_OVERDUE_MS = 1_000
# DIAGNOSTIC_HEARTBEAT_DELAY_RECOVERY_SKIP_MS of 7.2-beta.1 (switch skip-slow-tick).
SKIP_TICK_DELAY_MS = 3 * BUILD_HEARTBEAT_MS


def seeding_order(sessions: tuple[SessionSeed, ...]) -> list[SessionSeed]:
    """Oldest first (largest progress age), ties in file order: creation order."""
    return sorted(sessions, key=lambda s: -s.progress_age_ms)


class HeldStart(NamedTuple):
    """A tool or model call's start held on the bus (see World.hold_start): `tag` names it
    among a request's fresh markers (kind HELD) when it was emitted after that request."""

    ref: str
    kind: MarkerKind
    marker: str
    tag: str
    fenced: bool = False


class WorldState(NamedTuple):
    """Everything in a world that a step can change (see World.snapshot)."""

    clock: ClockState
    store: StoreState
    activity: Mapping[str, RunActivity]
    handles: Mapping[str, RunHandle]
    coordinator_in_flight: frozenset[str]
    runtime_in_flight: frozenset[str]
    waiters: Mapping[str, Waiter]
    runtime_calls: tuple[str | None, ...]
    heartbeat: Timer
    last_heartbeat_at: int
    firing: int
    # The sessions' command lanes (by ref) and openclaw's next lane task id.
    lanes: Mapping[str, Lane]
    next_task: int
    # The sessions' open reply operations (by ref).
    replies: Mapping[str, ReplyOp]
    # The scripted runtime's pending calls, in call order (settings.runtime = "scripted").
    scripted: Pending = ()
    # The held starts the bus has not delivered yet, in emission order (see hold_start).
    held: tuple[HeldStart, ...] = ()


# How many items of World.state_key one session record takes (explore's symmetry reads them).
RECORD_KEY_WIDTH = 8


class World:
    """`keep_events`: the event types its bus records (None: all; see EventBus)."""

    __slots__ = (
        "abort_ms",
        "activity",
        "behaviour",
        "bus",
        "clock",
        "coordinator",
        "coverage",
        "creation_order",
        "firing",
        "handles",
        "heartbeat",
        "held",
        "lanes",
        "last_heartbeat_at",
        "next_task",
        "replies",
        "runtime",
        "runtime_calls",
        "scripted",
        "session_files",
        "settings",
        "store",
        "strategy",
        "unasked",
        "warn_ms",
    )

    def __init__(
        self,
        scenario: Scenario,
        strategy: DedupStrategy,
        *,
        keep_events: frozenset[str] | None = None,
        behaviour: Behaviour | None = None,
    ) -> None:
        """`behaviour`: a version's switches; by default the strategy's own (see AtVersion)."""
        self.settings = scenario.settings
        self.strategy = strategy
        if behaviour is None:
            behaviour = getattr(strategy, "behaviour", PINNED)
        # All off is the pinned builds: their own (faster) heartbeat, see _fire.
        self.behaviour = PINNED if behaviour == PINNED else behaviour
        self.warn_ms = scenario.settings.effective_warn_ms
        self.abort_ms = scenario.settings.abort_threshold_ms(self.behaviour.abort_test_timing)
        self.creation_order = [s.ref for s in seeding_order(scenario.sessions)]
        self.session_files = {s.ref: s.session_file for s in scenario.sessions if s.session_file}
        self._build(Coverage(), keep_events)
        self._seed(scenario.sessions)
        self.clock.now = 0
        # The heartbeat starts at clock 0; `firing` numbers the next one (see timeline.py).
        self.last_heartbeat_at = 0
        self.firing = 1
        first = self.settings.heartbeat_ms + self.settings.firing_late_ms(1)
        self.heartbeat = self.clock.schedule(first, "heartbeat")

    def _build(self, coverage: Coverage, keep_events: frozenset[str] | None) -> None:
        """The layers, over empty containers."""
        b = self.behaviour
        # Why heartbeats asked for nothing (for the notes): only when every event is kept.
        self.unasked: list[Unasked] = []
        self.clock = Clock()
        self.store = SessionStore(
            prune_on_create=not b.no_prune_on_create, prune_empty_key=b.prune_empty_key
        )
        # Both replaced whole on every change (see _set_runs), never changed in place, and
        # kept in ref order (see in_ref_order).
        self.activity: Mapping[str, RunActivity] = {}
        self.handles: Mapping[str, RunHandle] = {}
        self.bus = EventBus(self.clock, keep_events)
        self.coverage = coverage
        # Replaced whole on every change, like the run activity; empty unless a step enqueues.
        self.lanes: Mapping[str, Lane] = {}
        self.next_task = 1
        # Replaced whole on every change too; empty unless a step begins a reply operation.
        self.replies: Mapping[str, ReplyOp] = {}
        self.coordinator = Coordinator(
            self.strategy,
            self.store,
            self.bus,
            self.coverage,
            clear_run_activity=self._clear_run_activity if b.clear_run_activity else None,
            mutate_aborted_released_only=b.mutate_aborted_released_only,
        )
        self.runtime = RecoveryRuntime(
            self.settings,
            self.clock,
            self.store,
            self.activity,
            self.handles,
            self.coverage,
            self.end_run,
            released_no_active_work=b.released_no_active_work,
            stale_run_threshold=b.stale_run_threshold,
            async_force_clear=b.async_force_clear,
            lane_of=self.lanes_get,
            reset_lane=self.reset_lane,
            lane_fresh_task=b.lane_fresh_task,
            stale_lane_release=b.stale_lane_release,
            tool_deadline=b.tool_deadline,
            backend_liveness=b.backend_liveness,
            reply_of=self.replies_get,
            abort_reply=self.abort_reply,
            session_files=self.session_files,
            reply_own_activity=b.reply_own_activity,
        )
        # One entry per call into the runtime, in call order; None while unresolved.
        self.runtime_calls: tuple[str | None, ...] = ()
        self.scripted: Pending = ()
        self.held: tuple[HeldStart, ...] = ()

    def _set_runs(
        self, activity: Mapping[str, RunActivity], handles: Mapping[str, RunHandle]
    ) -> None:
        self.activity = self.runtime.activity = activity
        self.handles = self.runtime.handles = handles

    def snapshot(self) -> WorldState:
        """Everything a step can change, for `restore` into this or a like world.

        Nothing in a snapshot changes afterwards: what a step changes in place (the records
        and their dict, the timer heap) is copied before the first change, the rest is
        replaced whole. Explore keeps snapshots, not worlds, and restores one per step.
        """
        return WorldState(
            self.clock.state(),
            self.store.state(),
            self.activity,
            self.handles,
            self.coordinator.in_flight,
            self.runtime.in_flight,
            self.runtime.waiters,
            self.runtime_calls,
            self.heartbeat,
            self.last_heartbeat_at,
            self.firing,
            self.lanes,
            self.next_task,
            self.replies,
            self.scripted,
            self.held,
        )

    def restore(self, state: WorldState) -> None:
        """Put this world in `state` (from it, or a world of the same scenario), no events yet.

        The clock, store, bus and layers stay this world's, and so does its coverage.
        """
        (
            clock,
            store,
            self.activity,
            self.handles,
            self.coordinator.in_flight,
            runtime_in_flight,
            waiters,
            self.runtime_calls,
            self.heartbeat,
            self.last_heartbeat_at,
            self.firing,
            self.lanes,
            self.next_task,
            self.replies,
            self.scripted,
            self.held,
        ) = state
        self.clock.restore(clock)
        self.store.restore(store)
        runtime = self.runtime
        runtime.activity, runtime.handles = self.activity, self.handles
        runtime.in_flight, runtime.waiters = runtime_in_flight, waiters
        self.bus.events.clear()
        self.unasked.clear()  # like the events: what the restored state's history said

    def clone(self, coverage: Coverage | None = None) -> World:
        """An independent copy of the whole model state, with no events yet.

        Its coverage counts into `coverage` when given (a search's running total), else anew.
        """
        twin = World.__new__(World)
        twin.settings, twin.strategy = self.settings, self.strategy
        twin.behaviour = self.behaviour
        twin.warn_ms, twin.abort_ms = self.warn_ms, self.abort_ms
        twin.creation_order = self.creation_order
        twin.session_files = self.session_files
        twin._build(coverage if coverage is not None else Coverage(), self.bus.keep)
        twin.restore(self.snapshot())
        return twin

    def state_key(self) -> tuple[object, ...]:
        """A canonical key of the whole model state, times taken relative to now.

        Two worlds with equal keys behave the same from here on, whatever their history.
        Explore builds, hashes and compares one per transition, so it is one flat tuple: each
        variable-length part is its length then that many fixed-width items (so two layouts
        never read alike), keyed parts in ref order (as the world keeps those mappings:
        see in_ref_order), the in-flight sets as they are (frozen).
        """
        now = self.clock.now
        hb = self.heartbeat
        store = self.store
        records = store.records
        key: list[object] = [len(records)]
        for r in records.values():
            key += (
                r.ref,
                r.state,
                r.generation,
                r.queue_depth,
                r.last_activity - now,
                r.last_stuck_warn_age,
                r.last_long_running_warn_age,
                r.active_queued_turn,
            )
        last_prune_at = store.last_prune_at
        # Past the prune interval a prune is due whenever asked: cap the age there.
        prune_age = None if last_prune_at is None else now - last_prune_at
        activity = self.activity
        key += (
            prune_age if prune_age is None or prune_age < PRUNE_INTERVAL_MS else PRUNE_INTERVAL_MS,
            len(activity),
        )
        for ref, a in activity.items():
            tools = a.tools
            key += (
                ref,
                a.embedded_runs,
                tuple((t, started - now) for t, started in tools) if tools else tools,
                # Timed model calls ride with the model calls: the entry keeps its width
                # (explore's abstraction and fingerprints read it by position); so do tool
                # deadlines (switch tool-deadline), where one is recorded (then tools run).
                _model_entry(a, now),
                a.last_progress_at - now,
                a.last_progress_reason,
            )
        handles = self.handles
        key.append(len(handles))
        for ref, h in handles.items():
            # A replacing handle in the same two items (explore's abstraction reads them so):
            # its abort answer marked, since the settle timer treats it apart.
            key += (ref, f"{h.abort}:replacing" if h.replacing else h.abort)
        waiters = self.runtime.waiters
        key += (self.coordinator.in_flight, self.runtime.in_flight, len(waiters))
        if waiters:
            hb_seq = hb.seq
            for ref, w in waiters.items():
                # The request by its fields (what its equality compares): hashed and
                # compared without a call into the dataclass's Python __hash__ and __eq__.
                req, timer = w.request, w.timer
                key += (
                    ref,
                    req.ref,
                    req.expected_state,
                    req.generation,
                    req.age_ms,
                    req.queue_depth,
                    # With the markers that started while it waited and the lane tasks
                    # active when it began: one slot, so the waiter's width (which
                    # explore's abstraction reads) stays 11.
                    (req.allow_active_abort, w.fresh, w.lane_ids),
                    req.stale_abort_ms,
                    w.key,
                    None if timer is None else timer.due - now,
                    None if timer is None else timer.seq < hb_seq,
                )
        # The heartbeat: when it fires, and, where that does not already say it (a tick's own
        # late_ms, jitter), when it last fired and which firing comes next.
        settings = self.settings
        since = hb.due - self.last_heartbeat_at
        if settings.tick_jitter_ms is not None:
            key.append((hb.due - now, since, self.firing))
        elif since != settings.heartbeat_ms + settings.tick_late_ms:
            key.append((hb.due - now, since))
        else:
            key.append(hb.due - now)
        if self.lanes:
            # Only scenarios that enqueue have lanes (explore's never do): task ids relative
            # to the next one, so two histories that differ only in how many tasks ran agree.
            nxt = self.next_task
            key.append(
                tuple(
                    (
                        ref,
                        tuple(t - nxt for t in lane.active),
                        tuple(t - nxt for t in lane.finishing),
                        lane.queued,
                    )
                    for ref, lane in self.lanes.items()
                )
            )
        if self.replies:
            # Only scenarios with `reply` steps have them (explore's never do).
            now = self.clock.now
            key.append(
                tuple(
                    (ref, op.phase, op.honours_abort, now - op.last_activity_at)
                    for ref, op in self.replies.items()
                )
            )
        if self.scripted:
            # Only scripted scenarios have them: each pending call by its request, its
            # in-flight key and the markers that started after it.
            key.append(tuple((c.request, c.key, c.fresh) for c in self.scripted))
        repeated = tuple(
            (ref, rep.first_at - now, rep.attempts)
            for ref, a in activity.items()
            if (rep := a.repeated) is not None
        )
        if repeated:
            # Only scenarios with request attempts have them (explore's never do).
            key.append(("repeated", repeated))
        if self.held:
            # Only scenarios with held starts have them (explore's never do).
            key.append(self.held)
        return tuple(key)

    # -- seeding -------------------------------------------------------------------------

    def _seed(self, sessions: tuple[SessionSeed, ...]) -> None:
        activity: dict[str, RunActivity] = {}
        handles: dict[str, RunHandle] = {}
        for seed in seeding_order(sessions):
            at = -seed.progress_age_ms
            self.clock.now = at
            rec = self.store.create(seed.ref, at)
            rec.state = seed.state
            rec.generation = seed.generation
            rec.queue_depth = seed.queue_depth
            owned = seed.owner == "embedded_run"
            if owned:
                handles[seed.ref] = RunHandle(seed.abort)
            if owned or seed.work != "none":
                embedded = seed.work == "embedded_run" or (owned and seed.work != "none")
                activity[seed.ref] = RunActivity(
                    embedded_runs=(MAIN_MARKER,) if embedded else NO_MARKERS,
                    tools=((MAIN_MARKER, at),) if seed.work == "tool_call" else NO_TOOLS,
                    model_calls=(MAIN_MARKER,) if seed.work == "model_call" else NO_MARKERS,
                    last_progress_at=at,
                    # A handle whose run's activity has already ended.
                    last_progress_reason=RUN_ENDED_REASON
                    if owned and seed.work == "none"
                    else SEEDED_PROGRESS_REASONS[seed.work],
                )
        self._set_runs(in_ref_order(activity), in_ref_order(handles))

    # -- the outside world's mutators ----------------------------------------------------

    def message_queued(self, ref: str) -> None:
        now = self.clock.now
        if ref in self.runtime.waiters:
            self.coverage.bump_while_in_flight += 1
        rec = self.store.lookup(ref, now)
        rec.queue_depth += 1
        rec.touch(now)
        if self.bus.keeps(QUEUED):
            self.bus.emit(
                QUEUED, ref, (("queueDepth", rec.queue_depth),), generation=rec.generation
            )

    def state_change(self, ref: str, to: SessionState, reason: str) -> None:
        now = self.clock.now
        rec = self.store.lookup(ref, now)
        prev = rec.state
        rec.state = to
        rec.touch(now)
        if self.behaviour.queued_backlog:
            if to == "processing" and prev != "processing":
                rec.active_queued_turn = rec.queue_depth > 0
            elif to == "idle":
                rec.active_queued_turn = False
        if to == "idle":
            rec.queue_depth = max(0, rec.queue_depth - 1)
        if self.bus.keeps(STATE):
            self.bus.emit(
                STATE,
                ref,
                payload(prevState=prev, state=to, reason=reason, queueDepth=rec.queue_depth),
                generation=rec.generation,
            )

    def progress(
        self,
        ref: str,
        target: ProgressTarget = "both",
        reason: str = DEFAULT_PROGRESS_REASON,
        ago_ms: int = 0,
        semantic: bool = False,
    ) -> None:
        """markDiagnosticRunProgress (run), then markDiagnosticSessionProgress (record).

        Back-dated progress runs as if the clock stood `ago_ms` earlier, as the build's own
        calls do under a clock set back: the record lookup prunes (and creates) at that instant.
        `semantic` (never back-dated): the run's request attempts are forgotten too, where the
        version counts them (switch repeated-requests).
        """
        at = self.clock.now - ago_ms
        if target != "record":
            activity = self.activity.get(ref)
            if activity is None:
                # markDiagnosticRunProgress creates run activity, but never active work.
                activity = RunActivity(NO_MARKERS, NO_TOOLS, NO_MARKERS, at, reason)
                self._set_runs(in_ref_order({**self.activity, ref: activity}), self.handles)
            elif semantic and self.behaviour.repeated_requests:
                self._set_runs({**self.activity, ref: activity.semantic(at, reason)}, self.handles)
            else:
                self._set_runs({**self.activity, ref: activity.marked(at, reason)}, self.handles)
        if target != "run":
            self.store.lookup(ref, at).touch(at)

    def start_work(
        self,
        ref: str,
        kind: MarkerKind,
        marker: str,
        timeout_ms: int | None = None,
        deadline_ms: int | None = None,
        attempt: bool = False,
        *,
        note: bool = True,
    ) -> None:
        """A work marker starts; run activity is created for it where there is none.

        A model call with `timeout_ms` is a request of its own run owner where the version
        reads request timeouts (switch model-request-timeout), else a plain model call. An
        `attempt` is counted for the session's run where the version counts them (switch
        repeated-requests): marked as openclaw's tests mark one, with no event sequence, so a
        recovery's clear takes it whenever it started (it is never after the cut-off).
        `note`: off for a held start delivered late, whose place after (or before) the
        pending requests is its emission's (see deliver)."""
        attempt = attempt and self.behaviour.repeated_requests
        if note and not attempt:
            self.runtime.note_start(ref, kind, marker)
            self.scripted = noted_start(self.scripted, ref, kind, marker)
        now = self.clock.now
        activity = self.activity.get(ref)
        if activity is None:
            activity = RunActivity(NO_MARKERS, NO_TOOLS, NO_MARKERS, now, "")
            runs = in_ref_order({**self.activity, ref: activity})
        else:
            runs = dict(self.activity)
        if attempt:
            runs[ref] = activity.attempt_started(marker, now)
        elif timeout_ms is not None and self.behaviour.model_request_timeout:
            runs[ref] = activity.request_started(marker, timeout_ms, now)
        elif deadline_ms is not None and self.behaviour.tool_deadline:
            # The command's deadline, plus the stalled-tool window its result is given.
            deadline_at = now + deadline_ms + TOOL_DEADLINE_GRACE_MS
            runs[ref] = activity.started(kind, marker, now, deadline_at)
        else:
            runs[ref] = activity.started(kind, marker, now)
        self._set_runs(runs, self.handles)

    # -- command lanes -------------------------------------------------------------------

    def lanes_get(self, ref: str) -> Lane | None:
        return self.lanes.get(ref)

    def _set_lane(self, ref: str, lane: Lane) -> None:
        self.lanes = in_ref_order({**self.lanes, ref: lane})

    def enqueue_task(self, ref: str, task: LaneTaskKind) -> None:
        """enqueueCommandInLane on the session's lane: queued, then pumped."""
        lane = self.lanes.get(ref, Lane())
        after, self.next_task = enqueue(lane, task, self.next_task)
        self._set_lane(ref, after)

    def reset_lane(self, ref: str) -> int:
        """resetCommandLane: how many active tasks it released (none for an unknown lane)."""
        lane = self.lanes.get(ref)
        if lane is None:
            return 0
        after, self.next_task, released = reset(lane, self.next_task)
        self._set_lane(ref, after)
        return released

    def settle_lanes(self) -> None:
        """The microtasks ran: quick lane tasks that started have ended (each pumps the next)."""
        for ref, lane in self.lanes.items():
            if lane.finishing:
                after, self.next_task = finish_quick(lane, self.next_task)
                self._set_lane(ref, after)

    def hold_start(self, index: int, ref: str, kind: MarkerKind, marker: str) -> None:
        """A start emitted on the bus and held there (`delivery = "held"`): numbered now, so
        it comes after every request pending now and before every later one."""
        tag = str(index)
        self.runtime.note_start(ref, HELD, tag)
        self.scripted = noted_start(self.scripted, ref, HELD, tag)
        self.held = (*self.held, HeldStart(ref, kind, marker, tag))

    def deliver(self) -> None:
        """The bus delivers the held starts in emission order: each starts its marker now
        (recordToolStarted / recordModelStarted), unless a recovery fenced it (see
        _fence_held). A pending request it was emitted after keeps it as it keeps any start
        after its cut-off."""
        held, self.held = self.held, ()
        for h in held:
            if h.fenced:
                continue
            tag = (HELD, h.tag)
            waiter = self.runtime.waiters.get(h.ref)
            if waiter is not None and tag in waiter.fresh:
                self.runtime.note_start(h.ref, h.kind, h.marker)
            self.scripted = noted_delivery(self.scripted, h.ref, tag, h.kind, h.marker)
            self.start_work(h.ref, h.kind, h.marker, note=False)

    def _fence_held(self, ref: str, fresh: Fresh) -> None:
        """A recovery of ref is applied (clearDiagnosticEmbeddedRunActivityForSession, which
        remembers its request's bus sequence as the session's start cut-off, activity or
        not): the session's held starts emitted before that request will be ignored."""
        if any(h.ref == ref and (HELD, h.tag) not in fresh for h in self.held):
            self.held = tuple(
                h._replace(fenced=True) if h.ref == ref and (HELD, h.tag) not in fresh else h
                for h in self.held
            )

    def end_work(self, ref: str, kind: MarkerKind, marker: str, clear: bool) -> None:
        """A work marker ends; with no run activity at all nothing happens.

        The end of a timed model call whose owner is registered is its request's end and its
        owner's close (the loader lets a timed call end only while it runs)."""
        activity = self.activity.get(ref)
        if activity is None:
            return
        self.runtime.note_end(ref, kind, marker, clear)
        self.scripted = noted_end(self.scripted, ref, kind, marker, clear)
        now = self.clock.now
        if kind == "model_call" and any(r.id == marker for r in activity.requests):
            ended = activity.request_ended(marker, now, self.behaviour.request_close_needs_run)
        else:
            ended = activity.stopped(kind, marker, clear, now)
        self._set_runs({**self.activity, ref: ended}, self.handles)

    def own(self, ref: str, abort: AbortAnswer) -> None:
        """setActiveEmbeddedRun: a new run handle replaces the session's (run_replaced), or
        is its first (run_started); the record goes processing, run activity's embedded run
        starts. A recovery waiting on the replaced run keeps waiting: its run is gone, and
        only the session's run ending (or its settle timer) resolves it."""
        previous = self.handles.get(ref)
        waiting = ref in self.runtime.waiters
        handle = RunHandle(abort, replacing=waiting and previous is not None)
        self._set_runs(self.activity, in_ref_order({**self.handles, ref: handle}))
        self.state_change(ref, "processing", "run_replaced" if previous else "run_started")
        self.start_work(ref, "embedded_run", MAIN_MARKER)

    def end_run(self, ref: str, reason: str) -> None:
        """clearActiveEmbeddedRun / forceClearEmbeddedAgentRun, then wake its recovery.

        A force-clear (`stuck_recovery`) fails the session's reply operation too, after the run.
        """
        self._end_handle_run(ref, reason)
        if reason == FORCE_CLEAR_REASON:
            self.clear_reply(ref)

    def _end_handle_run(self, ref: str, reason: str) -> None:
        if ref not in self.handles:
            return
        # The run's handle and activity go at once (nothing between reads either).
        handles = {r: h for r, h in self.handles.items() if r != ref}
        activity = self.activity.get(ref)
        if activity is None:
            self._set_runs(self.activity, handles)
        else:
            self._set_runs({**self.activity, ref: activity.run_ended(self.clock.now)}, handles)
        self.state_change(ref, "idle", reason)
        waiter = self.runtime.waiters.get(ref)
        # A recovery waiting on the reply operation waits on (and is woken by) that alone.
        if waiter is not None and not waiter.reply:
            self.runtime.take_waiter(ref)
            outcome = self.runtime.aborted_outcome(waiter.request, waiter.lane_ids, drained=True)
            self._resolve(waiter.request, waiter.key, waiter.call_index, outcome, waiter.fresh)

    def _clear_run_activity(self, ref: str, fresh: Fresh) -> bool:
        """clearDiagnosticEmbeddedRunActivityForSession: the recovered owner's markers go.

        True (blocked) when an embedded run that started after the request is still running:
        then only the markers that started before the request go, and the outcome is stale.
        """
        self._fence_held(ref, fresh)
        activity = self.activity.get(ref)
        if activity is None:
            return False
        if not activity.has_work:
            # Nothing to clear but the run's request attempts (clearRepeatedRequestActivity).
            if activity.repeated is not None:
                self._set_runs({**self.activity, ref: activity.semantic_cleared()}, self.handles)
            return False
        now = self.clock.now
        runs = tuple(r for r in activity.embedded_runs if ("embedded_run", r) in fresh)
        # A timed model call started after the request is a run owner of its own (its run
        # blocks the clear as an embedded run does); one started before it ends with the rest.
        requests = tuple(
            r._replace(run=r.run and late, call=r.call and late)
            for r in activity.requests
            for late in [("model_call", r.id) in fresh]
        )
        # So is the backend's owner (a run of its own), begun after the request or before it.
        backend = activity.backend
        if backend is not None and backend.run and BACKEND_MARKER not in fresh:
            backend = backend._replace(run=False)
        if not runs and not any(r.run for r in requests) and not (backend and backend.run):
            self._set_runs({**self.activity, ref: activity.ended(now)}, self.handles)
            return False
        tools = tuple(t for t in activity.tools if ("tool_call", t[0]) in fresh)
        kept = RunActivity(
            runs,
            tools,
            tuple(m for m in activity.model_calls if ("model_call", m) in fresh),
            now,
            RECOVERY_SKIPPED_ACTIVE_OWNER,
            requests,
            activity._order_kept(tools),
            backend,
            activity.repeated,
        )
        self._set_runs({**self.activity, ref: kept}, self.handles)
        return True

    def backend_step(self, step: Backend) -> None:
        """A backend attempt's step (switch backend-liveness; before it, nothing happens).

        `begin` (re)starts the backend owner's embedded run, a marker that starts after a
        recovery waiting on the session (see _clear_run_activity), then the attempt."""
        if not self.behaviour.backend_liveness:
            return
        ref, now = step.session, self.clock.now
        activity = self.activity.get(ref)
        if step.action == "begin":
            assert step.allowance_ms is not None  # the loader's rule
            self.runtime.note_start(ref, *BACKEND_MARKER)
            self.scripted = noted_start(self.scripted, ref, *BACKEND_MARKER)
            if activity is None:
                activity = RunActivity(NO_MARKERS, NO_TOOLS, NO_MARKERS, now, "")
            after = activity.backend_begun(step.allowance_ms, now)
        elif activity is None:
            return
        elif step.action in ("output", "model_output"):
            after = activity.backend_output(step.action == "model_output", now)
        elif step.action in ("outstanding", "settled"):
            after = activity.backend_outstanding(step.action == "outstanding")
        else:
            after = activity.backend_closed()
        if after is not activity:
            self._set_runs(in_ref_order({**self.activity, ref: after}), self.handles)

    # -- reply operations ----------------------------------------------------------------

    def replies_get(self, ref: str) -> ReplyOp | None:
        return self.replies.get(ref)

    def _set_replies(self, replies: Mapping[str, ReplyOp]) -> None:
        self.replies = in_ref_order(replies)

    def reply(self, ref: str, phase: ReplyPhase, abort: ReplyAbort) -> None:
        """A `reply` step: begin the session's reply operation where none is open, else set
        its phase (an aborted or failed one keeps none); `completed` completes it."""
        op = self.replies.get(ref)
        own = self.behaviour.reply_own_activity
        if op is None:
            op = ReplyOp("queued", abort == "honoured", self.clock.now)
            self._set_replies({**self.replies, ref: op})
            if own:
                # markReplyRunDiagnosticProgress: run progress, no embedded run.
                self.progress(ref, "run", REPLY_QUEUED_REASON)
            else:
                self.start_work(ref, "embedded_run", REPLY_MARKER)
        if phase == "completed":
            self.clear_reply(ref)
        elif phase in REPLY_WAITS:
            # markWaitingForGlobalLane (from queued or running) and
            # markWaitingForDeferredMaintenance (from queued): no activity recorded, run
            # progress marked; from any other phase nothing happens.
            entered = ("queued", "running") if phase == "waiting_for_global_lane" else ("queued",)
            if op.phase in entered:
                waiting = ReplyOp(phase, op.honours_abort, op.last_activity_at)
                self._set_replies({**self.replies, ref: waiting})
                self.progress(ref, "run", REPLY_WAITS[phase])
        elif op.phase not in (ABORTED, REPLY_FAILED) and (own or op.phase != phase):
            # setPhase records activity (reply-own-activity), the same phase again included.
            changed = ReplyOp(phase, op.honours_abort, self.clock.now)
            self._set_replies({**self.replies, ref: changed})

    def abort_reply(self, ref: str) -> bool:
        """The runtime's abort of the session's reply operation: True when it cleared it at once.

        Up to 2026.7.x, abortByUser; from reply-own-activity, expireStaleReplyRunBySessionId
        (failed, its abort signal fired; abortByUser then finds nothing left to abort)."""
        op = self.replies[ref]
        if self.behaviour.reply_own_activity:
            if op.honours_abort:
                self.clear_reply(ref)
                return True
            self._set_replies({**self.replies, ref: ReplyOp(REPLY_FAILED, False, self.clock.now)})
            return False
        if op.clears_on_abort:
            self.clear_reply(ref)
            return True
        if op.phase != ABORTED:
            self._set_replies({**self.replies, ref: ReplyOp(ABORTED, op.honours_abort)})
        return False

    def clear_reply(self, ref: str) -> None:
        """The operation's clearState: its embedded run ends (the run activity stays), or
        (reply-own-activity) run progress `reply_operation:ended`; a recovery waiting on it
        wakes, drained (or, its drain run out and only its owner wait left, not drained)."""
        if ref not in self.replies:
            return
        self._set_replies({r: op for r, op in self.replies.items() if r != ref})
        if self.behaviour.reply_own_activity:
            self.progress(ref, "run", REPLY_ENDED_REASON)
        else:
            self.end_work(ref, "embedded_run", REPLY_MARKER, False)
        waiter = self.runtime.waiters.get(ref)
        if waiter is not None and waiter.reply:
            owner_wait = waiter.timer is not None and waiter.timer.kind == "settle"
            self.runtime.take_waiter(ref)
            if owner_wait and self.behaviour.reply_own_activity:
                outcome = self.runtime.undrained_outcome(waiter.request, waiter.lane_ids)
            else:
                outcome = self.runtime.aborted_outcome(
                    waiter.request, waiter.lane_ids, drained=True
                )
            self._resolve(waiter.request, waiter.key, waiter.call_index, outcome, waiter.fresh)

    def release(self, ref: str | None, failed: bool) -> None:
        refs = self.creation_order if ref is None else [ref]
        for r in refs:
            if failed:
                waiter = self.runtime.take_waiter(r)
                if waiter is not None:
                    self._resolve(waiter.request, waiter.key, waiter.call_index, FAILED)
            else:
                self.end_run(r, "run_completed")

    # -- timers --------------------------------------------------------------------------

    def advance_to(self, until: int) -> None:
        while (timer := self.clock.pop_due(until)) is not None:
            self._fire(timer)
            if self.lanes:  # the microtasks after each timer's callback
                self.settle_lanes()
        self.clock.now = until

    def _fire(self, timer: Timer) -> None:
        if timer.kind == "heartbeat":
            # Node re-arms an interval from when its callback ran: the next firing is due an
            # interval after this one fired, and is late as the settings say.
            now = self.clock.now
            elapsed = now - self.last_heartbeat_at
            self.last_heartbeat_at = now
            self.firing += 1
            settings = self.settings
            # Scheduled before the callback runs: a settle timer armed by this tick's
            # recovery for the same instant fires after the next heartbeat.
            self.heartbeat = self.clock.schedule(
                now + settings.heartbeat_ms + settings.firing_late_ms(self.firing), "heartbeat"
            )
            if self.behaviour is PINNED:
                self._heartbeat()
            else:
                self._heartbeat_as(self.behaviour, elapsed)
        else:
            waiter = self.runtime.waiters.get(timer.ref)
            if waiter is None or waiter.timer is not timer:
                return
            if timer.kind == "reply_wait":
                # The drain ran out with the reply operation still registered: the owner
                # wait's floor follows (waitForReplyOperationOwnerSettlement), then force-clear.
                due = self.clock.now + OWNER_WAIT_MS
                self.runtime.rearm(timer.ref, self.clock.schedule(due, "settle", timer.ref))
                return
            self.runtime.pop_waiter(timer.ref)
            handle = self.handles.get(timer.ref)
            if (
                handle is not None
                and handle.replacing
                and self.behaviour.force_clear_own_handle
            ):
                # forceClear is given the handle the recovery aborted, and finds another: the
                # run that replaced it stays, no longer replacing anything a recovery awaits.
                handles = {**self.handles, timer.ref: RunHandle(handle.abort)}
                self._set_runs(self.activity, handles)
            else:
                self.coverage.settle_force_clears += 1
                # Drain timed out: force-clear the run (its end wakes nobody: the waiter is
                # gone). Before force-clear-own-handle, whatever run the session has now.
                self.end_run(timer.ref, "stuck_recovery")
            self.runtime.leave(timer.ref)
            outcome = self.runtime.aborted_outcome(waiter.request, waiter.lane_ids, drained=False)
            self._resolve(waiter.request, waiter.key, waiter.call_index, outcome, waiter.fresh)

    def _heartbeat(self) -> None:
        now = self.clock.now
        if self.runtime.waiters:
            self.coverage.heartbeat_while_in_flight += 1
        self.store.prune(now, force=True)
        calls: list[tuple[RecoveryRequest, str]] = []
        # The synchronous pass: every record's attention, requested and skip events first.
        for rec in list(self.store.records.values()):
            activity = self.activity.get(rec.ref)
            snap = activity.snapshot(now) if activity is not None else NO_ACTIVITY
            age = attention_age(rec, snap, now, self.warn_ms)
            if age is None:
                continue
            cls = classify(rec.state, rec.queue_depth, snap, self.warn_ms)
            if cls.event_type in THROTTLED_EVENTS:
                rec = self.store.writable(rec)  # the throttle notes what passes on the record
            if not passes_throttle(rec, cls, age, self.warn_ms):
                why = THROTTLED if cls.recovery_eligible else NOT_ELIGIBLE
                self._unasked(rec.ref, why, age, cls, 0)
                continue
            if self.bus.keeps(cls.event_type):
                self.bus.emit(
                    cls.event_type,
                    rec.ref,
                    payload(
                        state=rec.state,
                        ageMs=age,
                        queueDepth=rec.queue_depth,
                        reason=cls.reason,
                        classification=cls.classification,
                        activeWorkKind=cls.active_work_kind,
                        **progress_fields(snap),
                    ),
                    generation=rec.generation,
                )
            request = build_request(rec, cls, snap, age, self.abort_ms)
            if request is None:
                self._unasked(rec.ref, NOT_ELIGIBLE, age, cls, 0)
                continue
            key = self.coordinator.request(request, cls)
            if key is not None:
                calls.append((request, key))
        self._enter_runtime(calls)

    def _heartbeat_as(self, b: Behaviour, elapsed: int) -> None:
        """The tick of a version with switches on: _heartbeat's pass with their changes.

        `elapsed`: since the previous firing (or the heartbeat's start), as the build measures
        it; each firing is judged by its own lateness against the build's 30 s interval.
        """
        now = self.clock.now
        if self.runtime.waiters:
            self.coverage.heartbeat_while_in_flight += 1
        overdue = max(0, elapsed - BUILD_HEARTBEAT_MS) if b.defer_late_tick else 0
        observed_at = now - overdue
        deferred = (b.defer_late_tick and overdue >= DEFER_OVERDUE_MS) or (
            b.skip_slow_tick and elapsed > SKIP_TICK_DELAY_MS
        )
        # Before observation-pass (F23) the attention log classifies at the wall clock.
        classify_now = overdue > 0 and not b.observation_pass
        warn_ms, abort_ms = self.warn_ms, self.abort_ms
        model_call_abort_ms = abort_ms if b.model_call_long_running else None
        repeated_abort_ms = abort_ms if b.repeated_requests else None
        self.store.prune(now, force=True)
        calls: list[tuple[RecoveryRequest, str]] = []
        for rec in list(self.store.records.values()):
            activity = self.activity.get(rec.ref)
            snap = activity.snapshot(observed_at) if activity is not None else NO_ACTIVITY
            depth = rec.queue_depth
            if b.queued_backlog and rec.state == "processing" and rec.active_queued_turn:
                depth = max(0, depth - 1)
            if is_idle_queued_stall(rec, snap, warn_ms):
                progress_age = snap.progress_age_ms
                age = observed_at - rec.last_activity if progress_age is None else progress_age
            else:
                age = observed_at - rec.last_activity
                if b.owned_work_attention_age and snap.work_kind is not None:
                    age = max(age, snap.progress_age_ms or 0)
                repeated = snap.repeated_age_ms
                if repeated is not None and repeated > age:
                    age = repeated  # switch repeated-requests: only it sets one
                if rec.state != "processing" or age <= warn_ms:
                    continue
            seen = snap
            if classify_now:
                seen = activity.snapshot(now) if activity is not None else NO_ACTIVITY
            cls = classify(rec.state, depth, seen, warn_ms, model_call_abort_ms, repeated_abort_ms)
            if cls.event_type in THROTTLED_EVENTS:
                rec = self.store.writable(rec)
            if passes_throttle(rec, cls, age, warn_ms):
                if self.bus.keeps(cls.event_type):
                    self.bus.emit(
                        cls.event_type,
                        rec.ref,
                        payload(
                            state=rec.state,
                            ageMs=age,
                            queueDepth=depth,
                            reason=cls.reason,
                            classification=cls.classification,
                            activeWorkKind=cls.active_work_kind,
                            **progress_fields(seen),
                        ),
                        generation=rec.generation,
                    )
            elif not (b.recover_when_throttled and cls.recovery_eligible):
                why = THROTTLED if cls.recovery_eligible else NOT_ELIGIBLE
                self._unasked(rec.ref, why, age, cls, overdue)
                continue
            if deferred:
                self._unasked(rec.ref, DEFERRED, age, cls, overdue)
                continue
            if cls.recovery_eligible:
                request = RecoveryRequest(
                    rec.ref, rec.state, rec.generation, age, depth, False, abort_ms
                )
            elif is_active_abort_eligible_as(b, cls, snap, age, abort_ms, now):
                request = RecoveryRequest(rec.ref, rec.state, rec.generation, age, depth, True)
            else:
                self._unasked(
                    rec.ref,
                    NOT_ELIGIBLE,
                    age,
                    cls,
                    overdue,
                    snap.request_timeout_ms,
                    snap.tool_deadline_at if b.tool_deadline else None,
                    _backend_holding(b, snap, now),
                )
                continue
            key = self.coordinator.request(request, cls)
            if key is not None:
                calls.append((request, key))
        self._enter_runtime(calls)

    def _unasked(
        self,
        ref: str,
        why: str,
        age: int,
        cls: Classification,
        overdue: int,
        request_timeout_ms: int | None = None,
        tool_deadline_at: int | None = None,
        backend_deadline_at: int | None = None,
    ) -> None:
        if self.bus.keeps(cls.event_type):  # a search keeps none of these: it needs no notes
            at, work = self.clock.now, cls.active_work_kind
            self.unasked.append(
                Unasked(
                    at,
                    ref,
                    why,
                    age,
                    cls.event_type,
                    cls.classification,
                    work,
                    overdue,
                    request_timeout_ms,
                    tool_deadline_at,
                    backend_deadline_at,
                )
            )

    def _enter_runtime(self, calls: list[tuple[RecoveryRequest, str]]) -> None:
        """The tick's runtime calls after the import: all entered, then outcomes applied.

        After the runtime module's dynamic import every runtime call of the tick is entered (all
        are continuations of one import promise) before any outcome is applied: first those
        returned at once, then those that awaited their run's end.
        """
        if self.settings.runtime == "scripted":
            # openclaw's tests' mocked runtime: each call waits for its `answer` step.
            for request, key in calls:
                index = len(self.runtime_calls)
                self.runtime_calls = (*self.runtime_calls, None)
                self.scripted = (*self.scripted, Waiter(request, key, index, None))
            return
        resolved: list[tuple[RecoveryRequest, str, int, Resolved]] = []
        for request, key in calls:
            index = len(self.runtime_calls)
            self.runtime_calls = (*self.runtime_calls, None)
            result = self.runtime.call(request, key, index)
            if result is not None:
                resolved.append((request, key, index, result))
        # Async force-clears of refused aborts, once every call is entered, in call order.
        for request, _, _, result in resolved:
            if result.deferred_clear:
                self.end_run(request.ref, "stuck_recovery")
        for late in (False, True):
            for request, key, index, result in resolved:
                if result.awaited == late and not result.deferred_clear:
                    self._resolve(request, key, index, result.outcome)
        for request, key, index, result in resolved:
            if result.deferred_clear:
                # The force-cleared run's lane: nothing can have started since the call.
                outcome = self._force_cleared_outcome(request)
                self._resolve(request, key, index, outcome)

    def _force_cleared_outcome(self, request: RecoveryRequest) -> Outcome:
        """A refused abort's outcome once its run is force-cleared, with the lane's tail."""
        lane = self.lanes.get(request.ref)
        lane_ids = lane.active if lane is not None else ()
        return self.runtime.aborted_outcome(request, lane_ids, drained=False)

    def _resolve(
        self,
        request: RecoveryRequest,
        key: str | None,
        index: int,
        outcome: Outcome,
        fresh: Fresh = (),
    ) -> None:
        calls = list(self.runtime_calls)
        calls[index] = outcome.label
        self.runtime_calls = tuple(calls)
        if key is not None:
            self.coordinator.settle(request, key, outcome, fresh)

    def recover_directly(self, step: Recover) -> None:
        """recoverStuckDiagnosticSession called by hand: the runtime's outcome, applied by nobody.

        In every published build from 2026.5.30-beta.1 the runtime only reads the record; the
        coordinator (requestStuckSessionRecovery) emits the recovery events and writes the
        outcome, and a direct call goes around it. What the runtime does itself stays: an
        abort ends the run (its state change), in-flight set #2 holds the ref meanwhile.
        """
        request = RecoveryRequest(
            step.session,
            step.expected_state,
            0 if step.generation is None else step.generation,
            step.age_ms,
            step.queue_depth,
            step.allow_active_abort,
            step.stale_abort_ms,
        )
        index = len(self.runtime_calls)
        self.runtime_calls = (*self.runtime_calls, None)
        result = self.runtime.call(
            request,
            DIRECT_KEY,
            index,
            check_state=step.generation is not None,
            compaction_safety_ms=step.compaction_safety_ms,
        )
        if result is not None:
            outcome = result.outcome
            if result.deferred_clear:  # a refused abort: the force-clear follows the call
                self.end_run(step.session, "stuck_recovery")
                outcome = self._force_cleared_outcome(request)
            self._resolve(request, DIRECT_KEY, index, outcome)

    def answer(self, step: Answer) -> None:
        """The scripted runtime resolves the session's oldest pending call (none: nothing).

        The coordinator applies the answer as it applies a real outcome; an answer of
        nothing (a mock returning undefined) is applied as nothing: no event, the request
        leaves the coordinator's in-flight set.
        """
        call, self.scripted = take(self.scripted, step.session)
        if call is None or call.key is None:
            return
        outcome = answered_outcome(step)
        if outcome is not None:
            self._resolve(call.request, call.key, call.call_index, outcome, call.fresh)
            return
        calls = list(self.runtime_calls)
        calls[call.call_index] = NO_OUTCOME_LABEL
        self.runtime_calls = tuple(calls)
        self.coordinator.in_flight = self.coordinator.in_flight - {call.key}

    # -- steps ---------------------------------------------------------------------------

    def apply(self, index: int, step: Step) -> None:
        self.bus.step = index
        match step:
            case Tick(late_ms=late):
                if late is not None:
                    # This firing's own lateness, in place of the settings': same timer, so
                    # same-instant order stays the order it was scheduled in.
                    due = self.last_heartbeat_at + self.settings.heartbeat_ms + late
                    due = max(self.clock.now, due)
                    if due != self.heartbeat.due:
                        self.heartbeat = self.clock.reschedule(self.heartbeat, due)
                self.advance_to(self.heartbeat.due)
            case Advance(ms=ms):
                self.advance_to(self.clock.now + ms)
            case Bump(session=ref):
                self.message_queued(ref)
            case Release(session=ref, failed=failed):
                self.release(ref, failed)
            case StateChange(session=ref, to=to):
                self.state_change(ref, to, "scenario")
            case Progress(session=ref, target=target, reason=reason, ago_ms=ago):
                self.progress(ref, target, reason, ago, step.semantic)
            case Start(session=ref, work=kind, id=marker, held=True):
                self.hold_start(index, ref, kind, marker)
            case Start(session=ref, work=kind, id=marker, timeout_ms=timeout, deadline_ms=deadline):
                self.start_work(ref, kind, marker, timeout, deadline, step.attempt)
            case End(session=ref, work=kind, id=marker, clear=clear):
                self.end_work(ref, kind, marker, clear)
            case Own(session=ref, abort=abort):
                self.own(ref, abort)
            case Recover():
                self.recover_directly(step)
            case Enqueue(session=ref, task=task):
                self.enqueue_task(ref, task)
            case Backend():
                self.backend_step(step)
            case Reply(session=ref, phase=phase, abort=abort):
                self.reply(ref, phase, abort)
            case Answer():
                self.answer(step)
            case Key(session=ref, key=key):
                self.store.key(ref, key, self.clock.now)
            case Deliver():
                self.deliver()
            case _:
                assert_never(step)
        if self.lanes:
            self.settle_lanes()

    def environment_prune(self) -> None:
        """What another session's lookup can do to this world's records: prune the store now
        (a forced prune covers a due one). Only a composed search takes it (see
        probe.explore.composition): no scenario step does this alone."""
        self.store.prune(self.clock.now, force=True)

    def runtime_outcomes(self) -> list[str]:
        return [PENDING if o is None else o for o in self.runtime_calls]

    def in_flight(self) -> bool:
        return bool(self.runtime.waiters) or bool(self.scripted)


def _backend_holding(b: Behaviour, snap: ActivitySnapshot, now: int) -> int | None:
    """When the backend's allowance that holds a stalled run back runs out, if one does."""
    deadline = snap.backend_deadline_at if b.backend_liveness else None
    return deadline if deadline is not None and now < deadline else None


# The backend owner's run, as a recovery's fresh markers name it (see _clear_run_activity).
BACKEND_MARKER = ("backend", "backend")


def _model_entry(a: RunActivity, now: int) -> object:
    """The state key's model-call entry: the plain calls, with the timed ones and the tool
    calls' start order and deadlines (relative to now) beside them when there are any, and
    the backend attempt (its deadline relative to now)."""
    order = tuple((t, None if d is None else d - now) for t, d in a.tool_order)
    backend = a.backend
    if backend is not None:
        relative = backend._replace(deadline_at=backend.deadline_at - now)
        return (a.model_calls, a.requests, order, relative)
    if any(d is not None for _, d in a.tool_order):
        return (a.model_calls, a.requests, order)
    return (a.model_calls, a.requests) if a.requests else a.model_calls
