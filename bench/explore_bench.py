"""Figures for `probe explore`, measured side by side in one run.

    python bench/explore_bench.py [--max-depth 12] [--runs 5] [--only 2,3,5] [--fixpoint-budget 60]

1. the buggy phantom counterexample: search time in process, and the whole command against
   `python -c "import typer, rich"` (interleaved, median of per-pair ratios);
2. the fixed strategy, two sessions, depth 1..N: distinct states, time, states/s;
3. deduplication against plain tree enumeration on the same bound;
4. Hypothesis's RuleBasedStateMachine over the same model: time to the first phantom and its
   length after shrinking, against probe's breadth-first search;
5. the seeded random mode's steps per second;
6. issue 13: two interchangeable sessions, fixed, all six actions, to depth 12 (or as far as
   --budget seconds take it): wall time, distinct states, peak memory and memory per
   distinct state, reduced (symmetry + partial-order reduction) against unreduced;
7. issue 13: two sessions, tick/bump/release, depth 12, against the search before issue 13
   (commit --before, checked out into a temporary folder): distinct states/s, time;
8. issue 13: three interchangeable sessions, all actions, depth 10 (or --budget): one and two
   workers.
9. issue 22: to the fixpoint (--fixpoint: several sessions one at a time where composition's
   premises hold) against the sessions searched together (--fixpoint --no-composition) and
   the bounded search before it (--depth 12), side by side: two interchangeable sessions,
   all six actions, fixed and
   model:fixed@2026.9.6 (--fixpoint-budget s, 1G); three (--fixpoint-budget3 s, 4G); and
   the issue's seed with buggy (the shortest phantom's length). --fixpoint-before REV runs
   the same searches with the code at REV first (e.g. main), --fixpoint-bounded adds the
   bounded search.
Sections 6-8 run `probe explore -f json` in a fresh process each (so each peak memory is
its own), one after another, never two at once.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from startup import ENV, probe_command  # bench/ is on the path when run as a script

from probe.explore.search import explore
from probe.explore.values import ISSUE_SEED, ExploreConfig
from probe.explore.walks import explore_random
from probe.invariants import InvariantChecker
from probe.model.world import World
from probe.scenario.dump import dump_scenario
from probe.scenario.values import Bump, Progress, Release, StateChange, Tick
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


SEED = ISSUE_SEED.sessions[0]
SYM2 = replace(ISSUE_SEED, name="two interchangeable sessions",
               sessions=(SEED, replace(SEED, ref="agent:main:b")))
SYM3 = replace(ISSUE_SEED, name="three interchangeable sessions",
               sessions=(SEED, replace(SEED, ref="agent:main:b"), replace(SEED, ref="agent:main:c")))
BEFORE = "764146a"  # the last commit before issue 13's search


def seed_file(folder: Path, name: str, scenario) -> Path:  # type: ignore[no-untyped-def]
    path = folder / f"{name}.toml"
    path.write_text(dump_scenario(scenario), encoding="utf-8")
    return path


# Runs `python -m probe ARGS...` and writes the process's peak RSS (ru_maxrss, KiB) last on
# stderr: the same measure for the search before issue 13, which reports no memory itself.
WRAP = (
    "import resource, runpy, sys\n"
    "sys.argv = ['probe', *sys.argv[1:]]\n"
    "try:\n"
    "    runpy.run_module('probe', run_name='__main__')\n"
    "finally:\n"
    "    sys.stderr.write(f'\\nmaxrss {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\\n')\n"
)


def search(args: list[str], cwd: str | None = None, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    """One search in a process of its own: its JSON for the fixed strategy, wall time, peak RSS."""
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", WRAP, *args], capture_output=True, text=True,
                         cwd=cwd, env=env or ENV, check=False)
    took = time.perf_counter() - start
    if "maxrss" not in out.stderr or not out.stdout:
        raise SystemExit(f"{' '.join(args)}: exit {out.returncode}\n{out.stderr}")
    doc = json.loads(out.stdout)["strategies"]["fixed"]
    doc["maxrss"] = int(out.stderr.rsplit("maxrss", 1)[1]) * 1024
    return doc, took


def _row(label: str, doc, took: float) -> str:  # type: ignore[no-untyped-def]
    per_state = doc.get("memory_per_state_bytes")
    growth = (f"; search growth {doc['peak_memory_bytes'] / 2**20:.1f} MiB = {per_state:.0f} B/state"
              if "peak_memory_bytes" in doc else "")
    memory = (f"peak RSS {doc['maxrss'] / 2**20:.0f} MiB "
              f"({doc['maxrss'] / doc['distinct_states']:.0f} B/state){growth}")
    stop = f" stopped by {doc['bound_hit']}" if doc["bound_hit"] else " exhausted"
    return (f"   {label:<34} depth {doc['depth']:>2}{stop:<22} {doc['distinct_states']:>11,} states "
            f"{doc['transitions']:>12,} transitions {doc['seconds']:>7.1f} s search "
            f"({took:.1f} s wall) {doc['distinct_states'] / doc['seconds']:>8,.0f} states/s  {memory}")


def two_all_actions(budget: float, folder: Path) -> None:
    print("6. two interchangeable sessions, fixed, all six actions, depth 12, one worker, "
          f"time limit {budget:.0f} s, memory bound 1G")
    seed = seed_file(folder, "sym2", SYM2)
    base = ["explore", str(seed), "-f", "json", "--no-write", "--strategy",
            "fixed", "--depth", "12", "--workers", "1", "--time-limit", str(budget),
            "--max-memory", "1G"]
    for label, extra in (("reduced (symmetry + POR)", []),
                         ("reduced, --keep-memory 0", ["--keep-memory", "0"]),
                         ("unreduced (--no-symmetry --no-reduction)",
                          ["--no-symmetry", "--no-reduction"])):
        doc, took = search([*base, *extra])
        print(_row(label, doc, took))
        print(f"      per depth: {doc['per_depth']}; steps not taken (POR): {doc['pruned_steps']:,}; "
              f"collision chance <= {doc['collision_probability']:.1e}")


def throughput(folder: Path) -> None:
    print("7. two sessions (tests' TWO), fixed, tick/bump/release, exhaustive to depth 12, "
          f"one process: before issue 13 ({BEFORE}) against now")
    seed = seed_file(folder, "two", TWO)
    args = ["explore", str(seed), "-f", "json", "--no-write", "--strategy", "fixed",
            "--depth", "12", "--actions", "tick,bump,release"]
    old = Path(folder) / "before"
    old.mkdir()
    archive = subprocess.run(["git", "archive", BEFORE], capture_output=True, check=True,
                             cwd=Path(__file__).resolve().parent.parent).stdout
    subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
    old_env = {**ENV, "PYTHONPATH": str(old)}
    runs = [
        (f"before ({BEFORE})", args, str(old), old_env),
        ("now, --no-symmetry --no-reduction", [*args, "--workers", "1", "--no-symmetry",
                                               "--no-reduction"], None, None),
        ("now, defaults (one worker)", [*args, "--workers", "1"], None, None),
        ("now, defaults, two workers", [*args, "--workers", "2"], None, None),
    ]
    for round_ in (1, 2):  # twice, interleaved: the machine is shared
        for label, cmd, cwd, env in runs:
            doc, took = search(cmd, cwd, env)
            print(_row(f"{label} [{round_}]", doc, took))


def _tree_at(revision: str, folder: Path) -> tuple[str, dict[str, str]]:
    """The code at `revision`, checked out into `folder`: (its path, an env importing it)."""
    old = folder / f"at-{revision}"
    if not old.exists():
        old.mkdir()
        archive = subprocess.run(["git", "archive", revision], capture_output=True, check=True,
                                 cwd=Path(__file__).resolve().parent.parent).stdout
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
    return str(old), {**ENV, "PYTHONPATH": str(old)}


def fixpoint_figures(budget: float, budget3: float, folder: Path, before: str | None,
                     bounded: bool) -> None:
    """Each search to the fixpoint, with this tree's code and (--fixpoint-before) the code at
    that revision, one after the other in fresh processes; --fixpoint-bounded adds --depth 12."""
    print("9. issue 22: to the fixpoint, one worker" +
          (f": the code at {before} against this tree's, one after the other" if before else ""))
    rows = [
        ("sym2", SYM2, ["--strategy", "fixed"], budget, "1G"),
        ("sym2", SYM2, ["--engine", "model:fixed@2026.9.6"], budget, "1G"),
        ("sym3", SYM3, ["--strategy", "fixed"], budget3, "4G"),
        ("sym3", SYM3, ["--engine", "model:fixed@2026.9.6"], budget3, "4G"),
    ]
    trees = [("now", None, None)]
    if before is not None:
        cwd, env = _tree_at(before, folder)
        trees.insert(0, (before, cwd, env))
    for name, scenario, who, limit, memory in rows:
        seed = seed_file(folder, name, scenario)
        base = ["explore", str(seed), "-f", "json", "--no-write", *who, "--workers", "1",
                "--time-limit", str(limit), "--max-memory", memory]
        print(f"   {scenario.name}, {' '.join(who)}, all six actions, {limit:.0f} s, {memory}")
        runs = [(f"{label}, --fixpoint", ["--fixpoint"], cwd, env) for label, cwd, env in trees]
        # The sessions searched together (what --fixpoint did before composition), side by side.
        runs.append(("now, --fixpoint --no-composition", ["--fixpoint", "--no-composition"],
                     None, None))
        if bounded:
            runs.insert(0, ("now, bounded, --depth 12", ["--depth", "12"], None, None))
        for label, extra, cwd, env in runs:
            doc, took = search([*base, *extra], cwd, env)
            print(_row(label, doc, took))
            if "--fixpoint" in extra:
                composed = doc.get("composed")
                how = ("together" if composed is None else
                       f"one session at a time ({', '.join(composed['searched_alone'])} alone)")
                print(f"      fixpoint reached: {doc['fixpoint']}, verified: {doc['verified']}, "
                      f"{how}; per depth (last 5): {doc['per_depth'][-5:]}")
    deadline = time.monotonic() + budget3
    result, seconds = timed(explore, ISSUE_SEED, REGISTRY["buggy"],
                            ExploreConfig(fixpoint=True, max_states=1_000_000),
                            stop=lambda: time.monotonic() > deadline)
    lengths = {c.invariant: len(c.trace) for c in result.counterexamples}
    print(f"   issue seed, buggy, --fixpoint (now, in process, {budget3:.0f} s): {lengths} "
          f"(fixpoint {result.fixpoint}, {result.distinct_states:,} abstract states, "
          f"depth {result.depth}, {seconds:.1f} s)")


def three_sessions(budget: float, folder: Path) -> None:
    print(f"8. three interchangeable sessions, fixed, all actions, depth 10, time limit "
          f"{budget:.0f} s, memory bound 1G")
    seed = seed_file(folder, "sym3", SYM3)
    base = ["explore", str(seed), "-f", "json", "--no-write", "--strategy",
            "fixed", "--depth", "10", "--time-limit", str(budget), "--max-memory", "1G"]
    for workers in (1, 2):
        doc, took = search([*base, "--workers", str(workers)])
        print(_row(f"{workers} worker(s)", doc, took))
        print(f"      per depth: {doc['per_depth']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-depth", type=int, default=12)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dedup-depth", type=int, default=5)
    parser.add_argument("--budget", type=float, default=120.0,
                        help="time limit of each search in sections 6 and 8 (seconds)")
    parser.add_argument("--fixpoint-budget", type=float, default=60.0,
                        help="time limit of section 9's two-session searches (seconds)")
    parser.add_argument("--fixpoint-budget3", type=float, default=600.0,
                        help="time limit of section 9's three-session searches (seconds)")
    parser.add_argument("--fixpoint-before", default=None, metavar="REV",
                        help="section 9: also search with the code at this git revision")
    parser.add_argument("--fixpoint-bounded", action="store_true",
                        help="section 9: also the bounded search (--depth 12)")
    parser.add_argument("--only", default="1,2,3,4,5,6,7,8,9",
                        help="comma-separated section numbers to run (default: all)")
    args = parser.parse_args()
    only = {int(part) for part in args.only.split(",") if part.strip()}
    sections = {
        1: lambda: phantom(args.runs),
        2: lambda: depth_table(args.max_depth),
        3: lambda: dedup(args.dedup_depth),
        4: lambda: against_hypothesis(args.runs),
        5: lambda: random_mode(200),
        6: lambda: two_all_actions(args.budget, folder),
        7: lambda: throughput(folder),
        8: lambda: three_sessions(args.budget, folder),
        9: lambda: fixpoint_figures(args.fixpoint_budget, args.fixpoint_budget3, folder,
                                    args.fixpoint_before, args.fixpoint_bounded),
    }
    folder = Path(tempfile.mkdtemp(prefix="explore-bench-"))
    for number, section in sections.items():
        if number in only:
            section()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
