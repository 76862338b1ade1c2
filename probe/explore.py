"""Breadth-first search over step interleavings: shortest counterexamples, bounded proofs.

Pure: no printing, no files, no wall clock. The caller passes `stop` (for a time limit) and
`progress` callbacks, and times the call itself.
"""

from __future__ import annotations

import contextlib
import random
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any, NamedTuple

from probe.invariants import (
    INVARIANTS,
    OBSERVED_EVENTS,
    PHANTOM_REQUEST,
    InvariantChecker,
)
from probe.model.coverage import Coverage
from probe.model.heartbeat import RecoveryRequest
from probe.model.state import MAX_ENTRIES, PRUNE_INTERVAL_MS
from probe.model.world import RECORD_KEY_WIDTH, World, WorldState
from probe.replay import replay
from probe.scenario.values import (
    SESSION_STATES,
    Advance,
    Bump,
    Expectation,
    Progress,
    Release,
    Scenario,
    SessionSeed,
    Settings,
    StateChange,
    Step,
    Tick,
)
from probe.strategies import DedupStrategy

if TYPE_CHECKING:  # imported where used: most searches never start a worker
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

ACTIONS = ("tick", "bump", "release", "advance", "state", "progress")
DEFAULT_ACTIONS = ACTIONS
DEFAULT_DEPTH = 6

ISSUE_SEED = Scenario(
    name="issue #88010 seed",
    description="One session idle with queued work, owned by an embedded run that ignores "
    "abort, progress 370 s stale; the recovery is held until its run ends.",
    sessions=(
        SessionSeed(
            ref="agent:main:direct",
            state="idle",
            generation=0,
            queue_depth=1,
            owner="embedded_run",
            abort="ignored",
            work="embedded_run",
            progress_age_ms=370_000,
        ),
    ),
    steps=(Tick(),),
    settings=Settings(drain="hold"),
)


def default_expected(strategy: str) -> frozenset[str]:
    """Without [expect.NAME].violations: the buggy design must show the phantom, others nothing."""
    return frozenset({PHANTOM_REQUEST}) if strategy == "buggy" else frozenset()


def expected_violations(scenario: Scenario | None, strategy: str) -> frozenset[str]:
    """The violations a search of the strategy must find: the seed's [expect.NAME], or the
    default."""
    exp = scenario.expectation(strategy) if scenario is not None else None
    if exp is not None and exp.violations is not None:
        return frozenset(exp.violations)
    return default_expected(strategy)


@dataclass(frozen=True, slots=True)
class ExploreConfig:
    depth: int = DEFAULT_DEPTH
    actions: tuple[str, ...] = DEFAULT_ACTIONS
    advance_ms: int | None = None  # default: the scenario's settle_ms
    max_states: int | None = None
    dedup: bool = True
    # Stop with bound_hit "memory" once the search's processes hold more (bytes, as the
    # caller's `memory` callback measures them); None: no bound.
    max_memory: int | None = None
    symmetry: bool = True
    reduction: bool = True
    workers: int = 1
    # Memory a search may spend keeping the next layer's states (snapshots) rather than
    # rebuilding them from the tree when it expands them: faster, at about KEPT_STATE_BYTES
    # a state. 0: always rebuild (the least memory a state can take).
    keep_bytes: int = 256 << 20


@dataclass(frozen=True, slots=True)
class Counterexample:
    invariant: str
    trace: tuple[Step, ...]
    message: str


@dataclass(frozen=True, slots=True)
class ExploreResult:
    strategy: str
    states_expanded: int
    distinct_states: int
    transitions: int
    depth: int
    bound_hit: str | None
    counterexamples: tuple[Counterexample, ...]
    coverage: tuple[tuple[str, int], ...]
    # Distinct states first reached at each depth (index 0: the seed).
    per_depth: tuple[int, ...] = ()
    # Whether each reduction was in effect (asked for and applicable to this seed).
    symmetry: bool = False
    reduction: bool = False
    # Steps the partial-order reduction did not take (each leads where another order does).
    pruned: int = 0
    workers: int = 1
    # Largest growth of the search processes' memory over the run (bytes; 0 unmeasured).
    peak_memory: int = 0

    @property
    def violated(self) -> frozenset[str]:
        return frozenset(c.invariant for c in self.counterexamples)

    @property
    def collision_probability(self) -> float:
        """An upper bound on the chance that two distinct states shared a fingerprint.

        With n states and a 64-bit fingerprint that behaves as a uniform hash, the chance of
        any collision is at most n(n-1)/2 / 2^64, about n^2 / 2^65 (TLC states the same bound).
        A collision can only hide states (the second is taken for the first), never add one.
        """
        n = self.distinct_states
        return min(1.0, n * (n - 1) / 2 / 2.0**FINGERPRINT_BITS)

    @property
    def memory_per_state(self) -> float:
        return self.peak_memory / self.distinct_states if self.distinct_states else 0.0


