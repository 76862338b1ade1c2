"""Liveness as cycles: "a session that needs recovery is eventually asked for".

On the finite abstract graph (probe.explore.abstraction) an infinite execution is a lasso: a
path to a cycle, then the cycle forever. The property fails where some reachable cycle keeps
a session needing recovery in every state and no step of it requests that session's
recovery, as TLC checks liveness: the strongly connected components (Tarjan's, iterative) of
the graph restricted to the states where the session needs recovery and the steps that do
not request it, one with a heartbeat inside.

Fairness assumed: weak fairness of the heartbeat only. A cycle counts only if a heartbeat
fires on it (time passes and the heartbeat runs); a cycle of bumps, state changes or progress
while time stands still is not an execution. Nothing else is assumed fair: a run that is
never released stays unreleased.

"Needs recovery": the heartbeat would judge the record session.stuck or session.stalled now
(its attention age is past warn), and no recovery of that session is in flight (neither the
runtime holds it nor the coordinator holds a key naming it). Pure, like the search.

"Needs coverage" (class 4, the stale-run-coverage property's need as a cycle): a registered
run with work left whose progress is past its abort threshold (the blocked-tool floor for a
tool call, a timed model call's timeout) in a record the heartbeat passes over (idle with an
empty queue, waiting, or no record at all), nothing in flight for it. Every fact it reads is
one the abstract key keeps exactly: the handle, the work and its kind, the record's state and
whether its queue is empty (a record the abstraction forgets is idle and empty, read here as
no record, alike), and the progress age against thresholds under its cap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from probe.explore.abstraction import Abstraction
from probe.explore.steps import step_plan
from probe.explore.values import ExploreConfig
from probe.invariants import OBSERVED_EVENTS, InvariantChecker
from probe.model.activity import NO_ACTIVITY
from probe.model.events import REQUESTED, STALLED, STUCK
from probe.model.heartbeat import BLOCKED_TOOL_ABORT_FLOOR_MS, attention_age, classify
from probe.model.world import World, WorldState
from probe.scenario.values import Scenario, Step
from probe.strategies import DedupStrategy

# What a lasso's session keeps needing: "recovery" (class 2) or "coverage" (class 4).
RECOVERY, COVERAGE = "recovery", "coverage"


@dataclass(frozen=True, slots=True)
class Lasso:
    """A session starved forever: `prefix` reaches the cycle, `loop` repeats forever."""

    session: str
    prefix: tuple[Step, ...]
    loop: tuple[Step, ...]
    need: str = RECOVERY
    # Found one session at a time (probe.explore.composition) on a path that takes the
    # environment's prune, which is no step of the seed's: left out of the steps, so the
    # lasso is not a path of the sessions together (the caller searches them together).
    environment: bool = False

    def unrolled(self, times: int = 3) -> tuple[Step, ...]:
        """The prefix, then the loop `times` times: a scenario `probe run` replays."""
        return self.prefix + self.loop * times


@dataclass(frozen=True, slots=True)
class LivenessResult:
    states: int
    transitions: int
    complete: bool  # the whole abstract graph was built (no max_states cut)
    lassos: tuple[Lasso, ...]
    # The caller's stop (the command's time limit, an interrupt) cut the graph: a lasso found
    # is still a cycle of the reachable graph, but "none found" proves nothing.
    stopped: bool = False
    # Several sessions one at a time (composed_starvation): the sessions searched alone.
    composed: tuple[str, ...] = ()


def needs_recovery(world: World, ref: str) -> bool:
    rec = world.store.peek(ref)
    if rec is None or ref in world.runtime.in_flight:
        return False
    if any(ref in key for key in world.coordinator.in_flight):
        return False
    now = world.clock.now
    activity = world.activity.get(ref)
    snap = activity.snapshot(now) if activity is not None else NO_ACTIVITY
    if attention_age(rec, snap, now, world.warn_ms) is None:
        return False
    return classify(rec.state, rec.queue_depth, snap, world.warn_ms).event_type in (
        STUCK,
        STALLED,
    )


def needs_coverage(world: World, ref: str) -> bool:
    if ref not in world.handles or ref in world.runtime.in_flight:
        return False
    if any(ref in key for key in world.coordinator.in_flight):
        return False
    rec = world.store.peek(ref)
    if rec is not None and not (
        rec.state == "waiting" or (rec.state == "idle" and rec.queue_depth <= 0)
    ):
        return False  # a record the heartbeat looks at: class 2's need, not this one
    activity = world.activity.get(ref)
    snap = activity.snapshot(world.clock.now) if activity is not None else NO_ACTIVITY
    if snap.work_kind is None or snap.progress_age_ms is None:
        return False
    threshold = world.abort_ms
    if snap.work_kind == "tool_call" and world.behaviour.blocked_tool_floor:
        threshold = max(threshold, BLOCKED_TOOL_ABORT_FLOOR_MS)
    if snap.work_kind == "model_call" and snap.request_timeout_ms is not None:
        threshold = max(threshold, snap.request_timeout_ms)
    return snap.progress_age_ms >= threshold


def _needs(world: World, refs: list[str]) -> frozenset[tuple[str, str]]:
    found = {(r, RECOVERY) for r in refs if needs_recovery(world, r)}
    return frozenset(found | {(r, COVERAGE) for r in refs if needs_coverage(world, r)})


def find_starvation(
    scenario: Scenario,
    strategy: DedupStrategy,
    config: ExploreConfig,
    max_states: int = 200_000,
    stop: Callable[[], bool] | None = None,
    environment: bool = False,
) -> LivenessResult:
    """Build the abstract graph breadth-first, then look for a starving cycle per session.

    `stop` (polled every 256 expansions) ends the building early, as the search's time limit
    does: the cycles are then looked for in the part built. `environment`: one session of a
    composition, whose environment may prune the store between two steps (an edge of plan
    index len(plan))."""
    world = World(scenario, strategy, keep_events=OBSERVED_EVENTS)
    abstraction = Abstraction(
        scenario.settings, strategy, world.behaviour, [s.ref for s in scenario.sessions]
    )
    plan = step_plan(scenario, config)
    refs = [s.ref for s in scenario.sessions]
    checker = InvariantChecker()
    index: dict[object, int] = {abstraction(world.state_key(), checker.key()): 0}
    states: list[tuple[WorldState, InvariantChecker]] = [(world.snapshot(), checker)]
    parent: list[tuple[int, int]] = [(-1, -1)]
    needs: list[frozenset[tuple[str, str]]] = [_needs(world, refs)]
    # Edges: (source, target, plan index, refs requested on it, whether a heartbeat fired).
    edges: list[tuple[int, int, int, frozenset[str], bool]] = []
    complete = True
    stopped = False
    at = 0
    while at < len(states):
        if stop is not None and at % 256 == 0 and stop():
            complete, stopped = False, True
            break
        snapshot, node_checker = states[at]
        for number in range(len(plan) + environment):
            world.restore(snapshot)
            firing = world.firing
            if number == len(plan):
                world.environment_prune()
                events = []
            else:
                step, needs_run = plan[number]
                if needs_run is not None and needs_run not in world.handles:
                    continue
                world.apply(1, step)
                events = world.bus.events
            child = node_checker.clone() if events else node_checker
            if events:
                child.observe_all(events)
            requested = frozenset(e.ref for e in events if e.type == REQUESTED)
            key = abstraction(world.state_key(), child.key())
            target = index.get(key)
            if target is None:
                if len(states) >= max_states:
                    complete = False
                    continue
                target = index[key] = len(states)
                states.append((world.snapshot(), child))
                parent.append((at, number))
                needs.append(_needs(world, refs))
            edges.append((at, target, number, requested, world.firing != firing))
        at += 1
    lassos = []
    for ref in refs:
        for need in (RECOVERY, COVERAGE):
            lasso = _starving_cycle((ref, need), needs, edges, parent, plan)
            if lasso is not None:
                lassos.append(lasso)
    return LivenessResult(len(states), len(edges), complete, tuple(lassos), stopped)


def _starving_cycle(
    want: tuple[str, str],
    needs: list[frozenset[tuple[str, str]]],
    edges: list[tuple[int, int, int, frozenset[str], bool]],
    parent: list[tuple[int, int]],
    plan: list[tuple[Step, str | None]],
) -> Lasso | None:
    ref, need = want
    keep = [want in n for n in needs]
    out: dict[int, list[tuple[int, int, bool]]] = {}
    for source, target, number, requested, beat in edges:
        if keep[source] and keep[target] and ref not in requested:
            out.setdefault(source, []).append((target, number, beat))
    best: tuple[int, list[int], list[tuple[int, int, int, bool]]] | None = None
    for component in _components(out):
        members = set(component)
        inner = [
            (s, t, n, beat) for s in component for t, n, beat in out.get(s, []) if t in members
        ]
        beats = [e for e in inner if e[3]]
        if not beats:
            continue  # no heartbeat fires on it: time stands still, not an execution
        # The component reached first (breadth-first index) has the shortest prefix.
        if best is None or component[0] < best[0]:
            best = (component[0], component, beats)
    if best is not None:
        entry, component, beats = best  # first reached: its tree path is a shortest prefix
        members = set(component)
        prefix: list[int] = []
        node = entry
        while node > 0:
            up, number = parent[node]
            prefix.append(number)
            node = up
        prefix.reverse()
        beat_source, beat_target, beat_number, _ = beats[0]
        loop = [
            *_path(out, members, entry, beat_source),
            beat_number,
            *_path(out, members, beat_target, entry),
        ]
        # Plan index len(plan): the environment's prune (a composition's), no scenario step.
        return Lasso(
            ref,
            tuple(plan[n][0] for n in prefix if n < len(plan)),
            tuple(plan[n][0] for n in loop if n < len(plan)),
            need,
            any(n >= len(plan) for n in (*prefix, *loop)),
        )
    return None


def _path(
    out: dict[int, list[tuple[int, int, bool]]],
    members: set[int],
    start: int,
    goal: int,
) -> list[int]:
    """A shortest path inside one component (breadth-first): its steps' plan indices."""
    if start == goal:
        return []
    came: dict[int, tuple[int, int]] = {start: (-1, -1)}
    frontier = [start]
    while frontier and goal not in came:
        following = []
        for node in frontier:
            for target, number, _ in out.get(node, []):
                if target in members and target not in came:
                    came[target] = (node, number)
                    following.append(target)
        frontier = following
    steps: list[int] = []
    node = goal
    while node != start:
        up, number = came[node]
        steps.append(number)
        node = up
    steps.reverse()
    return steps


