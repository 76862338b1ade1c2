"""The heartbeat's judgement of one record: attention, classification, throttles, request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from probe.model.activity import ActivitySnapshot, is_terminal_progress_reason
from probe.model.behaviour import Behaviour
from probe.model.events import LONG_RUNNING, STALLED, STUCK, FieldValue, defined
from probe.model.frozen import slot_setters
from probe.model.state import SessionRecord
from probe.scenario.values import WORK_KINDS, SessionState, WorkKind

AttentionType: TypeAlias = Literal["session.stuck", "session.stalled", "session.long_running"]


@dataclass(frozen=True, slots=True)
class Classification:
    event_type: AttentionType
    reason: str
    classification: str
    active_work_kind: WorkKind | None
    recovery_eligible: bool
    # What a session.recovery.requested carries of it, after the request's fields: set
    # once at construction (classify answers from prebuilt values).
    requested_fields: tuple[tuple[str, FieldValue], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        fields = defined(("reason", self.reason), ("activeWorkKind", self.active_work_kind))
        object.__setattr__(self, "requested_fields", fields)


@dataclass(frozen=True, slots=True, init=False)
class RecoveryRequest:
    """What the heartbeat hands the coordinator (openclaw's request object)."""

    ref: str
    expected_state: SessionState
    generation: int
    age_ms: int
    queue_depth: int
    allow_active_abort: bool = False
    stale_abort_ms: int | None = None

    def __init__(
        self,
        ref: str,
        expected_state: SessionState,
        generation: int,
        age_ms: int,
        queue_depth: int,
        allow_active_abort: bool = False,
        stale_abort_ms: int | None = None,
    ) -> None:
        # The heartbeat builds one per record it asks to recover (see probe.model.frozen).
        s_ref, s_state, s_generation, s_age, s_depth, s_abort, s_stale = _REQUEST_SLOTS
        s_ref(self, ref)
        s_state(self, expected_state)
        s_generation(self, generation)
        s_age(self, age_ms)
        s_depth(self, queue_depth)
        s_abort(self, allow_active_abort)
        s_stale(self, stale_abort_ms)


_REQUEST_SLOTS = slot_setters(
    RecoveryRequest,
    "ref",
    "expected_state",
    "generation",
    "age_ms",
    "queue_depth",
    "allow_active_abort",
    "stale_abort_ms",
)


def _for_each_kind(
    event_type: AttentionType, reason: str, classification: str
) -> dict[WorkKind, Classification]:
    return {k: Classification(event_type, reason, classification, k, False) for k in WORK_KINDS}


# classify's answers, built once: the heartbeat classifies every record it visits.
_STUCK_QUEUED = Classification(
    STUCK, "queued_work_without_active_run", "stale_session_state", None, True
)
_STUCK_STALE = Classification(STUCK, "stale_session_state", "stale_session_state", None, True)
_BLOCKED_TOOL = Classification(
    STALLED, "blocked_tool_call", "blocked_tool_call", "tool_call", False
)
_BEHIND_TERMINAL = Classification(
    STALLED, "queued_behind_terminal_active_work", "stalled_agent_run", "embedded_run", False
)
_NO_PROGRESS = _for_each_kind(STALLED, "active_work_without_progress", "stalled_agent_run")
_MODEL_CALL_NO_PROGRESS = Classification(
    LONG_RUNNING, "active_model_call_without_progress", "long_running", "model_call", False
)
_QUEUED_BEHIND = _for_each_kind(LONG_RUNNING, "queued_behind_active_work", "long_running")
_REPEATED = _for_each_kind(
    STALLED, "repeated_model_requests_without_progress", "stalled_agent_run"
)
_ACTIVE = _for_each_kind(LONG_RUNNING, "active_work", "long_running")


def classify(
    state: SessionState,
    queue_depth: int,
    activity: ActivitySnapshot,
    stale_ms: int,
    model_call_abort_ms: int | None = None,
    repeated_abort_ms: int | None = None,
) -> Classification:
    """classifySessionAttention, first match wins.

    `model_call_abort_ms` (switch model-call-long-running, F07): a model call under an active
    embedded run whose progress is stale but younger than this is long-running, not stalled.
    `repeated_abort_ms` (switch repeated-requests, F43): an active run whose request attempts
    have gone this long without semantic progress is stalled, whatever else it shows.
    """
    kind = activity.work_kind
    progress_age = activity.progress_age_ms or 0
    if kind is not None:
        if (
            repeated_abort_ms is not None
            and activity.has_active_embedded_run
            and (activity.repeated_age_ms or 0) >= repeated_abort_ms
        ):
            return _REPEATED[kind]
        if (
            state == "idle"
            and queue_depth > 0
            and not activity.has_active_embedded_run
            and progress_age > stale_ms
        ):
            return _STUCK_QUEUED
        if (
            kind == "tool_call"
            and (activity.tool_age_ms or 0) > stale_ms
            and progress_age > stale_ms
        ):
            return _BLOCKED_TOOL
        if (
            queue_depth > 0
            and kind == "embedded_run"
            and is_terminal_progress_reason(activity.progress_reason)
        ):
            return _BEHIND_TERMINAL
        if (
            model_call_abort_ms is not None
            and kind == "model_call"
            and activity.has_active_embedded_run
            and stale_ms < progress_age < model_call_abort_ms
        ):
            return _MODEL_CALL_NO_PROGRESS
        if progress_age > stale_ms:
            return _NO_PROGRESS[kind]
        return _QUEUED_BEHIND[kind] if queue_depth > 0 else _ACTIVE[kind]
    return _STUCK_QUEUED if queue_depth > 0 else _STUCK_STALE


def is_idle_queued_stall(rec: SessionRecord, activity: ActivitySnapshot, stale_ms: int) -> bool:
    has_embedded_owner = activity.work_kind == "embedded_run" or activity.has_active_embedded_run
    has_orphaned_activity = activity.work_kind is not None and not activity.has_active_embedded_run
    return (
        rec.state == "idle"
        and rec.queue_depth > 0
        and (has_embedded_owner or has_orphaned_activity)
        and (activity.progress_age_ms or 0) > stale_ms
    )


def attention_age(
    rec: SessionRecord, activity: ActivitySnapshot, now: int, warn_ms: int
) -> int | None:
    """The age the record is judged by, or None when it needs no attention."""
    age = now - rec.last_activity
    if is_idle_queued_stall(rec, activity, warn_ms):
        return activity.progress_age_ms if activity.progress_age_ms is not None else age
    if rec.state == "processing" and age > warn_ms:
        return age
    return None


# The attention events passes_throttle backs off, noting each emission on the record.
THROTTLED: frozenset[str] = frozenset({STUCK, LONG_RUNNING})


def passes_throttle(rec: SessionRecord, cls: Classification, age_ms: int, warn_ms: int) -> bool:
    """session.stuck and session.long_running back off; session.stalled never does.

    Records the emission on the record when it passes (the throttle is state openclaw keeps
    on the record itself).
    """
    if cls.event_type == STUCK:
        last = rec.last_stuck_warn_age
    elif cls.event_type == LONG_RUNNING:
        last = rec.last_long_running_warn_age
    else:
        return True
    next_age = warn_ms if last is None else max(last + warn_ms, last * 2)
    if age_ms < next_age:
        return False
    if cls.event_type == STUCK:
        rec.last_stuck_warn_age = age_ms
    else:
        rec.last_long_running_warn_age = age_ms
    return True


def is_active_abort_eligible(
    cls: Classification, activity: ActivitySnapshot, age_ms: int, abort_ms: int
) -> bool:
    if cls.event_type != STALLED:
        return False
    if (
        cls.classification == "stalled_agent_run"
        and cls.active_work_kind == "embedded_run"
        and age_ms >= abort_ms
    ):
        return True
    if (
        cls.classification == "blocked_tool_call"
        and cls.active_work_kind == "tool_call"
        and activity.tool_age_ms is not None
        and activity.progress_age_ms is not None
        and activity.tool_age_ms >= abort_ms
        and activity.progress_age_ms >= abort_ms
    ):
        return True
    return (
        cls.classification == "stalled_agent_run"
        and cls.active_work_kind == "model_call"
        and activity.has_active_embedded_run
        and activity.progress_age_ms is not None
        and activity.progress_age_ms >= abort_ms
    )


# The blocked-tool abort floor (BLOCKED_TOOL_CALL_ABORT_FLOOR_MS, switch blocked-tool-floor).
BLOCKED_TOOL_ABORT_FLOOR_MS = 900_000


def is_active_abort_eligible_as(
    behaviour: Behaviour,
    cls: Classification,
    activity: ActivitySnapshot,
    age_ms: int,
    abort_ms: int,
    now: int | None = None,
) -> bool:
    """isActiveAbortRecoveryEligible with a version's switches (F34, F08, F35, F41).

    `now`: the wall clock (a late tick observes ages earlier), against which a tool call's
    recorded deadline is read (switch tool-deadline)."""
    if cls.event_type != STALLED:
        return False
    progress_age = activity.progress_age_ms
    timeout = activity.request_timeout_ms
    repeated = activity.repeated_age_ms
    if (
        behaviour.repeated_requests
        and repeated is not None
        and cls.classification == "stalled_agent_run"
        and activity.has_active_embedded_run
        and repeated >= (abort_ms if timeout is None else max(abort_ms, timeout))
        and (timeout is None or (progress_age or 0) >= timeout)
    ):
        # Repeated request attempts past the abort threshold (and any request's timeout),
        # whatever the run's own progress: judged before a backend's allowance.
        return True
    backend = activity.backend_deadline_at
    if (
        behaviour.backend_liveness
        and backend is not None
        and now is not None
        and now < backend
        and cls.classification == "stalled_agent_run"
    ):
        # resolveRunStaleThresholdMs: a run's progress must be as old as age + the backend's
        # deadline - now, so nothing before the no-output allowance runs out (not a tool's).
        return False
    if cls.classification == "stalled_agent_run" and cls.active_work_kind == "embedded_run":
        if behaviour.embedded_abort_by_progress:
            return progress_age is not None and progress_age >= abort_ms
        return age_ms >= abort_ms
    if cls.classification == "blocked_tool_call" and cls.active_work_kind == "tool_call":
        deadline = activity.tool_deadline_at
        if behaviour.tool_deadline and deadline is not None and now is not None:
            # resolveRunStaleThresholdMs: progress age >= age + deadline - now, that is the
            # deadline has passed; the tool's own age no longer counts.
            return activity.tool_age_ms is not None and now >= deadline
        floor = abort_ms
        if behaviour.blocked_tool_floor:
            floor = max(abort_ms, BLOCKED_TOOL_ABORT_FLOOR_MS)
        tool_age = activity.tool_age_ms
        return (
            tool_age is not None
            and progress_age is not None
            and tool_age >= floor
            and progress_age >= floor
        )
    # A timed model call (switch model-request-timeout) waits out its request timeout too;
    # only a running request declares one, so only a model call's abort reads it.
    return (
        cls.classification == "stalled_agent_run"
        and cls.active_work_kind == "model_call"
        and (behaviour.model_call_abort_without_run or activity.has_active_embedded_run)
        and progress_age is not None
        and progress_age >= (abort_ms if timeout is None else max(abort_ms, timeout))
    )


def build_request(
    rec: SessionRecord,
    cls: Classification,
    activity: ActivitySnapshot,
    age_ms: int,
    abort_ms: int,
) -> RecoveryRequest | None:
    """Recovery-eligible requests carry the abort threshold; active-abort ones allow abort."""
    if cls.recovery_eligible:
        return RecoveryRequest(
            rec.ref, rec.state, rec.generation, age_ms, rec.queue_depth, False, abort_ms
        )
    if is_active_abort_eligible(cls, activity, age_ms, abort_ms):
        return RecoveryRequest(rec.ref, rec.state, rec.generation, age_ms, rec.queue_depth, True)
    return None
