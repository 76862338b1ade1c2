"""Proving several sessions one at a time: the premises, the argument, the search.

The fixpoint of N sessions searched together is about the N-th power of one session's: every
session's clocks (record age, run progress) run beside the others' in 15 s steps up to their
caps, so the product has no fewer classes than the product of the sessions' own (measured: one
session 36 952 abstract states, two together past 200 000 at depth 9 and still growing four
times a layer). Yet the sessions meet almost nowhere, and the properties a fixpoint judges are
per session. So where the premises below hold, a fixpoint over N sessions is proved as N (or,
sessions alike but for their ref, one) fixpoints of one session each, searched with an
environment that can do to it whatever the other sessions can.

The argument (the projection lemma). Write a state of the N-session world as the shared part
(the clock, the heartbeat's timer, the store's prune clock) and one part per session (its
record, run activity, run handle, in-flight keys, waiter; the checker's and every judged
monitor's entries for its ref: abstraction.judged_key is per ref). Project a run of the
N-session world onto session i: keep the shared part and i's part, and map each step to
- itself, for a step of session i (bump, release, state, progress of i) and for a tick or an
  advance (each session's part changes as it would alone: the heartbeat's forced prune, then
  one pass over the records, each judged by its own record and run alone (classification,
  throttle, request), each request keyed by the strategy's key, which names its ref and no
  other (`premises` checks it), the runtime entered per ref, each outcome applied to its own
  ref's record; the order of different refs' events changes no per-ref verdict);
- nothing (a stutter), for a step of another session j, except for one effect on i's part:
  j's record lookup prunes the store when a prune is due, and (before 2026.8.2, switch
  no-prune-on-create) creating j's record prunes it always. A prune forgets i's record if it
  is idle, empty and quiet past the TTL, and restarts the prune clock: the environment's
  step, `World.environment_prune`, which a composed search may take between any two steps.
  A due prune needs a lookup more than the prune interval after the last firing's prune:
  with firings at most that far apart, and records never made (8.2 on), no lookup of j
  prunes, and the environment takes no step at all.
A prune inside a step, at a timer of session j, is not between two steps: another session's
settle timer (drain settle) can do a lookup at any instant; `premises` refuses a seed where it
could prune (drain settle with an environment that prunes). Lookups inside a firing's pass
follow its forced prune at the same instant and forget nothing it left (only a touch, which
sets the record's age to 0, makes a record idle and empty).
The judge's settled check (`finish`, when nothing is in flight) reads i's part only, and it
runs in the one-session search whenever i has nothing in flight: at least as often as in the
N-session search, which waits for every session. So every run of the N-session world projects
onto a run of session i's composed search (the seed's initial state projects onto its own:
`premises` compares them) whose events for i, and so whose verdicts for i, are the same: if no
composed search of any session finds a violation, no interleaving of the N sessions does.
Over-approximating the environment (a prune whenever it likes) keeps this sound; it can only
make a composed search find a violation the sessions together cannot, in which case the
fixpoint searches them together (`probe explore` does so, and says it).

tests/test_explore_composition.py holds the lemma itself to the model: every state a bounded
search of two sessions reaches projects onto a state the composed one-session search reaches
(for several versions and strategies), and a world whose steps leak into another session's
part is caught.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, NamedTuple

from probe.explore.abstraction import _keys_name_their_ref
from probe.explore.values import (
    DEFAULT_ACTIONS,
    Composed,
    ExploreConfig,
    ExploreResult,
)
from probe.model.state import MAX_ENTRIES, PRUNE_INTERVAL_MS
from probe.model.world import RECORD_KEY_WIDTH, World
from probe.scenario.values import Scenario
from probe.strategies import DedupStrategy


class Composition(NamedTuple):
    """A seed's sessions as one-session seeds, one per class of sessions alike but for their
    ref, and whether the environment prunes."""

    seeds: tuple[Scenario, ...]
    environment: bool


def premises(
    scenario: Scenario, strategy: DedupStrategy, config: ExploreConfig
) -> Composition | str:
    """The composition of the seed, or why the projection lemma does not cover it."""
    sessions = scenario.sessions
    refs = [s.ref for s in sessions]
    if len(sessions) < 2:
        return "one session"
    if len(sessions) > MAX_ENTRIES:
        return f"more than {MAX_ENTRIES} sessions (the store evicts across sessions)"
    if not set(config.actions) <= set(DEFAULT_ACTIONS):
        return "the own action replaces run handles (not argued)"
    if any(
        s.session_id is not None or not s.keyed or s.session_file or not s.ref for s in sessions
    ):
        return "a session with an id, a session file or the empty key (they meet across refs)"
    settings = scenario.settings
    if settings.runtime == "scripted":
        return "a scripted runtime"
    if settings.tick_jitter_ms is not None:
        return "tick jitter"
    if not _keys_name_their_ref(strategy, refs):
        return "the strategy's in-flight keys do not each name their own ref alone"
    world = World(scenario, strategy)
    behaviour = world.behaviour
    # Another session's lookup prunes when one is due (always before the first firing, the
    # last prune being the seeding's; between firings only when they are further apart than
    # the prune interval) and, before 8.2, when it makes a record: the environment prunes
    # whenever it likes. Inside a step only a settle timer looks a record up, and only after
    # a firing (a recovery armed it): refused where a prune could then be due or forced.
    gap = settings.heartbeat_ms + settings.tick_late_ms
    environment = True
    mid_step = not behaviour.no_prune_on_create or gap > PRUNE_INTERVAL_MS
    if mid_step and settings.drain == "settle":
        return (
            "drain settle with a store that prunes on another session's lookup (its settle "
            "timer could prune inside a step)"
        )
    seeds: list[Scenario] = []
    classes: list[object] = []
    whole = world.state_key()
    for seed in sessions:
        alone = replace(scenario, sessions=(seed,))
        if project(whole, seed.ref) != World(alone, strategy).state_key():
            return f"{seed.ref}'s seeded state is not what it is alone (seeding pruned or ordered)"
        shape = replace(seed, ref="")
        if shape not in classes:
            classes.append(shape)
            seeds.append(alone)
    return Composition(tuple(seeds), environment)


def project(key: tuple[object, ...], ref: str) -> tuple[object, ...]:
    """World.state_key's part for one session: the shared part and that session's.

    Reads the key's layout as probe.explore.abstraction does; in-flight keys by the ref they
    name (`premises` checked that each names its own ref alone)."""
    k: Sequence[Any] = key
    out: list[Any] = []
    i = 1

    def keep(count: int, width: int) -> None:
        """The next `count` items of `width` (each opening with its ref): only ref's."""
        nonlocal i
        mine = [k[at : at + width] for at in range(i, i + width * count, width)]
        mine = [part for part in mine if part[0] == ref]
        out.append(len(mine))
        for part in mine:
            out.extend(part)
        i += width * count

    keep(k[0], RECORD_KEY_WIDTH)  # the records
    out.append(k[i])  # the prune clock
    i += 1
    count: int = k[i]
    i += 1
    keep(count, 6)  # run activity
    count = k[i]
    i += 1
    keep(count, 2)  # run handles
    coordinator: frozenset[str] = k[i]
    runtime: frozenset[str] = k[i + 1]
    count = k[i + 2]
    out += (frozenset(c for c in coordinator if ref in c), runtime & {ref})
    i += 3
    keep(count, 11)  # waiters
    out += k[i:]  # the heartbeat (lanes, replies, scripted calls: none here)
    return tuple(out)