@dataclass(slots=True)
class _Trace:
    """How a state was first reached: a link to its parent's trace and the step taken.

    Kept apart from the state itself (its snapshot and checker), which can then be freed once
    expanded: only counterexample traces ever walk back up the links.
    """

    parent: _Trace | None
    step: Step | None

    def steps(self) -> tuple[Step, ...]:
        steps: list[Step] = []
        node: _Trace | None = self
        while node is not None and node.step is not None:
            steps.append(node.step)
            node = node.parent
        return tuple(reversed(steps))


_ROOT = _Trace(None, None)


def _step_plan(scenario: Scenario, config: ExploreConfig) -> list[tuple[Step, str | None]]:
    """Every allowed action on every seeded session, in a fixed order.

    A release is paired with its session: it is a real choice only while that session has a
    run. Everything else is always offered (paired with None).
    """
    refs = [s.ref for s in scenario.sessions]
    advance = config.advance_ms if config.advance_ms is not None else scenario.settings.settle_ms
    plan: list[tuple[Step, str | None]] = []
    for action in config.actions:
        if action == "tick":
            plan.append((Tick(), None))
        elif action == "advance":
            plan.append((Advance(max(1, advance)), None))
        elif action == "bump":
            plan.extend((Bump(r), None) for r in refs)
        elif action == "release":
            plan.extend((Release(r), r) for r in refs)
        elif action == "state":
            plan.extend((StateChange(r, to), None) for r in refs for to in SESSION_STATES)
        elif action == "progress":
            plan.extend((Progress(r), None) for r in refs)
    return plan


def candidate_steps(scenario: Scenario, world: World, config: ExploreConfig) -> list[Step]:
    """Every allowed action on every seeded session, in a fixed order."""
    return _offered(_step_plan(scenario, config), world)


def _offered(plan: list[tuple[Step, str | None]], world: World) -> list[Step]:
    # Releasing a session with no run changes nothing: not a real choice.
    handles = world.handles
    return [step for step, needs_run in plan if needs_run is None or needs_run in handles]


FINGERPRINT_BITS = 64
_MASK64 = (1 << 64) - 1


class SearchProgress(NamedTuple):
    """What a search reports while it runs (the caller adds the wall clock)."""

    depth: int
    distinct_states: int
    transitions: int
    memory: int


def _stable_lane(value: object) -> int:
    """A 64-bit value of `value` that no run, process or PYTHONHASHSEED changes.

    str hashes are salted per process and hash(None) is an address in Python 3.11, so the
    fingerprint is built from these lanes instead. bool and int read alike (True == 1 are
    one dict key, whichever was met first); a frozenset by its sorted members.
    """
    import hashlib  # once per distinct value: the import is found in sys.modules after

    if isinstance(value, frozenset):
        text = "f" + repr(sorted(repr(v) for v in value))
    elif isinstance(value, str):
        text = "s" + value
    elif isinstance(value, int):  # bool included: True is 1 for the memo too
        text = "i" + repr(int(value))
    else:
        text = "r" + repr(value)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


class _Lanes(dict[object, int]):
    """value -> its stable lane, computed once per distinct value."""

    def __missing__(self, value: object) -> int:
        lane = self[value] = _stable_lane(value)
        return lane


_SELF = "\x00self"
_NO_PART = "\x00none"


