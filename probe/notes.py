"""Why a replay did less than its author may expect: notes read off the model's state.

Pure: the model's world in, sentences out. They explain a scenario in which nothing was asked
(in the words of what the heartbeats did: a late tick deferred, a warning throttled, active
work not yet eligible for an abort; else which session came nearest to needing attention,
and when it would have), where requests thinned out under the warning's back-off, and steps
that could not do anything, so that a quiet report is never a silent one.
"""

from __future__ import annotations

from collections.abc import Callable

from probe.model.events import LONG_RUNNING, STALLED, STUCK
from probe.model.heartbeat import BLOCKED_TOOL_ABORT_FLOOR_MS
from probe.model.unasked import DEFERRED, NOT_ELIGIBLE, THROTTLED, Unasked
from probe.model.world import BUILD_HEARTBEAT_MS, SKIP_TICK_DELAY_MS, World
from probe.scenario.values import Backend, Progress, Release, Scenario, Start, Step


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


def _first_step(scenario: Scenario, ran: Callable[[Step], bool], note: str) -> list[str]:
    """The note, at the first step a version played otherwise than its scenario says."""
    for number, step in enumerate(scenario.steps, start=1):
        if ran(step):
            return [note.format(number=number)]
    return []


def untimed_requests(scenario: Scenario) -> list[str]:
    """On a version that reads no model request timeout: where a timed model call ran plain."""
    return _first_step(
        scenario,
        lambda step: isinstance(step, Start) and step.timeout_ms is not None,
        "step[{number}].timeout_ms: this version reads no model request timeout "
        "(openclaw does from 2026.8.1-beta.3): its timed model calls ran as plain ones",
    )


def plain_deadline_tools(scenario: Scenario) -> list[str]:
    """On a version that reads no tool deadline: where a deadline tool call ran plain."""
    return _first_step(
        scenario,
        lambda step: isinstance(step, Start) and step.deadline_ms is not None,
        "step[{number}].deadline_ms: this version reads no tool call's command "
        "deadline (openclaw 2026.9.6 does): its deadline tool calls ran as plain ones",
    )


def uncounted_attempts(scenario: Scenario) -> list[str]:
    """On a version that counts no request attempts: where an attempt, or semantic progress,
    ran as a plain model call or plain run progress."""
    for number, step in enumerate(scenario.steps, start=1):
        if isinstance(step, Start) and step.attempt:
            key = "attempt"
        elif isinstance(step, Progress) and step.semantic:
            key = "semantic"
        else:
            continue
        return [
            f"step[{number}].{key}: this version counts no model request attempts (openclaw "
            "does from 2026.8.1-beta.3): its attempts ran as plain model calls, its semantic "
            "progress as plain run progress"
        ]
    return []


def ignored_backends(scenario: Scenario) -> list[str]:
    """On a version without backend allowances: where a backend step did nothing."""
    return _first_step(
        scenario,
        lambda step: isinstance(step, Backend),
        "step[{number}]: this version has no backend no-output allowance (openclaw "
        "2026.9.6 has): its backend steps did nothing",
    )


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
                "idle": _idle_empty(world, rec.ref, activity)
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


def _idle_empty(world: World, ref: str, activity: object) -> str:
    """An idle record with nothing queued: the heartbeat never looks at it, even when a run
    is registered for the session and has stopped making progress."""
    from probe.model.activity import RunActivity

    text = "idle with nothing queued"
    if not isinstance(activity, RunActivity):
        return text
    snap = activity.snapshot(world.clock.now)
    work = snap.work_kind or ("embedded_run" if snap.has_active_embedded_run else None)
    if work is None:
        return text
    return (
        f"{text}, a record the heartbeat never looks at, though its {work} has made no "
        f"progress since t={activity.last_progress_at} ms"
    )


def _late(items: list[Unasked]) -> str:
    low, high = min(u.overdue_ms for u in items), max(u.overdue_ms for u in items)
    return f"{low} ms" if low == high else f"{low} .. {high} ms"


