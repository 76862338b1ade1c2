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
    Key,
    Progress,
    SessionSeed,
    Settings,
    Start,
    StateChange,
    Step,
    step_verb,
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
        if isinstance(step, Key):  # the keyed record is the id-only one, or both merged
            oldest[step.key] = max(oldest.get(step.key, 0), oldest[step.session])
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


# What a key step changes is the session store's record alone: run activity, run handles and
# the command lane find a session by its id and key, which the step changes under them.
_RECORD_ONLY = (
    "a key step re-keys or merges the session's record alone (run activity, run handles and "
    "the command lane find a session by its id and key, which the step changes under them)"
)


class KeyNames:
    """Which `key` steps the language can say, checked step by step as the loader reads them."""

    def __init__(self, sessions: list[SessionSeed] | tuple[SessionSeed, ...]) -> None:
        self.id_only = {s.ref for s in sessions if not s.keyed}
        self.keyed = {s.ref: s for s in sessions if s.keyed}
        self.ids = {s.session_id for s in sessions if s.session_id is not None}
        self.given: dict[str, str] = {}  # key -> the id-only session that got it

    def refuse(self, session: str, key: str, aliases: dict[str, str]) -> list[tuple[str, str]]:
        """(step key, why) for each reason the step cannot be said; records it when none."""
        found: list[tuple[str, str]] = []
        if session not in self.id_only:
            found.append(
                (
                    "session",
                    f"names no session without a key ({session!r}): only a session given "
                    "by its session_id alone (no ref) can learn one",
                )
            )
        elif session in aliases:
            found.append(("session", f"session {session!r} got its key at an earlier step"))
        if not key or key != key.strip():
            found.append(("key", "must be a non-empty key without surrounding white space"))
        elif key in self.id_only or key in self.ids:
            found.append(("key", f"{key!r} is a session's id, not a key"))
        elif key in self.given:
            found.append(
                ("key", f"{key!r} was already given to session {self.given[key]!r}")
            )
        elif key in self.keyed and self.keyed[key].session_id is not None:
            found.append(
                (
                    "key",
                    f"merges into session {key!r}, which has a session_id of its own: the "
                    f"merged record holds {session!r} instead, so a call naming that id "
                    "alone would make a new record; give it no session_id",
                )
            )
        if not found:
            self.given[key] = session
        return found


def keyed_session_misuse(
    sessions: list[SessionSeed] | tuple[SessionSeed, ...],
    steps: list[Step] | tuple[Step, ...],
) -> list[tuple[int, str, str]]:
    """(1-based step, step key, why) where a session a key step names has more than a record."""
    involved: dict[str, int] = {}
    for number, step in enumerate(steps, start=1):
        if isinstance(step, Key):
            involved.setdefault(step.session, number)
            involved.setdefault(step.key, number)
    if not involved:
        return []
    found: list[tuple[int, str, str]] = []
    for seed in sessions:
        if seed.ref in involved and (seed.owner != "none" or seed.work != "none"):
            number = involved[seed.ref]
            first = steps[number - 1]
            key = "session" if isinstance(first, Key) and first.session == seed.ref else "key"
            found.append(
                (number, key, f"session {seed.ref!r} is seeded with a run or work: {_RECORD_ONLY}")
            )
    for number, step in enumerate(steps, start=1):
        name = getattr(step, "session", None)
        if name not in involved or isinstance(step, (Key, Bump, StateChange)):
            continue
        if isinstance(step, Progress) and step.target == "record":
            continue
        # Every other verb reaches run activity, a run handle, a lane or a backend owner.
        verb = step_verb(step)
        found.append((number, "session", f"a {verb} step names session {name!r}: {_RECORD_ONLY}"))
    return found