class _Fingerprints:
    """The fingerprint of (world, checker): a stable 64-bit hash of the state key.

    Symmetry. Sessions whose seeds are equal but for their ref are interchangeable when the
    strategy's key holds its ref and renames with it (checked: the key of b's request is
    the key of a's with a -> b, so two refs never share a key). Then the model lets sessions
    meet nowhere but in the order one heartbeat visits the records (insertion order) and in
    which settle timers due at one instant fire: those orders change only the order of
    events of different refs and the numbering of runtime calls, which neither an invariant
    (each judges one ref's events) nor the state key reads. So exchanging the whole state
    of two interchangeable sessions (record, run activity, handle, waiter, keys in flight,
    the checker's open requests) maps every behaviour onto one with the refs exchanged,
    violating the same invariants at the same steps. Everything the key says about one such
    session is gathered into its slice, its ref written as _SELF, and a group's slices are
    sorted: mirror images get one fingerprint. A counterexample is still the concrete path
    the search took, so `probe run` replays it to the same verdict. `sigma` maps each
    session's index to its place in that canonical order (identity outside a group).
    """

    def __init__(self, scenario: Scenario, strategy: DedupStrategy, symmetry: bool) -> None:
        self.lanes = _Lanes()
        refs = [s.ref for s in scenario.sessions]
        self.refs = refs
        self.index = {r: i for i, r in enumerate(refs)}
        self.identity = tuple(range(len(refs)))
        self.groups: list[list[str]] = []
        if symmetry:
            self.groups = _symmetric_groups(scenario, strategy)
        self.symmetric = frozenset(r for g in self.groups for r in g)
        # Per group: its (ref, session index) pairs, and those indices in order.
        self.layout = [
            ([(r, self.index[r]) for r in g], sorted(self.index[r] for r in g))
            for g in self.groups
        ]
        self._owner: dict[str, bool] = {}

    @property
    def active(self) -> bool:
        return bool(self.groups)

    def __call__(self, key: tuple[object, ...], checker: object) -> tuple[int, tuple[int, ...]]:
        lanes = self.lanes
        if self.groups:
            found = self._canonical(key, checker)
            if found is not None:
                return found
        values = list(map(lanes.__getitem__, key))
        values.append(lanes[checker])
        return hash(tuple(values)) & _MASK64, self.identity

    def _clean(self, text: str) -> bool:
        """No interchangeable ref inside this string (a key of some other session)."""
        clean = self._owner.get(text)
        if clean is None:
            clean = self._owner[text] = not any(r in text for r in self.symmetric)
        return clean

    def _canonical(
        self, key: tuple[object, ...], checker: object
    ) -> tuple[int, tuple[int, ...]] | None:
        """None when the state names a symmetric ref where its owner is not known."""
        # One call per transition: plain loops over the key's fixed layout (see
        # World.state_key), the empty sets shared so their hash and lane are found at once.
        parts: dict[object, list[object]] = {r: [] for r in self.symmetric}
        owner = parts.get
        rest: list[object] = []
        n = key[0]
        assert isinstance(n, int)
        i = 1
        held = []  # where the interchangeable sessions' records stand, not whose is where
        width = RECORD_KEY_WIDTH
        for pos in range(n):
            part = owner(key[i])
            if part is not None:
                part.append("r")
                part += key[i + 1 : i + width]
                held.append(pos)
            else:
                rest += key[i : i + width]
            i += width
        rest.append(tuple(held))
        rest.append(key[i])  # prune age
        count = key[i + 1]
        assert isinstance(count, int)
        i += 2
        for _ in range(count):
            part = owner(key[i])
            if part is not None:
                part.append("a")
                part += key[i + 1 : i + 6]
            else:
                rest += key[i : i + 6]
            i += 6
        count = key[i]
        assert isinstance(count, int)
        i += 1
        for _ in range(count):
            part = owner(key[i])
            if part is not None:
                part.append("h")
                part.append(key[i + 1])
            else:
                rest += key[i : i + 2]
            i += 2
        coordinator, runtime, count = key[i], key[i + 1], key[i + 2]
        assert isinstance(coordinator, frozenset) and isinstance(runtime, frozenset)
        assert isinstance(count, int)
        i += 3
        owned_keys: list[str] = []
        for _ in range(count):
            ref = key[i]
            part = owner(ref)
            if part is not None:
                assert isinstance(ref, str)
                fields = list(key[i + 1 : i + 11])
                wkey = fields[7]
                assert isinstance(wkey, str)
                if fields[0] != ref or not self._clean(wkey.replace(ref, "")):
                    return None
                held_key = wkey in coordinator
                if held_key:
                    owned_keys.append(wkey)
                fields[0] = _SELF
                fields[7] = wkey.replace(ref, _SELF)
                part.append("w")
                part += fields
                part.append(held_key)
            else:
                rest += key[i : i + 11]
            i += 11
        rest.append(key[i])  # the heartbeat
        if i + 1 != len(key):
            raise AssertionError("World.state_key's layout changed: update _Fingerprints")
        if coordinator:
            others = coordinator.difference(owned_keys) if owned_keys else coordinator
            if others and not all(self._clean(k) for k in others):
                return None
            rest.append(others or _EMPTY)
        else:
            rest.append(_EMPTY)
        if runtime:
            for ref in runtime:
                part = owner(ref)
                if part is not None:
                    part.append("in-flight")
            rest.append(runtime - self.symmetric or _EMPTY)
        else:
            rest.append(_EMPTY)
        assert isinstance(checker, frozenset)
        if checker:
            plain_checks = []
            for ref, identities in checker:
                part = owner(ref)
                if part is not None:
                    for ident in identities:
                        part.append("o")
                        part += ident[1:]
                else:
                    plain_checks.append((ref, identities))
            rest.append(frozenset(plain_checks) if plain_checks else _EMPTY)
        else:
            rest.append(_EMPTY)
        get = self.lanes.__getitem__
        values = list(map(get, rest))
        sigma = list(self.identity)
        for members, places in self.layout:
            slices = sorted(
                [(hash(tuple(map(get, parts[r]))) & _MASK64, concrete) for r, concrete in members]
            )
            for place, (lane, concrete) in zip(places, slices, strict=True):
                values.append(lane)
                sigma[concrete] = place
        return hash(tuple(values)) & _MASK64, tuple(sigma)


_EMPTY: frozenset[object] = frozenset()


