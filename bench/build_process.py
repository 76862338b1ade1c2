"""What one build process per command saves: per-scenario cost on a warm process, and conform.

1. Per build (the pinned builds and 9.6 by default): the import (the first replay of a new
   process), then the median per-scenario cost of the shipped library replayed over and over on
   the warm process (goal <= 20 ms), and a fresh process's cost per scenario for comparison.
2. `probe conform` over the shipped library on both pinned builds, as a command, against the
   model-only run of the same scenarios (`probe compare`, model only): goal <= 3x the model's time
   plus one import per build.

Builds are installed into $PROBE_CACHE_DIR if need be (not timed).

    python bench/build_process.py [--rounds N] [--builds V,V,...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from probe.engines import process  # noqa: E402
from probe.engines.cache import dist_dir  # noqa: E402
from probe.engines.drive import run_build  # noqa: E402
from probe.engines.engine import normalized  # noqa: E402
from probe.engines.install import install  # noqa: E402
from probe.scenario.files import read_scenario  # noqa: E402
from probe.strategies import REGISTRY  # noqa: E402

PINNED = ("2026.5.30-beta.1", "2026.5.31-beta.1")
DEFAULT_BUILDS = (*PINNED, "2026.9.6")


def shipped() -> list[dict[str, object]]:
    files = sorted((ROOT / "scenarios").glob("*.toml"))
    return [normalized(read_scenario(f, REGISTRY.keys(), str(f))) for f in files]


def per_scenario(version: str, rounds: int) -> dict[str, float]:
    dist = install(version)
    scenarios = shipped()
    os.environ["PROBE_BUILD_PROCESS"] = "reuse"
    process.close_all()
    start = time.perf_counter()
    run_build(dist, scenarios[0])
    first = time.perf_counter() - start
    costs: list[float] = []
    for _ in range(rounds):
        for scenario in scenarios:
            start = time.perf_counter()
            run_build(dist, scenario)
            costs.append(time.perf_counter() - start)
    process.close_all()
    os.environ["PROBE_BUILD_PROCESS"] = "fresh"
    fresh: list[float] = []
    for scenario in scenarios[:3]:
        start = time.perf_counter()
        run_build(dist, scenario)
        fresh.append(time.perf_counter() - start)
    os.environ["PROBE_BUILD_PROCESS"] = "reuse"
    return {
        "first_replay_s": first,
        "warm_median_ms": statistics.median(costs) * 1000,
        "warm_p90_ms": sorted(costs)[int(len(costs) * 0.9)] * 1000,
        "fresh_median_s": statistics.median(fresh),
        "replays": len(costs),
    }


def wall(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "probe", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
        cwd=ROOT,
    )
    return time.perf_counter() - start


def conform_vs_model(rounds: int) -> dict[str, float]:
    for version in PINNED:
        install(version)
    conform = [wall(["conform"]) for _ in range(rounds)]
    model = [wall(["compare"]) for _ in range(rounds)]
    imports = []
    for version in PINNED:
        dist = dist_dir(version)
        process.close_all()
        start = time.perf_counter()
        run_build(dist, shipped()[0])
        imports.append(time.perf_counter() - start)
    process.close_all()
    return {
        "conform_s": statistics.median(conform),
        "model_s": statistics.median(model),
        "imports_s": sum(imports),
        "budget_s": 3 * statistics.median(model) + sum(imports),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--builds", default=",".join(DEFAULT_BUILDS))
    args = parser.parse_args()
    print("per-scenario cost on a warm build process (shipped library, repeated)")
    for version in args.builds.split(","):
        r = per_scenario(version, args.rounds)
        print(
            f"  openclaw@{version:<18} import+first {r['first_replay_s']:6.2f} s   warm median "
            f"{r['warm_median_ms']:6.1f} ms  p90 {r['warm_p90_ms']:6.1f} ms  "
            f"({r['replays']:.0f} replays; fresh process {r['fresh_median_s']:.2f} s each)"
        )
    c = conform_vs_model(max(1, args.rounds // 2))
    print("probe conform, shipped library, both pinned builds (a command each, median)")
    print(
        f"  conform {c['conform_s']:.2f} s; model only (probe compare) {c['model_s']:.2f} s; "
        f"one import per build {c['imports_s']:.2f} s; goal <= 3x model + imports = "
        f"{c['budget_s']:.2f} s: {'met' if c['conform_s'] <= c['budget_s'] else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
