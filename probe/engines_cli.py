"""`probe engines ...` and `probe conform`: real openclaw builds beside the model."""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from probe.errors import Problem, ScenarioError, UsageError
from probe.options import NodeOpt, use_node
from probe.scenario.values import Scenario
from probe.strategies import REGISTRY

if TYPE_CHECKING:  # the engine modules are imported where used: they are slow to import
    from probe.bisect import BisectResult, Probe
    from probe.engines.base import Engine
    from probe.engines.layout import KeyShape
    from probe.strategies import DedupStrategy


def _say(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


@dataclass(frozen=True, slots=True)
class PairResult:
    model: str
    real: str
    status: str  # agree | differ | not_comparable
    detail: tuple[str, ...]  # the diff, or why it could not be compared
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "real": self.real,
            "status": self.status,
            "detail": list(self.detail),
            "seconds": round(self.seconds, 3),
        }


def _conform_one(scenario: Scenario, model: Engine, build: Engine) -> PairResult:
    from probe.engines.base import CannotExpress
    from probe.engines.engine import diff_runs

    start = time.perf_counter()
    try:
        real_run = build.replay(scenario)
    except CannotExpress as exc:
        reasons = tuple(f"{i.key}: {i.reason}" for i in exc.items)
        return PairResult(
            model.name, build.name, "not_comparable", reasons, time.perf_counter() - start
        )
    model_run = model.replay(scenario)
    diff = diff_runs(model_run, real_run)
    return PairResult(
        model.name,
        build.name,
        "differ" if diff else "agree",
        tuple(diff),
        time.perf_counter() - start,
    )


def _own_model(strategy: DedupStrategy, version: str | None, engine: Engine) -> Engine:
    from probe.engines.base import ModelEngine
    from probe.engines.local import LocalEngine
    from probe.engines.switches import switches_in_dist

    if version is not None or not isinstance(engine, LocalEngine):
        return ModelEngine(strategy, version)
    read = switches_in_dist(engine.local.dist)
    if any(v is None for v in read.values()):
        return ModelEngine(strategy)
    named = engine.package_version
    return ModelEngine(strategy, named, tuple(n for n, on in read.items() if on))


def _pairs(specs: list[str] | None, builds: list[str] | None = None) -> list[tuple[Engine, Engine]]:
    """--pair model:NAME=ENGINE as given; --engine ENGINE against the model of its own design."""
    from probe.engines.base import ModelEngine
    from probe.engines.engine import DEFAULT_PAIRS
    from probe.engines.engine import resolve as resolve_engine

    if not specs and not builds:
        return [(resolve_engine(m), resolve_engine(r)) for m, r in DEFAULT_PAIRS]
    pairs = []
    for spec in specs or []:
        model, sep, build = spec.partition("=")
        if not sep or not model.startswith("model:"):
            raise UsageError(
                f"--pair {spec!r}: expected model:NAME=openclaw@VERSION or model:NAME=PATH "
                "(a dist/ folder, a package folder holding one, or a .tgz made by npm pack)"
            )
        pairs.append((resolve_engine(model), resolve_engine(build)))
    for spec in builds or []:
        engine = resolve_engine(spec)
        if isinstance(engine, ModelEngine):
            raise UsageError(f"--engine {spec}: conform compares a real build with the model")
        design = engine.design
        if design not in REGISTRY:
            raise UsageError(
                f"--engine {spec}: its coordinator key shape cannot be read (see probe engines "
                f"inspect {spec}); name the model to compare with: --pair model:NAME={spec}"
            )
        # The model of its own design and, when probe knows it, of its own version; a build of
        # a version probe does not know (your own) gets the switches read from its code.
        version = getattr(engine, "model_version", None)
        pairs.append((_own_model(REGISTRY[design], version, engine), engine))
    return pairs


def _load(files: list[Path] | None) -> list[tuple[Scenario, str]]:
    from probe.scenario.files import default_files, read_all, scenario_files

    if files:
        chosen = scenario_files(files)
    else:
        chosen, which = default_files()
        _say(which)
    return read_all(chosen, REGISTRY.keys())