def _symmetric_groups(scenario: Scenario, strategy: DedupStrategy) -> list[list[str]]:
    """Sessions whose seeds are equal but for their ref, where the strategy renames alike."""
    by_seed: dict[tuple[object, ...], list[str]] = {}
    for s in scenario.sessions:
        rest = tuple(getattr(s, f.name) for f in fields(s) if f.name != "ref")
        by_seed.setdefault(rest, []).append(s.ref)
    groups = [g for g in by_seed.values() if len(g) > 1]
    checked = []
    for group in groups:
        # The strategy's key must rename with the ref (key of b = key of a with a -> b),
        # else two mirror states could hold keys that do not mirror each other.
        first = group[0]
        alike = first in strategy.key(RecoveryRequest(first, "idle", 0, 400_000, 1, False, None))
        for generation in (0, 7):
            base = RecoveryRequest(first, "idle", generation, 400_000, 1, False, None)
            key = strategy.key(base)
            for other in group[1:]:
                if any(r != other and r in key.replace(first, "") for r in group):
                    alike = False
                if strategy.key(replace(base, ref=other)) != key.replace(first, other):
                    alike = False
        if alike and not any(
            r != o and r in o for r in group for o in (s.ref for s in scenario.sessions)
        ):
            checked.append(group)
    return checked


# Steps on one session that emit nothing the invariants read (see _Search's docstring).
_LOCAL = (Bump, StateChange, Progress)


def _session_of(step: Step) -> str | None:
    if isinstance(step, _LOCAL):
        return step.session
    return None


def _commute(world: World, sessions: int) -> bool:
    """Local steps on different sessions commute here: no record is created or pruned.

    Every seeded session has its record (a lookup creates none, so the insertion order
    stays) and no prune is due (lookups prune nothing, and `now` does not move until the
    next tick or advance, which end the window).
    """
    store = world.store
    last = store.last_prune_at
    return (
        last is not None
        and world.clock.now - last < PRUNE_INTERVAL_MS
        and len(store.records) == sessions
        and sessions <= MAX_ENTRIES
    )


class _Chunk(NamedTuple):
    """What expanding a run of one layer's states found, in search order.

    A NamedTuple (not a dataclass) as a worker sends it through a pipe, and it is cheaper
    to define at import, which every `probe explore` pays.
    """

    counts: array[int]  # transitions per expanded state
    fingerprints: array[int]
    steps: array[int]  # plan index of each transition
    masks: array[int]  # partial-order reduction: what each child may skip (canonical bits)
    violations: list[tuple[int, str, str]]  # (transition number in the chunk, name, message)
    pruned: int
    coverage: dict[str, int]
    memory: int
    # With keep: each transition's state, for the caller to keep the new ones.
    states: list[tuple[WorldState, InvariantChecker]] | None = None


# What keeping one state's snapshot and checker costs, about (measured: 1.0 to 1.6 KiB).
KEPT_STATE_BYTES = 1536


