"""Steps that name a keyed session by its session_id: where openclaw finds the record by the id.

openclaw's getDiagnosticSessionState resolves a call that passes only a sessionId to the record
holding that id (an alias of its key) while the record exists. Once the record is pruned (idle,
nothing queued, quiet past the 30 min TTL; or the oldest past 2 000 records), the id-only call
creates a second record under the id, which the session's next keyed call re-keys or merges.
probe models the first and refuses the second; `forgettable` says which steps could meet it.
"""

from __future__ import annotations

from probe.model.state import MAX_ENTRIES, SESSION_STATE_TTL_MS
from probe.scenario.timeline import timeline_of
from probe.scenario.values import (
    Bump,
    End,
    Progress,
    SessionSeed,
    Settings,
    Start,
    StateChange,
    Step,
)

# The verbs whose call a step may make with the session's id alone. A release ends the
# session's own run handle whatever name the step gives it, so it has no id-only form.
ID_STEPS = (Bump, StateChange, Progress, Start, End)


def by_id(sessions: list[SessionSeed] | tuple[SessionSeed, ...]) -> dict[str, str]:
    """Each keyed session's own session_id -> its ref."""
    return {s.session_id: s.ref for s in sessions if s.keyed and s.session_id is not None}


def via_of(step: Step) -> str | None:
    """The id an id-only step passes alone, or None."""
    return step.via if isinstance(step, ID_STEPS) else None


def forgettable(
    settings: Settings,
    sessions: list[SessionSeed] | tuple[SessionSeed, ...],
    steps: list[Step] | tuple[Step, ...],
) -> list[tuple[int, str]]:
    """(1-based step, why) for each id-only step whose session's record may be gone by then.

    The clock at each step is exact (the timeline); the record's oldest activity is bounded by
    the session's seeding age and any back-dated progress of its record.
    """
    if not any(via_of(s) is not None for s in steps):
        return []
    oldest = {s.ref: s.progress_age_ms for s in sessions}
    for step in steps:
        if isinstance(step, Progress) and step.target != "run" and step.session in oldest:
            oldest[step.session] = max(oldest[step.session], step.ago_ms)
    clock = timeline_of(settings, tuple(steps))
    found: list[tuple[int, str]] = []
    for number, step in enumerate(steps, start=1):
        if via_of(step) is None or not isinstance(step, ID_STEPS):
            continue
        ref, at = step.session, clock.at_step(number)
        if len(sessions) > MAX_ENTRIES:
            why = (
                f"names session {ref!r} by its session_id, but with more than {MAX_ENTRIES} "
                "sessions openclaw may have forgotten its record"
            )
        elif at + oldest[ref] > SESSION_STATE_TTL_MS:
            why = (
                f"names session {ref!r} by its session_id at t={at} ms, but its record may be "
                f"forgotten by then (idle and quiet for {SESSION_STATE_TTL_MS} ms since "
                f"t=-{oldest[ref]} ms)"
            )
        else:
            continue
        found.append(
            (
                number,
                f"{why}: openclaw would then make a second record under the id, "
                "which probe does not model",
            )
        )
    return found
