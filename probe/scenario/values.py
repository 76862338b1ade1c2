"""Scenario values: settings, seeded sessions, steps and expectations (frozen, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, TypeAlias, get_args

from probe.properties.selection import Choice

SessionState: TypeAlias = Literal["idle", "processing", "waiting"]
Owner: TypeAlias = Literal["embedded_run", "none"]
AbortAnswer: TypeAlias = Literal["honoured", "ignored", "refused"]
WorkKind: TypeAlias = Literal["embedded_run", "tool_call", "model_call", "none"]
Drain: TypeAlias = Literal["settle", "hold"]
ProgressTarget: TypeAlias = Literal["both", "run", "record"]
MarkerKind: TypeAlias = Literal["embedded_run", "tool_call", "model_call"]
LaneTaskKind: TypeAlias = Literal["blocked", "quick"]
RuntimeKind: TypeAlias = Literal["real", "scripted"]
# A reply operation's phases a `reply` step sets (openclaw's ReplyOperationPhase), and
# "completed", which completes it. The two waits (2026.8.1 on) are entered through their own
# calls (markWaitingForGlobalLane, markWaitingForDeferredMaintenance), not setPhase.
ReplyPhase: TypeAlias = Literal[
    "queued",
    "running",
    "preflight_compacting",
    "memory_flushing",
    "completed",
    "waiting_for_global_lane",
    "waiting_for_deferred_maintenance",
]
ReplyAbort: TypeAlias = Literal["honoured", "ignored"]

SESSION_STATES: tuple[SessionState, ...] = ("idle", "processing", "waiting")
OWNERS: tuple[Owner, ...] = ("embedded_run", "none")
ABORT_ANSWERS: tuple[AbortAnswer, ...] = ("honoured", "ignored", "refused")
WORK_KINDS: tuple[WorkKind, ...] = ("embedded_run", "tool_call", "model_call", "none")
DRAINS: tuple[Drain, ...] = ("settle", "hold")
PROGRESS_TARGETS: tuple[ProgressTarget, ...] = ("both", "run", "record")
MARKER_KINDS: tuple[MarkerKind, ...] = ("embedded_run", "tool_call", "model_call")
LANE_TASK_KINDS: tuple[LaneTaskKind, ...] = ("blocked", "quick")
BackendAction: TypeAlias = Literal[
    "begin", "output", "model_output", "outstanding", "settled", "close"
]
BACKEND_ACTIONS: tuple[BackendAction, ...] = (
    "begin",
    "output",
    "model_output",
    "outstanding",
    "settled",
    "close",
)
RUNTIME_KINDS: tuple[RuntimeKind, ...] = ("real", "scripted")
# A scripted answer's status ("none": the mock returns nothing) and the action each status
# carries unless the step names another (the runtime's own pairs).
ANSWER_STATUSES = ("none", "noop", "released", "aborted", "skipped", "failed")
ANSWER_ACTIONS = ("none", "observe_only", "release_lane", "abort_embedded_run", "keep_lane")
DEFAULT_ANSWER_ACTION = {
    "none": "none",
    "noop": "none",
    "released": "release_lane",
    "aborted": "abort_embedded_run",
    "skipped": "observe_only",
    "failed": "none",
}
REPLY_PHASES: tuple[ReplyPhase, ...] = get_args(ReplyPhase)
# The phases entered by a wait of their own, and the run progress reason each marks.
REPLY_WAITS: dict[str, str] = {
    "waiting_for_global_lane": "global_lane:waiting",
    "waiting_for_deferred_maintenance": "deferred_maintenance:waiting",
}
REPLY_ABORTS: tuple[ReplyAbort, ...] = ("honoured", "ignored")
# The id of the markers seeding starts, and of a start or end step that names none.
MAIN_MARKER = "main"
# The marker id of an embedded run started under another session id of the session's key
# (`start`/`end` with `session_id`): "@" and that id. Step ids cannot hold "@", so these never
# meet a step's own `id` (see probe/scenario/run_ids.py).
OTHER_ID_MARKER = "@"
DEFAULT_PROGRESS_REASON = "scenario:progress"

# openclaw's defaults (SPEC.md "Heartbeat tick").
DEFAULT_HEARTBEAT_MS = 30_000
DEFAULT_WARN_MS = 120_000
DEFAULT_SETTLE_MS = 15_000
MIN_WARN_MS = 1_000
MAX_WARN_MS = 86_400_000
MIN_ABORT_MS = 300_000
# tick_jitter_ms: the least and most extra lateness of one firing, both included.
JitterRange: TypeAlias = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Settings:
    heartbeat_ms: int = DEFAULT_HEARTBEAT_MS
    warn_ms: int = DEFAULT_WARN_MS
    # stuckSessionAbortMs as the scenario gives it; None: derived from warn (abort_threshold_ms).
    abort_ms: int | None = None
    settle_ms: int = DEFAULT_SETTLE_MS
    drain: Drain = "settle"
    # Every heartbeat firing is this late, plus a draw from tick_jitter_ms when set (see
    # firing_late_ms); a tick step's own late_ms replaces both for the firing it makes.
    tick_late_ms: int = 0
    tick_jitter_ms: JitterRange | None = None
    jitter_seed: int = 0
    # scripted: the runtime the heartbeat's coordinator calls answers only `answer` steps (as
    # openclaw's tests mock recoverStuckSession); `recover` steps still call the real one.
    # Out of the repr: the generator seeds its streams with repr(settings), and a seed's
    # scenarios must stay what they were before this key.
    runtime: RuntimeKind = field(default="real", repr=False)

    def firing_late_ms(self, firing: int) -> int:
        """How late the 1-based `firing`-th heartbeat fires after it was due, by the settings."""
        if self.tick_jitter_ms is None:
            return self.tick_late_ms
        low, high = self.tick_jitter_ms
        return self.tick_late_ms + jitter_draw(self.jitter_seed, firing, low, high)

    @property
    def late_ticks(self) -> bool:
        """Whether the settings make any firing late."""
        return self.tick_late_ms > 0 or (
            self.tick_jitter_ms is not None and self.tick_jitter_ms[1] > 0
        )

    @property
    def effective_warn_ms(self) -> int:
        """openclaw floors the configured value and ignores one outside its range."""
        if MIN_WARN_MS <= self.warn_ms <= MAX_WARN_MS:
            return self.warn_ms
        return DEFAULT_WARN_MS

    @property
    def derived_abort_ms(self) -> int:
        """openclaw's abort threshold when none is given: max(300 000, 3 x warn)."""
        return max(MIN_ABORT_MS, 3 * self.effective_warn_ms)

    def abort_threshold_ms(self, test_timing: bool = False) -> int:
        """The abort threshold a version uses for these settings.

        Config (up to 7.2-beta.3, `diagnostics.stuckSessionAbortMs`): 0 falls back to the
        derived value, anything else is raised to at least warn. The test-timings seam
        (7.2-beta.4 on, switch abort-test-timing) takes the value as it is.
        """
        if self.abort_ms is None:
            return self.derived_abort_ms
        if test_timing:
            return self.abort_ms
        if self.abort_ms <= 0:  # (the loader refuses 0: see README, settings.abort_ms)
            return self.derived_abort_ms
        return max(self.effective_warn_ms, self.abort_ms)


