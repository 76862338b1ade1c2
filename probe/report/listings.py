"""What probe knows, as text: the strategies, the modelled versions and switches, the invariants."""

from __future__ import annotations

from collections.abc import Mapping

from probe.strategies import DedupStrategy


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


def render_invariants() -> str:
    """The invariants checked after every step, then the coverage counters."""
    from probe.invariants import INVARIANTS
    from probe.model.coverage import COVERAGE_MEANINGS

    lines = [f"{name:<18} {meaning}\n" for name, meaning in sorted(INVARIANTS.items())]
    lines.append("\ncoverage counters (shown by `probe run`):\n")
    lines.extend(f"  {name:<26} {meaning}\n" for name, meaning in COVERAGE_MEANINGS.items())
    return "".join(lines)
