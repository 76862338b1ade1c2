"""Run activity (what the heartbeat sees) and run handles (what the runtime sees)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from probe.model.frozen import slot_setters
from probe.scenario.values import MAIN_MARKER, AbortAnswer, MarkerKind, WorkKind

TERMINAL_PROGRESS_MARKERS = (
    "response.completed",
    "rawResponseItem/completed",
    "raw_response_item.completed",
    "output_item.done",
)
RUN_ENDED_REASON = "embedded_run:ended"
# The progress reason when a recovery's clear keeps an embedded run that started after it.
RECOVERY_SKIPPED_ACTIVE_OWNER = "embedded_run:recovery_skipped_active_owner"


def is_terminal_progress_reason(reason: str | None) -> bool:
    if not reason:
        return False
    if reason in ("run:completed", RUN_ENDED_REASON):
        return True
    # A loop, not any() over a generator: the heartbeat asks for every record it visits.
    for marker in TERMINAL_PROGRESS_MARKERS:  # noqa: SIM110
        if marker in reason:
            return True
    return False


def progress_fields(snap: ActivitySnapshot) -> dict[str, str | bool | int | None]:
    """What an attention event carries of run progress (sessionAttentionFields, every era).

    The last progress reason, and `terminalProgressStale` when that reason is terminal: a run
    whose last word was its end, still holding the session.
    """
    reason = snap.progress_reason
    return {
        "lastProgressReason": reason or None,
        "terminalProgressStale": True if is_terminal_progress_reason(reason) else None,
        # Where the version counts request attempts (switch repeated-requests) and there are.
        "repeatedRequestNoProgressAgeMs": snap.repeated_age_ms,
    }


@dataclass(frozen=True, slots=True, init=False)
class ActivitySnapshot:
    """getDiagnosticSessionActivitySnapshot: None where openclaw's field is undefined."""

    work_kind: WorkKind | None = None
    has_active_embedded_run: bool = False
    tool_age_ms: int | None = None
    progress_age_ms: int | None = None
    progress_reason: str | None = None
    # activeModelCallRequestTimeoutMs: the longest timeout of the running timed model calls.
    request_timeout_ms: int | None = None
    # activeToolDeadlineAtMs (switch tool-deadline): the instant the running tool calls'
    # recorded deadlines let recovery act (an absolute clock value, not an age).
    tool_deadline_at: int | None = None
    # activeBackendLivenessDeadlineAtMs (switch backend-liveness): when the backend's
    # no-output allowance runs out (an absolute clock value).
    backend_deadline_at: int | None = None
    # repeatedRequestNoProgressAgeMs (switch repeated-requests): how long ago the first of
    # two or more request attempts of the session's run came, with no semantic progress since.
    repeated_age_ms: int | None = None

    def __init__(
        self,
        work_kind: WorkKind | None = None,
        has_active_embedded_run: bool = False,
        tool_age_ms: int | None = None,
        progress_age_ms: int | None = None,
        progress_reason: str | None = None,
        request_timeout_ms: int | None = None,
        tool_deadline_at: int | None = None,
        backend_deadline_at: int | None = None,
        repeated_age_ms: int | None = None,
    ) -> None:
        # The heartbeat takes one per record it visits (see probe.model.frozen).
        s_kind, s_run, s_tool, s_progress, s_reason, s_timeout, s_deadline, s_backend, s_rep = (
            _SNAPSHOT_SLOTS
        )
        s_kind(self, work_kind)
        s_run(self, has_active_embedded_run)
        s_tool(self, tool_age_ms)
        s_progress(self, progress_age_ms)
        s_reason(self, progress_reason)
        s_timeout(self, request_timeout_ms)
        s_deadline(self, tool_deadline_at)
        s_backend(self, backend_deadline_at)
        s_rep(self, repeated_age_ms)


_SNAPSHOT_SLOTS = slot_setters(
    ActivitySnapshot,
    "work_kind",
    "has_active_embedded_run",
    "tool_age_ms",
    "progress_age_ms",
    "progress_reason",
    "request_timeout_ms",
    "tool_deadline_at",
    "backend_deadline_at",
    "repeated_age_ms",
)
NO_ACTIVITY = ActivitySnapshot()


