"""What probe knows, as text: the strategies, the modelled versions and switches, the invariants."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from probe.strategies import DedupStrategy

if TYPE_CHECKING:
    from probe.properties.base import Property


def render_strategies(registry: Mapping[str, DedupStrategy]) -> str:
    lines = [f"{name:<8} {s.summary}\n" for name, s in sorted(registry.items())]
    lines.append(
        "\nmodel:NAME@VERSION replays NAME with the behaviour of openclaw VERSION "
        "(`probe versions` lists them)\n"
    )
    return "".join(lines)


def render_versions_json() -> str:
    import json

    from probe.model.behaviour import SWITCHES
    from probe.versions import VERSIONS, design_of, era_of

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
    return json.dumps(doc, indent=2) + "\n"


def render_versions_table() -> str:
    """The switches with their ids, then a line per version naming the ids it contains."""
    from probe.model.behaviour import SWITCHES
    from probe.versions import VERSIONS, design_of, era_of

    lines = ["switches (model:NAME@VERSION turns on those VERSION contains)\n"]
    lines.extend(f"  {s.fid:<6} {s.name:<30} {s.summary}\n" for s in SWITCHES)
    lines.append("\nversion            era  design  switches\n")
    for v, names in VERSIONS.items():
        ids = " ".join(sw.fid for sw in SWITCHES if sw.name in names) or "-"
        lines.append(f"{v:<18} {era_of(v):<4} {design_of(v):<7} {ids}\n")
    return "".join(lines)


def render_invariants(catalogue: Mapping[str, Property] | None = None) -> str:
    """The property catalogue (name, kind, parameters and defaults, meaning), then the
    coverage counters."""
    from probe.model.coverage import COVERAGE_MEANINGS
    from probe.properties.catalogue import CATALOGUE

    props = CATALOGUE if catalogue is None else catalogue
    lines = []
    for name, prop in props.items():
        params = ", ".join(f"{p.name} = {p.default}" for p in prop.params) or "-"
        caught = " ".join(prop.issues)
        lines.append(f"{name:<20} {prop.kind:<17} {params}\n")
        lines.append(f"    {prop.meaning}" + (f" ({caught})" if caught else "") + "\n")
        lines.extend(f"    {p.name}: {p.meaning}\n" for p in prop.params)
    lines.append("\ncoverage counters (shown by `probe run`):\n")
    lines.extend(f"  {name:<26} {meaning}\n" for name, meaning in COVERAGE_MEANINGS.items())
    return "".join(lines)