def _render(results: list[tuple[str, list[PairResult]]]) -> str:
    from probe.escape import terminal

    results = [(terminal(path), pairs) for path, pairs in results]
    lines = []
    width = max(len(p) for p, _ in results)
    model_width = max([12, *(len(pr.model) for _, prs in results for pr in prs)])
    for path, pairs in results:
        for pr in pairs:
            verdict = {"agree": "agree", "differ": "DIFFER", "not_comparable": "not comparable"}
            lines.append(
                f"{path:<{width}}  {pr.model:<{model_width}} vs {pr.real:<26} "
                f"{verdict[pr.status]:<15} {pr.seconds:6.2f} s"
            )
            if pr.status == "not_comparable":
                lines.extend(f"    {terminal(reason)}" for reason in pr.detail)
    for path, pairs in results:
        for pr in pairs:
            if pr.status == "differ":
                lines.append("")
                lines.append(f"{path}: {pr.model} and {pr.real} differ (- model, + real):")
                lines.extend(f"  {terminal(line)}" for line in pr.detail)
    counts = {
        s: sum(1 for _, ps in results for p in ps if p.status == s)
        for s in ("agree", "differ", "not_comparable")
    }
    lines.append("")
    lines.append(
        f"{counts['agree']} agree, {counts['differ']} differ, "
        f"{counts['not_comparable']} not comparable"
    )
    return "\n".join(lines) + "\n"


def _format(value: str, allowed: tuple[str, ...], command: str) -> None:
    if value not in allowed:
        raise UsageError(
            f"--format {value!r} (or PROBE_FORMAT): {command} writes {', '.join(allowed)}"
        )


def _out(text: str, output: Path | None) -> None:
    from probe.output import emit

    emit(text, output)


def _check(output: Path | None, force: bool) -> None:
    from probe.output import check_output

    check_output(output, force)


def _format_opt(allowed: str) -> Any:
    return typer.Option("--format", "-f", envvar="PROBE_FORMAT", help=f"{allowed}.")


_OUTPUT = typer.Option("--output", "-o", help="Write the output to this file.")
_FORCE = typer.Option("--force", help="Replace an existing output file.")


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def _version_arg(spec: str) -> str:
    """VERSION or openclaw@VERSION, as a version."""
    from probe.engines.cache import PACKAGE, check_version
    from probe.engines.engine import check_exact_version

    version = spec.removeprefix(f"{PACKAGE}@")
    check_exact_version(version, spec)
    check_version(version)
    return version


# ---------------------------------------------------------------------------------------------
# probe engines inspect
# ---------------------------------------------------------------------------------------------


def _inspect_doc(spec: str, dist: Path, inspected: dict[str, Any], key: KeyShape) -> dict[str, Any]:
    from probe.engines.engine import DESIGN_OF_SHAPE
    from probe.engines.switches import switches_in_dist
    from probe.versions import VERSIONS

    version = inspected.get("openclaw_version")
    return {
        "engine": spec,
        # Behaviour switches read from the code (None: no pattern can tell), and the table's
        # entry for the version the package names (None: a version probe does not know).
        "switches": switches_in_dist(dist),
        "table_switches": list(VERSIONS[version]) if version in VERSIONS else None,
        "dist": str(dist),
        "openclaw_version": inspected.get("openclaw_version"),
        "status": inspected.get("status"),
        "problems": inspected.get("problems", []),
        "key": key.as_dict(),
        "design": DESIGN_OF_SHAPE.get(key.shape),
        "regions": inspected.get("regions", {}),
        "functions": inspected.get("functions", []),
        "shim": inspected.get("shim"),
        "seam": inspected.get("seam"),
        "heartbeat_ms": inspected.get("heartbeat_ms"),
        "settle_ms": inspected.get("settle_ms"),
        "loader": inspected.get("loader"),
        "late_tick_defers": inspected.get("late_tick_defers"),
        "warn_seam": inspected.get("warn_seam"),
        "optional_functions": inspected.get("optional_functions", []),
        "node": _node_doc(dist),
        "process": _process_doc(inspected),
        "sandbox": _sandbox_text(dist),
        "substituted": _substituted(dist),
    }


def _substituted(dist: Path) -> dict[str, dict[str, str]]:
    from probe.engines.install import substitutions

    return substitutions(dist)