@dataclass(frozen=True, slots=True)
class SessionSeed:
    ref: str
    state: SessionState = "idle"
    generation: int = 0
    queue_depth: int = 0
    owner: Owner = "none"
    abort: AbortAnswer = "ignored"
    work: WorkKind = "none"
    progress_age_ms: int = 0
    # Identity: `ref` is the session key (keyed) and `session_id` its id beside it (None: the
    # harness's own); an id-only session (keyed False) has no key, and `ref` is its id.
    session_id: str | None = None
    keyed: bool = True
    # The session's session file (openclaw's sessionFile): its record and its run handle carry
    # it, and the runtime finds a run by it when the session's key and id have none. Out of
    # repr: the generator seeds streams from reprs, which must read as before it existed.
    session_file: str | None = field(default=None, repr=False)


_MASK64 = (1 << 64) - 1


def jitter_draw(seed: int, firing: int, low: int, high: int) -> int:
    """A uniform draw in low..high for one firing: splitmix64 of (seed, firing).

    Counter-based, so a firing's lateness depends on its number alone, never on what was
    drawn before: a search that restores a world mid-run draws the same as a replay.
    """
    x = (seed + firing * 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    x ^= x >> 31
    return low + x % (high - low + 1)


@dataclass(frozen=True, slots=True)
class Tick:
    """The next heartbeat fires: `late_ms` after it was due when given, else as the settings say.

    Due is the previous firing plus heartbeat_ms (Node re-arms an interval from when its
    callback ran); a tick never moves the clock back, so it fires at the latest of due +
    late_ms and now.
    """

    late_ms: int | None = None


@dataclass(frozen=True, slots=True)
class Bump:
    """A queued message: generation + 1, queue depth + 1."""

    session: str
    via: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class Advance:
    """Move the virtual clock; timers due on the way fire in time order."""

    ms: int


@dataclass(frozen=True, slots=True)
class Release:
    """The owning run ends (or, with failed, the in-flight runtime call rejects)."""

    session: str | None = None
    failed: bool = False


@dataclass(frozen=True, slots=True)
class StateChange:
    session: str
    to: SessionState
    via: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class Progress:
    """Progress reported for a session, `ago_ms` before now.

    target: "run" marks run activity only (markDiagnosticRunProgress with `reason`), "record"
    the session record only (markDiagnosticSessionProgress), "both" the two in that order.
    """

    session: str
    target: ProgressTarget = "both"
    reason: str = DEFAULT_PROGRESS_REASON
    ago_ms: int = 0
    via: str | None = field(default=None, repr=False)
    # Semantic progress (a validated model result, openclaw's core semantic run progress):
    # from 2026.8.1-beta.3 it also clears the run's repeated-request evidence. Out of the
    # repr, as `deadline_ms` below, so the generator's seeds keep their draws.
    semantic: bool = field(default=False, repr=False)


@dataclass(frozen=True, slots=True)
class Start:
    """A work marker starts in run activity: an embedded run, a tool call or a model call.

    Several of a kind may run at once, each by its `id`; seeding's own marker is "main".
    `timeout_ms` (model calls only): the model request timeout the call declares, read from
    2026.8.1-beta.3 on (a core model request of its own run owner); None for a plain call.
    `deadline_ms` (tool calls only): the command deadline the tool's execution records as it
    starts (an exec's timeout), read from 2026.9.6 on; None for a tool without one.
    `held` (plain tool and model calls only): the start's bus event is emitted (numbered) at
    the step but reaches run activity only at the next `deliver` step (see Deliver).
    """

    session: str
    work: MarkerKind
    id: str = MAIN_MARKER
    timeout_ms: int | None = None
    # Out of the repr: the generator seeds its streams with the steps' repr, which a new field
    # would change, reshuffling every seed's random scenarios.
    deadline_ms: int | None = field(default=None, repr=False)
    via: str | None = field(default=None, repr=False)
    held: bool = field(default=False, repr=False)
    # `attempt` (model calls only): the call is an attempt of the session's run's model request
    # (openclaw's core request lifecycle); starting it again while it runs is a retry, counted
    # from 2026.8.1-beta.3 as repeated requests without progress (see probe/scenario/attempts.py).
    attempt: bool = field(default=False, repr=False)


@dataclass(frozen=True, slots=True)
class End:
    """A work marker ends; an embedded run's end also ends the tool and model calls unless
    `clear` is off (markDiagnosticEmbeddedRunEnded's clearRunActivity)."""

    session: str
    work: MarkerKind
    id: str = MAIN_MARKER
    clear: bool = True
    via: str | None = field(default=None, repr=False)


# `via` on a step that names a session: the session_id the call passes alone (openclaw's
# sessionId-only callers) when the step names a keyed session by its id; None: the session's
# own identity. openclaw resolves such a call to the keyed record by its id (an alias), so the
# model applies it to that session; the harness passes the id and no key. Left out of repr:
# the generator seeds its streams from the repr of the steps drawn so far, which an id-only
# step (the same behaviour) must not change.


@dataclass(frozen=True, slots=True)
class Own:
    """A run registers as the session's owner (setActiveEmbeddedRun): a new run handle that
    answers an abort as `abort` says, replacing the handle registered before it, if any."""

    session: str
    abort: AbortAnswer = "ignored"


@dataclass(frozen=True, slots=True)
class Recover:
    """The recovery runtime called directly for a session, outside the heartbeat.

    What openclaw's tests do with recoverStuckDiagnosticSession({...}): the arguments as the
    caller passes them. `generation` None passes no stateGeneration, so the runtime skips its
    state check (isDiagnosticSessionStateCurrent); `expected_state` is read only with it.
    No coordinator is involved: the outcome is the runtime's alone and nobody applies it.
    """

    session: str
    allow_active_abort: bool = False
    age_ms: int = 0
    queue_depth: int = 0
    generation: int | None = None
    expected_state: SessionState = "processing"
    stale_abort_ms: int | None = None
    # compactionSafetyTimeoutMs: from 7.1-beta.4 an active lane task is stale only after
    # max(300 000, this + the 15 000 settle time).
    compaction_safety_ms: int | None = None


@dataclass(frozen=True, slots=True)
class Enqueue:
    """A task enqueued in the session's command lane (enqueueCommandInLane on its session lane).

    `blocked`: it never settles, so once it runs it holds the lane until a recovery resets it;
    `quick`: it settles as soon as it runs. The lane runs one task at a time, in order.
    """

    session: str
    task: LaneTaskKind = "blocked"


@dataclass(frozen=True, slots=True)
class Backend:
    """A backend attempt's no-output allowance (beginDiagnosticBackendActivity, 2026.9.6).

    The session's backend runs under a run owner of its own (an embedded run that recovery
    cannot abort). `begin` starts an attempt allowing `allowance_ms` of silence; `output` is
    output without model progress (observeOutput(false)), `model_output` output that is model
    progress (observeOutput(true)); `outstanding` / `settled` say the backend has work
    outstanding or not (setOutstandingWork); `close` ends the attempt.
    """

    session: str
    action: BackendAction
    allowance_ms: int | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """The scripted runtime answers the session's oldest pending call (see Settings.runtime).

    `status` "none": the call resolves with nothing (a mock returning undefined), which the
    coordinator applies as nothing: no completed event, the request leaves in-flight.
    """

    session: str
    status: str
    action: str = "none"
    reason: str | None = None
    released: int = 0
    queued_count: int | None = None
    work: MarkerKind | None = None


@dataclass(frozen=True, slots=True)
class Deliver:
    """The diagnostic bus delivers every held start (`start` with `delivery = "held"`), in
    the order they were emitted: run activity sees them only now, as openclaw's asynchronous
    bus delivers a tool or model call's start on a later turn than it was emitted (and
    numbered). From 2026.5.31-beta.4 a recovery applied in between fences the starts emitted
    before its request: they are ignored."""


@dataclass(frozen=True, slots=True)
class Key:
    """An id-only session's key becomes known: getDiagnosticSessionState({ sessionId, sessionKey }).

    `session` is the id-only session (its ref is its id), `key` the key it gets: a new one
    re-keys its record, a keyed session's ref merges the two records into that one. From here
    on steps name it by the key (both are passed) or by its id (the id alone).
    """

    session: str
    key: str


@dataclass(frozen=True, slots=True)
class Reply:
    """A reply operation of the session (openclaw's createReplyOperation): reply work with no
    embedded run handle. The first `reply` of a session with none open begins one (phase
    queued, then `phase`); later ones set its phase; `phase = "completed"` completes it.
    `abort` (read when it begins): "honoured", its owner completes it when its abort signal
    fires; "ignored", it stays until completed or force-cleared.
    """

    session: str
    phase: ReplyPhase = "queued"
    abort: ReplyAbort = "ignored"


Step: TypeAlias = (
    Tick
    | Bump
    | Advance
    | Release
    | StateChange
    | Progress
    | Start
    | End
    | Own
    | Recover
    | Enqueue
    | Backend
    | Answer
    | Key
    | Reply
    | Deliver
)


def step_verb(step: Step) -> str:
    match step:
        case Tick():
            return "tick"
        case Bump():
            return "bump"
        case Advance():
            return "advance"
        case Release():
            return "release"
        case StateChange():
            return "state"
        case Progress():
            return "progress"
        case Start():
            return "start"
        case End():
            return "end"
        case Own():
            return "own"
        case Recover():
            return "recover"
        case Enqueue():
            return "enqueue"
        case Backend():
            return "backend"
        case Answer():
            return "answer"
        case Key():
            return "key"
        case Reply():
            return "reply"
        case Deliver():
            return "deliver"


@dataclass(frozen=True, slots=True)
class Expectation:
    """What one strategy's run must show; None means the key is not checked."""

    requested: int | None = None
    requested_generations: tuple[int, ...] | None = None
    completed: int | None = None
    runtime_outcomes: tuple[str, ...] | None = None
    violations: tuple[str, ...] | None = None
    absorbed_by_coordinator: int | None = None
    absorbed_by_runtime: int | None = None


def version_rank(within: str, version: str) -> tuple[int, int] | None:
    """(switch count, table position) of `within` when `version` contains all its switches."""
    from probe.versions import VERSIONS

    wanted = VERSIONS.get(within)
    have = VERSIONS.get(version)
    if wanted is None or have is None or not set(wanted) <= set(have):
        return None
    return (len(wanted), list(VERSIONS).index(within))


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    sessions: tuple[SessionSeed, ...]
    steps: tuple[Step, ...]
    settings: Settings = field(default_factory=Settings)
    description: str = ""
    expect: tuple[tuple[str, Expectation], ...] = ()
    # 1-based line of each [[step]] header, for messages that point into the file.
    step_lines: tuple[int | None, ...] = ()
    # Things worth telling the user that do not make the file invalid.
    notes: tuple[str, ...] = ()
    # Which properties judge it, with which parameters ([properties], --invariant, ...).
    properties: Choice = field(default_factory=Choice)

    def expectation(self, strategy: str, version: str | None = None) -> Expectation | None:
        """The table a run of design `strategy` with openclaw `version`'s behaviour is held to.

        `[expect."D@W"]` applies to every version that contains all of W's switches; the most
        specific applicable one wins (W with most switches; tie: the later W in the version
        table); `[expect.D]` applies otherwise (and to the pinned models, version None).
        """
        plain: Expectation | None = None
        best: tuple[int, int, Expectation] | None = None
        for name, exp in self.expect:
            design, at, within = name.partition("@")
            if design != strategy:
                continue
            if not at:
                plain = exp
            elif version is not None:
                rank = version_rank(within, version)
                if rank is not None and (best is None or rank >= best[:2]):
                    best = (*rank, exp)
        return best[2] if best is not None else plain

    @property
    def has_bump(self) -> bool:
        return any(isinstance(s, Bump) for s in self.steps)
