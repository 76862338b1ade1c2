"""Count the violations per version over every shipped scenario and a seeded random set.

    python bench/false_alarms.py [--random 200] [--seed 0] [--version V ...] [--scenarios DIR]

For the closing note's false-alarm count: on the model of each version (`probe versions`;
model:DESIGN@V, the version's own design), every shipped scenario (scenarios/**/*.toml) and
`--random` scenarios from probe.scenario.generate are replayed and judged by every property
the model reports today. It prints, per version, the violations in four groups:

- failures: scenarios/failures/c*.toml that are not controls (expected where the failure is);
- controls: scenarios/failures/*-control.toml (healthy: any violation is a false alarm);
- other shipped: the rest of the shipped library;
- random: the seeded random set;

then every remaining violation, grouped by (property, source), with the versions it fires
on, so each can be explained by the openclaw failure it is. Deterministic: the same
arguments print the same text. Run it again once the property catalogue lands.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

from probe.engines.engine import model_engine
from probe.scenario.files import read_scenario
from probe.scenario.generate import generate_many
from probe.scenario.values import Scenario
from probe.strategies import REGISTRY
from probe.versions import VERSIONS, design_of

GROUPS = ("failures", "controls", "other shipped", "random")


def group_of(source: str) -> str:
    if source.startswith("random"):
        return "random"
    path = Path(source)
    if path.parent.name == "failures":
        return "controls" if path.stem.endswith("-control") else "failures"
    return "other shipped"


def shipped(folder: Path) -> list[tuple[str, Scenario]]:
    return [
        (str(p), read_scenario(p, REGISTRY.keys())) for p in sorted(folder.rglob("*.toml"))
    ]


def span(versions: list[str]) -> str:
    order = list(VERSIONS)
    versions = sorted(versions, key=order.index)
    if len(versions) == len(order):
        return "every version"
    if len(versions) <= 3:
        return ", ".join(versions)
    return f"{len(versions)} versions, {versions[0]} .. {versions[-1]}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--random", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--version", action="append", dest="versions")
    parser.add_argument("--scenarios", type=Path, default=Path("scenarios"))
    args = parser.parse_args()
    versions = args.versions or list(VERSIONS)
    scenarios = shipped(args.scenarios) + generate_many(args.seed, args.random)
    counts: dict[str, dict[str, int]] = {v: dict.fromkeys(GROUPS, 0) for v in versions}
    fired: dict[tuple[str, str], list[str]] = defaultdict(list)
    for version in versions:
        engine = model_engine(f"{design_of(version)}@{version}")
        for source, scenario in scenarios:
            for name in engine.replay(scenario).violation_names:
                counts[version][group_of(source)] += 1
                fired[(name, source)].append(version)
    sizes = {g: sum(group_of(s) == g for s, _ in scenarios) for g in GROUPS}
    print(
        f"violations per version: {len(versions)} version(s), "
        + ", ".join(f"{sizes[g]} {g}" for g in GROUPS)
        + f" scenario(s) (random: seed {args.seed})"
    )
    print()
    width = max(len(v) for v in versions)
    print(f"  {'version':<{width}}  " + "  ".join(f"{g:>13}" for g in GROUPS))
    for version in versions:
        row = "  ".join(f"{counts[version][g]:>13}" for g in GROUPS)
        print(f"  {version:<{width}}  {row}")
    total = {g: sum(c[g] for c in counts.values()) for g in GROUPS}
    print(f"  {'total':<{width}}  " + "  ".join(f"{total[g]:>13}" for g in GROUPS))
    print()
    print(f"each violation ({len(fired)} property and scenario pair(s)):")
    order = {source: i for i, (source, _) in enumerate(scenarios)}

    def place(item: tuple[tuple[str, str], list[str]]) -> tuple[int, str, int]:
        (name, source), _ = item
        return (GROUPS.index(group_of(source)), name, order[source])

    for (name, source), where in sorted(fired.items(), key=place):
        print(f"  [{group_of(source)}] {name}  {source}  on {span(where)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
