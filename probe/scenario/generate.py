"""Random valid scenarios, by construction, for differential checks and `probe new --random`.

Pure: the caller passes a seeded `random.Random`; nothing here reads a global, a clock or a file.
The same generator state gives the same scenario on every run and machine.

API (what `probe diff`, the harness's and the models' differential checks call):

    from probe.scenario.generate import generate, generate_many, GenerateOptions
    scenario = generate(random.Random(seed))                     # one Scenario
    scenario = generate(rng, GenerateOptions(failed_releases=True), name="...")
    batch = generate_many(seed, 500)                             # [(label, Scenario), ...]

Every scenario goes through probe's own loader before it is returned (it is dumped to TOML and
parsed back), so it is valid exactly as a file written by hand would be, and carries the
step lines of that text. By default it is *expressible on every real build*: `heartbeat_ms` and
`settle_ms` stay at openclaw's constants and no `release` has `outcome = "failed"` (a build's
runtime never rejects); late heartbeats are expressible (the harness fires each firing).
`GenerateOptions(timer_settings=True)` lets the two timers vary (a build takes any heartbeat,
not another settle time) and `failed_releases=True` allows failed releases, for model-only
checks.

Distribution (weights are relative, per scenario unless said otherwise):
- sessions: 1 (50), 2 (30), 3 (20); refs from a fixed pool of session keys, in pool order.
- per session: state idle 60 / processing 30 / waiting 10; owner embedded_run 60 / none 40;
  abort (with an owner) ignored 60 / honoured 40; work with an owner embedded_run 50 /
  tool_call 20 / model_call 15 / none 15 (the ended-run shape), without one none 40 /
  embedded_run 25 / tool_call 20 / model_call 15; generation 0 (60), 1..5 (30), near 2^32 - 1
  (10); queue_depth 0 (35), 1 (40), 2..3 (20), 2^32 - 1 (5); progress_age_ms 65 % an anchor
  (0, 120 000, 360 000, 900 000 and the prune age 1 800 000, the warn, abort and tool-call
  thresholds of the builds) moved by -30 000, -1, 0, +1 or +30 000 (never below 0), 35 %
  uniform in 0..1 200 000.
- settings: warn_ms unset 80 %, else one of 1 000, 60 000, 100 000, 200 000 or an ignored
  value (999, 86 400 001); drain settle 50 / hold 50; with `timer_settings`, heartbeat_ms and
  settle_ms each varied 40 % of the time (1 000 .. 60 000, 100 .. 60 000).
- steps: 2..12, drawn one by one: tick 35, advance 12, bump 16, release 12, state 12,
  progress 10 (release of one session 70 %, of all 30 %; failed 15 % when allowed). An advance
  moves the settle time, a heartbeat, a warn or abort threshold, or 1..60 000 ms. In 40 % of
  scenarios the race is planted at a random position: tick, bump of a session, tick (a second
  request while the first is in flight, when the first tick requested one); the bumped session
  is then made old enough (progress age >= the abort threshold) to be requested at once, and
  half the time armed: idle, queued, owned by a run that ignores the abort (work embedded_run
  or tool_call), drain hold, so the first recovery is still in flight at the second tick.
- newer verbs, drawn from a stream of their own (as late heartbeats below) in 50 % of
  scenarios: half of those set `abort_ms` (1 000, 20 000, 60 000, 90 000, 299 999, 300 000 or
  400 000), half of those with `warn_ms = 30 000` as openclaw's own tests do; every
  `progress` step of those scenarios gets a target (both 40 / run 40 / record 20), a reason
  (plain, assistant or tool progress, or a terminal one) and a back-dating `ago_ms` (0, 1 000,
  29 999, 60 000, 150 000 or 400 000); 60 % of them get 1..4 `start` / `end` steps (within
  `max_steps`) at random places, of a random kind, of the main marker (2 in 3) or a second
  one ("2"), an embedded run's end clearing the calls 70 % of the time; each session is
  id-only (its ref passed as the sessionId, no key) 25 %, or has `session_id = "sid-N"`
  beside its key 25 %; 40 % of them get 1..2 `own` steps (within `max_steps`; a run
  registering on a random session, ignoring aborts 50 / honouring them 35 / refusing them
  15), half of them right after a tick, and 15 % of their owned sessions refuse aborts;
  then each bump, state, progress, start and end step of a session with its own session_id
  names it by that id (the call passes the id alone) 40 % of the time, unless its record might be
  forgotten by then (the loader refuses that; see probe/scenario/aliases.py); a keyed first
  session has the empty key `ref = ""` (its id beside it) 15 % of the time. These two are
  drawn last, after late heartbeats, from a stream of their own, so the rest of a seed's
  scenarios are as they were before them. Last, from a stream of its own, 30 % of the
  scenarios with an id-only session get a `key` step for it (a new key, or 40 % of the time a
  merge into a keyed session without its own session_id), the two sessions kept to the record
  alone as the loader requires, later steps naming it by the key or (40 %) by its id.
  `GenerateOptions(verbs=False)` leaves them out.
- direct runtime calls, drawn from a stream of their own in 30 % of scenarios: 1..2 `recover`
  steps (within `max_steps`) at random places, for a random session, allow_active_abort 40 %,
  age_ms 0 / 180 000 / 720 000, queue_depth 0 / 1 / 2, a state check 30 % (the seeded
  generation, or one past it 1 in 3, with a random expected_state), stale_abort_ms 30 %
  (1 000, 300 000 or 900 000), compaction_safety_ms 20 % (100 000 or 600 000).
  `GenerateOptions(recover=False)` leaves them out.
- embedded runs under other session ids of a key, drawn last from a stream of their own in
  30 % of scenarios: 1..3 `start` steps of an embedded run under `session_id` "run-a-N" or
  "run-b-N" of a random session with a non-empty key (N its number among those), at random
  places (within `max_steps`), each followed later by its `end` half the time (clearing the
  calls 70 %).
  `GenerateOptions(other_ids=False)` leaves them out.
- command-lane tasks, drawn from a stream of their own in 30 % of scenarios: 1..3 `enqueue`
  steps (within `max_steps`) at random places, for a random session, blocked 60 / quick 40.
  `GenerateOptions(lanes=False)` leaves them out.
- late heartbeats, drawn last from a stream of their own (seeded by the scenario drawn so far,
  so the rest of a seed's scenarios stay as they were): 30 % of scenarios have some, one of
  three kinds alike: every firing late by `tick_late_ms` (999, 1 000, 1 200 or 1 700: the
  builds defer from 1 000 ms overdue), a `tick_jitter_ms` draw ([0, 2 000], [1 100, 1 700] or
  [0, 999]) with a random `jitter_seed`, or half the tick steps with a `late_ms` of their own
  (0, 999, 1 000, 1 200, 15 000, 60 001 (more than 90 s since the previous firing), or
  1..3 000). `GenerateOptions(late_ticks=False)` leaves them out.
- reply operations, only when asked for (`GenerateOptions(replies_chance=...)`, default 0: the
  model of 2026.7.2-beta.1 .. 8.1-beta.3 refuses them), drawn last from a stream of their
  own: one keyed session gets a `reply` (queued 40 / running 40 / preflight_compacting 10 /
  memory_flushing 10, abort honoured 40 %) at a random place and 0..2 more after it (completed
  30 %), within `max_steps`. With `replies_alone` (bench/diff_verbs.py sets it for versions with
  switch reply-own-activity, whose model plays a reply operation only so) the session is one
  with no work markers, backend, key steps or session file, whose run handles (if any) honour
  the abort (the reply then honours it too), none under drain hold or the scripted
  runtime (where none is, a processing session of its own, 0..2 queued turns), the reply is
  drawn after the session files, and its phases include the two waits (5 % each).
- timed model calls, drawn after everything else from a stream of their own (so the rest of a
  seed's scenarios stay as they were): in 30 % of scenarios, one session with no plain model
  call (seeded or stepped) gets a `start` of a model call with a `timeout_ms` (30 000,
  60 000, 299 999, 300 000, 400 000, 900 000 or 1 200 000; id "r", or "r2" for a second
  one 30 % of the time) at a random place, and its `end` somewhere after it 60 % of the
  time (within `max_steps`). `GenerateOptions(requests=False)` leaves them out.
- tool calls with a command deadline, drawn last from a stream of their own (so the rest of a
  seed's scenarios stay as they were): in 30 % of scenarios, one session with no timed model
  call gets a `start` of a tool call with a `deadline_ms` (1, 30 000, 60 000, 300 000 or
  1 200 000; id "dl", or "dl2" too 30 % of the time) at a random place, and its `end`
  somewhere after it 50 % of the time (within `max_steps`). `GenerateOptions(deadlines=False)`
  leaves them out.
- backend allowances, drawn last from a stream of their own: in 30 % of scenarios, one session
  with no model call (seeded, plain, timed) and no deadline tool call gets a `backend` `begin`
  (allowance 30 000, 120 000, 480 000 or 1 200 000) at a random place and 0..3 more backend
  steps after it (output, model_output, outstanding, settled, close alike), within
  `max_steps`. `GenerateOptions(backends=False)` leaves them out.
- the scripted runtime, drawn last from a stream of its own in 15 % of scenarios:
  `settings.runtime = "scripted"` and, after each tick 70 % of the time (within `max_steps`),
  an `answer` step for a random session somewhere later: nothing, noop/no_active_work,
  released (0 or 1 lane task), aborted (with a released lane task and one queued, or not), or
  skipped/active_embedded_run. `GenerateOptions(scripted=False)` leaves them out.
- session files, drawn last from a stream of their own in 30 % of scenarios: 80 % of the time
  (where a session owns a run) that owner and a sibling share `/tmp/probe-session-N.jsonl`,
  the sibling made one the loader takes (queue 0, work none, its bump, start, run progress,
  backend and queued or active-abort recover steps and both sessions' reply steps dropped;
  the first sibling, in random order, that the loader then takes), else one random session
  has the file alone. `GenerateOptions(session_files=False)` leaves them out.
- model request attempts, drawn last from a stream of their own in 30 % of scenarios: one
  session the loader lets have them (no session file, timed model call, run under another id,
  backend, key or reply step; 70 % of the time one with a run, seeded or owned, where there is
  one)
  gets 2..4 `start`s of model call "try" with `attempt = true` at random
  places, 50 % of the time semantic run progress (`progress`, target run, reason
  assistant:progress, `semantic = true`) somewhere after the first, and 30 % of the time the
  call's `end` after the last, within `max_steps` (none where fewer than 2 steps are left).
  `GenerateOptions(attempts=False)` leaves them out.
- held bus deliveries, drawn after everything else from a stream of their own in 40 % of
  scenarios: in the sessions with no timed model call, backend, key step, session file,
  request attempt or reply, one
  plain tool or model call `start` already drawn gets `delivery = "held"` (else, where there
  is none, a new one of either kind, id "h", at a random place, where `max_steps` leaves room),
  and a `deliver` comes somewhere after it, within `max_steps` (a full scenario gets none).
  `GenerateOptions(held=False)` leaves them out.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from probe.scenario.aliases import ID_STEPS, by_id, forgettable
from probe.scenario.dump import dump_scenario
from probe.scenario.loader import parse_scenario
from probe.scenario.run_ids import marker_of, other_session_id
from probe.scenario.session_files import shared_file_misuse
from probe.scenario.values import (
    DEFAULT_HEARTBEAT_MS,
    DEFAULT_SETTLE_MS,
    DEFAULT_WARN_MS,
    MAIN_MARKER,
    MARKER_KINDS,
    AbortAnswer,
    Advance,
    Answer,
    Backend,
    BackendAction,
    Bump,
    Deliver,
    Drain,
    End,
    Enqueue,
    Key,
    LaneTaskKind,
    MarkerKind,
    Own,
    Owner,
    Progress,
    ProgressTarget,
    Recover,
    Release,
    Reply,
    ReplyAbort,
    ReplyPhase,
    Scenario,
    SessionSeed,
    SessionState,
    Settings,
    Start,
    StateChange,
    Step,
    Tick,
    WorkKind,
)
from probe.strategies import REGISTRY

T = TypeVar("T")

REFS = ("agent:main:direct", "agent:main:group:ops", "agent:helper:direct")
MAX_COUNTER = 2**32 - 1
# The builds' thresholds: warn, abort (max(300 000, 3 x warn)), the 15-minute tool-call floor of
# later builds, and the state store's prune age.
AGE_ANCHORS = (0, DEFAULT_WARN_MS, 360_000, 900_000, 1_800_000)
AGE_NUDGES = (-30_000, -1, 0, 1, 30_000)
WARN_CHOICES = (1_000, 60_000, 100_000, 200_000, 999, 86_400_001)
VERBS = ("tick", "advance", "bump", "release", "state", "progress")
VERB_WEIGHTS = (35, 12, 16, 12, 12, 10)
DESCRIPTION = (
    "Generated by probe.scenario.generate: random and valid by construction (see the module's "
    "docstring for the distribution)."
)


@dataclass(frozen=True, slots=True)
class GenerateOptions:
    """What the generator may use beyond what every real build can express."""

    timer_settings: bool = False  # vary heartbeat_ms and settle_ms (the builds' constants)
    failed_releases: bool = False  # release with outcome = "failed" (no build can reject)
    max_sessions: int = 3
    max_steps: int = 12
    race_chance: float = 0.4
    arm_chance: float = 0.5  # of a planted race: set its session up so the race happens
    late_ticks: bool = True  # late heartbeats (see the module docstring)
    late_chance: float = 0.3
    verbs: bool = True  # abort_ms and the work/progress verbs (see the module docstring)
    verbs_chance: float = 0.5
    recover: bool = True  # direct `recover` steps (see the module docstring)
    recover_chance: float = 0.3
    lanes: bool = True  # `enqueue` steps: command-lane tasks (see the module docstring)
    lanes_chance: float = 0.3
    requests: bool = True  # timed model calls (see the module docstring)
    requests_chance: float = 0.3
    other_ids: bool = True  # embedded runs under other ids of a key (see the module docstring)
    other_ids_chance: float = 0.3
    deadlines: bool = True  # tool calls with a command deadline (see the module docstring)
    deadlines_chance: float = 0.3
    backends: bool = True  # backend allowances (see the module docstring)
    backends_chance: float = 0.3
    scripted: bool = True  # the scripted runtime and its `answer` steps (see the docstring)
    scripted_chance: float = 0.15
    # `reply` steps (see the module docstring): off unless asked for, since the model of every
    # version from 2026.7.2-beta.1 (switch reply-progress-only) refuses them.
    replies: bool = True
    replies_chance: float = 0.0
    # Only where the model of 2026.8.1 on (switch reply-own-activity) plays a reply operation:
    # a keyed session with no run, work, run steps or session file, under drain settle and the
    # real runtime (session files are then drawn before the reply, to leave its session alone).
    replies_alone: bool = False
    session_files: bool = True  # session files, one shared with a run (see the docstring)
    session_files_chance: float = 0.3
    attempts: bool = True  # model request attempts and semantic progress (see the docstring)
    attempts_chance: float = 0.3
    held: bool = True  # held bus deliveries: `start` delivery = "held", `deliver`
    held_chance: float = 0.4


def _pick(rng: random.Random, values: tuple[T, ...], weights: tuple[int, ...]) -> T:
    return rng.choices(values, weights)[0]


def _age(rng: random.Random) -> int:
    if rng.random() < 0.65:
        return max(0, rng.choice(AGE_ANCHORS) + rng.choice(AGE_NUDGES))
    return rng.randint(0, 1_200_000)


def _session(rng: random.Random, ref: str) -> SessionSeed:
    state: SessionState = _pick(rng, ("idle", "processing", "waiting"), (60, 30, 10))
    owner: Owner = _pick(rng, ("embedded_run", "none"), (60, 40))
    abort: AbortAnswer = "ignored"
    work: WorkKind
    if owner == "embedded_run":
        abort = _pick(rng, ("ignored", "honoured"), (60, 40))
        work = _pick(rng, ("embedded_run", "tool_call", "model_call", "none"), (50, 20, 15, 15))
    else:
        work = _pick(rng, ("none", "embedded_run", "tool_call", "model_call"), (40, 25, 20, 15))
    generation = _pick(rng, (0, rng.randint(1, 5), MAX_COUNTER - rng.randint(0, 10)), (60, 30, 10))
    queue = _pick(rng, (0, 1, rng.randint(2, 3), MAX_COUNTER), (35, 40, 20, 5))
    return SessionSeed(
        ref=ref,
        state=state,
        generation=generation,
        queue_depth=queue,
        owner=owner,
        abort=abort,
        work=work,
        progress_age_ms=_age(rng),
    )


def _settings(rng: random.Random, options: GenerateOptions) -> Settings:
    warn = DEFAULT_WARN_MS if rng.random() < 0.8 else rng.choice(WARN_CHOICES)
    drain: Drain = rng.choice(("settle", "hold"))
    heartbeat, settle = DEFAULT_HEARTBEAT_MS, DEFAULT_SETTLE_MS
    if options.timer_settings:
        if rng.random() < 0.4:
            heartbeat = rng.choice((1_000, 10_000, 15_000, 45_000, 60_000))
        if rng.random() < 0.4:
            settle = rng.choice((100, 1_000, 30_000, 45_000, 60_000))
    return Settings(heartbeat_ms=heartbeat, warn_ms=warn, settle_ms=settle, drain=drain)


def _advance_ms(rng: random.Random, settings: Settings) -> int:
    choices = (
        settings.settle_ms,
        settings.heartbeat_ms,
        settings.effective_warn_ms,
        settings.abort_threshold_ms(),
        rng.randint(1, 60_000),
    )
    return max(1, rng.choice(choices))


def _step(
    rng: random.Random, refs: tuple[str, ...], settings: Settings, options: GenerateOptions
) -> Step:
    verb = _pick(rng, VERBS, VERB_WEIGHTS)
    ref = rng.choice(refs)
    match verb:
        case "tick":
            return Tick()
        case "advance":
            return Advance(_advance_ms(rng, settings))
        case "bump":
            return Bump(ref)
        case "release":
            one = ref if rng.random() < 0.7 else None
            failed = options.failed_releases and rng.random() < 0.15
            return Release(one, failed)
        case "state":
            return StateChange(ref, rng.choice(("idle", "processing", "waiting")))
        case _:
            return Progress(ref)


SETTINGS_LATE_CHOICES = (999, 1_000, 1_200, 1_700)
JITTER_CHOICES = ((0, 2_000), (1_100, 1_700), (0, 999))
TICK_LATE_CHOICES = (0, 999, 1_000, 1_200, 15_000, 60_001)


def _late(scenario: Scenario, chance: float) -> Scenario:
    """Late heartbeats on top of a drawn scenario, from a stream seeded by that scenario."""
    rng = random.Random(zlib.crc32(repr((scenario.settings, scenario.steps)).encode()))
    if rng.random() >= chance:
        return scenario
    kind = rng.choice(("settings", "jitter", "ticks"))
    settings = scenario.settings
    if kind == "settings":
        settings = replace(settings, tick_late_ms=rng.choice(SETTINGS_LATE_CHOICES))
        return replace(scenario, settings=settings)
    if kind == "jitter":
        jitter = rng.choice(JITTER_CHOICES)
        settings = replace(settings, tick_jitter_ms=jitter, jitter_seed=rng.randint(0, 2**31))
        return replace(scenario, settings=settings)
    steps = tuple(
        Tick(rng.choice((*TICK_LATE_CHOICES, rng.randint(1, 3_000))))
        if isinstance(step, Tick) and rng.random() < 0.5
        else step
        for step in scenario.steps
    )
    return replace(scenario, steps=steps)


# openclaw's own tests run warn 30 s with abort 60 s or 90 s; the rest sit around the builds'
# thresholds, below warn (where config and test timings disagree) included.
ABORT_CHOICES = (1_000, 20_000, 60_000, 90_000, 299_999, 300_000, 400_000)


def _stream(name: str, scenario: Scenario) -> random.Random:
    """A random stream of its own for the draw `name` on top of `scenario`, seeded by what was
    drawn before it: adding a stream leaves every other stream's draws as they were."""
    return random.Random(zlib.crc32(repr((name, scenario.settings, scenario.steps)).encode()))