def _process_doc(inspected: dict[str, Any]) -> dict[str, Any]:
    """One Node process per build for a whole command, or a fresh one per scenario, and why."""
    from probe.engines.drive import reuses_processes

    found = inspected.get("process") or {}
    if not reuses_processes():
        return {"reuse": False, "reason": "PROBE_BUILD_PROCESS=fresh"}
    return {"reuse": bool(found.get("reuse")), "reason": found.get("reason")}


def _sandbox_text(dist: Path) -> str:
    """What confines the build process: Node's permission model (or why not) and the JS traps."""
    from probe.engines import nodes, permissions
    from probe.engines.harness import permission_refusal

    choice = nodes.node_for(dist, fetch=False)
    version = nodes.parse_version(choice.version) if choice is not None else None
    return permissions.sandbox_line(version, permission_refusal(dist))


def _node_doc(dist: Path) -> dict[str, Any]:
    """The Node the build runs on, without fetching one: what it asks for, and what probe picks."""
    from probe.engines.nodes import node_for, node_need

    need = node_need(dist)
    choice = node_for(dist, fetch=False)
    return {
        "engines": need.engines,
        "sqlite": need.sqlite,
        "needs": need.describe(),
        "runs_on": choice.as_dict() if choice is not None else None,
    }


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
            ("late_tick_defers", "late ticks defer recovery (heartbeat_ms above 30000 refused)"),
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


def _inspect_engine(spec: str, scratch: Path) -> dict[str, Any]:
    from probe.engines.base import ModelEngine
    from probe.engines.cache import dist_dir, is_installed
    from probe.engines.engine import resolve as resolve_engine
    from probe.engines.harness import inspect_dist
    from probe.engines.install import fetch_package
    from probe.engines.layout import key_shape
    from probe.engines.local import LocalEngine
    from probe.engines.real import RealEngine

    engine = resolve_engine(spec)
    if isinstance(engine, ModelEngine):
        raise UsageError(f"{spec}: inspect reads a build's files; model engines have none")
    if isinstance(engine, LocalEngine):
        dist = engine.local.dist
    else:
        assert isinstance(engine, RealEngine)
        dist = dist_dir(engine.version)
        if not is_installed(engine.version):
            # Only the package is needed: download it, leave the cache alone.
            dist = fetch_package(engine.version, scratch, _say) / "dist"
            if not dist.is_dir():
                raise UsageError(f"{spec}: the package has no dist/ folder: nothing to inspect")
            doc = _inspect_doc(spec, dist, inspect_dist(dist), key_shape(dist))
            doc["dist"] = None  # a temporary folder, gone when this returns
            return doc
    return _inspect_doc(spec, dist, inspect_dist(dist), key_shape(dist))


# ---------------------------------------------------------------------------------------------
# probe bisect
# ---------------------------------------------------------------------------------------------


def _shown_verdict(verdict: str | None, on: str) -> str:
    if verdict is None:
        return "-"
    value = json.loads(verdict)
    if on == "violations":
        return ", ".join(value) if value else "no violation"
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 60 else text[:57] + "..."


def _probe_text(p: Probe, on: str) -> str:
    from probe.bisect import CANNOT_EXPRESS, LAYOUT, NO_CODE

    label = {
        NO_CODE: "stepped over: no recovery code",
        LAYOUT: "stepped over: layout",
        CANNOT_EXPRESS: "stepped over: cannot express",
    }.get(p.status, "stepped over: failed")
    if p.usable:
        return _shown_verdict(p.verdict, on)
    return f"{label}: {p.reason}"


def _probe_dict(p: Probe, on: str) -> dict[str, Any]:
    return {
        "version": p.version,
        "status": p.status,
        "verdict": json.loads(p.verdict) if p.verdict is not None else None,
        "reason": p.reason,
        "key": p.key.as_dict(),
        "downloaded": p.downloaded,
        "seconds": round(p.seconds, 3),
    }


def _bisect_counts(result: BisectResult) -> dict[str, int]:
    return {
        "versions": len(result.versions),
        "probed": len(result.probes),
        "installed": sum(1 for p in result.probes if p.usable and p.downloaded),
        "downloaded": sum(1 for p in result.probes if p.downloaded),
        "from_cache": sum(1 for p in result.probes if not p.downloaded),
        "stepped_over": sum(1 for p in result.probes if not p.usable),
    }


