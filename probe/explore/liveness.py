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
"""

from __future__ import annotations

from dataclasses import dataclass

from probe.explore.abstraction import Abstraction
from probe.explore.steps import step_plan
from probe.explore.values import ExploreConfig
from probe.invariants import OBSERVED_EVENTS, InvariantChecker
from probe.model.activity import NO_ACTIVITY
from probe.model.events import REQUESTED, STALLED, STUCK
from probe.model.heartbeat import attention_age, classify
from probe.model.world import World, WorldState
from probe.scenario.values import Scenario, Step
from probe.strategies import DedupStrategy


@dataclass(frozen=True, slots=True)
class Lasso:
    """A session starved forever: `prefix` reaches the cycle, `loop` repeats forever."""

    session: str
    prefix: tuple[Step, ...]
    loop: tuple[Step, ...]

    def unrolled(self, times: int = 3) -> tuple[Step, ...]:
        """The prefix, then the loop `times` times: a scenario `probe run` replays."""
        return self.prefix + self.loop * times


@dataclass(frozen=True, slots=True)
class LivenessResult:
    states: int
    transitions: int
    complete: bool  # the whole abstract graph was built (no max_states cut)
    lassos: tuple[Lasso, ...]


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


def find_starvation(
    scenario: Scenario,
    strategy: DedupStrategy,
    config: ExploreConfig,
    max_states: int = 200_000,
) -> LivenessResult:
    """Build the abstract graph breadth-first, then look for a starving cycle per session."""
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
    needs: list[frozenset[str]] = [frozenset(r for r in refs if needs_recovery(world, r))]
    # Edges: (source, target, plan index, refs requested on it, whether a heartbeat fired).
    edges: list[tuple[int, int, int, frozenset[str], bool]] = []
    complete = True
    at = 0
    while at < len(states):
        snapshot, node_checker = states[at]
        for number, (step, needs_run) in enumerate(plan):
            world.restore(snapshot)
            if needs_run is not None and needs_run not in world.handles:
                continue
            firing = world.firing
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
                needs.append(frozenset(r for r in refs if needs_recovery(world, r)))
            edges.append((at, target, number, requested, world.firing != firing))
        at += 1
    lassos = []
    for ref in refs:
        lasso = _starving_cycle(ref, needs, edges, parent, plan)
        if lasso is not None:
            lassos.append(lasso)
    return LivenessResult(len(states), len(edges), complete, tuple(lassos))


def _starving_cycle(
    ref: str,
    needs: list[frozenset[str]],
    edges: list[tuple[int, int, int, frozenset[str], bool]],
    parent: list[tuple[int, int]],
    plan: list[tuple[Step, str | None]],
) -> Lasso | None:
    keep = [ref in n for n in needs]
    out: dict[int, list[tuple[int, int, bool]]] = {}
    for source, target, number, requested, beat in edges:
        if keep[source] and keep[target] and ref not in requested:
            out.setdefault(source, []).append((target, number, beat))
    for component in _components(out):
        members = set(component)
        inner = [
            (s, t, n, beat) for s in component for t, n, beat in out.get(s, []) if t in members
        ]
        beats = [e for e in inner if e[3]]
        if not beats:
            continue  # no heartbeat fires on it: time stands still, not an execution
        entry = min(component)  # first reached: its tree path is a shortest prefix
        prefix: list[Step] = []
        node = entry
        while node > 0:
            up, number = parent[node]
            prefix.append(plan[number][0])
            node = up
        prefix.reverse()
        beat_source, beat_target, beat_number, _ = beats[0]
        loop = [
            *_path(out, members, entry, beat_source, plan),
            plan[beat_number][0],
            *_path(out, members, beat_target, entry, plan),
        ]
        return Lasso(ref, tuple(prefix), tuple(loop))
    return None


def _path(
    out: dict[int, list[tuple[int, int, bool]]],
    members: set[int],
    start: int,
    goal: int,
    plan: list[tuple[Step, str | None]],
) -> list[Step]:
    """A shortest path inside one component (breadth-first)."""
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
    steps: list[Step] = []
    node = goal
    while node != start:
        up, number = came[node]
        steps.append(plan[number][0])
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
