"""Breadth-first search over step interleavings: shortest counterexamples, bounded proofs.

Pure: no printing, no files, no wall clock. The caller passes `stop` (for a time limit) and
`progress` callbacks, and times the call itself.
"""

from __future__ import annotations

import itertools
from array import array
from collections.abc import Callable
from dataclasses import replace

from probe.explore.tree import KEPT_STATE_BYTES, SearchTree
from probe.explore.values import Counterexample, ExploreConfig, ExploreResult, SearchProgress
from probe.explore.workers import WorkerPool
from probe.model.world import WorldState
from probe.properties.judge import Judge
from probe.scenario.values import Scenario
from probe.strategies import DedupStrategy

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
    search = SearchTree(scenario, strategy, config, None)
    pools: list[WorkerPool] = []
    try:
        return _run(search, pools, strategy, config, stop, progress, memory)
    finally:
        for pool in pools:
            pool.close()


# Workers start with the first layer this large: below it, starting them costs more.
PARALLEL_FROM = 4 * CHUNK_STATES


def _run(
    search: SearchTree,
    pools: list[WorkerPool],
    strategy: DedupStrategy,
    config: ExploreConfig,
    stop: Callable[[], bool],
    progress: Callable[[SearchProgress], None] | None,
    memory: Callable[[], int] | None,
) -> ExploreResult:
    search.world.restore(search.root[0])
    root_fp, _ = search.fingerprint_of(search.world, search.root[1])
    seen: set[int] = {root_fp}
    found: dict[str, Counterexample] = {}
    expanded = transitions = reached = pruned = 0
    per_depth = [1]
    bound: str | None = None
    closed = False
    dedup, max_states, max_memory = config.dedup, config.max_states, config.max_memory
    if max_memory is not None and config.keep_bytes > max_memory // 4:
        config = replace(config, keep_bytes=max_memory // 4)  # kept states stay a minor part
    start_memory = memory() if memory is not None else 0
    peak = 0
    worker_memory: dict[int, int] = {}
    worker_coverage: dict[int, dict[str, int]] = {}
    masks: array[int] | None = None
    distinct = 1
    fixpoint = config.fixpoint
    for depth in itertools.count(1) if fixpoint else range(1, config.depth + 1):
        layer = depth - 1
        deeper = fixpoint or depth < config.depth  # whether this layer's states are expanded
        lo, hi = search.layers[layer], search.layers[layer + 1]
        # The new layer: parents, steps, and (reduction) the sleep set of each new state.
        new_parents, new_steps, new_masks = array("q"), array("H"), array("Q")
        # Keep the new layer's states if they are likely to fit (growth as the last layer's).
        growth = per_depth[-1] / per_depth[-2] if len(per_depth) > 1 else 16.0
        keep = (
            deeper
            and not pools
            and (hi - lo) * growth * KEPT_STATE_BYTES <= config.keep_bytes
        )
        kept: list[tuple[WorldState, Judge]] | None = [] if keep else None
        layer_fps = array("Q")
        sleeping: dict[int, int] = {}  # fingerprint -> mask, new states with a sleep set
        reached_now = 0
        chunks = [(a, min(a + CHUNK_STATES, hi)) for a in range(lo, hi, CHUNK_STATES)]
        if not pools and config.workers > 1 and hi - lo >= PARALLEL_FROM:
            pools.append(WorkerPool(search, config.workers, memory))
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
                if found and config.first_violation:
                    bound = "violation"
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
                    if deeper:  # the deepest layer is counted, never expanded
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
        if not reached_now:
            closed = True  # nothing new: every reachable (abstract) state is expanded
            break
        if not deeper:
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
        fixpoint=fixpoint and closed,
        verified=fixpoint and closed and not found,
        sessions=search.sessions,
        judged=search.judged,
    )

