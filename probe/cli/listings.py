"""`probe strategies`, `probe versions`, `probe invariants`: what probe knows, listed."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from probe.cli.exits import guarded
from probe.cli.options import PluginOpt
from probe.errors import UsageError


@guarded
def strategies(plugin: PluginOpt = None) -> None:
    """List the registered dedup strategies (and those --plugin loads)."""
    from probe.cli.run import registry_for

    for name, s in sorted(registry_for(plugin).items()):
        sys.stdout.write(f"{name:<8} {s.summary}\n")
    sys.stdout.write(
        "\nmodel:NAME@VERSION replays NAME with the behaviour of openclaw VERSION "
        "(`probe versions` lists them)\n"
    )


@guarded
def versions(
    format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """List the openclaw versions probe models, and the behaviour switches each contains."""
    import json

    from probe.model.behaviour import SWITCHES
    from probe.versions import VERSIONS, design_of, era_of

    if format not in ("table", "json"):
        raise UsageError(f"--format {format!r}: versions writes table or json")
    if format == "json":
        doc = {
            "switches": [{"name": s.name, "id": s.fid, "summary": s.summary} for s in SWITCHES],
            "versions": [
                {
                    "version": v,
                    "era": era_of(v),
                    "design": design_of(v),
                    "switches": list(names),
                }
                for v, names in VERSIONS.items()
            ],
        }
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        return
    sys.stdout.write("switches (model:NAME@VERSION turns on those VERSION contains)\n")
    for s in SWITCHES:
        sys.stdout.write(f"  {s.fid:<6} {s.name:<30} {s.summary}\n")
    sys.stdout.write("\nversion            era  design  switches\n")
    for v, names in VERSIONS.items():
        ids = " ".join(sw.fid for sw in SWITCHES if sw.name in names) or "-"
        sys.stdout.write(f"{v:<18} {era_of(v):<4} {design_of(v):<7} {ids}\n")


def invariants() -> None:
    """List the invariants checked after every step, and the coverage counters."""
    from probe.invariants import INVARIANTS
    from probe.model.coverage import COVERAGE_MEANINGS

    for name, meaning in sorted(INVARIANTS.items()):
        sys.stdout.write(f"{name:<18} {meaning}\n")
    sys.stdout.write("\ncoverage counters (shown by `probe run`):\n")
    for name, meaning in COVERAGE_MEANINGS.items():
        sys.stdout.write(f"  {name:<26} {meaning}\n")