def _verbs(scenario: Scenario, chance: float, max_steps: int) -> Scenario:
    """The newer verbs on top of a drawn scenario, from a stream of their own (as _late)."""
    rng = _stream("verbs", scenario)
    if rng.random() >= chance:
        return scenario
    settings = scenario.settings
    if rng.random() < 0.5:
        if rng.random() < 0.5:
            settings = replace(settings, warn_ms=30_000)
        settings = replace(settings, abort_ms=rng.choice(ABORT_CHOICES))
    steps = [
        _progress_variant(rng, step) if isinstance(step, Progress) else step
        for step in scenario.steps
    ]
    refs = tuple(s.ref for s in scenario.sessions)
    # Work starting and ending: 1..4 marker steps at random places, of the main marker or a
    # second one, an embedded run's end clearing the calls or not.
    for _ in range(rng.randint(1, 4) if rng.random() < 0.6 else 0):
        if len(steps) >= max_steps:
            break
        ref = rng.choice(refs)
        kind: MarkerKind = rng.choice(MARKER_KINDS)
        marker = rng.choice((MAIN_MARKER, MAIN_MARKER, "2"))
        marker_step: Step = (
            Start(ref, kind, marker)
            if rng.random() < 0.5
            else End(ref, kind, marker, rng.random() < 0.7)
        )
        steps.insert(rng.randint(0, len(steps)), marker_step)
    # Identity: a session with its own session_id beside its key, or with an id and no key.
    sessions = tuple(
        _identity_variant(rng, number, seed) for number, seed in enumerate(scenario.sessions)
    )
    # Drawn last, so that a scenario that gets none is the one drawn before `own` existed.
    _owners(rng, steps, refs, max_steps)
    # A run whose abort call fails (refused), for 15 % of the owned sessions.
    sessions = tuple(
        replace(s, abort="refused")
        if s.owner == "embedded_run" and rng.random() < 0.15
        else s
        for s in sessions
    )
    return replace(scenario, settings=settings, steps=tuple(steps), sessions=sessions)


