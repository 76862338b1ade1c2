"""A finite abstraction of the model's state, for searching to a fixpoint (no depth bound).

The concrete state key (World.state_key) already holds times relative to now, yet it still
holds values that grow without bound along a path. The abstract key replaces each by what
the version's decisions can tell apart, keeping World.state_key's layout (so symmetry's
Fingerprints reads it unchanged). Two states with one abstract key are taken as one: the
search expands the first reached, so the abstraction is sound when every two states of a
class behave alike for every property, step for step. The argument, part by part:

- Generations. Every read of one is an equality between a record's generation and a
  request's (`is_current`, the checker pairing requested and completed events, the buggy
  design's in-flight key ref:generation), or `_still_current`'s record = request + 1. A
  record's generation only grows. So a request's generation g is kept as its distance
  d = record - g where d is 0 or 1, and any larger distance (which can only grow, so is
  never 0 or 1 again) by its rank among the distinct larger distances of that ref: the
  equalities between requests survive, the values go. With no record (pruned, or not yet
  made), or a request newer than its record, the generations stay as they are: a new
  record starts again at 0. The one gap: a record pruned while a request of it is held
  (30 minutes idle and empty with a recovery pending) restarts at 0 and can reach that
  request's generation again, after as many touches as its absolute value, which the
  distance no longer says (the fourth approximation; this mode found such a path).
- Ages and time offsets (record activity, tool start, progress, as offsets from now).
  Each decision compares an age with a threshold (warn, abort, the stale-progress reclaim,
  the 15-minute tool floor, the 30-minute prune TTL) and an age only grows until it is
  reset. Past its clock's cap (see Caps: the largest threshold that clock meets, plus
  `_margin`: 1 ms for the strict comparisons, and how much earlier than now a late firing
  observes under switch defer-late-tick; every other comparison observes the age now),
  every comparison is decided and stays so: ages past it are one class.
- Dead clocks. A record's age is read only where the heartbeat judges the record by it
  (processing: attention past warn, the embedded abort, owned work's max with progress)
  and by the prune (idle with an empty queue). Waiting, or idle with queued work, the
  heartbeat judges an idle record by its run's progress or not at all, and every way out
  of those states (a state change, an applied outcome) touches the record: its age is
  read by nothing before it is reset, so it is one class there (`record_clock_read`).
  A run's progress (age and reason) is read by the classification, the idle stall and the
  runtime's stale-progress reclaim, all behind a work marker or the run's handle: with
  none (the run ended, no steps starts work) it is one class until progress resets it
  (`progress_read`).
- Forgotten records (from 2026.8.2, switch no-prune-on-create, with keys naming their
  ref). An idle record with an empty queue and no recovery of it open anywhere (checker,
  waiter, runtime, a key in flight: `held`) is as good as pruned. No heartbeat judges it;
  any lookup makes it again or touches it, both leaving an idle record of age 0 and (no
  request held) a generation only equalities read; its prune forgets it, which the
  abstract key has done already; and with no prune on making a record, its being there
  or not changes no other record's prune. So it is left out of the abstract key, and the
  records are listed in ref order (a record made again goes last; the order one heartbeat
  visits records in changes only the order of different refs' events, the symmetry
  argument in probe.explore.fingerprints). Before 8.2 making a record prunes, so a
  forgotten record made again could prune a held idle record earlier than the next
  heartbeat does: not forgotten there.
- The prune clock (time since the last prune, capped at the interval). A lookup prunes
  when one is due; every heartbeat prunes regardless and restarts it, and so does making
  a record before 8.2. Where it plus the time to the next heartbeat is under the interval
  no lookup finds a prune due before that heartbeat, which restarts it for every state
  of the class: one class (`QUIET`).
- The throttle's back-off (last stuck / long-running warning age). It gates only the
  attention events, which a search does not observe, except where a throttled
  session.stuck stops the request (before switch recover-when-throttled, F06). With F06
  on it is dropped. Without F06 the last warning age L is kept while under the record cap,
  and the record's age then up to the back-off's threshold max(L + warn, 2L): exact. Past
  the cap L saturates: there the back-off (next warning at twice the last, without end)
  is approximated; it takes a stuck session left alone past the abort threshold.
- Queue depths of records: compared with 0, less one from switch queued-backlog (F16),
  and stepped by one. Depths from `QUEUE_CAP` up are one: a queue that deep needs more
  steps to empty than a short path gives it. A saturated counter that steps down is no
  bisimulation (3 and 4 differ after three releases): this is the second approximation,
  and tests/test_explore_fixpoint.py shows it is the only one its stability check finds on
  its seeds.
- Request ages and queue depths (a held request's ageMs and queueDepth: a waiter's and an
  open check's). The runtime reads them at the ask, before the request is held (the age
  against the stale lane-task release, the depth > 0), and once held only beside a command
  lane (the L1 reset's depth > 0, the queued-lane `max(record, request)` after an aborted
  outcome reporting queued lane tasks); a search has no lanes (its seeds and steps never
  enqueue). Past that they are part of the request's identity, which the checker's pairing
  compares with a completed event's. A completed event is either a settled request's own,
  or an already_in_flight answer, which pairs only with an open request made at the same
  instant: the request it answers (the runtime absorbing one the coordinator let through);
  a coordinator's answer to a new ask never meets one, as a search's asks come from
  heartbeat firings, one per record per firing. So every request adds one open entry and
  only its own completion takes one equal to it away: a waiter's request always has an
  open entry equal to it (tests/test_explore_fixpoint.py checks this), and removing "the
  first equal entry" leaves the same entries, up to equal ones, whichever it was. Two
  states whose held identities differ only in ages and depths then pair every completion
  alike and open and close entries alike, as far as any verdict (an entry open or not) can
  tell: ages and depths are dropped but for the sides above (`request_age_labels`,
  `request_depth_labels`), exactly. (This replaces their saturation past the record cap and
  at `QUEUE_CAP`, which was an approximation.)
- Properties beyond class 1 (`judged_key`). A judge of more than class 1 keys on its
  truth (per session: state, queue, when the record was touched and the run progressed,
  the owner, the work, how the run answers an abort, its timed calls) and its monitors'
  keys. Truth's own updates read only the owner, the work and the timed calls; the record's
  state, queue and the two instants are written, never read, by it (the queue only to step
  itself). stale-evidence keys on
  the outcome last applied per session (one of a few names) and reads the work (is any
  left) and a requested event's state and work kind; truthful-outcome keys on the sessions
  whose run ended while asked, and reads how the run answers an abort and whether a
  recovery is open (the pairing's). Neither reads an age, a generation, a request's age or
  depth, or an attention event (the throttle's only effect). So the judged key is the
  pairing's, abstracted as above, with each session's owner, work, abort answer and timed
  calls and every monitor's key: finite, and equal for two states exactly when those
  monitors' futures are. The other monitors read the instants (healthy-run-aborted, the
  liveness windows) or count heartbeats and repeats: not judged here.
- The heartbeat's own offsets (next firing from now, since the last) are bounded already;
  its firing number is in the key only with tick_jitter_ms, whose draws depend on it: a
  seed with jitter has no finite abstraction here, and the fixpoint mode refuses it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, NamedTuple

from probe.invariants import PHANTOM_REQUEST, SWALLOWED_REQUEST, UNMATCHED_REQUEST
from probe.model.behaviour import Behaviour
from probe.model.heartbeat import BLOCKED_TOOL_ABORT_FLOOR_MS, RecoveryRequest
from probe.model.runtime import DEFAULT_STALE_PROGRESS_ABORT_MS, STALE_LANE_TASK_RELEASE_MS
from probe.model.state import MAX_ENTRIES, PRUNE_INTERVAL_MS, SESSION_STATE_TTL_MS
from probe.model.world import BUILD_HEARTBEAT_MS, RECORD_KEY_WIDTH
from probe.properties.aborts import TRUTHFUL_OUTCOME
from probe.properties.convergence import STALE_EVIDENCE
from probe.scenario.values import Scenario, Settings
from probe.strategies import DedupStrategy

if TYPE_CHECKING:
    from probe.properties.judge import Judge

# What the checker's key is (probe.invariants.CheckerKey, or a monitor's).
CheckerKeyLike = frozenset[tuple[str, tuple[tuple[object, ...], ...]]]

# The properties whose state the abstraction covers: class 1's, kept in the pairing checker's
# key (requests open per ref), which `_checker` abstracts; and those whose monitors keep a
# finite key and read only facts the judged key keeps (`judged_key`, "Properties beyond class
# 1" in the module docstring). The others read ages of the judge's own (absolute instants),
# heartbeat counts or streaks: a fixpoint over them needs their own argument first.
ABSTRACTED = frozenset(
    (PHANTOM_REQUEST, UNMATCHED_REQUEST, SWALLOWED_REQUEST, STALE_EVIDENCE, TRUTHFUL_OUTCOME)
)


def narrowed(scenario: Scenario) -> tuple[Scenario, tuple[str, ...]]:
    """The seed with only the chosen properties the abstraction covers, and those it left out."""
    from probe.properties.catalogue import CATALOGUE

    choice = scenario.properties
    chosen = [p.name for p in choice.selected(CATALOGUE)]
    left_out = tuple(n for n in chosen if n not in ABSTRACTED)
    if not left_out:
        return scenario, ()
    kept = tuple(n for n in chosen if n in ABSTRACTED)
    return replace(scenario, properties=replace(choice, only=kept)), left_out


# The prune clock's place in an abstract key where no lookup finds a prune due before the
# next heartbeat.
QUIET = "quiet"

# Depths from here up are one class (see the docstring: compared with 0 and 1 only).
QUEUE_CAP = 3


class Caps(NamedTuple):
    """Per clock, the age past which every comparison a decision makes with it is decided.

    `record`: the record's age (attention at warn, the embedded abort by record age, and a
    request's ageMs); `idle`: the same for an idle record with an empty queue, which the
    prune also compares with its 30-minute TTL (no other record can reach the prune
    without a touch, which resets the age first: becoming idle, emptying the queue and every
    applied outcome all touch it); `progress` and `tool`: the run's progress and tool ages
    (stale at warn, the abort, the stale-progress reclaim; the tool floor with F08 only
    while a tool call runs, which no step starts: `tool` is the progress cap then too).
    Each plus `_margin`: a strict comparison's 1 ms, and how much earlier than now a late
    firing observes (switch defer-late-tick).
    """

    record: int
    idle: int
    progress: int
    tool: int


def _margin(settings: Settings, behaviour: Behaviour) -> int:
    """How far past a threshold a cap must sit: 1 ms for a strict comparison (age > warn,
    the prune's age > TTL), plus how much earlier than now a heartbeat can observe a clock.
    Every comparison observes an age now (a heartbeat, a lookup's prune, the runtime's call)
    except a late firing under switch defer-late-tick, which observes at now - overdue, the
    overdue being at most the period plus the lateness, less the build's own interval."""
    late = settings.tick_late_ms + (settings.tick_jitter_ms or (0, 0))[1]
    shift = settings.heartbeat_ms + late - BUILD_HEARTBEAT_MS if behaviour.defer_late_tick else 0
    return 1 + max(0, shift)


def caps_of(settings: Settings, behaviour: Behaviour) -> Caps:
    margin = _margin(settings, behaviour)
    warn = settings.effective_warn_ms
    abort = settings.abort_threshold_ms(behaviour.abort_test_timing)  # the version's own rule
    floor = BLOCKED_TOOL_ABORT_FLOOR_MS if behaviour.blocked_tool_floor else 0
    record = max(warn, abort) + margin
    return Caps(
        record,
        max(record, SESSION_STATE_TTL_MS + margin),
        max(warn, abort, DEFAULT_STALE_PROGRESS_ABORT_MS) + margin,
        max(warn, abort, DEFAULT_STALE_PROGRESS_ABORT_MS, floor) + margin,
    )


class Abstraction:
    """Maps (World.state_key(), checker key) to the abstract pair: see the module docstring.

    Called once per transition of a fixpoint search: plain loops over the key's layout.
    """

    def __init__(
        self,
        settings: Settings,
        strategy: DedupStrategy,
        behaviour: Behaviour,
        refs: Sequence[str] = (),
        forget: bool = True,
        dead_clocks: bool = True,
    ) -> None:
        self.caps = caps_of(settings, behaviour)
        self.warn = settings.effective_warn_ms
        self.margin = _margin(settings, behaviour)
        self.strategy = strategy
        self.keep_throttle = not behaviour.recover_when_throttled
        self.sessions = len(refs)
        self.dead_clocks = dead_clocks
        # Forgetting idle records needs a store that does not prune when it makes a record
        # (from 2026.8.2: else making one again can prune a held record early) and keys that
        # name their ref (so a key in flight is known to be, or not to be, a record's).
        self.forget = (
            forget and behaviour.no_prune_on_create and _keys_name_their_ref(strategy, refs)
        )
        # Whether the strategy's in-flight key holds the generation (the buggy design).
        probe_ref = "agent:probe"
        self.keyed_by_generation = strategy.key(
            RecoveryRequest(probe_ref, "idle", 0, 0, 0)
        ) != strategy.key(RecoveryRequest(probe_ref, "idle", 7, 0, 0))
        self._keys: dict[tuple[str, int], str] = {}
        self._memo: dict[
            tuple[object, ...],
            tuple[list[tuple[int, str, object, object]], CheckerKeyLike, frozenset[str] | None],
        ] = {}

    def _key_of(self, ref: str, generation: int) -> str:
        k = (ref, generation)
        found = self._keys.get(k)
        if found is None:
            found = self._keys[k] = self.strategy.key(
                RecoveryRequest(ref, "idle", generation, 0, 0)
            )
        return found

    def __call__(
        self, key: tuple[object, ...], checker: CheckerKeyLike
    ) -> tuple[tuple[object, ...], CheckerKeyLike]:
        caps = self.caps
        out: list[Any] = list(key)
        k: Sequence[Any] = key
        n: int = k[0]
        record_gen: dict[str, int] = {}
        keep_throttle = self.keep_throttle
        dead_clocks = self.dead_clocks
        i = 1
        for _ in range(n):
            record_gen[k[i]] = k[i + 2]
            out[i + 2] = 0  # a generation matters only against the requests' (below)
            depth = k[i + 3]
            if depth > QUEUE_CAP:
                out[i + 3] = QUEUE_CAP
            cap = caps.idle if k[i + 1] == "idle" and depth <= 0 else caps.record
            if not keep_throttle:
                out[i + 5] = out[i + 6] = None
            else:
                # The back-off compares the age with max(last + warn, 2 * last): exact while
                # the last warning age is under the cap, the age kept up to that threshold.
                for at in (i + 5, i + 6):
                    last = k[at]
                    if last is not None:
                        if last > caps.record:
                            out[at] = caps.record
                        else:
                            cap = max(cap, max(last + self.warn, 2 * last) + self.margin)
            if dead_clocks and not record_clock_read(k[i + 1], depth):
                out[i + 4] = 0  # read by no decision before the next touch resets it
            elif k[i + 4] < -cap:
                out[i + 4] = -cap
            i += RECORD_KEY_WIDTH
        count: int = k[i + 1]
        i += 2
        tool_cap, progress_cap = -caps.tool, -caps.progress
        handles_at = i + 6 * count
        owned = {k[at] for at in range(handles_at + 1, handles_at + 1 + 2 * k[handles_at], 2)}
        for _ in range(count):
            # Run activity's tool calls: (marker id, start - now) pairs, empty with none.
            tools: tuple[tuple[object, int], ...] = k[i + 2]
            if dead_clocks and not progress_read(k[i + 1], tools, k[i + 3], k[i] in owned):
                out[i + 4], out[i + 5] = 0, ""  # read by no decision before it is reset
            elif not tools:
                if k[i + 4] < progress_cap:
                    out[i + 4] = progress_cap
            else:
                if any(started < tool_cap for _, started in tools):
                    out[i + 2] = tuple((t, max(started, tool_cap)) for t, started in tools)
                if k[i + 4] < tool_cap:
                    out[i + 4] = tool_cap
            i += 6
        i += 1 + 2 * k[i]
        coordinator: frozenset[str] = k[i]
        count = k[i + 2]
        waiters_at = i + 3
        if not count and not checker:
            return self._forget_idle(key, out, i, checker), checker
        # The generations' classes depend on these alone: memoized (few distinct per search).
        memo_key = (
            checker,
            tuple(record_gen.items()),
            tuple(
                (k[at + 1], k[at + 3], k[at + 8], k[at + 4], k[at + 5])
                for at in range(waiters_at, waiters_at + 11 * count, 11)
            ),
        )
        found = self._memo.get(memo_key)
        if found is None:
            found = self._memo[memo_key] = self._generations(
                checker, record_gen, memo_key[2], coordinator
            )
        waiter_labels, checker_abs, coordinator_abs = found
        for w in range(count):
            (
                out[waiters_at + 3],
                out[waiters_at + 8],
                out[waiters_at + 4],
                out[waiters_at + 5],
            ) = waiter_labels[w]
            waiters_at += 11
        if coordinator_abs is not None:
            out[i] = coordinator_abs
        return self._forget_idle(key, out, i, checker), checker_abs

    def _forget_idle(
        self, key: tuple[object, ...], out: list[Any], at: int, checker: CheckerKeyLike
    ) -> tuple[object, ...]:
        """The prune clock's class, then (switch no-prune-on-create) the key without the
        records that are as good as pruned, records in ref order (see the module docstring);
        `at`: where the coordinator's keys are in `key`."""
        k: Sequence[Any] = key
        n: int = k[0]
        width = RECORD_KEY_WIDTH
        prune_at = 1 + n * width
        # The prune clock: read only by a lookup's "is a prune due" before the next heartbeat,
        # whose forced prune restarts it (see the docstring).
        prune_age = k[prune_at]
        beat = k[-1]
        due_in: int = beat if isinstance(beat, int) else beat[0]
        if prune_age is not None and prune_age + due_in < PRUNE_INTERVAL_MS:
            out[prune_at] = QUIET
        if not self.forget:
            return tuple(out)
        coordinator: frozenset[str] = k[at]
        runtime: frozenset[str] = k[at + 1]
        count: int = k[at + 2]
        waiting = {k[w] for w in range(at + 3, at + 3 + 11 * count, 11)}
        waiting |= {k[w] for w in range(at + 4, at + 3 + 11 * count, 11)}
        checked = {ref for ref, identities in checker if identities}
        kept: list[tuple[str, int]] = []
        for r in range(n):
            base = 1 + r * width
            ref: str = k[base]
            if (
                k[base + 1] == "idle"
                and k[base + 3] <= 0
                and not k[base + 7]  # active_queued_turn
                # No throttle noted (a touch clears it, and only a touch makes a record
                # idle and empty: always so, asked all the same).
                and k[base + 5] is None
                and k[base + 6] is None
                and not held(ref, runtime, waiting, checked, coordinator)
            ):
                continue  # forgotten
            kept.append((ref, r))
        kept.sort()
        result: list[Any] = [len(kept)]
        for _, r in kept:
            result += out[1 + r * width : 1 + (r + 1) * width]
        result += out[prune_at:]
        return tuple(result)

    def _generations(
        self,
        checker: CheckerKeyLike,
        record_gen: dict[str, int],
        waiters: tuple[Sequence[Any], ...],
        coordinator: frozenset[str],
    ) -> tuple[list[tuple[int, str, object, object]], CheckerKeyLike, frozenset[str] | None]:
        """The waiters' generation, key, age and depth classes, the checker's key and the
        in-flight keys, mapped."""
        # Every generation, age and depth a request of each ref holds: the waiters' and the
        # open checks'.
        held: dict[str, set[int]] = {}
        ages: dict[str, set[int]] = {}
        depths: dict[str, set[int]] = {}
        for ref, g, _key, age, depth in waiters:
            held.setdefault(ref, set()).add(g)
            if isinstance(age, int):
                ages.setdefault(ref, set()).add(age)
            if isinstance(depth, int):
                depths.setdefault(ref, set()).add(depth)
        for ref, identities in checker:
            for ident in identities:
                g = ident[2]
                if isinstance(g, int):
                    held.setdefault(ref, set()).add(g)
                if isinstance(ident[3], int):
                    ages.setdefault(ref, set()).add(ident[3])
                if isinstance(ident[4], int):
                    depths.setdefault(ref, set()).add(ident[4])
        classes = {ref: _labels(gens, record_gen.get(ref)) for ref, gens in held.items()}
        labels = {ref: c for ref, c in classes.items() if c is not None}
        age_labels = {ref: request_age_labels(values) for ref, values in ages.items()}
        depth_labels = {ref: request_depth_labels(values) for ref, values in depths.items()}
        mapped = None
        if coordinator and self.keyed_by_generation:
            mapped = frozenset(self._map_key(c, labels) for c in coordinator)
        return (
            [
                (
                    labels[ref][g] if ref in labels else g,
                    self._map_key(key, labels) if ref in labels else key,
                    age_labels[ref][age] if isinstance(age, int) else age,
                    depth_labels[ref][depth] if isinstance(depth, int) else depth,
                )
                for ref, g, key, age, depth in waiters
            ],
            self._checker(checker, labels, age_labels, depth_labels) if checker else checker,
            mapped,
        )

    def _map_key(self, k: str, labels: dict[str, dict[int, int]]) -> str:
        if not self.keyed_by_generation:
            return k
        for ref, mapping in labels.items():
            for generation, label in mapping.items():
                if self._key_of(ref, generation) == k:
                    return self._key_of(ref, label)
        return k  # not a request's key this state holds: kept as it is (finer, so sound)

    def _checker(
        self,
        checker: CheckerKeyLike,
        labels: dict[str, dict[int, int]],
        age_labels: dict[str, dict[int, int]],
        depth_labels: dict[str, dict[int, int]],
    ) -> CheckerKeyLike:
        items = []
        for ref, identities in checker:
            mapping = labels.get(ref, {})
            ages = age_labels.get(ref, {})
            depths = depth_labels.get(ref, {})
            abstract = []
            for r, state, generation, age, depth in identities:
                if isinstance(generation, int):
                    generation = mapping.get(generation, generation)
                if isinstance(age, int):
                    age = ages[age]
                if isinstance(depth, int):
                    depth = depths[depth]
                abstract.append((r, state, generation, age, depth))
            if len(abstract) > 1:
                abstract.sort(key=repr)
            items.append((ref, tuple(abstract)))
        return frozenset(items)


def _labels(gens: set[int], record: int | None) -> dict[int, int] | None:
    """Generation -> its class, or None where the values must stay as they are.

    Distance d = record - g: d of 0 or 1 is kept (-d), a larger one by its rank among the
    larger ones (-2 - rank): it only grows, so it is never 0 or 1 again. A negative one (a
    request older than the record's last pruning: the new record restarted at 0) can still
    be met, and with no record at all (pruned, or not made yet) a new one starts at 0 and
    can meet any: those keep their values (None).
    """
    if record is None:
        return None
    if len(gens) == 1:
        (g,) = gens
        d = record - g
        if d < 0:
            return None
        return {g: -d if d <= 1 else -2}
    if any(g > record for g in gens):
        return None
    far = sorted({record - g for g in gens} - {0, 1})
    return {g: -(record - g) if record - g <= 1 else -2 - far.index(record - g) for g in gens}


def request_age_labels(ages: set[int]) -> dict[int, int]:
    """A ref's held request ages -> their classes: only which side of the stale lane-task
    threshold each is on (what the runtime compares a request's age with, at its ask). See
    the module docstring's "Request ages and queue depths"."""
    return {age: int(age >= STALE_LANE_TASK_RELEASE_MS) for age in ages}


def request_depth_labels(depths: set[int]) -> dict[int, int]:
    """A ref's held request queue depths -> their classes: whether each is above 0 (what the
    runtime compares one with). See the module docstring's "Request ages and queue depths"."""
    return {depth: int(depth > 0) for depth in depths}


def record_clock_read(state: str, depth: int) -> bool:
    """Whether some decision can read a record's age before a touch resets it."""
    return state == "processing" or (state == "idle" and depth <= 0)


def progress_read(
    runs: tuple[str, ...], tools: tuple[object, ...], model_calls: tuple[str, ...], owned: bool
) -> bool:
    """Whether some decision can read a run's progress (age and reason) before it is reset."""
    return bool(runs or tools or model_calls) or owned


def held(
    ref: str,
    runtime: frozenset[str],
    waiting: set[str],
    checked: set[str],
    coordinator: frozenset[str],
) -> bool:
    """Whether a recovery of ref is open anywhere: in the runtime, waiting on its run, open
    in the checker, or under a key in flight that names it (by substring: conservative)."""
    return ref in runtime or ref in waiting or ref in checked or any(ref in c for c in coordinator)


def _keys_name_their_ref(strategy: DedupStrategy, refs: Sequence[str]) -> bool:
    """Every session's in-flight key names its ref and no other, and no ref holds another:
    then what is in flight for one session is known from the keys, and sessions meet only in
    the order a heartbeat visits their records."""
    if not 0 < len(refs) <= MAX_ENTRIES:
        return False
    if any(r != o and r in o for r in refs for o in refs):
        return False
    for generation in (0, 7):
        keys = [strategy.key(RecoveryRequest(r, "idle", generation, 400_000, 1)) for r in refs]
        for ref, key in zip(refs, keys, strict=True):
            if ref not in key or any(o != ref and o in key for o in refs):
                return False
        if len(set(keys)) != len(keys):
            return False
    return True


def judged_key(pairing: CheckerKeyLike, judge: Judge) -> CheckerKeyLike:
    """The abstract pairing key with what a judge of more than class 1 still reads: per
    session its truth's owner, work, abort answer and timed calls, and every monitor's key,
    one entry per ref (items opening with the ref, as probe.explore.fingerprints reads the
    checker's). See the module docstring's "Properties beyond class 1"."""
    if judge.pairing_only:
        return pairing
    items: dict[str, list[tuple[object, ...]]] = {ref: list(ids) for ref, ids in pairing}
    for ref, facts in judge.truth.sessions.items():
        items.setdefault(ref, []).append(
            (ref, "f", facts.owner, facts.work, facts.abort, facts.requests)
        )
    per_ref: dict[str, list[tuple[int, object]]] = {}
    for index, monitor in enumerate(judge.monitors):
        for ref, value in monitor.key():
            per_ref.setdefault(ref, []).append((index, value))
    for ref, values in per_ref.items():
        values.sort(key=repr)
        items.setdefault(ref, []).append((ref, "m", tuple(values)))
    return frozenset((ref, tuple(found)) for ref, found in items.items())