def _boundary_diff(result: BisectResult) -> list[str]:
    from probe.engines.engine import diff_runs

    if result.before is None or result.after is None:
        return []
    if result.before.run is None or result.after.run is None:
        return []
    return diff_runs(result.before.run, result.after.run)


def render_bisect(result: BisectResult, shown: str, on: str, seconds: float) -> str:
    from probe.escape import terminal

    shown = terminal(shown)
    versions = result.versions
    lines = [
        f"bisect {shown} on {on}: {len(versions)} version(s), "
        + (f"{versions[0]} .. {versions[-1]}" if versions else "none")
        + " (the registry's order)",
        "",
    ]
    position = {v: i for i, v in enumerate(versions)}
    width = max((len(p.version) for p in result.probes), default=7)
    lines.append(f"  {'version':<{width}}  {'key':<14}  verdict")
    for p in sorted(result.probes, key=lambda p: position.get(p.version, -1)):
        mark = " (baseline)" if result.baseline is not None and p is result.baseline else ""
        how = "downloaded" if p.downloaded else "cached"
        lines.append(
            f"  {p.version:<{width}}  {p.key.shape:<14}  {_probe_text(p, on)}{mark}"
            f"  [{how}, {p.seconds:.1f} s]"
        )
    left_out = result.unprobed_before_baseline
    if left_out:
        lines.append(
            f"  ({len(left_out)} version(s) before the baseline not probed: "
            f"{left_out[0]} .. {left_out[-1]}; no recovery code, or not drivable, judging by "
            "the probes around them)"
        )
    lines.append("")
    if result.after is not None and result.before is not None:
        before, after = result.before, result.after
        lines.append(f"boundary: openclaw@{before.version} -> openclaw@{after.version}")
        for p in (before, after):
            lines.append(
                f"  {p.version:<{width}}  {_shown_verdict(p.verdict, on)}  "
                f"(key {p.key.shape}"
                + (f", {p.key.where}: {p.key.line}" if p.key.line else "")
                + ")"
            )
        if result.between:
            lines.append(
                "  between them, stepped over (no verdict): "
                + ", ".join(p.version for p in result.between)
            )
        diff = _boundary_diff(result)
        lines.append("")
        if diff:
            lines.append(f"event streams (- {before.version}, + {after.version}):")
            lines.extend(f"  {terminal(line)}" for line in diff)
        else:
            lines.append("event streams: identical (the verdict differs in another key)")
    else:
        lines.append(f"no boundary: {result.note}")
    counts = _bisect_counts(result)
    lines.append("")
    lines.append(
        f"{counts['probed']} of {counts['versions']} version(s) probed: "
        f"{counts['installed']} installed now, {counts['downloaded']} downloaded in all, "
        f"{counts['from_cache']} from the cache, {counts['stepped_over']} stepped over; "
        f"{seconds:.1f} s"
    )
    return "\n".join(lines) + "\n"


def bisect_json(result: BisectResult, shown: str, on: str, seconds: float) -> str:
    doc = {
        "scenario": shown,
        "on": on,
        "versions": list(result.versions),
        "baseline": result.baseline.version if result.baseline else None,
        "probes": [_probe_dict(p, on) for p in result.probes],
        "boundary": None
        if result.after is None or result.before is None
        else {
            "before": result.before.version,
            "after": result.after.version,
            "stepped_over": [p.version for p in result.between],
            "diff": _boundary_diff(result),
        },
        "note": result.note,
        "not_probed_before_baseline": list(result.unprobed_before_baseline),
        "counts": _bisect_counts(result),
        "seconds": round(seconds, 3),
    }
    return json.dumps(doc, sort_keys=True, indent=2) + "\n"