def _identity(scenario: Scenario) -> Scenario:
    """The empty key and id-only steps, drawn last from a stream of their own (seeded as
    _late), so that every other draw of a seed stays as it was."""
    rng = random.Random(zlib.crc32(repr(("identity", scenario.sessions, scenario.steps)).encode()))
    sessions, steps = _empty_key(rng, scenario.sessions, list(scenario.steps))
    steps = _id_steps(rng, scenario.settings, sessions, steps)
    return _remembered(replace(scenario, sessions=sessions, steps=tuple(steps)))


def _keyed(scenario: Scenario) -> Scenario:
    """A key step, drawn after every other step (see _key_step)."""
    sessions, steps = _key_step(scenario, scenario.sessions, list(scenario.steps))
    return _remembered(replace(scenario, sessions=sessions, steps=tuple(steps)))


# The key a `key` step gives an id-only session when it does not merge it into another.
NEW_KEY = "agent:main:rekeyed"


def _key_step(
    scenario: Scenario, sessions: tuple[SessionSeed, ...], steps: list[Step]
) -> tuple[tuple[SessionSeed, ...], list[Step]]:
    """A `key` step for an id-only session in 30 % of the scenarios that have one, from a
    stream of its own (so every other draw stays as it was): a new key, or 40 % of the time
    a merge into a keyed session without a session_id of its own. Both sessions then keep to
    what the loader lets a key step touch: no run or work seeded, no step but bump, state and
    record progress (other steps naming them are dropped, progress made record-only); steps
    after it name the session by the key, or 40 % of the time by its id alone."""
    rng = random.Random(zlib.crc32(repr(("key", scenario.sessions, scenario.steps)).encode()))
    id_only = [s for s in sessions if not s.keyed]
    if not id_only or rng.random() >= 0.3:
        return sessions, steps
    seed = rng.choice(id_only)
    targets = [s for s in sessions if s.keyed and s.ref and s.session_id is None]
    merge = targets and rng.random() < 0.4
    key = rng.choice(targets).ref if merge else NEW_KEY
    involved = {seed.ref, key}
    sessions = tuple(
        replace(s, owner="none", work="none", abort="ignored") if s.ref in involved else s
        for s in sessions
    )
    kept: list[Step] = []
    for step in steps:
        named = getattr(step, "session", None)
        if named not in involved or isinstance(step, (Bump, StateChange)):
            kept.append(step)
        elif isinstance(step, Progress):
            kept.append(replace(step, target="record"))
    at = rng.randint(0, len(kept))
    after: list[Step] = []
    for step in kept[at:]:
        if isinstance(step, ID_STEPS) and step.session == seed.ref:
            step = replace(step, session=key, via=seed.ref if rng.random() < 0.4 else None)
        after.append(step)
    return sessions, [*kept[:at], Key(seed.ref, key), *after]


