"""Figures for `probe explore`, measured side by side in one run.

    python bench/explore_bench.py [--max-depth 12] [--runs 5] [--only 2,3,5]

1. the buggy phantom counterexample: search time in process, and the whole command against
   `python -c "import typer, rich"` (interleaved, median of per-pair ratios);
2. the fixed strategy, two sessions, depth 1..N: distinct states, time, states/s;
3. deduplication against plain tree enumeration on the same bound;
4. Hypothesis's RuleBasedStateMachine over the same model: time to the first phantom and its
   length after shrinking, against probe's breadth-first search;
5. the seeded random mode's steps per second.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import subprocess
import sys
import time
from dataclasses import replace

from startup import ENV, probe_command  # bench/ is on the path when run as a script

from probe.explore import ISSUE_SEED, ExploreConfig, explore, explore_random
from probe.invariants import InvariantChecker
from probe.model.world import World
from probe.scenario import Bump, Progress, Release, StateChange, Tick
from probe.strategies import REGISTRY

TWO = replace(
    ISSUE_SEED,
    sessions=(
        ISSUE_SEED.sessions[0],
        replace(ISSUE_SEED.sessions[0], ref="agent:main:b", progress_age_ms=360_000),
    ),
)


def timed(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    gc.disable()
    try:
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        return result, time.perf_counter() - start
    finally:
        gc.enable()


def phantom(runs: int) -> None:
    print("1. buggy phantom-request counterexample (one session: tick, bump, tick)")
    times = []
    for _ in range(runs):
        result, seconds = timed(explore, ISSUE_SEED, REGISTRY["buggy"], ExploreConfig(depth=3))
        times.append(seconds)
    trace = [type(s).__name__.lower() for s in result.counterexamples[0].trace]
    print(f"   search to depth 3, all actions: median {statistics.median(times) * 1000:.2f} ms; "
          f"trace {trace}")
    cmd = [*probe_command(), "explore", "--depth", "3", "--no-write",
           "--strategy", "buggy"]
    base = [sys.executable, "-c", "import typer, rich"]
    pairs = []
    for _ in range(runs + 1):
        a = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, env=ENV, check=False)
        b = time.perf_counter()
        subprocess.run(base, stdout=subprocess.DEVNULL, env=ENV, check=False)
        c = time.perf_counter()
        pairs.append((b - a, c - b))
    pairs = pairs[1:]  # the first pair warms the file cache
    ratios = [x / y for x, y in pairs]
    print(f"   whole command: median {statistics.median(p[0] for p in pairs) * 1000:.0f} ms, "
          f"import typer, rich: {statistics.median(p[1] for p in pairs) * 1000:.0f} ms, "
          f"ratio median {statistics.median(ratios):.2f} (min {min(ratios):.2f}, "
          f"max {max(ratios):.2f})")


def depth_table(max_depth: int) -> None:
    print(f"2. fixed strategy, two sessions, actions tick,bump,release, depth 1..{max_depth}")
    print("   depth  distinct states  transitions  seconds  states/s  transitions/s")
    for depth in range(1, max_depth + 1):
        config = ExploreConfig(depth=depth, actions=("tick", "bump", "release"))
        result, seconds = timed(explore, TWO, REGISTRY["fixed"], config)
        print(f"   {depth:>5}  {result.distinct_states:>15}  {result.transitions:>11}  "
              f"{seconds:>7.2f}  {result.distinct_states / seconds:>8.0f}  "
              f"{result.transitions / seconds:>13.0f}")
        assert not result.counterexamples


def dedup(depth: int) -> None:
    print(f"3. deduplication vs plain tree enumeration (one session, all actions, depth {depth})")
    config = ExploreConfig(depth=depth)
    deduped, t_dedup = timed(explore, ISSUE_SEED, REGISTRY["fixed"], config)
    tree, t_tree = timed(explore, ISSUE_SEED, REGISTRY["fixed"], replace(config, dedup=False))
    print(f"   states expanded: {deduped.states_expanded} vs {tree.states_expanded} "
          f"(x{tree.states_expanded / deduped.states_expanded:.1f}); time {t_dedup:.2f} s vs "
          f"{t_tree:.2f} s (x{t_tree / t_dedup:.1f})")


def against_hypothesis(runs: int) -> None:
    from hypothesis import settings
    from hypothesis import strategies as st
    from hypothesis.stateful import (
        RuleBasedStateMachine,
        invariant,
        rule,
        run_state_machine_as_test,
    )

    ref = ISSUE_SEED.sessions[0].ref
    last_run: list[str] = []

    class Recovery(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.world = World(ISSUE_SEED, REGISTRY["buggy"])
            self.checker = InvariantChecker()
            self.found: list[str] = []
            self.n = 0
            last_run.clear()

        def _do(self, step, name: str) -> None:  # type: ignore[no-untyped-def]
            self.n += 1
            last_run.append(name)
            self.world.apply(self.n, step)
            self.found += [v.invariant for v in self.checker.observe_all(self.world.bus.events)]
            self.world.bus.events.clear()

        @rule()
        def tick(self) -> None:
            self._do(Tick(), "tick")

        @rule()
        def bump(self) -> None:
            self._do(Bump(ref), "bump")

        @rule()
        def release(self) -> None:
            self._do(Release(ref), "release")

        @rule(to=st.sampled_from(["idle", "processing", "waiting"]))
        def state(self, to: str) -> None:
            self._do(StateChange(ref, to), f"state:{to}")  # type: ignore[arg-type]

        @rule()
        def progress(self) -> None:
            self._do(Progress(ref), "progress")

        @invariant()
        def no_phantom(self) -> None:
            assert "phantom-request" not in self.found

    times, lengths = [], []
    for _ in range(runs):
        start = time.perf_counter()
        try:
            run_state_machine_as_test(
                Recovery,
                settings=settings(max_examples=1000, database=None, deadline=None,
                                  print_blob=False),
            )
        except AssertionError:
            times.append(time.perf_counter() - start)
            lengths.append(len(last_run))
    probe_times = [timed(explore, ISSUE_SEED, REGISTRY["buggy"], ExploreConfig(depth=3))[1]
                   for _ in range(runs)]
    print("4. first phantom-request: Hypothesis RuleBasedStateMachine vs probe explore")
    print(f"   Hypothesis: found in {len(times)}/{runs} runs, median "
          f"{statistics.median(times) * 1000:.0f} ms, shrunk lengths {sorted(lengths)}")
    print(f"   probe BFS:  median {statistics.median(probe_times) * 1000:.2f} ms, length 3 "
          f"(minimal by construction); ratio x{statistics.median(times) / statistics.median(probe_times):.0f}")


def random_mode(runs: int) -> None:
    config = ExploreConfig(depth=50)
    result, seconds = timed(explore_random, ISSUE_SEED, REGISTRY["fixed"], config, seed=1,
                            runs=runs)
    print(f"5. random mode (fixed, depth 50, {result.runs} walks): {result.steps} steps in "
          f"{seconds:.2f} s = {result.steps / seconds:,.0f} steps/s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-depth", type=int, default=12)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dedup-depth", type=int, default=5)
    parser.add_argument("--only", default="1,2,3,4,5",
                        help="comma-separated section numbers to run (default: all)")
    args = parser.parse_args()
    only = {int(part) for part in args.only.split(",") if part.strip()}
    sections = {
        1: lambda: phantom(args.runs),
        2: lambda: depth_table(args.max_depth),
        3: lambda: dedup(args.dedup_depth),
        4: lambda: against_hypothesis(args.runs),
        5: lambda: random_mode(200),
    }
    for number, section in sections.items():
        if number in only:
            section()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
