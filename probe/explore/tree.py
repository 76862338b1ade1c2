"""The search tree one process holds: rebuild a layer's states from the seed, expand them."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator
from typing import NamedTuple

from probe.explore.abstraction import Abstraction, judged_key, narrowed
from probe.explore.fingerprints import Fingerprints
from probe.explore.reduction import commute, session_of
from probe.explore.steps import step_plan
from probe.explore.values import ExploreConfig
from probe.model.coverage import Coverage
from probe.model.world import World, WorldState
from probe.properties.judge import Judge
from probe.scenario.values import Scenario, Step
from probe.strategies import DedupStrategy


class Chunk(NamedTuple):
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
    states: list[tuple[WorldState, Judge]] | None = None


# What keeping one state's snapshot and checker costs, about (measured: 1.0 to 1.6 KiB).
KEPT_STATE_BYTES = 1536


class SearchTree:
    """One process's share of a search: replays the tree to a layer, expands its states.

    The search keeps no state but its fingerprints and, per state, the index of its parent
    and the plan index of the step that first reached it: a layer's states are rebuilt when
    it is expanded, by replaying the tree from the seed (depth-first over the tree, one
    snapshot per level: a few steps per state against the ten or more its expansion takes).

    Partial-order reduction (sleep sets of sessions, see probe.explore.reduction): a local
    step is not taken where another order of the same steps reaches the same state.
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
        if config.fixpoint or config.abstract:
            scenario = narrowed(scenario)[0]  # the properties the abstraction covers
        judge = Judge.of(scenario)
        self.judged = judge.names
        base = World(scenario, strategy, keep_events=judge.event_types)
        self.world = base.clone(self.coverage)
        # Replays count into a coverage of their own: each state's steps were counted once.
        self.replayer = base.clone(Coverage())
        self.root = (self.world.snapshot(), judge)
        self.plan = step_plan(scenario, config)
        # A composed search (probe.explore.composition): the plan index of the environment's
        # prune, past the plan's own steps; -1 without one.
        self.environment = len(self.plan) if config.environment else -1
        self.fingerprint = Fingerprints(scenario, strategy, config.symmetry)
        # The fixpoint mode fingerprints the abstract state (see probe.explore.abstraction).
        self.abstraction = (
            Abstraction(
                scenario.settings, strategy, base.behaviour, [s.ref for s in scenario.sessions]
            )
            if config.fixpoint or config.abstract
            else None
        )
        self.memory = memory
        refs = [s.ref for s in scenario.sessions]
        self.sessions = len(refs)
        index = {r: i for i, r in enumerate(refs)}
        # Per plan entry: the session index of a local step, else -1.
        self.local = [
            index[s] if (s := session_of(step)) is not None else -1 for step, _ in self.plan
        ]
        # Sleep sets are bit masks of sessions; without dedup a state has one arrival only.
        self.reduction = config.reduction and config.dedup and 1 < len(refs) <= 64
        self.parents = array("q", [-1])
        self.steps = array("H", [0])
        self.layers = [0, 1]  # state indices where each layer starts (and the end)
        # The states of one layer, kept when they were made (see ExploreConfig.keep_bytes).
        self.kept: list[tuple[WorldState, Judge]] | None = None
        self.kept_layer = -1

    def add_layer(self, parents: array[int], steps: array[int]) -> None:
        self.parents.extend(parents)
        self.steps.extend(steps)
        self.layers.append(len(self.parents))

    def states(
        self, layer: int, lo: int, hi: int
    ) -> Iterator[tuple[int, WorldState, Judge]]:
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
        for parent, snapshot, checker in self.states(layer - 1, parents[lo], parents[hi - 1] + 1):
            while child < hi and parents[child] == parent:
                replayer.restore(snapshot)
                state_checker = checker
                if steps[child] == self.environment:
                    replayer.environment_prune()  # emits nothing: the checker stays
                else:
                    step = plan[steps[child]][0]
                    replayer.apply(layer, step)
                    events = replayer.bus.events
                    if events or not checker.pairing_only:
                        state_checker = checker.clone()
                        state_checker.step(layer, step, events)
                yield child, replayer.snapshot(), state_checker
                child += 1

    def expand(
        self, layer: int, lo: int, hi: int, masks: array[int] | None, keep: bool = False
    ) -> Chunk:
        """Every step from states lo..hi-1 of `layer`: the children are in layer + 1."""
        world, plan, local, fingerprint = self.world, self.plan, self.local, self.fingerprint
        reduction, sessions = self.reduction, self.sessions
        symmetric = fingerprint.active
        abstraction = self.abstraction
        depth = layer + 1
        counts, fps, steps, child_masks = array("L"), array("Q"), array("H"), array("Q")
        made: list[tuple[WorldState, Judge]] | None = [] if keep else None
        violations: list[tuple[int, str, str]] = []
        pruned = 0
        for index, state, node_checker in self.states(layer, lo, hi):
            world.restore(state)
            skip = 0
            if reduction and masks is not None and (mask := masks[index - lo]):
                if symmetric:
                    # The sleep set, from canonical places back to this state's sessions.
                    _, sigma = self.fingerprint_of(world, node_checker)
                    skip = sum(1 << i for i in range(sessions) if mask >> sigma[i] & 1)
                else:
                    skip = mask
            commuting = reduction and commute(world, sessions)
            taken = 0
            fresh = True
            for plan_index in range(len(plan) + (self.environment >= 0)):
                if plan_index == self.environment:
                    session = -1
                    if not fresh:
                        world.restore(state)
                    fresh = False
                    world.environment_prune()  # emits nothing: the checker stays
                    checker, found = node_checker, []
                else:
                    step, needs_run = plan[plan_index]
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
                    if events or not node_checker.pairing_only:
                        checker = node_checker.clone()
                        found = checker.step(depth, step, events)
                    else:
                        checker, found = node_checker, []
                if checker.truth.pairing.open_requests and not world.in_flight():
                    found.extend(checker.finish(settled=True, step=depth))
                number = len(fps)
                for v in found:
                    violations.append((number, v.invariant, v.message))
                if abstraction is None:
                    fp, sigma = fingerprint(world.state_key(), checker.key())
                else:
                    fp, sigma = fingerprint(*abstract_key(abstraction, world, checker))
                fps.append(fp)
                if made is not None:
                    made.append((world.snapshot(), checker))
                steps.append(plan_index)
                child_mask = 0
                if commuting and session > 0:
                    if symmetric:
                        for i in range(session):
                            child_mask |= 1 << sigma[i]
                    else:
                        child_mask = (1 << session) - 1  # the sessions before this one
                child_masks.append(child_mask)
                taken += 1
            counts.append(taken)
        return Chunk(
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

    def fingerprint_of(self, world: World, checker: Judge) -> tuple[int, tuple[int, ...]]:
        if self.abstraction is None:
            return self.fingerprint(world.state_key(), checker.key())
        return self.fingerprint(*abstract_key(self.abstraction, world, checker))

    def trace(self, parent: int, plan_index: int) -> tuple[Step, ...]:
        """The steps from the seed. A composed search's environment prunes are no scenario
        step and are left out: its counterexamples are never reported (composition only
        proves; probe.explore.composition searches the sessions together otherwise)."""
        indices = [plan_index]
        node = parent
        while node > 0:
            indices.append(self.steps[node])
            node = self.parents[node]
        return tuple(self.plan[i][0] for i in reversed(indices) if i != self.environment)


def abstract_key(
    abstraction: Abstraction, world: World, judge: Judge
) -> tuple[tuple[object, ...], object]:
    """The abstract state of (world, judge) a fixpoint search fingerprints: the world's key
    and the pairing's, abstracted, with what the judge's other monitors read
    (abstraction.judged_key; abstraction.narrowed chose only monitors it covers)."""
    state, pairing = abstraction(world.state_key(), judge.truth.pairing.key())
    return state, judged_key(pairing, judge)