def _empty_key(
    rng: random.Random, sessions: tuple[SessionSeed, ...], steps: list[Step]
) -> tuple[tuple[SessionSeed, ...], list[Step]]:
    """The first session's key is "" (an empty sessionKey, its id beside it) 15 % of the time,
    when it has a key: its steps follow it."""
    first = sessions[0]
    if not first.keyed or rng.random() >= 0.15:
        return sessions, steps
    renamed = replace(first, ref="", session_id=first.session_id or "sid-1")
    moved = [
        replace(step, session="")
        if isinstance(step, (*ID_STEPS, Release, Own, Recover, Enqueue))
        and step.session == first.ref
        else step
        for step in steps
    ]
    return (renamed, *sessions[1:]), moved


def _id_steps(
    rng: random.Random, settings: Settings, sessions: tuple[SessionSeed, ...], steps: list[Step]
) -> list[Step]:
    """Some steps of a keyed session with its own session_id name it by the id (the call
    passes the id alone), except where the loader would refuse it (see aliases.forgettable)."""
    ids = {ref: sid for sid, ref in by_id(sessions).items()}
    if not ids:
        return steps
    return [
        replace(step, via=ids[step.session])
        if isinstance(step, ID_STEPS) and step.session in ids and rng.random() < 0.4
        else step
        for step in steps
    ]


