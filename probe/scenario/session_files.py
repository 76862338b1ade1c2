"""A session's session file (`session.session_file`, openclaw's sessionFile).

The record keeps it, the heartbeat passes it to the runtime (`sessionFile: state.sessionFile`),
and setActiveEmbeddedRun registers a run handle under it. The runtime falls back to the run
registered under the request's file when the session's key (and, keyless, its id) has none
(resolveActiveEmbeddedRunHandleSessionIdBySessionFile): a sibling session sharing the file of
a live run is left alone. Every published version from 2026.5.30-beta.1 does the same.

The model says what that fallback does when it leaves the run alone; where it would abort the
other session's run, or read the other session's run activity or reply work, it does not, so
those scenarios are refused here rather than modelled wrongly.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator, Sequence

from probe.scenario.values import (
    Advance,
    Backend,
    Bump,
    Key,
    Own,
    Progress,
    Recover,
    Reply,
    SessionSeed,
    Start,
    Step,
    Tick,
)

# The runtime's stale floor when a call names none (DEFAULT_STALE_PROGRESS_ABORT_MS).
STALE_FLOOR_MS = 300_000

# The builds resolve a file through the file system (path.resolve, realpath of its folder):
# a normalized absolute path under /tmp/ names one file however they resolve it.
FILE_ROOT = "/tmp/"
MAX_FILE_CHARS = 200


def session_file_of(
    value: str | None, where: str, add: Callable[[str, str], None]
) -> str | None:
    """The session's file as given, or None (with a located problem when it is not one)."""
    if value is None:
        return None
    if (
        len(value) > MAX_FILE_CHARS
        or not value.startswith(FILE_ROOT)
        or len(value) == len(FILE_ROOT)
        or posixpath.normpath(value) != value
        or any(c.isspace() for c in value)
    ):
        add(
            f"{where}.session_file",
            f"must be a normalized absolute path under {FILE_ROOT} of at most {MAX_FILE_CHARS} "
            'characters, without white space (e.g. "/tmp/openclaw-session.jsonl")',
        )
        return None
    return value


def shared_file_misuse(
    sessions: Sequence[SessionSeed], steps: Sequence[Step]
) -> Iterator[tuple[str, str]]:
    """(where, why) for each use of a shared session file the model does not say."""
    number_of = {s.ref: n for n, s in enumerate(sessions, start=1)}
    file_of = {s.ref: s.session_file for s in sessions if s.session_file is not None}
    for number, step in enumerate(steps, start=1):
        if isinstance(step, Key) and (step.session in file_of or step.key in file_of):
            yield (
                f"step[{number}].key",
                "a key step re-keys or merges records, whose session files openclaw merges "
                "too; probe does not model that: give neither session a session_file",
            )
    groups: dict[str, list[str]] = {}
    for ref, path in file_of.items():
        groups.setdefault(path, []).append(ref)
    for path, refs in groups.items():
        if len(refs) < 2:
            continue
        owners = [r for r in refs if _owns(r, sessions, steps)]
        if len(owners) > 1:
            yield (
                f"session[{number_of[owners[1]]}].session_file",
                f"sessions {owners[0]!r} and {owners[1]!r} both register runs under {path!r}: "
                "openclaw keeps one run per file, which probe does not model; one run per file",
            )
            continue
        if not owners:
            continue
        for ref in refs:
            if ref != owners[0]:
                yield from _sibling_misuse(ref, owners[0], path, number_of, sessions, steps)


def _owns(ref: str, sessions: Sequence[SessionSeed], steps: Sequence[Step]) -> bool:
    seeded = any(s.ref == ref and s.owner == "embedded_run" for s in sessions)
    return seeded or any(isinstance(s, Own) and s.session == ref for s in steps)


def _sibling_misuse(
    ref: str,
    owner: str,
    path: str,
    number_of: dict[str, int],
    sessions: Sequence[SessionSeed],
    steps: Sequence[Step],
) -> Iterator[tuple[str, str]]:
    """A sibling of a file's run: its recovery finds that run by the file and leaves it alone.

    The runtime reads the run's staleness through the sibling's key and the found run's id, and
    aborts the other session's run when allowed: neither is modelled, so the sibling has no run
    activity and no reply work of its own and no call allowing an active abort.
    """
    why = (
        f"session {ref!r} shares session file {path!r} with session {owner!r}'s run, which its "
        "recovery finds by the file; probe models only that the run is left alone, so the "
        "session may have no run activity, reply work or allow_active_abort recover of its own"
    )
    seed = sessions[number_of[ref] - 1]
    if seed.work != "none":
        yield (f"session[{number_of[ref]}].work", why)
    # Queued work: the runtime's stale check reads the found run's activity through the
    # sibling's key, which joins the two sessions' run activity from then on (a shared record
    # the model does not keep). Only a direct call where no time passes and the run is fresh
    # can ask so: nothing reads the joined activity later and the run cannot be stale.
    queued = (
        f"session {ref!r} shares session file {path!r} with session {owner!r}'s run: a "
        "recovery of it with queued work joins the two sessions' run activity, which probe "
        "does not model; only a `recover` with queue_depth > 0 in a scenario whose clock "
        "never moves (no tick or advance) and whose run is fresher than the call's stale "
        "threshold can say it"
    )
    if seed.queue_depth > 0:
        yield (f"session[{number_of[ref]}].queue_depth", queued)
    still = not any(isinstance(step, Tick | Advance) for step in steps)
    run_age = sessions[number_of[owner] - 1].progress_age_ms
    for number, step in enumerate(steps, start=1):
        if getattr(step, "session", None) != ref:
            continue
        run_progress = isinstance(step, Progress) and step.target != "record"
        active_abort = isinstance(step, Recover) and step.allow_active_abort
        if run_progress or active_abort or isinstance(step, Start | Backend | Reply):
            yield (f"step[{number}].session", why)
        elif isinstance(step, Bump):
            yield (f"step[{number}].session", queued)
        elif isinstance(step, Recover) and step.queue_depth > 0:
            threshold = step.stale_abort_ms or STALE_FLOOR_MS
            if not still or run_age >= threshold:
                yield (f"step[{number}].queue_depth", queued)
    for number, step in enumerate(steps, start=1):
        if isinstance(step, Reply) and step.session == owner:
            yield (
                f"step[{number}].session",
                f"session {owner!r}'s run shares session file {path!r} with session {ref!r}, "
                "whose recovery would read this reply work by the run's id: not modelled",
            )