def project_checker(key: object, ref: str) -> object:
    """A judge's key (per ref: (ref, items) pairs) for one session."""
    assert isinstance(key, frozenset)
    return frozenset(item for item in key if item[0] == ref)


def explore_composed(
    composition: Composition,
    scenario: Scenario,
    strategy: DedupStrategy,
    config: ExploreConfig,
    search: Callable[[Scenario, ExploreConfig], ExploreResult],
) -> tuple[ExploreResult | None, str]:
    """Each one-session seed to its fixpoint with its environment: the N sessions' proof, or
    (None, why) where a search found a violation or stopped (the caller then searches the
    sessions together). `search`: probe.explore.search.explore with the caller's stop,
    progress and memory callbacks."""
    alone = replace(config, environment=composition.environment, first_violation=True)
    results: list[ExploreResult] = []
    for seed in composition.seeds:
        result = search(seed, alone)
        ref = seed.sessions[0].ref
        if result.counterexamples:
            names = ", ".join(c.invariant for c in result.counterexamples)
            return None, f"{ref} alone with its environment violates {names}"
        if not result.verified:
            return None, f"{ref} alone stopped before its fixpoint ({result.bound_hit})"
        results.append(result)
    depth = max(r.depth for r in results)
    per_depth = [
        sum(r.per_depth[d] for r in results if d < len(r.per_depth)) for d in range(depth + 1)
    ]
    coverage: dict[str, int] = {}
    for r in results:
        for name, n in r.coverage:
            coverage[name] = coverage.get(name, 0) + n
    first = results[0]
    return (
        replace(
            first,
            states_expanded=sum(r.states_expanded for r in results),
            distinct_states=sum(r.distinct_states for r in results),
            transitions=sum(r.transitions for r in results),
            depth=depth,
            per_depth=tuple(per_depth),
            coverage=tuple(sorted(coverage.items())),
            pruned=sum(r.pruned for r in results),
            peak_memory=max(r.peak_memory for r in results),
            sessions=len(scenario.sessions),
            composed=Composed(
                len(scenario.sessions),
                tuple(s.sessions[0].ref for s in composition.seeds),
                composition.environment,
            ),
        ),
        "",
    )
