"""Run activity (what the heartbeat sees) and run handles (what the runtime sees)."""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True, slots=True, init=False)
class ActivitySnapshot:
    """getDiagnosticSessionActivitySnapshot: None where openclaw's field is undefined."""

    work_kind: WorkKind | None = None
    has_active_embedded_run: bool = False
    tool_age_ms: int | None = None
    progress_age_ms: int | None = None
    progress_reason: str | None = None

    def __init__(
        self,
        work_kind: WorkKind | None = None,
        has_active_embedded_run: bool = False,
        tool_age_ms: int | None = None,
        progress_age_ms: int | None = None,
        progress_reason: str | None = None,
    ) -> None:
        # The heartbeat takes one per record it visits (see probe.model.frozen).
        s_kind, s_run, s_tool, s_progress, s_reason = _SNAPSHOT_SLOTS
        s_kind(self, work_kind)
        s_run(self, has_active_embedded_run)
        s_tool(self, tool_age_ms)
        s_progress(self, progress_age_ms)
        s_reason(self, progress_reason)


_SNAPSHOT_SLOTS = slot_setters(
    ActivitySnapshot,
    "work_kind",
    "has_active_embedded_run",
    "tool_age_ms",
    "progress_age_ms",
    "progress_reason",
)
NO_ACTIVITY = ActivitySnapshot()


NO_MARKERS: tuple[str, ...] = ()
NO_TOOLS: tuple[tuple[str, int], ...] = ()


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

    def __init__(
        self,
        embedded_runs: tuple[str, ...],
        tools: tuple[tuple[str, int], ...],
        model_calls: tuple[str, ...],
        last_progress_at: int,
        last_progress_reason: str,
    ) -> None:
        # A run's end and every progress report make a new one (see probe.model.frozen).
        s_run, s_tool, s_model, s_at, s_reason = _ACTIVITY_SLOTS
        s_run(self, embedded_runs)
        s_tool(self, tools)
        s_model(self, model_calls)
        s_at(self, last_progress_at)
        s_reason(self, last_progress_reason)

    @property
    def embedded_run(self) -> bool:
        return bool(self.embedded_runs)

    @property
    def model_call(self) -> bool:
        return bool(self.model_calls)

    @property
    def tool_started_at(self) -> int | None:
        """When the oldest active tool call started (the one openclaw reports)."""
        tools = self.tools
        if not tools:
            return None
        return min(started for _, started in tools)

    @property
    def has_work(self) -> bool:
        return bool(self.embedded_runs or self.tools or self.model_calls)

    def snapshot(self, now: int) -> ActivitySnapshot:
        kind: WorkKind | None
        if self.tools:
            kind = "tool_call"
        elif self.model_calls:
            kind = "model_call"
        elif self.embedded_runs:
            kind = "embedded_run"
        else:
            kind = None
        started = self.tool_started_at
        progress_age = now - self.last_progress_at
        return ActivitySnapshot(
            kind,
            bool(self.embedded_runs),
            None if started is None else max(0, now - started),
            progress_age if progress_age > 0 else 0,  # max(0, ...), without the call
            self.last_progress_reason,
        )

    def ended(self, now: int) -> RunActivity:
        """markDiagnosticEmbeddedRunEnded for every run: the runs, tool and model calls go."""
        return RunActivity(NO_MARKERS, NO_TOOLS, NO_MARKERS, now, RUN_ENDED_REASON)

    def run_ended(self, now: int) -> RunActivity:
        """The owning run's own end (clearActiveEmbeddedRun): its marker, the tool and model
        calls go; embedded runs started under other ids stay."""
        runs = tuple(r for r in self.embedded_runs if r != MAIN_MARKER)
        return RunActivity(runs, NO_TOOLS, NO_MARKERS, now, RUN_ENDED_REASON)

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
        return RunActivity(runs, tools, models, now, reason)

    def stopped(self, kind: MarkerKind, marker: str, clear: bool, now: int) -> RunActivity:
        """A marker ends; touched even when it was not running, as openclaw does."""
        runs, tools, models = self.embedded_runs, self.tools, self.model_calls
        if kind == "embedded_run":
            runs, reason = tuple(r for r in runs if r != marker), RUN_ENDED_REASON
            if clear:
                tools, models = NO_TOOLS, NO_MARKERS
        elif kind == "tool_call":
            tools = tuple(t for t in tools if t[0] != marker)
            reason = f"tool:{TOOL_NAME}:ended"
        else:
            models, reason = tuple(m for m in models if m != marker), "model_call:ended"
        return RunActivity(runs, tools, models, now, reason)

    def marked(self, now: int, reason: str) -> RunActivity:
        """Progress reported at `now` for `reason`; the work itself unchanged."""
        return RunActivity(self.embedded_runs, self.tools, self.model_calls, now, reason)


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
)


@dataclass(frozen=True, slots=True)
class RunHandle:
    """An abortable run registered with the embedded runner: the session's owner.

    `replacing`: this run replaced (step `own`) the run that a recovery still waiting on the
    session asked to abort; the waiter's run is gone, its settle timer still pending.
    """

    abort: AbortAnswer
    replacing: bool = False