def _why_unasked(world: World, u: Unasked, alike: list[Unasked]) -> str:
    """One heartbeat's reason for asking nothing (`alike`: the heartbeats that asked nothing
    for the same reason), in the words of what happened."""
    if u.why == DEFERRED:
        if u.overdue_ms > 0:
            return (
                f"each fired {_late(alike)} late against openclaw's {BUILD_HEARTBEAT_MS} ms "
                "interval, and this version defers a late heartbeat's recovery requests to the "
                "next on-time one, which never came (openclaw issue 142200)"
            )
        return (
            f"each came more than {SKIP_TICK_DELAY_MS} ms after the previous one, and this "
            "version skips recovery on such a slow heartbeat"
        )
    if u.why == THROTTLED:
        return (
            f"its {u.event} warning was inside its back-off (attention age {u.age_ms} ms), and "
            "before 2026.6.8 a throttled warning also asks for nothing (openclaw issue 92742)"
        )
    assert u.why == NOT_ELIGIBLE
    abort = world.abort_ms
    if u.event == LONG_RUNNING:
        return (
            f"its {u.work or 'work'} counted as long-running (no recovery for that), at "
            f"attention age {u.age_ms} ms"
        )
    if u.classification == "blocked_tool_call" and u.tool_deadline_at is not None:
        return (
            "its tool call recorded a command deadline, and this version asks for a blocked "
            f"tool call only once that deadline plus {BLOCKED_TOOL_ABORT_FLOOR_MS} ms has "
            f"passed: at t={u.tool_deadline_at} ms"
        )
    if u.classification == "stalled_agent_run" and u.backend_deadline_at is not None:
        return (
            "its backend's no-output allowance had not run out, and this version asks for a "
            f"stalled run only once it has: at t={u.backend_deadline_at} ms (or later output)"
        )
    if u.age_ms < abort:
        return (
            f"a session with active work is asked for only once past the abort threshold, "
            f"abort_ms = {abort} ms, and it was at {u.age_ms} ms"
        )
    if u.classification == "blocked_tool_call":
        floor = max(abort, BLOCKED_TOOL_ABORT_FLOOR_MS)
        return (
            f"past the abort threshold (abort_ms = {abort} ms, at {u.age_ms} ms), but this "
            f"version aborts a blocked tool call only once the call and its progress are "
            f"{floor} ms old"
        )
    if u.work == "model_call" and u.request_timeout_ms is not None and u.request_timeout_ms > abort:
        return (
            f"past the abort threshold (abort_ms = {abort} ms, at {u.age_ms} ms), but its model "
            f"request declares a timeout of {u.request_timeout_ms} ms, and a model call is "
            "aborted only once its progress is older than both"
        )
    if u.work == "model_call":
        return (
            f"past the abort threshold (abort_ms = {abort} ms, at {u.age_ms} ms), but this "
            "version aborts a model call only under an active embedded run"
        )
    return (
        f"past the abort threshold (abort_ms = {abort} ms, at {u.age_ms} ms), but its "
        f"{u.work or 'work'} ({u.classification}) was not eligible for an abort on this version"
    )


def _span(items: list[Unasked]) -> str:
    first, last = items[0].at_ms, items[-1].at_ms
    times = f"t={first} ms" if first == last else f"t={first} .. {last} ms"
    return f"{len(items)} heartbeat(s), {times}"


def nothing_asked(at_start: Nearest, world: World) -> str:
    """Why no recovery was requested: what the heartbeats that found a session needing
    attention made of it, else the session nearest to needing attention, and when (as the
    scenario ends, else as it started)."""
    if world.unasked:
        last = world.unasked[-1]
        mine = [u for u in world.unasked if u.ref == last.ref and u.why == last.why]
        return (
            f"nothing was asked: {last.ref!r} needed attention ({last.event}, "
            f"{last.classification}) at {_span(mine)}, and none asked for recovery: "
            f"{_why_unasked(world, last, mine)}"
        )
    attention = [e for e in world.bus.events if e.type in ATTENTION]
    if attention:  # a world that kept no reasons (never from replay)
        last_event = attention[-1]
        return (
            f"nothing was asked: {last_event.ref!r} needed attention ({last_event.type}, "
            f"{last_event.get('reason')}, last at t={last_event.at_ms} ms) but no heartbeat "
            "asked for recovery"
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


def throttled_gaps(world: World) -> list[str]:
    """Sessions that were asked for, but whose recovery-eligible warning was throttled at
    other heartbeats (before 2026.6.8 that asks for nothing): where the requests thin out."""
    notes = []
    refs = dict.fromkeys(u.ref for u in world.unasked if u.why == THROTTLED)
    for ref in refs:
        items = [u for u in world.unasked if u.ref == ref and u.why == THROTTLED]
        notes.append(
            f"{ref!r} was asked for less often than it needed: at {_span(items)} its "
            f"{items[0].event} warning was inside its back-off and, before 2026.6.8, a "
            "throttled warning also asks for nothing (openclaw issue 92742)"
        )
    return notes