class _Search:
    """One process's share of a search: replays the tree to a layer, expands its states.

    The search keeps no state but its fingerprints and, per state, the index of its parent
    and the plan index of the step that first reached it: a layer's states are rebuilt when
    it is expanded, by replaying the tree from the seed (depth-first over the tree, one
    snapshot per level: a few steps per state against the ten or more its expansion takes).

    Partial-order reduction. A local step (bump, state, progress) changes one session's
    record or run activity and emits no event the invariants read (they read only
    requested and completed events, which only ticks, advances and releases make). Two
    local steps x, y on different sessions, taken where `_commute` holds, commute: the
    records they touch are different objects, no record is created, and no prune runs, so
    p -x-> -y-> and p -y-> -x-> end in the same state, with the same checker. So every
    state has a shortest path on which, within each run of local steps after `_commute`
    first holds (it then holds until the next tick or advance: local steps create records
    and never remove one, and `now` stays), sessions come in non-decreasing index order.
    The search takes a local step on session i at a state s only if some arrival at s
    in s's first layer (a sleep set, intersected over those arrivals) came by a step that
    was not local on a session j > i from a state where `_commute` held. Along such
    a sorted path no step is skipped, so every state is still reached at its shortest
    depth, each reached state is checked, and every step that can violate an invariant
    (never a local one) is taken from every state: same states, same verdicts, same
    shortest counterexamples, fewer transitions. With symmetry the sleep sets are kept
    in canonical places (sigma), so mirror arrivals intersect correctly.
    """

    def __init__(
        self,
        scenario: Scenario,
        strategy: DedupStrategy,
        config: ExploreConfig,
        memory: Callable[[], int] | None,
    ) -> None:
        self.config = config
        self.coverage = Coverage()
        base = World(scenario, strategy, keep_events=OBSERVED_EVENTS)
        self.world = base.clone(self.coverage)
        # Replays count into a coverage of their own: each state's steps were counted once.
        self.replayer = base.clone(Coverage())
        self.root = (self.world.snapshot(), InvariantChecker())
        self.plan = _step_plan(scenario, config)
        self.fingerprint = _Fingerprints(scenario, strategy, config.symmetry)
        self.memory = memory
        refs = [s.ref for s in scenario.sessions]
        self.sessions = len(refs)
        index = {r: i for i, r in enumerate(refs)}
        # Per plan entry: the session index of a local step, else -1.
        self.local = [
            index[s] if (s := _session_of(step)) is not None else -1 for step, _ in self.plan
        ]
        # Sleep sets are bit masks of sessions; without dedup a state has one arrival only.
        self.reduction = config.reduction and config.dedup and 1 < len(refs) <= 64
        self.parents = array("q", [-1])
        self.steps = array("H", [0])
        self.layers = [0, 1]  # state indices where each layer starts (and the end)
        # The states of one layer, kept when they were made (see ExploreConfig.keep_bytes).
        self.kept: list[tuple[WorldState, InvariantChecker]] | None = None
        self.kept_layer = -1

    def add_layer(self, parents: array[int], steps: array[int]) -> None:
        self.parents.extend(parents)
        self.steps.extend(steps)
        self.layers.append(len(self.parents))

    def states(
        self, layer: int, lo: int, hi: int
    ) -> Iterator[tuple[int, WorldState, InvariantChecker]]:
        """States lo..hi-1 (all in `layer`) rebuilt from the seed, in index order."""
        if layer == 0:
            yield 0, *self.root
            return
        if self.kept is not None and self.kept_layer == layer:
            base = self.layers[layer]
            for index in range(lo, hi):
                yield index, *self.kept[index - base]
            return
        parents, steps, plan, replayer = self.parents, self.steps, self.plan, self.replayer
        child = lo
        for parent, snapshot, checker in self.states(
            layer - 1, parents[lo], parents[hi - 1] + 1
        ):
            while child < hi and parents[child] == parent:
                replayer.restore(snapshot)
                replayer.apply(layer, plan[steps[child]][0])
                events = replayer.bus.events
                state_checker = checker
                if events:
                    state_checker = checker.clone()
                    state_checker.observe_all(events)
                yield child, replayer.snapshot(), state_checker
                child += 1

    def expand(
        self, layer: int, lo: int, hi: int, masks: array[int] | None, keep: bool = False
    ) -> _Chunk:
        """Every step from states lo..hi-1 of `layer`: the children are in layer + 1."""
        world, plan, local, fingerprint = self.world, self.plan, self.local, self.fingerprint
        reduction, sessions = self.reduction, self.sessions
        symmetric = fingerprint.active
        depth = layer + 1
        counts, fps, steps, child_masks = array("L"), array("Q"), array("H"), array("Q")
        made: list[tuple[WorldState, InvariantChecker]] | None = [] if keep else None
        violations: list[tuple[int, str, str]] = []
        pruned = 0
        for index, state, node_checker in self.states(layer, lo, hi):
            world.restore(state)
            skip = 0
            if reduction and masks is not None and (mask := masks[index - lo]):
                if symmetric:
                    # The sleep set, from canonical places back to this state's sessions.
                    _, sigma = fingerprint(world.state_key(), node_checker.key())
                    skip = sum(1 << i for i in range(sessions) if mask >> sigma[i] & 1)
                else:
                    skip = mask
            commute = reduction and _commute(world, sessions)
            taken = 0
            fresh = True
            for plan_index, (step, needs_run) in enumerate(plan):
                if needs_run is not None and needs_run not in world.handles:
                    continue  # releasing a session with no run changes nothing
                session = local[plan_index]
                if session >= 0 and skip >> session & 1:
                    pruned += 1
                    continue
                if not fresh:
                    world.restore(state)
                fresh = False
                world.apply(depth, step)
                events = world.bus.events
                if events:
                    checker = node_checker.clone()
                    found = checker.observe_all(events)
                else:
                    checker, found = node_checker, []
                if checker.open_requests and not world.in_flight():
                    found.extend(checker.finish(settled=True, step=depth))
                number = len(fps)
                for v in found:
                    violations.append((number, v.invariant, v.message))
                fp, sigma = fingerprint(world.state_key(), checker.key())
                fps.append(fp)
                if made is not None:
                    made.append((world.snapshot(), checker))
                steps.append(plan_index)
                child_mask = 0
                if commute and session > 0:
                    if symmetric:
                        for i in range(session):
                            child_mask |= 1 << sigma[i]
                    else:
                        child_mask = (1 << session) - 1  # the sessions before this one
                child_masks.append(child_mask)
                taken += 1
            counts.append(taken)
        return _Chunk(
            counts,
            fps,
            steps,
            child_masks,
            violations,
            pruned,
            self.coverage.as_dict(),
            self.memory() if self.memory is not None else 0,
            made,
        )

    def trace(self, parent: int, plan_index: int) -> tuple[Step, ...]:
        steps = [self.plan[plan_index][0]]
        node = parent
        while node > 0:
            steps.append(self.plan[self.steps[node]][0])
            node = self.parents[node]
        return tuple(reversed(steps))


