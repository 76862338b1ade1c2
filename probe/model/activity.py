"""Run activity (what the heartbeat sees) and run handles (what the runtime sees)."""

from __future__ import annotations

from dataclasses import dataclass

from probe.model.frozen import slot_setters
from probe.scenario.values import AbortAnswer, WorkKind

TERMINAL_PROGRESS_MARKERS = (
    "response.completed",
    "rawResponseItem/completed",
    "raw_response_item.completed",
    "output_item.done",
)
RUN_ENDED_REASON = "embedded_run:ended"


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


@dataclass(frozen=True, slots=True, init=False)
class RunActivity:
    """Immutable: a change makes a new one, so that saved states and clones share them."""

    embedded_run: bool
    tool_started_at: int | None
    model_call: bool
    last_progress_at: int
    last_progress_reason: str

    def __init__(
        self,
        embedded_run: bool,
        tool_started_at: int | None,
        model_call: bool,
        last_progress_at: int,
        last_progress_reason: str,
    ) -> None:
        # A run's end and every progress report make a new one (see probe.model.frozen).
        s_run, s_tool, s_model, s_at, s_reason = _ACTIVITY_SLOTS
        s_run(self, embedded_run)
        s_tool(self, tool_started_at)
        s_model(self, model_call)
        s_at(self, last_progress_at)
        s_reason(self, last_progress_reason)

    def snapshot(self, now: int) -> ActivitySnapshot:
        kind: WorkKind | None
        if self.tool_started_at is not None:
            kind = "tool_call"
        elif self.model_call:
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
        )

    def ended(self, now: int) -> RunActivity:
        """markDiagnosticEmbeddedRunEnded: the run, its tool and model calls all go."""
        return RunActivity(False, None, False, now, RUN_ENDED_REASON)

    def marked(self, now: int, reason: str) -> RunActivity:
        """Progress reported at `now` for `reason`; the work itself unchanged."""
        return RunActivity(self.embedded_run, self.tool_started_at, self.model_call, now, reason)


_ACTIVITY_SLOTS = slot_setters(
    RunActivity,
    "embedded_run",
    "tool_started_at",
    "model_call",
    "last_progress_at",
    "last_progress_reason",
)


@dataclass(frozen=True, slots=True)
class RunHandle:
    """An abortable run registered with the embedded runner: the session's owner."""

    abort: AbortAnswer
