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


def progress_fields(snap: ActivitySnapshot) -> dict[str, str | bool | None]:
    """What an attention event carries of run progress (sessionAttentionFields, every era).

    The last progress reason, and `terminalProgressStale` when that reason is terminal: a run
    whose last word was its end, still holding the session.
    """
    reason = snap.progress_reason
    return {
        "lastProgressReason": reason or None,
        "terminalProgressStale": True if is_terminal_progress_reason(reason) else None,
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

    def __init__(
        self,
        work_kind: WorkKind | None = None,
        has_active_embedded_run: bool = False,
        tool_age_ms: int | None = None,
        progress_age_ms: int | None = None,
        progress_reason: str | None = None,
        request_timeout_ms: int | None = None,
    ) -> None:
        # The heartbeat takes one per record it visits (see probe.model.frozen).
        s_kind, s_run, s_tool, s_progress, s_reason, s_timeout = _SNAPSHOT_SLOTS
        s_kind(self, work_kind)
        s_run(self, has_active_embedded_run)
        s_tool(self, tool_age_ms)
        s_progress(self, progress_age_ms)
        s_reason(self, progress_reason)
        s_timeout(self, request_timeout_ms)


_SNAPSHOT_SLOTS = slot_setters(
    ActivitySnapshot,
    "work_kind",
    "has_active_embedded_run",
    "tool_age_ms",
    "progress_age_ms",
    "progress_reason",
    "request_timeout_ms",
)
NO_ACTIVITY = ActivitySnapshot()


NO_MARKERS: tuple[str, ...] = ()
NO_TOOLS: tuple[tuple[str, int], ...] = ()


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

    def __init__(
        self,
        embedded_runs: tuple[str, ...],
        tools: tuple[tuple[str, int], ...],
        model_calls: tuple[str, ...],
        last_progress_at: int,
        last_progress_reason: str,
        requests: tuple[Request, ...] = NO_REQUESTS,
    ) -> None:
        # A run's end and every progress report make a new one (see probe.model.frozen).
        s_run, s_tool, s_model, s_at, s_reason, s_requests = _ACTIVITY_SLOTS
        s_run(self, embedded_runs)
        s_tool(self, tools)
        s_model(self, model_calls)
        s_at(self, last_progress_at)
        s_reason(self, last_progress_reason)
        s_requests(self, requests)

    @property
    def embedded_run(self) -> bool:
        return bool(self.embedded_runs) or any(r.run for r in self.requests)

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
        return bool(self.embedded_runs or self.tools or self.model_calls) or any(
            r.run or r.call for r in self.requests
        )

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
        )

    def _calls_cleared(self) -> tuple[Request, ...]:
        """Every core model request goes (activeCoreModelCalls.clear()); owners stay."""
        return tuple(r._replace(call=False) for r in self.requests)

    def ended(self, now: int) -> RunActivity:
        """markDiagnosticEmbeddedRunEnded for every run: the runs, tool and model calls go.

        As clearDiagnosticEmbeddedRunActivityForSession: request owners stay registered, their
        runs and calls gone."""
        requests = tuple(r._replace(run=False, call=False) for r in self.requests)
        return RunActivity(NO_MARKERS, NO_TOOLS, NO_MARKERS, now, RUN_ENDED_REASON, requests)

    def run_ended(self, now: int) -> RunActivity:
        """The owning run's own end (clearActiveEmbeddedRun): its marker, the tool and model
        calls go; embedded runs started under other ids (request owners' too) stay."""
        runs = tuple(r for r in self.embedded_runs if r != MAIN_MARKER)
        return RunActivity(
            runs, NO_TOOLS, NO_MARKERS, now, RUN_ENDED_REASON, self._calls_cleared()
        )

    def started(self, kind: MarkerKind, marker: str, now: int) -> RunActivity:
        """A marker starts (tool.execution.started, model.call.started,
        markDiagnosticEmbeddedRunStarted): progress touched with the start's reason."""
        runs, tools, models = self.embedded_runs, self.tools, self.model_calls
        if kind == "embedded_run":
            runs, reason = _with(runs, marker), "embedded_run:started"
        elif kind == "tool_call":
            kept = tuple(t for t in tools if t[0] != marker)
            tools, reason = tuple(sorted((*kept, (marker, now)))), f"tool:{TOOL_NAME}:started"
        else:
            models, reason = _with(models, marker), "model_call:started"
        return RunActivity(runs, tools, models, now, reason, self.requests)

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
            self.embedded_runs, tools, self.model_calls, at, reason, requests
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
        return RunActivity(runs, tools, models, now, reason, requests)

    def marked(self, now: int, reason: str) -> RunActivity:
        """Progress reported at `now` for `reason`; the work itself unchanged."""
        return RunActivity(
            self.embedded_runs, self.tools, self.model_calls, now, reason, self.requests
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
)


@dataclass(frozen=True, slots=True)
class RunHandle:
    """An abortable run registered with the embedded runner: the session's owner.

    `replacing`: this run replaced (step `own`) the run that a recovery still waiting on the
    session asked to abort; the waiter's run is gone, its settle timer still pending.
    """

    abort: AbortAnswer
    replacing: bool = False