def _components(out: dict[int, list[tuple[int, int, bool]]]) -> list[list[int]]:
    """Tarjan's strongly connected components, iteratively; only those with a cycle."""
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    found: list[list[int]] = []
    counter = 0
    for root in sorted(out):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            successors = out.get(node, [])
            if i < len(successors):
                work.append((node, i + 1))
                target = successors[i][0]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or any(t == node for t, _, _ in successors):
                    found.append(sorted(component))
            if work:
                up = work[-1][0]
                low[up] = min(low[up], low[node])
    return found


def composed_starvation(
    seeds: tuple[Scenario, ...],
    strategy: DedupStrategy,
    config: ExploreConfig,
    environment: bool,
    stop: Callable[[], bool] | None = None,
) -> LivenessResult | None:
    """Liveness of several sessions one at a time (probe.explore.composition's seeds).

    Each need is per session, and every infinite run of the sessions together projects onto
    an infinite run of each session alone with its environment (heartbeats included): on the
    finite graph it ends in a cycle that starves it alone. So no starving cycle alone means
    none together. A cycle alone that takes no environment prune is one together too: the
    same steps among the other sessions leave this session's part as alone (the projection
    lemma), so the lasso is reported as it is. One that takes the environment's prune gives
    None: the caller builds the graph of the sessions together."""
    results = [
        find_starvation(seed, strategy, config, stop=stop, environment=environment)
        for seed in seeds
    ]
    if any(lasso.environment for r in results for lasso in r.lassos):
        return None
    return LivenessResult(
        sum(r.states for r in results),
        sum(r.transitions for r in results),
        all(r.complete for r in results),
        tuple(lasso for r in results for lasso in r.lassos),
        any(r.stopped for r in results),
        tuple(seed.sessions[0].ref for seed in seeds),
    )