CHUNK_STATES = 2048


def explore(
    scenario: Scenario,
    strategy: DedupStrategy,
    config: ExploreConfig = ExploreConfig(),
    *,
    stop: Callable[[], bool] = lambda: False,
    progress: Callable[[SearchProgress], None] | None = None,
    memory: Callable[[], int] | None = None,
) -> ExploreResult:
    """Breadth-first to `config.depth`: the first counterexample of each invariant is shortest.

    `memory`: the bytes the calling process (and, called in a worker, that worker) holds
    now; read between chunks of the search for `config.max_memory` and the peak figure.
    """
    # This process reads memory between chunks itself; a worker measures its own.
    search = _Search(scenario, strategy, config, None)
    pools: list[_Pool] = []
    try:
        return _run(search, pools, strategy, config, stop, progress, memory)
    finally:
        for pool in pools:
            pool.close()


# Workers start with the first layer this large: below it, starting them costs more.
PARALLEL_FROM = 4 * CHUNK_STATES


def _run(
    search: _Search,
    pools: list[_Pool],
    strategy: DedupStrategy,
    config: ExploreConfig,
    stop: Callable[[], bool],
    progress: Callable[[SearchProgress], None] | None,
    memory: Callable[[], int] | None,
) -> ExploreResult:
    root_fp, _ = search.fingerprint(*_root_key(search))
    seen: set[int] = {root_fp}
    found: dict[str, Counterexample] = {}
    expanded = transitions = reached = pruned = 0
    per_depth = [1]
    bound: str | None = None
    dedup, max_states, max_memory = config.dedup, config.max_states, config.max_memory
    if max_memory is not None and config.keep_bytes > max_memory // 4:
        config = replace(config, keep_bytes=max_memory // 4)  # kept states stay a minor part
    start_memory = memory() if memory is not None else 0
    peak = 0
    worker_memory: dict[int, int] = {}
    worker_coverage: dict[int, dict[str, int]] = {}
    masks: array[int] | None = None
    distinct = 1
    for depth in range(1, config.depth + 1):
        layer = depth - 1
        lo, hi = search.layers[layer], search.layers[layer + 1]
        # The new layer: parents, steps, and (reduction) the sleep set of each new state.
        new_parents, new_steps, new_masks = array("q"), array("H"), array("Q")
        # Keep the new layer's states if they are likely to fit (growth as the last layer's).
        growth = per_depth[-1] / per_depth[-2] if len(per_depth) > 1 else 16.0
        keep = (
            depth < config.depth
            and not pools
            and (hi - lo) * growth * KEPT_STATE_BYTES <= config.keep_bytes
        )
        kept: list[tuple[WorldState, InvariantChecker]] | None = [] if keep else None
        layer_fps = array("Q")
        sleeping: dict[int, int] = {}  # fingerprint -> mask, new states with a sleep set
        reached_now = 0
        chunks = [(a, min(a + CHUNK_STATES, hi)) for a in range(lo, hi, CHUNK_STATES)]
        if not pools and config.workers > 1 and hi - lo >= PARALLEL_FROM:
            pools.append(_Pool(search, config.workers, memory))
        pool = pools[0] if pools else None
        if pool is not None:
            keep, kept = False, None  # workers rebuild what they expand
        results = (
            pool.map(layer, chunks, masks)
            if pool is not None
            else (
                search.expand(
                    layer, a, b, None if masks is None else masks[a - lo : b - lo], keep
                )
                for a, b in chunks
            )
        )
        for (a, _b), chunk in zip(chunks, results, strict=False):
            if pool is not None:
                worker = (a - lo) // CHUNK_STATES % pool.size
                worker_memory[worker] = chunk.memory
                worker_coverage[worker] = chunk.coverage
            if memory is not None:
                used = memory() - start_memory + sum(worker_memory.values())
                peak = max(peak, used)
                if max_memory is not None and used > max_memory:
                    bound = "memory"
                    break
            if stop():
                bound = "time_limit"
                break
            pruned += chunk.pruned
            fps, steps, child_masks = chunk.fingerprints, chunk.steps, chunk.masks
            violations = iter(chunk.violations)
            pending = next(violations, None)
            first = 0
            for offset, count in enumerate(chunk.counts):
                if max_states is not None and distinct >= max_states:
                    bound = "max_states"
                    break
                parent = a + offset
                expanded += 1
                transitions += count
                for number in range(first, first + count):
                    while pending is not None and pending[0] == number:
                        if pending[1] not in found:
                            found[pending[1]] = Counterexample(
                                pending[1], search.trace(parent, steps[number]), pending[2]
                            )
                        pending = next(violations, None)
                    fp = fps[number]
                    mask = child_masks[number]
                    if dedup:
                        if fp in seen:
                            if fp in sleeping:
                                mask &= sleeping[fp]
                                if mask:
                                    sleeping[fp] = mask
                                else:
                                    del sleeping[fp]
                            continue
                        seen.add(fp)
                    distinct += 1
                    reached_now += 1
                    if depth < config.depth:  # the deepest layer is counted, never expanded
                        new_parents.append(parent)
                        if kept is not None:
                            assert chunk.states is not None
                            kept.append(chunk.states[number])
                        new_steps.append(steps[number])
                        layer_fps.append(fp)
                        if mask:
                            sleeping[fp] = mask
                first += count
            if bound is not None:
                break
            if kept is not None and len(kept) * KEPT_STATE_BYTES > config.keep_bytes:
                kept = None  # more than foreseen: rebuild them instead
                keep = False
            if progress is not None:
                progress(SearchProgress(depth, distinct, transitions, peak))
        if pool is not None:
            pool.drain()
        if bound is not None:
            break
        reached = depth
        per_depth.append(reached_now)
        if not reached_now or depth == config.depth:
            break
        if search.reduction:
            new_masks = array("Q", (sleeping.get(fp, 0) for fp in layer_fps))
        masks = new_masks if search.reduction else None
        del layer_fps, sleeping
        search.add_layer(new_parents, new_steps)
        search.kept, search.kept_layer = kept, depth
        if pool is not None:
            pool.add_layer(new_parents, new_steps)
    # What this process expanded before the workers started, and what each did since.
    coverage = search.coverage.as_dict()
    coverage = {k: n + sum(c[k] for c in worker_coverage.values()) for k, n in coverage.items()}
    return ExploreResult(
        strategy=strategy.name,
        states_expanded=expanded,
        distinct_states=distinct,
        transitions=transitions,
        depth=reached,
        bound_hit=bound,
        counterexamples=tuple(found[name] for name in sorted(found)),
        coverage=tuple(sorted(coverage.items())),
        per_depth=tuple(per_depth),
        symmetry=search.fingerprint.active,
        reduction=search.reduction,
        pruned=pruned,
        workers=config.workers if pools else 1,
        peak_memory=peak,
    )


def _root_key(search: _Search) -> tuple[tuple[object, ...], object]:
    search.world.restore(search.root[0])
    return search.world.state_key(), search.root[1].key()


class _Pool:
    """Worker processes, forked from the search mid-run: each starts with its tree so far.

    Chunks go out round robin and come back in the order sent, so the caller merges them in
    search order: the same fingerprints, in the same order, as one process computes.
    """

    def __init__(self, search: _Search, size: int, memory: Callable[[], int] | None) -> None:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self.size = size
        self.pipes: list[Connection] = []
        self.processes: list[BaseProcess] = []
        self.outstanding: list[int] = [0] * size
        for _ in range(size):
            ours, theirs = context.Pipe()
            process = context.Process(target=_serve, args=(theirs, search, memory), daemon=True)
            process.start()
            theirs.close()
            self.pipes.append(ours)
            self.processes.append(process)

    def map(
        self,
        layer: int,
        chunks: list[tuple[int, int]],
        masks: array[int] | None,
    ) -> Iterator[_Chunk]:
        lo = chunks[0][0] if chunks else 0
        ahead = 2 * self.size
        sent = 0
        for received in range(len(chunks)):
            while sent < len(chunks) and sent < received + ahead:
                a, b = chunks[sent]
                part = None if masks is None else masks[a - lo : b - lo]
                worker = sent % self.size
                self.pipes[worker].send(("expand", layer, a, b, part))
                self.outstanding[worker] += 1
                sent += 1
            yield self._receive(received % self.size)

    def _receive(self, worker: int) -> _Chunk:
        reply = self.pipes[worker].recv()
        self.outstanding[worker] -= 1
        if isinstance(reply, str):
            raise RuntimeError(f"explore worker {worker} failed:\n{reply}")
        assert isinstance(reply, _Chunk)
        return reply

    def drain(self) -> None:
        """Wait out chunks sent but not merged (a bound stopped the merge early)."""
        for worker in range(self.size):
            while self.outstanding[worker]:
                self._receive(worker)

    def add_layer(self, parents: array[int], steps: array[int]) -> None:
        for pipe in self.pipes:
            pipe.send(("layer", parents, steps))

    def close(self) -> None:
        for pipe in self.pipes:
            with contextlib.suppress(OSError):  # a worker that failed has gone
                pipe.send(None)
        for process in self.processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()


def _serve(pipe: Connection, search: _Search, memory: Callable[[], int] | None) -> None:
    """A worker's loop: new layers of the tree, chunks to expand, None to stop."""
    search.memory = memory
    coverage = search.coverage
    for name in coverage.as_dict():
        setattr(coverage, name, 0)  # the parent counted what it expanded itself
    while (message := pipe.recv()) is not None:
        try:
            if message[0] == "layer":
                search.add_layer(message[1], message[2])
            else:
                _, layer, lo, hi, masks = message
                pipe.send(search.expand(layer, lo, hi, masks))
        except Exception:  # the parent raises it with this traceback
            import traceback

            pipe.send(traceback.format_exc())
            return


def violates(
    scenario: Scenario, strategy: DedupStrategy, steps: Iterable[Step], invariant: str
) -> bool:
    run = replay(_with_steps(scenario, tuple(steps)), strategy)
    return invariant in run.violation_names


def shrink(
    scenario: Scenario, strategy: DedupStrategy, trace: tuple[Step, ...], invariant: str
) -> tuple[Step, ...]:
    """Drop steps one at a time while the violation persists (greedy delta debugging)."""
    current = list(trace)
    changed = True
    while changed:
        changed = False
        for i in range(len(current)):
            candidate = current[:i] + current[i + 1 :]
            if candidate and violates(scenario, strategy, candidate, invariant):
                current = candidate
                changed = True
                break
    return tuple(current)


@dataclass
class RandomResult:
    strategy: str
    runs: int
    steps: int
    counterexamples: list[Counterexample] = field(default_factory=list)


def explore_random(
    scenario: Scenario,
    strategy: DedupStrategy,
    config: ExploreConfig,
    *,
    seed: int,
    runs: int,
    stop: Callable[[], bool] = lambda: False,
) -> RandomResult:
    """Seeded random walks of `config.depth` steps; counterexamples are shrunk."""
    rng = random.Random(seed)
    plan = _step_plan(scenario, config)
    result = RandomResult(strategy.name, 0, 0)
    found: dict[str, Counterexample] = {}
    for _ in range(runs):
        if stop():
            break
        result.runs += 1
        world = World(scenario, strategy, keep_events=OBSERVED_EVENTS)
        checker, trace = InvariantChecker(), _ROOT
        for number in range(1, config.depth + 1):
            step = rng.choice(_offered(plan, world))
            world.apply(number, step)
            violations = checker.observe_all(world.bus.events)
            world.bus.events.clear()
            if not world.in_flight():
                violations.extend(checker.finish(settled=True, step=number))
            trace = _Trace(trace, step)
            result.steps += 1
            for v in violations:
                if v.invariant not in found:
                    small = shrink(scenario, strategy, trace.steps(), v.invariant)
                    found[v.invariant] = Counterexample(v.invariant, small, v.message)
    result.counterexamples = [found[n] for n in sorted(found)]
    return result


def _with_steps(scenario: Scenario, steps: tuple[Step, ...]) -> Scenario:
    return Scenario(
        name=scenario.name,
        description=scenario.description,
        sessions=scenario.sessions,
        steps=steps,
        settings=scenario.settings,
    )


def counterexample_scenario(
    seed: Scenario,
    example: Counterexample,
    found_by: str,
    strategies: Iterable[DedupStrategy],
) -> Scenario:
    """The trace as a scenario whose [expect.*] record what each strategy did with it."""
    base = _with_steps(seed, example.trace)
    expect: list[tuple[str, Expectation]] = []
    for strategy in strategies:
        run = replay(base, strategy)
        expect.append(
            (
                strategy.name,
                Expectation(
                    requested=run.requested,
                    requested_generations=tuple(run.requested_generations),
                    completed=run.completed,
                    runtime_outcomes=run.runtime_outcomes,
                    violations=tuple(run.violation_names),
                ),
            )
        )
    return Scenario(
        name=f"shortest {example.invariant} counterexample for {found_by}",
        description=(
            f"Found by probe explore from {seed.name!r}: a shortest sequence of steps "
            f"({len(example.trace)}) that makes the {found_by} strategy violate "
            f"{example.invariant} ({INVARIANTS[example.invariant]}). {example.message}"
        ),
        sessions=seed.sessions,
        steps=example.trace,
        settings=seed.settings,
        expect=tuple(expect),
    )


def sweep(
    seed: Scenario,
    strategies: Iterable[DedupStrategy],
    config: ExploreConfig,
    key: str,
    values: Iterable[int],
) -> list[dict[str, Any]]:
    """A search per value of a setting (heartbeat_ms, warn_ms or settle_ms): for each value, the
    shortest trace length of every violation each strategy can reach."""
    picked = list(strategies)
    rows: list[dict[str, Any]] = []
    for value in values:
        settings = seed.settings
        if key == "heartbeat_ms":
            settings = replace(settings, heartbeat_ms=value)
        elif key == "warn_ms":
            settings = replace(settings, warn_ms=value)
        else:
            settings = replace(settings, settle_ms=value)
        varied = replace(seed, settings=settings)
        row: dict[str, Any] = {key: value}
        for s in picked:
            result = explore(varied, s, config)
            row[s.name] = {c.invariant: len(c.trace) for c in result.counterexamples}
        rows.append(row)
    return rows