def _remembered(scenario: Scenario) -> Scenario:
    """Id-only steps the loader would refuse (their record may be forgotten) name the key."""
    refused = {n for n, _ in forgettable(scenario.settings, scenario.sessions, scenario.steps)}
    if not refused:
        return scenario
    steps = tuple(
        replace(step, via=None) if number in refused and isinstance(step, ID_STEPS) else step
        for number, step in enumerate(scenario.steps, start=1)
    )
    return replace(scenario, steps=steps)


def _owners(rng: random.Random, steps: list[Step], refs: tuple[str, ...], limit: int) -> None:
    """1..2 `own` steps in 40 % of scenarios, half of them right after a tick (where a
    recovery that tick asked for may be draining the run they replace)."""
    if rng.random() >= 0.4:
        return
    for _ in range(rng.randint(1, 2)):
        if len(steps) >= limit:
            return
        ticks = [i + 1 for i, step in enumerate(steps) if isinstance(step, Tick)]
        at = rng.choice(ticks) if ticks and rng.random() < 0.5 else rng.randint(0, len(steps))
        abort: AbortAnswer = _pick(rng, ("ignored", "honoured", "refused"), (50, 35, 15))
        steps.insert(at, Own(rng.choice(refs), abort))


def _identity_variant(rng: random.Random, number: int, seed: SessionSeed) -> SessionSeed:
    draw = rng.random()
    if draw < 0.25:
        return replace(seed, keyed=False)
    if draw < 0.5:
        return replace(seed, session_id=f"sid-{number + 1}")
    return seed


# Reasons openclaw's own callers report, terminal ones included.
PROGRESS_REASONS = (
    "scenario:progress",
    "assistant:delta",
    "tool:scenario_tool:ended",
    "run:completed",
    "embedded_run:ended",
    "codex:response.completed",
    "output_item.done",
)
AGO_CHOICES = (0, 0, 1_000, 29_999, 60_000, 150_000, 400_000)


def _progress_variant(rng: random.Random, step: Progress) -> Progress:
    target: ProgressTarget = _pick(rng, ("both", "run", "record"), (40, 40, 20))
    reason = rng.choice(PROGRESS_REASONS) if target != "record" else step.reason
    return Progress(step.session, target, reason, rng.choice(AGO_CHOICES))


# A direct call's arguments as openclaw's tests pass them: their ages (180 s, 720 s), the stale
# thresholds around the builds' (300 000 default, the 900 000 tool-call floor).
RECOVER_AGES = (0, 180_000, 720_000)
RECOVER_STALE = (1_000, 300_000, 900_000)


def _direct_recoveries(scenario: Scenario, chance: float, max_steps: int) -> Scenario:
    """1..2 `recover` steps on top of a drawn scenario, from a stream of their own (as _late)."""
    rng = _stream("recover", scenario)
    if rng.random() >= chance:
        return scenario
    steps = list(scenario.steps)
    for _ in range(rng.randint(1, 2)):
        if len(steps) >= max_steps:
            break
        seed = rng.choice(scenario.sessions)
        generation = None
        expected: SessionState = "processing"
        if rng.random() < 0.3:  # a state check: the seeded generation, or one past it
            generation = min(MAX_COUNTER, seed.generation + rng.choice((0, 0, 1)))
            expected = rng.choice(("idle", "processing", "waiting"))
        step = Recover(
            seed.ref,
            allow_active_abort=rng.random() < 0.4,
            age_ms=rng.choice(RECOVER_AGES),
            queue_depth=rng.choice((0, 1, 1, 2)),
            generation=generation,
            expected_state=expected,
            stale_abort_ms=rng.choice(RECOVER_STALE) if rng.random() < 0.3 else None,
            compaction_safety_ms=rng.choice((100_000, 600_000)) if rng.random() < 0.2 else None,
        )
        steps.insert(rng.randint(0, len(steps)), step)
    return replace(scenario, steps=tuple(steps))


def _lane_tasks(scenario: Scenario, chance: float, max_steps: int) -> Scenario:
    """1..3 `enqueue` steps on top of a drawn scenario, from a stream of their own (as _late)."""
    rng = _stream("lanes", scenario)
    if rng.random() >= chance:
        return scenario
    steps = list(scenario.steps)
    for _ in range(rng.randint(1, 3)):
        if len(steps) >= max_steps:
            break
        ref = rng.choice(scenario.sessions).ref
        task: LaneTaskKind = "blocked" if rng.random() < 0.6 else "quick"
        steps.insert(rng.randint(0, len(steps)), Enqueue(ref, task))
    return replace(scenario, steps=tuple(steps))


def build(
    rng: random.Random, options: GenerateOptions = GenerateOptions(), name: str = ""
) -> Scenario:
    """The scenario as values, before the loader has seen it (see `generate`)."""
    count = _pick(rng, (1, 2, 3), (50, 30, 20))
    count = max(1, min(count, options.max_sessions, len(REFS)))
    refs = REFS[:count]
    sessions = [_session(rng, ref) for ref in refs]
    settings = _settings(rng, options)
    longest = max(1, options.max_steps)
    length = rng.randint(min(2, longest), longest)
    race = rng.random() < options.race_chance
    if race:  # the three planted steps count towards the length
        length = max(0, min(length, longest - 3))
    steps = [_step(rng, refs, settings, options) for _ in range(length)]
    if race:
        target = rng.randrange(count)
        ref = refs[target]
        at = rng.randint(0, len(steps))
        steps[at:at] = [Tick(), Bump(ref), Tick()]
        seed = sessions[target]
        # Old enough to be requested at the first tick, whatever it is classified as.
        abort_ms = max(settings.abort_threshold_ms(False), settings.abort_threshold_ms(True))
        if seed.progress_age_ms < abort_ms:
            age = abort_ms + rng.randint(0, 30_000)
            seed = replace(seed, progress_age_ms=age)
        if rng.random() < options.arm_chance:
            # The shape: a held recovery of an idle queued session whose run ignores
            # the abort stays in flight across the second tick.
            seed = replace(
                seed,
                state="idle",
                queue_depth=max(1, seed.queue_depth),
                owner="embedded_run",
                abort="ignored",
                work=rng.choice(("embedded_run", "tool_call")),
            )
            settings = replace(settings, drain="hold")
        sessions[target] = seed
    scenario = Scenario(
        name=name or "random scenario",
        description=DESCRIPTION,
        sessions=tuple(sessions),
        steps=tuple(steps),
        settings=settings,
    )
    if options.verbs:
        scenario = _verbs(scenario, options.verbs_chance, options.max_steps)
    if options.recover:
        scenario = _direct_recoveries(scenario, options.recover_chance, options.max_steps)
    if options.lanes:
        scenario = _lane_tasks(scenario, options.lanes_chance, options.max_steps)
    scenario = _late(scenario, options.late_chance) if options.late_ticks else scenario
    if options.requests:
        scenario = _requests(scenario, options.requests_chance, options.max_steps)
    scenario = _identity(scenario) if options.verbs else scenario
    if options.other_ids:
        scenario = _other_ids(scenario, options.other_ids_chance, options.max_steps)
    if options.deadlines:
        scenario = _tool_deadlines(scenario, options.deadlines_chance, options.max_steps)
    if options.backends:
        scenario = _backends(scenario, options.backends_chance, options.max_steps)
    if options.scripted:
        scenario = _scripted(scenario, options.scripted_chance, options.max_steps)
    alone = options.replies_alone
    if options.replies and not alone:
        scenario = _replies(scenario, options.replies_chance, options.max_steps)
    scenario = _keyed(scenario) if options.verbs else scenario
    if options.session_files:
        scenario = _session_files(scenario, options.session_files_chance)
    if options.replies and alone:
        scenario = _replies(scenario, options.replies_chance, options.max_steps, alone=True)
    if options.attempts:
        scenario = _attempts(scenario, options.attempts_chance, options.max_steps)
    if options.held:
        scenario = _held_starts(scenario, options.held_chance, options.max_steps)
    return scenario


