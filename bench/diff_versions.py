"""Differential check: random valid scenarios, the model of a version against its real build.

    python bench/diff_versions.py --count 300 --seed 1 2026.6.35 2026.5.30-beta.1 ...
    python bench/diff_versions.py --late-only --count 200 2026.7.1 2026.9.6   # late heartbeats

For each version: `count` scenarios from probe.scenario.generate (seeded; the same seed gives the same
scenarios), each replayed on `model:DESIGN@VERSION` and on `openclaw@VERSION` (one Node
process per scenario), compared event for event (probe's diff_runs). Prints one line per
version (agree / differ / not comparable) and writes every disagreement, with the scenario's
TOML and the diff, to --out (JSON), so that each can be turned into a recorded test.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from probe.engines.base import CannotExpress, ModelEngine
from probe.engines.engine import diff_runs
from probe.engines.real import RealEngine
from probe.errors import ProbeError
from probe.scenario.dump import dump_scenario
from probe.scenario.generate import GenerateOptions, generate_many
from probe.strategies import REGISTRY
from probe.versions import design_of, switches_of


def check(
    version: str,
    seed: int,
    count: int,
    out: Path,
    report: dict[str, object],
    pinned: bool = False,
    options: GenerateOptions = GenerateOptions(),
) -> None:
    switches_of(version)
    model = ModelEngine(REGISTRY[design_of(version)], None if pinned else version)
    build = RealEngine(version)
    counts = {"agree": 0, "differ": 0, "not_comparable": 0}
    differences = []
    start = time.perf_counter()

    def save(done: int) -> None:
        report[version] = {
            "seed": seed,
            "count": count,
            "done": done,
            "model": model.name,
            "switches": list(switches_of(version)),
            **counts,
            "seconds": round(time.perf_counter() - start, 1),
            "differences": differences,
        }
        out.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")

    for number, (label, scenario) in enumerate(generate_many(seed, count, options), 1):
        try:
            real = build.replay(scenario)
        except CannotExpress:
            counts["not_comparable"] += 1
            continue
        diff = diff_runs(model.replay(scenario), real)
        if diff:
            counts["differ"] += 1
            differences.append({"label": label, "toml": dump_scenario(scenario), "diff": diff})
        else:
            counts["agree"] += 1
        if number % 20 == 0:
            save(number)  # partial counts survive an interrupted run
    save(count)
    seconds = time.perf_counter() - start
    print(
        f"{version:<18} {model.name:<28} agree {counts['agree']:>4}  "
        f"differ {counts['differ']:>4}  not comparable {counts['not_comparable']:>4}  "
        f"{seconds:7.1f} s",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("versions", nargs="+")
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("diff-versions.json"))
    parser.add_argument(
        "--pinned",
        action="store_true",
        help="compare with the pinned model of the build's design (no switches): the "
        "check's sensitivity",
    )
    parser.add_argument(
        "--late-only",
        action="store_true",
        help="every scenario has late heartbeats (settings, jitter or a tick's late_ms)",
    )
    args = parser.parse_args()
    options = GenerateOptions(late_chance=1.0) if args.late_only else GenerateOptions()
    report: dict[str, object] = json.loads(args.out.read_text()) if args.out.exists() else {}
    for version in args.versions:
        try:
            check(version, args.seed, args.count, args.out, report, args.pinned, options)
        except ProbeError as exc:  # a build that does not install: say so, go on
            print(f"{version:<18} not checked: {exc}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
