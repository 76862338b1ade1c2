"""The engines group's outputs: the list of cached builds, and what inspect finds in one."""

from __future__ import annotations

import json
from typing import Any


def megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def render_builds_json(cache: str, available: bool, rows: list[dict[str, Any]]) -> str:
    doc = {"cache": cache, "available": available, "builds": rows}
    return json.dumps(doc, sort_keys=True, indent=2) + "\n"


def render_builds(cache: str, available: bool, rows: list[dict[str, Any]]) -> str:
    """A line per build: installed (size, key, Node), remembered as undrivable, or neither."""
    lines = []
    if not rows:
        lines.append(f"no builds installed in {cache}\n")
    width = max((len(r["version"]) for r in rows), default=0)
    if available and rows:
        # The recovery column first: most published versions predate the code probe drives.
        lines.append(f"{'version':<{width + 9}}  {'recovery code':<13}  cache\n")
    for row in rows:
        if row["installed"]:
            node = f"Node {row['node']}" if row["node"] else "Node to fetch"
            state = f"installed {megabytes(row['size']):>9}  key {row['key']:<14}  {node}"
        elif row["undrivable"] is not None:
            state = f"cannot be driven (key {row['key']}): {row['undrivable']}"
        else:
            state = "-"
        code = f"{row['recovery_code']:<13}  " if available else ""
        lines.append(f"openclaw@{row['version']:<{width}}  {code}{state}\n")
    if available:
        modelled = sum(1 for r in rows if r["recovery_code"].startswith("modelled"))
        lines.append(
            f"\n{len(rows)} published ({modelled} with the recovery code probe models), "
            f"{sum(1 for r in rows if r['installed'])} installed in {cache}\n"
        )
    return "".join(lines)


def render_inspect_json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, sort_keys=True, indent=2) + "\n"


def _node_text(node: dict[str, Any]) -> str:
    runs = node.get("runs_on")
    if runs is None:
        where = "a newer Node than PATH's, fetched from the npm registry on first use"
    else:
        where = f"Node v{runs['version']} ({runs['source']}: {runs['path']})"
    return f"node        {where}; the build asks for {node['needs']}"


_REGION_ORDER = (
    "diagnostic",
    "coordinator",
    "runtime",
    "runs",
    "sessionState",
    "runActivity",
    "events",
)
_STATUS_TEXT = {
    "drivable": "the harness can drive it",
    "no_code": "no stuck-session recovery code: nothing to drive",
    "layout": "recovery code in a layout the harness cannot drive",
}


def _switch_lines(doc: dict[str, Any]) -> list[str]:
    from probe.model.behaviour import BY_NAME

    switches: dict[str, bool | None] = doc.get("switches") or {}
    table = doc.get("table_switches")
    on = [n for n, v in switches.items() if v]
    lines = [f"switches    {len(on)} read from the code (probe versions: what each does)"]
    for name, value in switches.items():
        mark = {True: "yes", False: "no", None: "cannot tell"}[value]
        agrees = ""
        if table is not None and value is not None and value != (name in table):
            agrees = "  (probe's version table says otherwise)"
        lines.append(f"  {BY_NAME[name].fid:<6} {name:<30} {mark}{agrees}")
    return lines


def render_inspect(doc: dict[str, Any]) -> str:
    key = doc["key"]
    design = f" (the {doc['design']} design)" if doc["design"] else ""
    lines = [
        f"openclaw {doc['openclaw_version']}  "
        + (doc["dist"] or "(downloaded from the npm registry to inspect, not kept)"),
        f"status      {doc['status']}: {_STATUS_TEXT.get(str(doc['status']), '')}",
        f"key shape   {key['shape']}{design}",
    ]
    if key["line"]:
        lines.append(f"  read at   {key['chunk']}:{key['lineno']}: {key['line']}")
    else:
        lines.append("  read at   (no coordinator key in the code)")
    lines.extend(_switch_lines(doc))
    beat, settle = doc["heartbeat_ms"], doc["settle_ms"]
    lines.append(
        "constants   heartbeat "
        + (f"{beat} ms" if beat is not None else "not found")
        + ", abort settle "
        + (f"{settle} ms" if settle is not None else "not found")
    )
    lines.append("regions (//#region src/... -> chunk)")
    width = max((len(r["region"]) for r in doc["regions"].values()), default=0)
    regions = sorted(
        doc["regions"].items(),
        key=lambda item: _REGION_ORDER.index(item[0]) if item[0] in _REGION_ORDER else 99,
    )
    for name, region in regions:
        chunk = region["chunk"] or "NOT FOUND"
        why = "" if region["required"] else "  (read for the key shape)"
        lines.append(f"  {region['region']:<{width}}  {chunk}{why}")
        if name == "runtime" and doc["shim"]:
            lines.append(f"  {'  loaded through':<{width}}  {doc['shim']}")
    lines.append("functions the harness calls (name -> chunk, export)")
    width = max((len(f["name"]) for f in doc["functions"]), default=0)
    chunk_width = max((len(f["chunk"] or "-") for f in doc["functions"]), default=0)
    for fn in doc["functions"]:
        chunk = fn["chunk"] or "-"
        if fn["export"] is None:
            where = f"{chunk:<{chunk_width}}  NOT EXPORTED"
        else:
            where = f"{chunk:<{chunk_width}}  export {fn['export']}"
        older = f" (as {fn['found_as']})" if fn.get("found_as") not in (None, fn["name"]) else ""
        lines.append(f"  {fn['name']:<{width}}  {where}{older}")
    seam = "yes" if doc["seam"] else "NO"
    lines.append(f"heartbeat recoverStuckSession seam: {seam}")
    loader = doc.get("loader")
    if loader:
        lines.append(
            f"runtime loader: lazy (createLazyRuntimeModule, {loader['chunk']} export "
            f"{loader['export']})"
        )
    era = [
        label
        for flag, label in (
            ("late_tick_defers", "a tick 1000 ms or more overdue defers recovery (F12)"),
            ("warn_seam", "warn through opts.testTimings"),
        )
        if doc.get(flag)
    ]
    era += [
        f"{f['name']} (export {f['export']})"
        for f in doc.get("optional_functions", [])
        if f.get("export") is not None
    ]
    if era:
        lines.append("also driven: " + "; ".join(era))
    if doc.get("node"):
        lines.append(_node_text(doc["node"]))
    for name, sub in sorted((doc.get("substituted") or {}).items()):
        lines.append(
            f"dependency  {name}@{sub['used']} instead of {sub['wanted']}, which was never "
            "published on the npm registry"
        )
    proc = doc.get("process")
    if proc:
        if proc["reuse"]:
            lines.append(
                "process     one Node process per command, its diagnostic state reset between "
                "scenarios"
            )
        else:
            lines.append(f"process     a fresh Node process per scenario: {proc['reason']}")
    if doc.get("sandbox"):
        lines.append(f"sandbox     {doc['sandbox']}")
    if doc["problems"]:
        lines.append("problems")
        lines.extend(f"  {p['kind']}: {p['message']}" for p in doc["problems"])
    return "\n".join(lines) + "\n"