def _held_starts(scenario: Scenario, chance: float, max_steps: int) -> Scenario:
    """Held bus deliveries, drawn last from a stream of their own (as _late): a plain tool or
    model call's start of a session the loader lets hold one is held (one already drawn, else
    a new one with id "h" at a random place), and a `deliver` comes at a random place after
    it, where `max_steps` leaves room."""
    rng = _stream("held", scenario)
    if rng.random() >= chance:
        return scenario
    # Not where a run owner of its own lives (a timed model call, a backend), nor in the
    # sessions a key step or a shared session file keeps to the record alone.
    busy = {
        step.session
        for step in scenario.steps
        if (isinstance(step, Start) and step.timeout_ms is not None) or isinstance(step, Backend)
    }
    keys = [step for step in scenario.steps if isinstance(step, Key)]
    busy |= {step.session for step in keys} | {step.key for step in keys}
    busy |= {s.ref for s in scenario.sessions if s.session_file is not None}
    # Nor beside a model request's attempts (drawn before it; probe/scenario/attempts.py), nor
    # in a reply's session (the model of 8.1+ plays a reply only in a session with no start).
    busy |= {step.session for step in scenario.steps if isinstance(step, Start) and step.attempt}
    busy |= {step.session for step in scenario.steps if isinstance(step, Reply)}
    free = [s.ref for s in scenario.sessions if s.ref not in busy]
    drawn = [
        i
        for i, step in enumerate(scenario.steps)
        if isinstance(step, Start)
        and step.work in ("tool_call", "model_call")
        and step.timeout_ms is None
        and step.deadline_ms is None
        and not step.attempt
        and step.session in free
    ]
    steps = list(scenario.steps)
    if drawn and len(steps) < max_steps:
        at = rng.choice(drawn)
        start = steps[at]
        assert isinstance(start, Start)  # one of `drawn`
        steps[at] = replace(start, held=True)
    elif free and len(steps) + 2 <= max_steps:
        kind: MarkerKind = rng.choice(("tool_call", "model_call"))
        at = rng.randint(0, len(steps))
        steps.insert(at, Start(rng.choice(free), kind, "h", held=True))
    else:
        return scenario  # no room for the two steps: nothing else is replaced
    steps.insert(rng.randint(at + 1, len(steps)), Deliver())
    return replace(scenario, steps=tuple(steps))


ATTEMPT_MARKER = "try"


def _attempts(scenario: Scenario, chance: float, max_steps: int) -> Scenario:
    """Model request attempts of one session's run, from a stream of their own (as _late),
    drawn last so that the rest of a seed's scenarios stay as they were; only where the loader
    takes them (probe/scenario/attempts.py) and the session has no file (a sibling's)."""
    rng = _stream("attempts", scenario)
    if rng.random() >= chance:
        return scenario
    busy = {s.ref for s in scenario.sessions if s.session_file is not None}
    for step in scenario.steps:
        if (isinstance(step, Start) and (
            step.timeout_ms is not None or other_session_id(step.id) is not None
        )) or isinstance(step, Backend):
            busy.add(step.session)
        elif isinstance(step, Key):
            busy |= {step.session, step.key}
        elif isinstance(step, Reply):
            busy.add(step.session)  # a reply's session has no work of its own (8.1+)
    free = [s.ref for s in scenario.sessions if s.ref not in busy]
    room = max_steps - len(scenario.steps)
    if not free or room < 2:
        return scenario
    # Attempts count only while the session's run is active: 70 % of the time, a session
    # seeded with one, or owned by a step, where there is one.
    runs = [
        s.ref
        for s in scenario.sessions
        if s.ref in free and (s.owner == "embedded_run" or s.work == "embedded_run")
    ]
    runs += [x.session for x in scenario.steps if isinstance(x, Own) and x.session in free]
    ref = rng.choice(runs if runs and rng.random() < 0.7 else free)
    steps = list(scenario.steps)
    places = sorted(rng.randint(0, len(steps)) for _ in range(rng.randint(2, min(4, room))))
    for offset, at in enumerate(places):
        steps.insert(at + offset, Start(ref, "model_call", ATTEMPT_MARKER, attempt=True))
    first, last = places[0], places[-1] + len(places) - 1
    if len(steps) < max_steps and rng.random() < 0.5:
        at = rng.randint(first + 1, len(steps))
        steps.insert(at, Progress(ref, "run", "assistant:progress", semantic=True))
        last += 1 if at <= last else 0
    if len(steps) < max_steps and rng.random() < 0.3:
        steps.insert(rng.randint(last + 1, len(steps)), End(ref, "model_call", ATTEMPT_MARKER))
    return replace(scenario, steps=tuple(steps))


def _session_files(scenario: Scenario, chance: float) -> Scenario:
    """Session files, drawn last from a stream of their own (as _late): a run's owner and a
    sibling share one where the loader takes it (see probe/scenario/session_files.py), else
    one session has a file of its own."""
    rng = _stream("files", scenario)
    if rng.random() >= chance:
        return scenario
    path = f"/tmp/probe-session-{rng.randint(1, 9)}.jsonl"
    sessions = list(scenario.sessions)
    refs = [x.ref for x in sessions]
    owners = [r for r in refs if any(x.ref == r and x.owner == "embedded_run" for x in sessions)]
    owners += [x.session for x in scenario.steps if isinstance(x, Own) and x.session not in owners]
    picks: list[tuple[str, ...]] = []
    if owners and len(refs) > 1 and rng.random() < 0.8:
        owner = rng.choice(owners)
        siblings = [r for r in refs if r != owner]
        rng.shuffle(siblings)
        picks += [(owner, sibling) for sibling in siblings]
    picks.append((rng.choice(refs),))
    for pick in picks:
        tried = [replace(x, session_file=path) if x.ref in pick else x for x in sessions]
        steps = scenario.steps
        if len(pick) == 2:
            # The sibling made one the loader takes: no queue, work or run steps of its own.
            tried = [_quiet(x) if x.ref == pick[1] else x for x in tried]
            steps = tuple(x for x in steps if not _sibling_step(x, *pick))
        if not any(shared_file_misuse(tried, steps)):
            return replace(scenario, sessions=tuple(tried), steps=steps)
    return scenario


