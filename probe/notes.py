"""Why a replay did less than its author may expect: notes read off the model's state.

Pure: the model's world in, sentences out. They explain a scenario in which nothing was asked
(which session came nearest to needing attention, and when it would have) and steps that
could not do anything, so that a quiet report is never a silent one.
"""

from __future__ import annotations

from probe.model.events import LONG_RUNNING, STALLED, STUCK
from probe.model.world import World
from probe.scenario.values import Release


def idle_step(world: World, number: int, step: object) -> str | None:
    """A note for a step that will do nothing in this state (checked just before it runs)."""
    if not isinstance(step, Release):
        return None
    refs = list(world.creation_order) if step.session is None else [step.session]
    who = f"session {step.session!r}" if step.session is not None else "any session"
    if step.failed:
        if not any(r in world.runtime.waiters for r in refs):
            return (
                f'step[{number}]: release with outcome = "failed" does nothing: {who} has no '
                "recovery waiting on its run at this point"
            )
        return None
    if not any(r in world.handles for r in refs):
        return f"step[{number}]: release does nothing: {who} has no run at this point"
    return None


Nearest = tuple[int, str] | None
ATTENTION = frozenset({STUCK, STALLED, LONG_RUNNING})


def nearest_attention(world: World) -> tuple[Nearest, list[str]]:
    """The session whose attention threshold comes first in this state (the heartbeat time it
    would be due and why), and why each other session never needs attention as it stands."""
    beat = world.settings.heartbeat_ms
    warn = world.warn_ms
    nearest: Nearest = None
    quiet: list[str] = []
    for rec in world.store.records.values():
        activity = world.activity.get(rec.ref)
        if rec.state == "processing":
            since, what = rec.last_activity, "activity"
        elif rec.state == "idle" and rec.queue_depth > 0 and activity is not None:
            since, what = activity.last_progress_at, "progress"
        else:
            why = {
                "idle": "idle with nothing queued"
                if rec.queue_depth == 0
                else "idle with a queued message but no run to be stuck on",
                "waiting": "waiting (the heartbeat asks only for processing or queued sessions)",
            }.get(rec.state, rec.state)
            quiet.append(f"{rec.ref!r} is {why}")
            continue
        due = since + warn
        # The first heartbeat strictly after the threshold (the first one fires at one interval).
        first = max(beat, (due // beat + 1) * beat)
        text = (
            f"{rec.ref!r} ({rec.state}, no {what} since t={since} ms) needs attention after "
            f"more than warn_ms = {warn} ms, at the heartbeat of t={first} ms"
        )
        if nearest is None or first < nearest[0]:
            nearest = (first, text)
    return nearest, quiet


def nothing_asked(at_start: Nearest, world: World) -> str:
    """Why no recovery was requested: a session that needed attention but was not eligible,
    else the session nearest to needing attention, and when (as the scenario ends, else as it
    started)."""
    attention = [e for e in world.bus.events if e.type in ATTENTION]
    if attention:
        last = attention[-1]
        return (
            f"nothing was asked: {last.ref!r} needed attention ({last.type}, "
            f"{last.get('reason')}, last at t={last.at_ms} ms) but no heartbeat found it eligible "
            "for recovery (a session with active work is asked for only once past the abort "
            f"threshold, abort_ms = {world.abort_ms} ms)"
        )
    head = (
        "nothing was asked: no session needed attention at a heartbeat up to "
        f"t={world.clock.now} ms"
    )
    nearest, quiet = nearest_attention(world)
    if nearest is not None:
        return f"{head}; nearest: {nearest[1]}"
    detail = "; ".join(quiet) if quiet else "there are no sessions"
    if at_start is not None:
        return f"{head}; at the end {detail}; at the start, nearest: {at_start[1]}"
    return f"{head}: {detail}"
