"""Record the real event streams of the version scenarios, per build, for the tests.

    python bench/record_versions.py [--out tests/realdata/versions] VERSION ...
    python bench/record_versions.py --scenarios scenarios/failures \
        --out tests/realdata/failures VERSION ...   # the failure library

For each scenarios/versions/*.toml and each given published build: the build's run (events
without probe's bookkeeping, runtime outcomes, summary), or why the build cannot express the
scenario. Merges into one JSON per scenario (normalized scenario + one entry per build), so
builds of later eras can be added as the harness learns to drive them. The tests replay the
model of each recorded version against these (tests/test_versions.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from probe.engines.base import CannotExpress
from probe.engines.engine import normalized
from probe.engines.real import RealEngine
from probe.errors import ProbeError
from probe.scenario.files import read_scenario
from probe.strategies import REGISTRY
from probe.versions import switches_of

PROBE_KEYS = ("seq", "step", "generation", "layer")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("versions", nargs="+")
    parser.add_argument("--out", type=Path, default=Path("tests/realdata/versions"))
    parser.add_argument("--scenarios", type=Path, default=Path("scenarios/versions"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for path in sorted(args.scenarios.glob("*.toml")):
        scenario = read_scenario(path, REGISTRY.keys())
        target = args.out / f"{path.stem}.json"
        doc = json.loads(target.read_text()) if target.exists() else {}
        doc.update({"name": scenario.name, "scenario": normalized(scenario), "file": str(path)})
        builds = doc.setdefault("builds", {})
        for version in args.versions:
            switches_of(version)
            engine = RealEngine(version)
            try:
                run = engine.replay(scenario)
            except CannotExpress as exc:
                builds[version] = {
                    "design": engine.design,
                    "cannot_express": [f"{i.key}: {i.reason}" for i in exc.items],
                }
                print(f"{path.stem:<40} {version:<18} cannot express", flush=True)
                continue
            except ProbeError as exc:  # not installable or not drivable: say so, go on
                print(f"{path.stem:<40} {version:<18} not recorded: {exc}", flush=True)
                continue
            builds[version] = {
                "design": engine.design,
                "requested": run.requested,
                "requested_generations": run.requested_generations,
                "completed": run.completed,
                "runtime_outcomes": list(run.runtime_outcomes),
                "absorbed_by": run.absorbed_by,
                "events": [
                    {k: v for k, v in e.as_dict().items() if k not in PROBE_KEYS}
                    for e in run.events
                ],
            }
            print(f"{path.stem:<40} {version:<18} {len(run.events)} events", flush=True)
            doc["builds"] = dict(sorted(builds.items()))
            target.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
