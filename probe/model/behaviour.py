"""Behaviour switches: each change since 5.31-beta.1 on openclaw's recovery path a scenario can see.

A version of openclaw is a set of switches (probe.versions); the model of that version is the
model of the pinned builds with those switches on. Each switch names the ERAS.md change it
models (its F-id) and was read from the published bundles, which stay the authority.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True, slots=True)
class Switch:
    """One behaviour change: its kebab-case name, ERAS.md id, and what it does to a scenario."""

    name: str
    fid: str
    attr: str
    summary: str


SWITCHES: tuple[Switch, ...] = (
    Switch(
        "clear-run-activity",
        "F02",
        "clear_run_activity",
        "an applied aborted/released/noop outcome first ends the session's run activity "
        "(embedded run, tool and model markers; progress embedded_run:ended), and ignores the "
        "tool and model starts emitted before its request that the bus delivers later",
    ),
    Switch(
        "recover-when-throttled",
        "F06",
        "recover_when_throttled",
        "a throttled session.stuck still requests recovery, with no warning event",
    ),
    Switch(
        "model-call-long-running",
        "F07",
        "model_call_long_running",
        "a model call with an active embedded run, progress age between warn and abort, is "
        "session.long_running/active_model_call_without_progress",
    ),
    Switch(
        "embedded-abort-by-progress",
        "F34",
        "embedded_abort_by_progress",
        "embedded-run active abort is decided by the run's progress age, not the record's age",
    ),
    Switch(
        "blocked-tool-floor",
        "F08",
        "blocked_tool_floor",
        "blocked-tool active abort needs tool and progress age >= max(abort, 900 000 ms)",
    ),
    Switch(
        "model-call-abort-without-run",
        "F35",
        "model_call_abort_without_run",
        "model-call active abort no longer needs an active embedded run",
    ),
    Switch(
        "skip-slow-tick",
        "F12b1",
        "skip_slow_tick",
        "a tick more than 90 000 ms after the previous one requests nothing (7.2-beta.1 only)",
    ),
    Switch(
        "defer-late-tick",
        "F12",
        "defer_late_tick",
        "a late tick observes ages at now - overdue (overdue = elapsed - 30 000 ms); "
        "overdue >= 1 000 ms defers every request of the tick",
    ),
    Switch(
        "queued-backlog",
        "F16",
        "queued_backlog",
        "classification, attention events and requests use queueDepth - 1 while processing "
        "a turn that was queued",
    ),
    Switch(
        "released-no-active-work",
        "F18",
        "released_no_active_work",
        "with no owner the runtime answers released/release_lane/no_active_work (noop is gone)",
    ),
    Switch(
        "mutate-aborted-released-only",
        "F19",
        "mutate_aborted_released_only",
        "only aborted and released outcomes change the record (noop/no_active_work no longer)",
    ),
    Switch(
        "owned-work-attention-age",
        "F20",
        "owned_work_attention_age",
        "a processing record's attention age is max(record age, its active work's progress age)",
    ),
    Switch(
        "no-prune-on-create",
        "F33",
        "no_prune_on_create",
        "creating a record prunes only when the 60 s prune interval is due",
    ),
    Switch(
        "prune-empty-key",
        "F30",
        "prune_empty_key",
        "past 2 000 records the store forgets the oldest even when its key is empty (\"\"); "
        "before, an empty oldest key stopped the eviction and the store kept every record",
    ),
    Switch(
        "observation-pass",
        "F23",
        "observation_pass",
        "the heartbeat judges each current record from one observation, classification "
        "included, taken at the tick's observation time",
    ),
    Switch(
        "abort-test-timing",
        "F14",
        "abort_test_timing",
        "settings.abort_ms reaches the heartbeat through its test timings, unclamped "
        "(before: diagnostics.stuckSessionAbortMs, 0 ignored, raised to at least warn)",
    ),
    Switch(
        "stale-run-threshold",
        "F36",
        "stale_run_threshold",
        "the runtime's stale-progress reclaim takes the run's stale threshold: a running tool "
        "call needs max(abort, 900 000 ms) of stale progress",
    ),
    Switch(
        "force-clear-own-handle",
        "F37",
        "force_clear_own_handle",
        "a drain that times out force-clears only the run the recovery aborted: a run that "
        "replaced it (step own) stays registered (before: whatever run the session has)",
    ),
    Switch(
        "async-force-clear",
        "F38",
        "async_force_clear",
        "a run that refuses the abort is force-cleared only once every runtime call of the "
        "tick is entered, and its aborted outcome lands after the drained aborts' (before: "
        "cleared in the call, the outcome in call order with those returned at once)",
    ),
    Switch(
        "model-request-timeout",
        "F39",
        "model_request_timeout",
        "a model call may declare its request timeout (a core model request under a run owner "
        "of its own); a model call's active abort waits for max(abort, the longest timeout)",
    ),
    Switch(
        "request-close-needs-run",
        "F40",
        "request_close_needs_run",
        "a timed model call's end after a recovery cleared its owner's run changes nothing "
        "(before: progress embedded_run:ended again, the session's tool calls dropped)",
    ),
    Switch(
        "tool-deadline",
        "F41",
        "tool_deadline",
        "a tool call's execution may record a command deadline (start deadline_ms); recovery "
        "may act on it only from that deadline + 900 000 ms: the heartbeat's active abort of a "
        "blocked tool and the runtime's abort, with or without allowActiveAbort",
    ),
    Switch(
        "backend-liveness",
        "F42",
        "backend_liveness",
        "a session's backend attempt (step backend) allows a no-output window; a stalled run "
        "is asked for, and aborted, only once the window has passed, outstanding work raising "
        "it to 900 000 ms",
    ),
    Switch(
        "repeated-requests",
        "F43",
        "repeated_requests",
        "a run's model request attempts (start attempt = true) count while no semantic "
        "progress comes: two or more give an age since the first, which joins a processing "
        "record's attention age and, past the abort threshold, stalls the run (repeated "
        "model requests without progress) and allows its active abort",
    ),
    Switch(
        "lane-fresh-task",
        "L1",
        "lane_fresh_task",
        "after an abort the runtime resets the session's command lane also when lane tasks or "
        "queued messages wait, and never when a lane task started during the abort",
    ),
    Switch(
        "reply-progress-only",
        "R1",
        "reply_progress_only",
        "a reply operation no longer marks an embedded run in run activity (its phases and "
        "own activity clock decide recovery instead): not modelled, so a scenario with `reply` "
        "steps cannot be replayed on the model of these versions",
    ),
    Switch(
        "reply-own-activity",
        "R2",
        "reply_own_activity",
        "with reply-progress-only, the reply operations the model plays again: begun and "
        "cleared they mark run progress (reply_operation:queued / :ended); the runtime keeps "
        "a preflight compaction or memory flush younger than the compaction window, reclaims "
        "stale reply work without queued work, and an abort expires the operation (failed): "
        "one whose owner does not complete it is force-cleared after the drain and a 100 ms "
        "owner wait",
    ),
    Switch(
        "stale-lane-release",
        "L2",
        "stale_lane_release",
        "with no run, an active lane task is released (released/stale_lane_task) once the "
        "call's ageMs reaches 300 000 ms; before, the lane is always kept (active_lane_task)",
    ),
)

BY_NAME: dict[str, Switch] = {s.name: s for s in SWITCHES}


@dataclass(frozen=True, slots=True)
class Behaviour:
    """Which switches are on. All off is openclaw 2026.5.30-beta.1 / 5.31-beta.1."""

    clear_run_activity: bool = False
    recover_when_throttled: bool = False
    model_call_long_running: bool = False
    embedded_abort_by_progress: bool = False
    blocked_tool_floor: bool = False
    model_call_abort_without_run: bool = False
    skip_slow_tick: bool = False
    defer_late_tick: bool = False
    queued_backlog: bool = False
    released_no_active_work: bool = False
    mutate_aborted_released_only: bool = False
    owned_work_attention_age: bool = False
    no_prune_on_create: bool = False
    prune_empty_key: bool = False
    observation_pass: bool = False
    abort_test_timing: bool = False
    stale_run_threshold: bool = False
    force_clear_own_handle: bool = False
    async_force_clear: bool = False
    model_request_timeout: bool = False
    request_close_needs_run: bool = False
    tool_deadline: bool = False
    backend_liveness: bool = False
    repeated_requests: bool = False
    lane_fresh_task: bool = False
    stale_lane_release: bool = False
    reply_progress_only: bool = False
    reply_own_activity: bool = False

    @classmethod
    def of(cls, names: frozenset[str] | set[str] | tuple[str, ...]) -> Behaviour:
        """The behaviour with exactly the named switches on."""
        unknown = set(names) - set(BY_NAME)
        if unknown:
            raise ValueError(f"unknown switches: {', '.join(sorted(unknown))}")
        return cls(**{BY_NAME[n].attr: True for n in names})

    @property
    def names(self) -> tuple[str, ...]:
        """The switches on, in SWITCHES order."""
        return tuple(s.name for s in SWITCHES if getattr(self, s.attr))


PINNED = Behaviour()

assert {f.name for f in fields(Behaviour)} == {s.attr for s in SWITCHES}