def _quiet(seed: SessionSeed) -> SessionSeed:
    return replace(seed, queue_depth=0, work="none")


def _sibling_step(step: Step, owner: str, sibling: str) -> bool:
    """A step _session_files drops for a file's sibling (see session_files.py)."""
    if isinstance(step, Reply):
        return step.session in (owner, sibling)
    if getattr(step, "session", None) != sibling:
        return False
    if isinstance(step, Recover):
        return step.allow_active_abort or step.queue_depth > 0
    if isinstance(step, Progress):
        return step.target != "record"
    return isinstance(step, Bump | Start | Backend)


# What a scripted runtime answers, as openclaw's tests mock it: nothing, the runtime's own
# outcomes, and outcomes the real runtime would not give in that state.
SCRIPTED_ANSWERS = (
    Answer("", "none"),
    Answer("", "noop", "none", "no_active_work"),
    Answer("", "released", "release_lane"),
    Answer("", "released", "release_lane", released=1),
    Answer("", "aborted", "abort_embedded_run", work="embedded_run"),
    Answer("", "aborted", "abort_embedded_run", released=1, queued_count=1, work="embedded_run"),
    Answer("", "skipped", "observe_only", "active_embedded_run", work="embedded_run"),
)


def _scripted(scenario: Scenario, chance: float, max_steps: int) -> Scenario:
    """The scripted runtime, with an answer after some ticks, from a stream of its own (as
    _late): drawn last, so every other draw of a seed stays as it was."""
    rng = _stream("scripted", scenario)
    if rng.random() >= chance:
        return scenario
    steps = list(scenario.steps)
    for at in reversed([i for i, step in enumerate(steps) if isinstance(step, Tick)]):
        if len(steps) >= max_steps:
            break
        if rng.random() < 0.7:
            ref = rng.choice(scenario.sessions).ref
            answer = replace(rng.choice(SCRIPTED_ANSWERS), session=ref)
            steps.insert(rng.randint(at + 1, len(steps)), answer)
    settings = replace(scenario.settings, runtime="scripted")
    return replace(scenario, settings=settings, steps=tuple(steps))


# The other session ids a key's runs are drawn under, suffixed by the session's number (no
# session's name: refs are REFS, ids sid-N).
OTHER_IDS = ("run-a", "run-b")


def _other_ids(scenario: Scenario, chance: float, max_steps: int) -> Scenario:
    """Embedded runs under other session ids of a keyed session, from a stream of their own.

    Drawn after the identity variants, on a session with a non-empty key only (the loader
    refuses the rest; see probe/scenario/run_ids.py)."""
    rng = _stream("other-ids", scenario)
    if rng.random() >= chance:
        return scenario
    keyed = [s.ref for s in scenario.sessions if s.keyed and s.ref]
    if not keyed:
        return scenario
    steps = list(scenario.steps)
    for _ in range(rng.randint(1, 3)):
        if len(steps) >= max_steps:
            break
        # One key's ids are its own: an id shared by two keys merges their activities.
        number = rng.randrange(len(keyed))
        ref, marker = keyed[number], marker_of(f"{rng.choice(OTHER_IDS)}-{number + 1}")
        at = rng.randint(0, len(steps))
        steps.insert(at, Start(ref, "embedded_run", marker))
        if len(steps) < max_steps and rng.random() < 0.5:
            end = End(ref, "embedded_run", marker, rng.random() < 0.7)
            steps.insert(rng.randint(at + 1, len(steps)), end)
    return replace(scenario, steps=tuple(steps))


ALLOWANCE_CHOICES = (30_000, 120_000, 480_000, 1_200_000)
LATER_BACKEND_ACTIONS: tuple[BackendAction, ...] = (
    "output",
    "model_output",
    "outstanding",
    "settled",
    "close",
)


def _backends(scenario: Scenario, chance: float, max_steps: int) -> Scenario:
    """A backend's steps on top of a drawn scenario, from a stream of their own (as _late), in
    a session with no model call and no deadline tool call (the loader keeps them apart)."""
    rng = _stream("backends", scenario)
    if rng.random() >= chance:
        return scenario
    busy = {s.ref for s in scenario.sessions if s.work == "model_call"} | {
        step.session
        for step in scenario.steps
        if isinstance(step, Start | End)
        and (step.work == "model_call" or getattr(step, "deadline_ms", None) is not None)
    }
    free = [s.ref for s in scenario.sessions if s.ref not in busy]
    if not free or len(scenario.steps) >= max_steps:
        return scenario
    ref = rng.choice(free)
    steps = list(scenario.steps)
    at = rng.randint(0, len(steps))
    steps.insert(at, Backend(ref, "begin", rng.choice(ALLOWANCE_CHOICES)))
    for _ in range(rng.randint(0, 3)):
        if len(steps) >= max_steps:
            break
        action = rng.choice(LATER_BACKEND_ACTIONS)
        steps.insert(rng.randint(at + 1, len(steps)), Backend(ref, action))
    return replace(scenario, steps=tuple(steps))


DEADLINE_CHOICES = (1, 30_000, 60_000, 300_000, 1_200_000)


def _tool_deadlines(scenario: Scenario, chance: float, max_steps: int) -> Scenario:
    """Tool calls with a command deadline on top of a drawn scenario, from a stream of their
    own (as _late), in a session with no timed model call (the loader keeps them apart)."""
    rng = _stream("deadlines", scenario)
    if rng.random() >= chance:
        return scenario
    # Not beside timed model calls or runs under other ids: the loader keeps them apart.
    timed = {
        s.session
        for s in scenario.steps
        if isinstance(s, Start) and (s.timeout_ms or other_session_id(s.id) is not None)
    }
    free = [s.ref for s in scenario.sessions if s.ref not in timed]
    if not free:
        return scenario
    ref = rng.choice(free)

    def start(marker: str) -> Start:
        return Start(ref, "tool_call", marker, None, rng.choice(DEADLINE_CHOICES))

    return _with_markers(scenario, rng, ref, "tool_call", "dl", start, 0.5, max_steps)