NO_MARKERS: tuple[str, ...] = ()
NO_TOOLS: tuple[tuple[str, int], ...] = ()
# The running tool calls in the order openclaw's map holds them (first start first; a restart
# keeps its place), each with the recovery deadline its execution recorded, or None.
ToolOrder = tuple[tuple[str, int | None], ...]
NO_TOOL_ORDER: ToolOrder = ()
# resolveToolExecutionRecoveryDeadlineAtMs: a command's deadline is given the ordinary
# stalled-tool window (BLOCKED_TOOL_CALL_ABORT_FLOOR_MS) before recovery may act.
TOOL_DEADLINE_GRACE_MS = 900_000


class Request(NamedTuple):
    """A timed model call: a core model request under a run owner of its own (8.1-beta.3+).

    openclaw registers the owner with an embedded run of its own (`run`) and the request in it
    (`call`); the registration outlives both until the owner is closed (the call's `end`).
    """

    id: str
    timeout_ms: int
    run: bool
    call: bool


NO_REQUESTS: tuple[Request, ...] = ()


class BackendAttempt(NamedTuple):
    """The session's backend attempt (beginDiagnosticBackendActivity, 2026.9.6), under a run
    owner of its own whose embedded run (`run`) must be active for the allowance to count."""

    run: bool
    open: bool  # not closed
    deadline_at: int  # when the no-output allowance runs out
    quiet_ms: int  # the allowance in force (outstanding work raises it to the floor)
    allowance_ms: int  # the allowance the attempt began with


class Repeated(NamedTuple):
    """The session's run's model request attempts since its last semantic progress (switch
    repeated-requests): when the first came and how many (repeatedRequestFirstStartedAt,
    repeatedRequestCount). The loader keeps every run of such a session under the session's
    own id, so the count is always the current run's (probe/scenario/attempts.py)."""

    first_at: int
    attempts: int


# setOutstandingWork(true): the allowance is raised to BLOCKED_TOOL_CALL_ABORT_FLOOR_MS.
BACKEND_OUTSTANDING_FLOOR_MS = 900_000


