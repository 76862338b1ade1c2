"""What probe reads of real builds without running one: a build's inspection, the cache."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from probe.engines import permissions
from probe.engines.base import ModelEngine
from probe.engines.cache import dist_dir, is_installed, list_installed
from probe.engines.drive import reuses_processes
from probe.engines.engine import DESIGN_OF_SHAPE
from probe.engines.engine import resolve as resolve_engine
from probe.engines.errors import EngineError
from probe.engines.harness import inspect_dist, permission_refusal
from probe.engines.install import available_versions, fetch_package, substitutions
from probe.engines.layout import KeyShape, key_shape
from probe.engines.local import LocalEngine
from probe.engines.nodes import node_for, node_need, parse_version
from probe.engines.real import RealEngine
from probe.engines.switches import switches_in_dist
from probe.engines.undrivable import remembered_undrivable, undrivable_key
from probe.errors import UsageError
from probe.versions import VERSIONS


def cached_builds(available: bool) -> list[dict[str, Any]]:
    """The installed builds (with `available`, every published version), a row each: size,
    key shape and Node of the installed, what is remembered of those that cannot be driven."""

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
        row["recovery_code"] = recovery_code(version)
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
    return rows


def recovery_code(version: str) -> str:
    """Whether a published version has the stuck-session recovery code, by probe's table.

    `modelled ERA` for the versions probe models; `none` before the first of them (5.12 ..
    5.22 have an earlier design without run-activity progress, which counts as none, as bisect
    counts it); `not modelled` after the last, where only the build itself can tell.
    """
    from probe.versions import VERSIONS, era_of, semver_key

    if version in VERSIONS:
        return f"modelled {era_of(version)}"
    first = next(iter(VERSIONS))
    return "none" if semver_key(version) < semver_key(first) else "not modelled"


def inspect_engine(spec: str, scratch: Path, say: Callable[[str], None]) -> dict[str, Any]:
    """The inspection of a build: from its dist/, or for a version not installed, from its
    package downloaded into `scratch` (the cache left alone)."""

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
            dist = fetch_package(engine.version, scratch, say) / "dist"
            if not dist.is_dir():
                raise UsageError(f"{spec}: the package has no dist/ folder: nothing to inspect")
            doc = _inspect_doc(spec, dist, inspect_dist(dist), key_shape(dist))
            doc["dist"] = None  # a temporary folder, gone when this returns
            return doc
    return _inspect_doc(spec, dist, inspect_dist(dist), key_shape(dist))


# ---------------------------------------------------------------------------------------------
# probe bisect
# ---------------------------------------------------------------------------------------------


def _inspect_doc(spec: str, dist: Path, inspected: dict[str, Any], key: KeyShape) -> dict[str, Any]:
    """The inspection as a document: what the harness read, and what probe reads beside it."""

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

    return substitutions(dist)


def _process_doc(inspected: dict[str, Any]) -> dict[str, Any]:
    """One Node process per build for a whole command, or a fresh one per scenario, and why."""

    found = inspected.get("process") or {}
    if not reuses_processes():
        return {"reuse": False, "reason": "PROBE_BUILD_PROCESS=fresh"}
    return {"reuse": bool(found.get("reuse")), "reason": found.get("reason")}


def _sandbox_text(dist: Path) -> str:
    """What confines the build process: Node's permission model (or why not) and the JS traps."""

    choice = node_for(dist, fetch=False)
    version = parse_version(choice.version) if choice is not None else None
    return permissions.sandbox_line(version, permission_refusal(dist))


def _node_doc(dist: Path) -> dict[str, Any]:
    """The Node the build runs on, without fetching one: what it asks for, and what probe picks."""

    need = node_need(dist)
    choice = node_for(dist, fetch=False)
    return {
        "engines": need.engines,
        "sqlite": need.sqlite,
        "needs": need.describe(),
        "runs_on": choice.as_dict() if choice is not None else None,
    }