def _with_markers(
    scenario: Scenario,
    rng: random.Random,
    ref: str,
    work: MarkerKind,
    name: str,
    start: Callable[[str], Start],
    end_chance: float,
    max_steps: int,
) -> Scenario:
    """One marker `name` (30 %: two, `name` and `name`2) of `work` started at random places in
    the session `ref`, each ended later with `end_chance`: the timed streams' common shape."""
    steps = list(scenario.steps)
    for marker in (name, f"{name}2") if rng.random() < 0.3 else (name,):
        if len(steps) >= max_steps:
            break
        at = rng.randint(0, len(steps))
        steps.insert(at, start(marker))
        if len(steps) < max_steps and rng.random() < end_chance:
            steps.insert(rng.randint(at + 1, len(steps)), End(ref, work, marker))
    return replace(scenario, steps=tuple(steps))


REPLY_BEGIN_PHASES: tuple[ReplyPhase, ...] = (
    "queued",
    "running",
    "preflight_compacting",
    "memory_flushing",
)
REPLY_ALONE_PHASES: tuple[ReplyPhase, ...] = (
    *REPLY_BEGIN_PHASES,
    "waiting_for_global_lane",
    "waiting_for_deferred_maintenance",
)


def _replies(scenario: Scenario, chance: float, max_steps: int, *, alone: bool = False) -> Scenario:
    """A reply operation on top of a drawn scenario, from a stream of their own (as _late),
    drawn last so that the rest of a seed's scenarios stay as they were: one keyed session's
    `reply` at a random place, then 0..2 more of it after (completed 30 %), up to 3 steps past
    `max_steps` (the other streams have usually filled it by now)."""
    rng = _stream("replies", scenario)
    if rng.random() >= chance:
        return scenario
    keyed = [s.ref for s in scenario.sessions if s.keyed and s.ref != ""]
    if alone:
        keyed = _reply_alone_sessions(scenario, keyed)
        settings = scenario.settings
        if not keyed and settings.drain != "hold" and settings.runtime != "scripted":
            # None plain: a session of the reply's own, processing with 0..2 queued turns.
            own = SessionSeed(
                REPLY_SESSION, "processing", queue_depth=rng.randint(0, 2), session_id="reply-1"
            )
            if all(s.ref != REPLY_SESSION for s in scenario.sessions):
                scenario = replace(scenario, sessions=(*scenario.sessions, own))
                keyed = [REPLY_SESSION]
    steps = list(scenario.steps)
    limit = max_steps + 3
    if not keyed or len(steps) >= limit:
        return scenario
    ref = rng.choice(keyed)
    at = rng.randint(0, len(steps))
    abort: ReplyAbort = "honoured" if rng.random() < 0.4 else "ignored"
    if alone and _has_handle(scenario, ref):
        abort = "honoured"  # beside a run handle the model plays only an honoured abort
    # replies_alone (8.1 on) draws the two waits too.
    phases = REPLY_ALONE_PHASES if alone else REPLY_BEGIN_PHASES
    begin = (35, 35, 10, 10, 5, 5) if alone else (40, 40, 10, 10)
    later = (15, 45, 15, 15, 5, 5) if alone else (20, 50, 15, 15)
    steps.insert(at, Reply(ref, _pick(rng, phases, begin), abort))
    for _ in range(rng.randint(0, 2)):
        if len(steps) >= limit:
            break
        phase: ReplyPhase = "completed" if rng.random() < 0.3 else _pick(rng, phases, later)
        at = rng.randint(at + 1, len(steps))
        steps.insert(at, Reply(ref, phase, abort))
    return replace(scenario, steps=tuple(steps))


# The session _replies adds, with replies_alone, where no drawn one can hold the operation.
REPLY_SESSION = "agent:main:reply"


def _reply_alone_sessions(scenario: Scenario, keyed: list[str]) -> list[str]:
    """Of `keyed`, the sessions where reply-own-activity's model plays a reply operation
    (probe/engines/base.py): no work markers, backend, key steps or session file, and every
    run handle honouring the abort (the reply then honours it too: see _replies); none under
    drain hold or the scripted runtime."""
    settings = scenario.settings
    if settings.drain == "hold" or settings.runtime == "scripted":
        return []
    busy = {step.session for step in scenario.steps if isinstance(step, Start | End | Backend)}
    owns = [step for step in scenario.steps if isinstance(step, Own)]
    busy |= {step.session for step in owns if step.abort != "honoured"}
    # A key step's sessions too: the loader refuses a reply there (drawn after _keyed here).
    keys = [step for step in scenario.steps if isinstance(step, Key)]
    busy |= {ref for step in keys for ref in (step.session, step.key)}
    plain = {
        s.ref
        for s in scenario.sessions
        if s.session_file is None
        and (
            (s.owner == "none" and s.work == "none")
            or (s.owner != "none" and s.abort == "honoured" and s.work in ("embedded_run", "none"))
        )
    }
    return [ref for ref in keyed if ref in plain and ref not in busy]


def _has_handle(scenario: Scenario, ref: str) -> bool:
    return any(s.ref == ref and s.owner != "none" for s in scenario.sessions) or any(
        isinstance(step, Own) and step.session == ref for step in scenario.steps
    )


TIMEOUT_CHOICES = (30_000, 60_000, 299_999, 300_000, 400_000, 900_000, 1_200_000)


def _requests(scenario: Scenario, chance: float, max_steps: int) -> Scenario:
    """Timed model calls on top of a drawn scenario, from a stream of their own (as _late).

    Only in a session with no plain model call: the loader keeps a session's model calls all
    timed or all plain."""
    rng = _stream("requests", scenario)
    if rng.random() >= chance:
        return scenario
    plain = {s.ref for s in scenario.sessions if s.work == "model_call"} | {
        step.session
        for step in scenario.steps
        if isinstance(step, Start | End) and step.work == "model_call"
    }
    free = [s.ref for s in scenario.sessions if s.ref not in plain]
    if not free:
        return scenario
    ref = rng.choice(free)

    def start(marker: str) -> Start:
        return Start(ref, "model_call", marker, rng.choice(TIMEOUT_CHOICES))

    return _with_markers(scenario, rng, ref, "model_call", "r", start, 0.6, max_steps)


def generate(
    rng: random.Random, options: GenerateOptions = GenerateOptions(), name: str = ""
) -> Scenario:
    """One random valid scenario, loaded through probe's own loader from its dumped TOML."""
    text = dump_scenario(build(rng, options, name))
    return parse_scenario(text, name or "random scenario", REGISTRY.keys())


def generate_many(
    seed: int, count: int, options: GenerateOptions = GenerateOptions()
) -> list[tuple[str, Scenario]]:
    """`count` scenarios from one seed, each labelled with the seed and its number."""
    rng = random.Random(seed)
    return [
        (label, generate(rng, options, name=label))
        for label in (f"random scenario {i} (seed {seed})" for i in range(1, count + 1))
    ]