@dataclass(frozen=True, slots=True, init=False)
class RunActivity:
    """Immutable: a change makes a new one, so that saved states and clones share them.

    The active work markers, each by its id (openclaw keys them by work key, tool call and
    model call), sorted by id: embedded runs, tool calls with when each started, model calls.
    """

    embedded_runs: tuple[str, ...]
    tools: tuple[tuple[str, int], ...]
    model_calls: tuple[str, ...]
    last_progress_at: int
    last_progress_reason: str
    requests: tuple[Request, ...]
    # The tool calls' start order and deadlines (see ToolOrder): same ids as `tools`.
    tool_order: ToolOrder
    # The backend attempt, once one began (switch backend-liveness).
    backend: BackendAttempt | None
    # The run's request attempts since its last semantic progress (switch repeated-requests).
    repeated: Repeated | None

    def __init__(
        self,
        embedded_runs: tuple[str, ...],
        tools: tuple[tuple[str, int], ...],
        model_calls: tuple[str, ...],
        last_progress_at: int,
        last_progress_reason: str,
        requests: tuple[Request, ...] = NO_REQUESTS,
        tool_order: ToolOrder | None = None,
        backend: BackendAttempt | None = None,
        repeated: Repeated | None = None,
    ) -> None:
        # A run's end and every progress report make a new one (see probe.model.frozen).
        s_run, s_tool, s_model, s_at, s_reason, s_requests, s_order, s_backend, s_repeated = (
            _ACTIVITY_SLOTS
        )
        s_run(self, embedded_runs)
        s_tool(self, tools)
        s_model(self, model_calls)
        s_at(self, last_progress_at)
        s_reason(self, last_progress_reason)
        s_requests(self, requests)
        # Not given: the tools in id order, none with a deadline (seeding, fresh filters).
        s_order(self, tuple((t, None) for t, _ in tools) if tool_order is None else tool_order)
        s_backend(self, backend)
        s_repeated(self, repeated)

    def _order_kept(self, tools: tuple[tuple[str, int], ...]) -> ToolOrder:
        """The start order of the tool calls still in `tools`."""
        if tools is self.tools:
            return self.tool_order
        ids = {t for t, _ in tools}
        return tuple(entry for entry in self.tool_order if entry[0] in ids)

    def tool_deadline_at(self) -> int | None:
        """activeToolDeadlineAtMs as 2026.9.6 reads it: under an embedded run (the session's
        own: the loader keeps request owners apart), the latest deadline of its tool calls;
        with none, the oldest tool call's (first started among equals)."""
        order = self.tool_order
        if not order or all(d is None for _, d in order):
            return None
        if self.embedded_run:
            return max(d for _, d in order if d is not None)
        started = dict(self.tools)
        oldest = min(order, key=lambda entry: started[entry[0]])  # min keeps the first
        return oldest[1]

    @property
    def embedded_run(self) -> bool:
        backend = self.backend
        return (
            bool(self.embedded_runs)
            or any(r.run for r in self.requests)
            or (backend is not None and backend.run)
        )

    @property
    def model_call(self) -> bool:
        return bool(self.model_calls) or any(r.call for r in self.requests)

    @property
    def tool_started_at(self) -> int | None:
        """When the oldest active tool call started (the one openclaw reports)."""
        tools = self.tools
        if not tools:
            return None
        return min(started for _, started in tools)

    @property
    def has_work(self) -> bool:
        backend = self.backend
        return (
            bool(self.embedded_runs or self.tools or self.model_calls)
            or any(r.run or r.call for r in self.requests)
            or (backend is not None and backend.run)
        )

    def backend_deadline_at(self) -> int | None:
        """activeBackendLivenessDeadlineAtMs: an open attempt's, while its owner's run is."""
        backend = self.backend
        if backend is None or not backend.run or not backend.open:
            return None
        return backend.deadline_at

    def _backend_as(self, backend: BackendAttempt, at: int, reason: str) -> RunActivity:
        return RunActivity(
            self.embedded_runs,
            self.tools,
            self.model_calls,
            at,
            reason,
            self.requests,
            self.tool_order,
            backend,
            self.repeated,
        )

    def backend_begun(self, allowance_ms: int, now: int) -> RunActivity:
        """The owner's embedded run starts (markDiagnosticEmbeddedRunStarted with the owner:
        progress embedded_run:started), then the attempt, allowing allowance_ms of silence."""
        attempt = BackendAttempt(True, True, now + allowance_ms, allowance_ms, allowance_ms)
        return self._backend_as(attempt, now, "embedded_run:started")

    def backend_output(self, model_progress: bool, now: int) -> RunActivity:
        """observeOutput: the allowance restarts; model progress is progress unless a tool
        call runs. Nothing while no attempt counts."""
        backend = self.backend
        if backend is None or self.backend_deadline_at() is None:
            return self
        attempt = backend._replace(deadline_at=now + backend.quiet_ms)
        if model_progress and not self.tools:
            return self._backend_as(attempt, now, "model_call:stream_progress")
        return self._backend_as(attempt, self.last_progress_at, self.last_progress_reason)

    def backend_outstanding(self, active: bool) -> RunActivity:
        """setOutstandingWork: the allowance in force becomes max(allowance, 900 000 ms) while
        work is outstanding, the attempt's own otherwise; the deadline moves by the change."""
        backend = self.backend
        if backend is None or self.backend_deadline_at() is None:
            return self
        allowance = backend.allowance_ms
        if active:
            allowance = max(allowance, BACKEND_OUTSTANDING_FLOOR_MS)
        attempt = backend._replace(
            deadline_at=backend.deadline_at + allowance - backend.quiet_ms, quiet_ms=allowance
        )
        return self._backend_as(attempt, self.last_progress_at, self.last_progress_reason)

    def backend_closed(self) -> RunActivity:
        backend = self.backend
        if backend is None or not backend.open:
            return self
        return self._backend_as(
            backend._replace(open=False), self.last_progress_at, self.last_progress_reason
        )

    def _backend_run_gone(self) -> BackendAttempt | None:
        backend = self.backend
        return backend._replace(run=False) if backend is not None and backend.run else backend

    def snapshot(self, now: int) -> ActivitySnapshot:
        kind: WorkKind | None
        requests = self.requests
        timeout: int | None = None
        if requests:
            for r in requests:
                if r.call and (timeout is None or r.timeout_ms > timeout):
                    timeout = r.timeout_ms
        if self.tools:
            kind = "tool_call"
        elif self.model_calls or timeout is not None:
            kind = "model_call"
        elif self.embedded_run:
            kind = "embedded_run"
        else:
            kind = None
        started = self.tool_started_at
        progress_age = now - self.last_progress_at
        return ActivitySnapshot(
            kind,
            self.embedded_run,
            None if started is None else max(0, now - started),
            progress_age if progress_age > 0 else 0,  # max(0, ...), without the call
            self.last_progress_reason,
            timeout,
            self.tool_deadline_at() if self.tool_order else None,
            self.backend_deadline_at() if self.backend is not None else None,
            self._repeated_age(now),
        )

    def _repeated_age(self, now: int) -> int | None:
        """resolveRepeatedRequestNoProgressAgeMs: two attempts or more, while a run is active
        (the current owner, the session's own run: see Repeated)."""
        repeated = self.repeated
        if repeated is None or repeated.attempts < 2 or not self.embedded_runs:
            return None
        return max(0, now - repeated.first_at)

    def attempt_started(self, marker: str, now: int) -> RunActivity:
        """A request attempt of the session's run (markDiagnosticModelStartedForTest with
        observationUnit request, switch repeated-requests): counted for the run when one is
        active (recordRepeatedRequestObservation), then a model call starts as any other."""
        repeated = self.repeated
        if self.embedded_runs:
            if repeated is None:
                repeated = Repeated(now, 1)
            else:
                repeated = repeated._replace(attempts=repeated.attempts + 1)
        started = self.started("model_call", marker, now)
        return started if repeated is self.repeated else started._with_repeated(repeated)

    def semantic(self, now: int, reason: str) -> RunActivity:
        """Semantic progress of the session's run (touchSemanticSessionActivity): its request
        attempts are forgotten, then progress is touched as any run progress."""
        return self.marked(now, reason)._with_repeated(None)

    def semantic_cleared(self) -> RunActivity:
        """The run's request attempts forgotten, nothing else touched."""
        return self._with_repeated(None)

    def _with_repeated(self, repeated: Repeated | None) -> RunActivity:
        if repeated is self.repeated:
            return self
        return RunActivity(
            self.embedded_runs,
            self.tools,
            self.model_calls,
            self.last_progress_at,
            self.last_progress_reason,
            self.requests,
            self.tool_order,
            self.backend,
            repeated,
        )

    def _calls_cleared(self) -> tuple[Request, ...]:
        """Every core model request goes (activeCoreModelCalls.clear()); owners stay."""
        return tuple(r._replace(call=False) for r in self.requests)

    def ended(self, now: int) -> RunActivity:
        """markDiagnosticEmbeddedRunEnded for every run: the runs, tool and model calls go.

        As clearDiagnosticEmbeddedRunActivityForSession: request owners stay registered, their
        runs and calls gone."""
        requests = tuple(r._replace(run=False, call=False) for r in self.requests)
        return RunActivity(
            NO_MARKERS,
            NO_TOOLS,
            NO_MARKERS,
            now,
            RUN_ENDED_REASON,
            requests,
            None,
            self._backend_run_gone(),
        )

    def run_ended(self, now: int) -> RunActivity:
        """The owning run's own end (clearActiveEmbeddedRun): its marker, the tool and model
        calls go; embedded runs started under other ids (request owners' too) stay."""
        runs = tuple(r for r in self.embedded_runs if r != MAIN_MARKER)
        return RunActivity(
            runs,
            NO_TOOLS,
            NO_MARKERS,
            now,
            RUN_ENDED_REASON,
            self._calls_cleared(),
            None,
            self.backend,
            self.repeated,
        )

    def started(
        self, kind: MarkerKind, marker: str, now: int, deadline_at: int | None = None
    ) -> RunActivity:
        """A marker starts (tool.execution.started, model.call.started,
        markDiagnosticEmbeddedRunStarted): progress touched with the start's reason.

        A tool call's `deadline_at`: the recovery deadline its execution records (switch
        tool-deadline); a restart replaces it and keeps the call's place in the start order."""
        runs, tools, models = self.embedded_runs, self.tools, self.model_calls
        order = self.tool_order
        if kind == "embedded_run":
            runs, reason = _with(runs, marker), "embedded_run:started"
        elif kind == "tool_call":
            kept = tuple(t for t in tools if t[0] != marker)
            tools, reason = tuple(sorted((*kept, (marker, now)))), f"tool:{TOOL_NAME}:started"
            if any(t == marker for t, _ in order):
                order = tuple((t, deadline_at if t == marker else d) for t, d in order)
            else:
                order = (*order, (marker, deadline_at))
        else:
            models, reason = _with(models, marker), "model_call:started"
        return RunActivity(
            runs, tools, models, now, reason, self.requests, order, self.backend, self.repeated
        )

    def request_started(self, marker: str, timeout_ms: int, now: int) -> RunActivity:
        """A timed model call starts: its owner's embedded run (markDiagnosticEmbeddedRunStarted
        with the owner), then the request (emitCoreModelRequestStartedDiagnosticEvent), one
        instant: progress model_call:started."""
        kept = tuple(r for r in self.requests if r.id != marker)
        requests = tuple(sorted((*kept, Request(marker, timeout_ms, True, True))))
        return RunActivity(
            self.embedded_runs,
            self.tools,
            self.model_calls,
            now,
            "model_call:started",
            requests,
            self.tool_order,
            self.backend,
            self.repeated,
        )

    def request_ended(self, marker: str, now: int, close_needs_run: bool) -> RunActivity:
        """A timed model call ends: the request's end, then its owner is closed.

        The end touches progress (model_call:ended) only if the request was still running; the
        close, if the owner is still registered, drops its run and every tool call of the session
        (they carry its session id) with progress embedded_run:ended. `close_needs_run` (switch
        request-close-needs-run): a close whose run is already gone does only that."""
        found = [r for r in self.requests if r.id == marker]
        if not found:
            return self
        request = found[0]
        requests = tuple(r for r in self.requests if r.id != marker)
        at, reason = self.last_progress_at, self.last_progress_reason
        if request.call:
            at, reason = now, "model_call:ended"
        tools = self.tools
        if request.run or not close_needs_run:
            tools, at, reason = NO_TOOLS, now, RUN_ENDED_REASON
        return RunActivity(
            self.embedded_runs,
            tools,
            self.model_calls,
            at,
            reason,
            requests,
            self._order_kept(tools),
            self.backend,
            self.repeated,
        )

    def stopped(self, kind: MarkerKind, marker: str, clear: bool, now: int) -> RunActivity:
        """A marker ends; touched even when it was not running, as openclaw does."""
        runs, tools, models = self.embedded_runs, self.tools, self.model_calls
        requests = self.requests
        if kind == "embedded_run":
            runs, reason = tuple(r for r in runs if r != marker), RUN_ENDED_REASON
            if clear:
                tools, models, requests = NO_TOOLS, NO_MARKERS, self._calls_cleared()
        elif kind == "tool_call":
            tools = tuple(t for t in tools if t[0] != marker)
            reason = f"tool:{TOOL_NAME}:ended"
        else:
            models, reason = tuple(m for m in models if m != marker), "model_call:ended"
        order = self._order_kept(tools)
        return RunActivity(
            runs, tools, models, now, reason, requests, order, self.backend, self.repeated
        )

    def marked(self, now: int, reason: str) -> RunActivity:
        """Progress reported at `now` for `reason`; the work itself unchanged."""
        return RunActivity(
            self.embedded_runs,
            self.tools,
            self.model_calls,
            now,
            reason,
            self.requests,
            self.tool_order,
            self.backend,
            self.repeated,
        )


# The tool name the harness's tool events carry (progress reasons tool:NAME:started/ended).
TOOL_NAME = "scenario_tool"


def _with(markers: tuple[str, ...], marker: str) -> tuple[str, ...]:
    return markers if marker in markers else tuple(sorted((*markers, marker)))


_ACTIVITY_SLOTS = slot_setters(
    RunActivity,
    "embedded_runs",
    "tools",
    "model_calls",
    "last_progress_at",
    "last_progress_reason",
    "requests",
    "tool_order",
    "backend",
    "repeated",
)


@dataclass(frozen=True, slots=True)
class RunHandle:
    """An abortable run registered with the embedded runner: the session's owner.

    `replacing`: this run replaced (step `own`) the run that a recovery still waiting on the
    session asked to abort; the waiter's run is gone, its settle timer still pending.
    """

    abort: AbortAnswer
    replacing: bool = False