def register(app: typer.Typer, guarded: Callable[[Callable[[], None]], None]) -> None:
    engines_app = typer.Typer(
        help="Install, list, inspect and prune real openclaw builds.",
        no_args_is_help=True,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.add_typer(engines_app, name="engines")

    @engines_app.command("install")
    def install(
        specs: Annotated[
            list[str], typer.Argument(metavar="SPEC...", help="openclaw@VERSION (repeatable).")
        ],
        node: NodeOpt = None,
    ) -> None:
        """Fetch builds from the npm registry into the cache, with only what the harness needs
        (and the Node each needs, when it is newer than the one on PATH)."""
        use_node(node)

        def body() -> None:
            from probe.engines.cache import list_installed
            from probe.engines.engine import resolve as resolve_engine
            from probe.engines.install import install as install_build
            from probe.engines.real import RealEngine

            for spec in specs:
                engine = resolve_engine(spec)
                if not isinstance(engine, RealEngine):
                    raise UsageError(f"{spec}: only openclaw@VERSION builds are installed")
                start = time.perf_counter()

                def progress(message: str, spec: str = spec) -> None:
                    _say(f"{spec}: {message}")

                dist = install_build(engine.version, progress=progress)
                size = dict(list_installed()).get(engine.version, 0)
                sys.stdout.write(
                    f"{spec}: installed at {dist.parent.parent} "
                    f"({_mb(size)}, {time.perf_counter() - start:.1f} s)\n"
                )

        guarded(body)

    @engines_app.command("list")
    def list_(
        available: Annotated[
            bool,
            typer.Option(
                "--available", help="Every published version (npm registry), marking the installed."
            ),
        ] = False,
        format: Annotated[str, _format_opt("table or json")] = "table",
        output: Annotated[Path | None, _OUTPUT] = None,
        force: Annotated[bool, _FORCE] = False,
    ) -> None:
        """The installed builds and their sizes (--available: every published version)."""

        def body() -> None:
            from probe.engines.cache import cache_dir, dist_dir, list_installed
            from probe.engines.errors import EngineError
            from probe.engines.install import available_versions
            from probe.engines.layout import key_shape
            from probe.engines.nodes import node_for
            from probe.engines.undrivable import remembered_undrivable, undrivable_key

            _format(format, ("table", "json"), "engines list")
            _check(output, force)
            installed = dict(list_installed())
            rows: list[dict[str, Any]] = []
            versions = available_versions() if available else sorted(installed)
            for version in versions:
                row: dict[str, Any] = {
                    "version": version,
                    "installed": version in installed,
                    "size": installed.get(version),
                    "key": None,
                    "undrivable": None,
                }
                row["node"] = None
                if version in installed:
                    row["key"] = key_shape(dist_dir(version)).shape
                    try:
                        choice = node_for(dist_dir(version), fetch=False)
                    except EngineError:  # no Node on PATH: a listing needs none
                        choice = None
                    row["node"] = choice.version if choice is not None else None
                else:
                    remembered = remembered_undrivable(version)
                    if remembered is not None:
                        row["undrivable"] = remembered.problems[0] if remembered.problems else ""
                        row["key"] = (undrivable_key(version) or {}).get("shape")
                rows.append(row)
            if format == "json":
                doc = {"cache": str(cache_dir()), "available": available, "builds": rows}
                _out(json.dumps(doc, sort_keys=True, indent=2) + "\n", output)
                return
            lines = []
            if not rows:
                lines.append(f"no builds installed in {cache_dir()}\n")
            width = max((len(r["version"]) for r in rows), default=0)
            for row in rows:
                if row["installed"]:
                    node = f"Node {row['node']}" if row["node"] else "Node to fetch"
                    state = f"installed {_mb(row['size']):>9}  key {row['key']:<14}  {node}"
                elif row["undrivable"] is not None:
                    state = f"cannot be driven (key {row['key']}): {row['undrivable']}"
                else:
                    state = "-"
                lines.append(f"openclaw@{row['version']:<{width}}  {state}\n")
            if available:
                lines.append(
                    f"\n{len(rows)} published, {sum(1 for r in rows if r['installed'])} "
                    f"installed in {cache_dir()}\n"
                )
            _out("".join(lines), output)

        guarded(body)

    @engines_app.command("inspect")
    def inspect(
        spec: Annotated[
            str,
            typer.Argument(
                metavar="ENGINE",
                help="openclaw@VERSION, or a build of your own: a dist/ folder, a package "
                "folder holding one, or a .tgz made by npm pack.",
            ),
        ],
        format: Annotated[str, _format_opt("table or json")] = "table",
        output: Annotated[Path | None, _OUTPUT] = None,
        force: Annotated[bool, _FORCE] = False,
        node: NodeOpt = None,
    ) -> None:
        """What the harness finds in a build, without running a scenario: version, chunks,
        functions, the coordinator's key shape read from the code, and the Node it runs on."""
        use_node(node)

        def body() -> None:
            _format(format, ("table", "json"), "engines inspect")
            _check(output, force)
            with tempfile.TemporaryDirectory(prefix="probe-inspect-") as scratch:
                doc = _inspect_engine(spec, Path(scratch))
            if format == "json":
                _out(json.dumps(doc, sort_keys=True, indent=2) + "\n", output)
            else:
                _out(render_inspect(doc), output)

        guarded(body)

    @engines_app.command("prune")
    def prune(
        versions: Annotated[
            list[str] | None,
            typer.Argument(metavar="[VERSION]...", help="VERSION or openclaw@VERSION."),
        ] = None,
        everything: Annotated[
            bool,
            typer.Option(
                "--all",
                help="The whole cache: every build, dependency set, remembered verdict and "
                "leftover (without VERSION, probe asks on a terminal and refuses elsewhere).",
            ),
        ] = False,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="List what would be removed; remove nothing.")
        ] = False,
    ) -> None:
        """Remove builds from the cache and say how much that freed."""

        def body() -> None:
            from probe.engines.cache import cache_dir, prune

            if versions and everything:
                raise UsageError("engines prune: give VERSION... or --all, not both")
            chosen = [_version_arg(v) for v in versions] if versions else None
            if chosen is None and not everything and not dry_run:
                planned = prune(None, dry_run=True)
                total = sum(size for _, size in planned)
                where = cache_dir()
                if not sys.stdin.isatty():
                    raise UsageError(
                        f"engines prune: without VERSION this removes the whole cache "
                        f"({len(planned)} item(s), {_mb(total)} in {where}); "
                        "pass --all to do so, or --dry-run to see the list"
                    )
                if not typer.confirm(
                    f"Remove the whole cache ({len(planned)} item(s), {_mb(total)} in {where})?",
                    default=False,
                    err=True,
                ):
                    raise typer.Exit(1)
            removed = prune(chosen, dry_run=dry_run)
            verb = "would remove" if dry_run else "removed"
            for label, size in removed:
                sys.stdout.write(f"{verb} {label} ({_mb(size)})\n")
            total = sum(size for _, size in removed)
            freed = "would free" if dry_run else "freed"
            sys.stdout.write(f"{freed} {_mb(total)} in {cache_dir()}\n")

        guarded(body)

    @app.command()
    def bisect(
        scenario_file: Annotated[Path, typer.Argument(metavar="SCENARIO", help="Scenario file.")],
        from_: Annotated[
            str | None,
            typer.Option("--from", help="First version of the range (default: the oldest)."),
        ] = None,
        to: Annotated[
            str | None, typer.Option("--to", help="Last version of the range (default: newest).")
        ] = None,
        stable: Annotated[
            bool, typer.Option("--stable", help="Leave out prereleases (except --from/--to).")
        ] = False,
        on: Annotated[
            str,
            typer.Option(
                "--on",
                help="The report key that decides (default: violations, the invariants the "
                "scenario violates). Also: ok, requested, requested_generations, completed, "
                "runtime_outcomes, absorbed_by, expectations, events.",
            ),
        ] = "violations",
        format: Annotated[str, _format_opt("table, json, junit or github")] = "table",
        output: Annotated[Path | None, _OUTPUT] = None,
        force: Annotated[bool, _FORCE] = False,
        node: NodeOpt = None,
    ) -> None:
        """Binary-search the published builds for the first whose verdict differs from --from's."""
        use_node(node)

        def body() -> None:
            from probe.bisect import (
                VERDICT_KEYS,
                BuildProber,
                install_on_demand,
                search,
                select_range,
            )
            from probe.engines.install import available_versions
            from probe.scenario.files import read_scenario

            _format(format, ("table", "json", "junit", "github"), "bisect")
            _check(output, force)
            started = datetime.now(UTC)
            if on not in VERDICT_KEYS:
                raise UsageError(f"--on {on!r}: choose one of {', '.join(VERDICT_KEYS)}")
            shown = str(scenario_file)
            scenario = read_scenario(scenario_file, REGISTRY.keys(), shown)
            first = _version_arg(from_) if from_ else None
            last = _version_arg(to) if to else None
            start = time.perf_counter()
            _say("reading the published versions (npm view openclaw versions)")
            try:
                versions = select_range(available_versions(), first, last, stable=stable)
            except ValueError as exc:
                raise UsageError(str(exc)) from None

            def progress(message: str) -> None:
                _say(f"  {message}")

            prober = BuildProber(scenario, on, install_on_demand(progress))

            def probe(version: str) -> Probe:
                _say(f"probing openclaw@{version}")
                found = prober(version)
                _say(
                    f"openclaw@{version}: {_probe_text(found, on)} "
                    f"(key {found.key.shape}, {found.seconds:.1f} s)"
                )
                return found

            result = search(versions, probe)
            seconds = time.perf_counter() - start
            if format == "json":
                _out(bisect_json(result, shown, on, seconds), output)
            elif format == "junit":
                from probe.report.conform_report import render_bisect_junit

                texts = [_probe_text(p, on) for p in result.probes]
                _out(render_bisect_junit(result, shown, on, started, texts), output)
            elif format == "github":
                from probe.report.conform_report import render_bisect_github

                _out(render_bisect_github(result, shown), output)
            else:
                _out(render_bisect(result, shown, on, seconds), output)
            if result.baseline is None:
                raise UsageError(f"bisect: {result.note}")
            raise typer.Exit(0 if result.found else 1)

        guarded(body)

    @app.command()
    def conform(
        files: Annotated[
            list[Path] | None,
            typer.Argument(
                metavar="FILE...", help="Scenario files (default: the shipped library)."
            ),
        ] = None,
        pair: Annotated[
            list[str] | None,
            typer.Option(
                help="model:NAME=ENGINE, ENGINE being openclaw@VERSION or the path of a build "
                "(dist/ folder, package folder, npm-pack .tgz); repeatable; default: buggy and "
                "fixed against the last buggy and first fixed builds."
            ),
        ] = None,
        engine: Annotated[
            list[str] | None,
            typer.Option(
                "--engine",
                "-e",
                help="A real build (openclaw@VERSION or a path, repeatable), compared with the "
                "model of its own design, read from its coordinator key.",
            ),
        ] = None,
        format: Annotated[str, _format_opt("table, json, junit or github")] = "table",
        output: Annotated[Path | None, _OUTPUT] = None,
        force: Annotated[bool, _FORCE] = False,
        node: NodeOpt = None,
    ) -> None:
        """Replay every scenario on the model and on the real build; diff the event streams."""
        use_node(node)

        def body() -> None:
            _format(format, ("table", "json", "junit", "github"), "conform")
            _check(output, force)
            started = datetime.now(UTC)
            loaded = _load(files)  # bad files are refused before any build is resolved
            pairs = _pairs(pair, engine)
            for _model, build in pairs:  # the builds load side by side
                start_early = getattr(build, "prestart", None)
                if callable(start_early):
                    start_early()
            results: list[tuple[str, list[PairResult]]] = []
            for scenario, shown in loaded:
                row = []
                for model, build in pairs:
                    if sys.stderr.isatty():
                        _say(f"{shown}: {build.name}")
                    row.append(_conform_one(scenario, model, build))
                results.append((shown, row))
            statuses = [p.status for _, ps in results for p in ps]
            if format == "json":
                doc = {
                    "ok": "differ" not in statuses and "agree" in statuses,
                    "scenarios": [
                        {"path": p, "pairs": [x.as_dict() for x in ps]} for p, ps in results
                    ],
                }
                _out(json.dumps(doc, sort_keys=True, indent=2) + "\n", output)
            elif format == "junit":
                from probe.report.conform_report import render_conform_junit

                _out(render_conform_junit(results, started), output)
            elif format == "github":
                from probe.report.conform_report import render_conform_github

                _out(render_conform_github(results), output)
            else:
                _out(_render(results), output)
            if "agree" not in statuses and "differ" not in statuses:
                raise ScenarioError(
                    [
                        Problem(
                            "conform",
                            "",
                            None,
                            "nothing could be compared: every scenario uses "
                            "a feature the real builds cannot express",
                        )
                    ]
                )
            raise typer.Exit(1 if "differ" in statuses else 0)

        guarded(body)
