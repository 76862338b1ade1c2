"""Model request attempts (`start` with `attempt = true`): where a scenario may give them.

openclaw counts a run's model request attempts (repeatedRequestCount) for the run that owns
the session's newest embedded run, by run id, and keeps one count per session's run activity.
The harness starts every embedded run of a session under the session's own id (the run id
openclaw then takes), so the attempts belong to the session's run. What would give the count
another owner is refused rather than modelled wrongly:

- runs under another session id (`start ... session_id`): the newest run may be theirs;
- timed model calls (`timeout_ms`): each is a run owner of its own;
- a `key` step on the session: it merges two run activities, and their counts, by sequence;
- one call id started both as an attempt and as a plain call (openclaw keys a model call by
  its run id, which differs between the two), or seeding's own plain call (`main`).

Semantic progress (`progress` with `semantic = true`) is run progress: it needs the run
(`target` run or both) and is delivered as openclaw's core semantic progress event, at once,
so it cannot be back-dated.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from probe.scenario.run_ids import other_session_id
from probe.scenario.values import MAIN_MARKER, Key, SessionSeed, Start, Step

Report = Callable[[str, str], None]


def check_attempts(add: Report, sessions: Sequence[SessionSeed], steps: Sequence[Step]) -> None:
    """Refuse, located, the attempts a scenario cannot mean the same on every build."""
    attempts: dict[tuple[str, str], int] = {}
    plain: dict[tuple[str, str], int] = {}
    timed: dict[str, int] = {}
    other_runs: dict[str, int] = {}
    keyed: dict[str, int] = {}
    for number, step in enumerate(steps, start=1):
        if isinstance(step, Key):
            keyed.setdefault(step.session, number)
            keyed.setdefault(step.key, number)
        if not isinstance(step, Start):
            continue
        if step.timeout_ms is not None:
            timed.setdefault(step.session, number)
        if other_session_id(step.id) is not None:
            other_runs.setdefault(step.session, number)
        if step.work == "model_call":
            side = attempts if step.attempt else plain
            side.setdefault((step.session, step.id), number)
    if not attempts:
        return
    seeded = {s.ref for s in sessions if s.work == "model_call"}
    refused: set[str] = set()
    for (ref, marker), number in attempts.items():
        where = f"step[{number}].attempt"
        why: str | None = None
        if (ref, marker) in plain:
            why = (
                f"model call {marker!r} of session {ref!r} also starts as a plain call "
                f"(step[{plain[(ref, marker)]}]): give every start of it attempt = true, or none"
            )
        elif marker == MAIN_MARKER and ref in seeded:
            why = (
                f"session {ref!r} is seeded with a plain model call {marker!r} (work = "
                '"model_call"): give the attempts another id'
            )
        elif ref in refused:
            continue  # one message per session for what follows
        elif ref in timed:
            why = (
                f"session {ref!r} has timed model calls (step[{timed[ref]}]), each a run owner "
                "of its own: a request attempt counts only for the session's own run"
            )
        elif ref in other_runs:
            why = (
                f"session {ref!r} has runs under other session ids (step[{other_runs[ref]}]): "
                "a request attempt counts only for the session's own run"
            )
        elif ref in keyed:
            why = (
                f"session {ref!r} is named by a key step (step[{keyed[ref]}]), which merges run "
                "activity and its attempt count: not modelled"
            )
        if why is not None:
            refused.add(ref)
            add(where, why)
