"""Run activity (what the heartbeat sees) and run handles (what the runtime sees)."""

from __future__ import annotations

from dataclasses import dataclass

from probe.scenario import AbortAnswer, WorkKind

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


@dataclass(frozen=True, slots=True)
class ActivitySnapshot:
    """getDiagnosticSessionActivitySnapshot: None where openclaw's field is undefined."""

    work_kind: WorkKind | None = None
    has_active_embedded_run: bool = False
    tool_age_ms: int | None = None
    progress_age_ms: int | None = None
    progress_reason: str | None = None


NO_ACTIVITY = ActivitySnapshot()


@dataclass(frozen=True, slots=True)
class RunActivity:
    """Immutable: a change makes a new one, so that saved states and clones share them."""

    embedded_run: bool
    tool_started_at: int | None
    model_call: bool
    last_progress_at: int
    last_progress_reason: str

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
        return ActivitySnapshot(
            work_kind=kind,
            has_active_embedded_run=self.embedded_run,
            tool_age_ms=None
            if self.tool_started_at is None
            else max(0, now - self.tool_started_at),
            progress_age_ms=max(0, now - self.last_progress_at),
            progress_reason=self.last_progress_reason,
        )

    def ended(self, now: int) -> RunActivity:
        """markDiagnosticEmbeddedRunEnded: the run, its tool and model calls all go."""
        return RunActivity(False, None, False, now, RUN_ENDED_REASON)

    def marked(self, now: int, reason: str) -> RunActivity:
        """Progress reported at `now` for `reason`; the work itself unchanged."""
        return RunActivity(self.embedded_run, self.tool_started_at, self.model_call, now, reason)


@dataclass(frozen=True, slots=True)
class RunHandle:
    """An abortable run registered with the embedded runner: the session's owner."""

    abort: AbortAnswer
