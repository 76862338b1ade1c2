"""Fetching and installing builds: npm pack, tarballs, and the dependencies their chunks need.

A published build is installed with only the npm packages its diagnostic chunks import (read by
the harness's --list-deps), not the whole of openclaw's dependencies, plus the timer faker that
drives the harness's virtual clock. Builds of one's own get a dependency set of the same kind.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from probe.engines import nodes
from probe.engines.cache import (
    COMPLETE_MARKER,
    DEPS_DIR,
    DEPS_MARKER,
    PACKAGE,
    cache_dir,
    check_version,
    deps_complete,
    dir_size,
    install_lock,
    is_complete,
    move_into_place,
    remove_abandoned,
    sweep_abandoned,
)
from probe.engines.errors import EngineError, MissingVersion, UndrivableBuild
from probe.engines.harness import check_loads, harness_line
from probe.engines.layout import check_package, key_shape
from probe.engines.npm import npm_path, run_npm
from probe.engines.undrivable import remember_undrivable, remembered_undrivable, undrivable_problem
from probe.versions import semver_key

__all__ = [
    "FAKE_TIMERS",
    "available_versions",
    "dependency_set",
    "extract_tarball",
    "fake_timers_dir",
    "fake_timers_package",
    "fetch_package",
    "install",
    "install_packages",
    "substitutions",
]

FAKE_TIMERS = "@sinonjs/fake-timers@15.5.0"
"""The timer faker that drives the harness's virtual clock (not an openclaw dependency)."""

_TAR_TIMEOUT_S = 600.0


def extract_tarball(tarball: Path, into: Path) -> None:
    """Extract an npm tarball into an empty folder, refusing links, devices and paths that leave
    it. Every entry is checked first; then the system's tar extracts (several times faster than
    tarfile on the ~10 000 files of a build), else tarfile with its "data" filter."""
    with tarfile.open(tarball, "r:gz") as archive:
        members = archive.getmembers()
        for member in members:
            # With no links among the entries, a lexical check is the whole check.
            name = os.path.normpath(member.name)
            if (
                os.path.isabs(name)
                or name == ".."
                or name.startswith(".." + os.sep)
                or not (member.isfile() or member.isdir())
            ):
                raise EngineError(f"unsafe entry in the npm tarball {tarball.name}: {member.name}")
        tar = shutil.which("tar")
        if tar is not None:
            try:
                proc = subprocess.run(
                    [tar, "-xzf", str(tarball), "-C", str(into), "--no-same-owner"],
                    capture_output=True,
                    timeout=_TAR_TIMEOUT_S,
                    stdin=subprocess.DEVNULL,
                )
            except (OSError, subprocess.TimeoutExpired):
                proc = None
            if proc is not None and proc.returncode == 0:
                return
        try:
            archive.extractall(into, filter="data")
        except TypeError:  # pragma: no cover - Python 3.11 before 3.11.4 has no extraction filters
            archive.extractall(into)


def fetch_package(version: str, into: Path, say: Callable[[str], None]) -> Path:
    """`npm pack openclaw@VERSION` into `into` and extract it: returns the package folder."""
    spec = f"{PACKAGE}@{version}"
    say(f"downloading {spec}")
    packed = run_npm(
        ["pack", spec, "--json", "--pack-destination", str(into)], into, "npm pack", spec
    )
    try:
        filename = json.loads(packed.stdout)[0]["filename"]
    except (json.JSONDecodeError, LookupError, TypeError) as exc:
        raise EngineError(f"npm pack {spec} printed no tarball name") from exc
    tarball = into / str(filename)
    if not tarball.is_file():
        raise EngineError(f"npm pack {spec} did not write {tarball.name}")
    say(f"extracting {tarball.name}")
    extract_tarball(tarball, into)
    tarball.unlink()
    check_package(into / "package", version)
    return into / "package"


def install_packages(work: Path, wanted: Mapping[str, str], spec: str) -> None:
    """`npm install` exactly `wanted` (name -> version spec) into work/node_modules."""
    manifest = {"name": "probe-engine-openclaw", "private": True, "dependencies": dict(wanted)}
    (work / "package.json").write_text(
        json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    run_npm(
        [
            "install",
            "--ignore-scripts",
            "--no-audit",
            "--no-fund",
            "--omit=dev",
            "--loglevel=error",
        ],
        work,
        "npm install",
        f"a dependency of {spec}",
    )


def fake_timers_package() -> tuple[str, str]:
    """The pinned @sinonjs/fake-timers as (name, version)."""
    name, _, version = FAKE_TIMERS.rpartition("@")
    return name, version


def install(version: str, progress: Callable[[str], None] | None = None) -> Path:
    """Install openclaw@VERSION (the package and only the dependencies its diagnostic chunks need).

    Returns the build's `dist/` folder. Idempotent. A build the harness cannot drive raises
    UndrivableBuild (remembered, so it is not downloaded again for this harness). One install of
    a version runs at a time (a lock); the entry appears by one rename of a finished folder, so an
    interrupted install leaves only a temporary folder that is never taken for a build.
    """
    check_version(version)
    say = progress or (lambda _message: None)
    root = cache_dir()
    entry = root / version
    if is_complete(entry):
        return entry / "package" / "dist"
    node = nodes.reader_node()
    npm_path()
    remembered = remembered_undrivable(version)
    if remembered is not None:
        raise remembered
    spec = f"{PACKAGE}@{version}"
    root.mkdir(parents=True, exist_ok=True)
    with install_lock(root, version, say) as locked:
        if is_complete(entry):  # installed by the process we waited for
            return entry / "package" / "dist"
        sweep_abandoned(root, say, locked=locked)  # what killed installs of any version left
        remove_abandoned(root, version, locked=locked)
        work = Path(tempfile.mkdtemp(prefix=f".{version}.tmp-", dir=root))
        try:
            package = fetch_package(version, work, say)
            dist = package / "dist"
            if dist.is_dir():
                inspected = harness_line(node, "--inspect", dist, "inspect")
                problem = undrivable_problem(inspected, spec)
            else:  # the earliest packages were not built bundles at all
                problem = UndrivableBuild(spec, "no_code", ["the package has no dist/ folder"])
            if problem is not None:
                shape = key_shape(dist)
                remember_undrivable(version, problem, shape.as_dict())
                raise problem
            deps = harness_line(node, "--list-deps", dist, "deps")
            packages: dict[str, str] = dict(deps.get("packages", {}))
            undeclared = list(deps.get("undeclared", []))
            if undeclared:
                raise EngineError(
                    f"{spec}'s diagnostic chunks import packages it does not declare: "
                    f"{', '.join(undeclared)}"
                )
            fake_name, fake_version = fake_timers_package()
            wanted = {**packages, fake_name: fake_version}
            say(f"installing {len(wanted)} packages: {', '.join(sorted(wanted))}")
            substituted = _install_published(work, wanted, spec, say)
            runner = check_loads(dist, say)
            need = nodes.node_need(dist)
            meta = {
                "version": version,
                "dependencies": wanted,
                "harness_protocol": 1,
                "node": {"engines": need.engines, "sqlite": need.sqlite, "checked_on": runner},
            }
            if substituted:
                meta["substituted"] = substituted
            # Written last: a folder with the marker is a finished build.
            (work / COMPLETE_MARKER).write_text(
                json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8"
            )
            move_into_place(work, entry, root, is_complete)
            # What this command added: a build takes 80-420 MB installed, most of it dependencies.
            say(f"{dir_size(entry) / 1e6:.1f} MB added to the cache ({entry})")
            return entry / "package" / "dist"
        finally:
            if work.exists():
                shutil.rmtree(work, ignore_errors=True)


def _install_published(
    work: Path, wanted: dict[str, str], spec: str, say: Callable[[str], None]
) -> dict[str, dict[str, str]]:
    """install_packages, with each dependency version the registry never had (7.2-beta.3 and
    beta.4 pin an unpublished @openclaw/ai) replaced by the nearest published one below it, else
    above it. The build's load check then proves its imports resolve. Returns the replacements."""
    substituted: dict[str, dict[str, str]] = {}
    while True:
        try:
            install_packages(work, wanted, spec)
            return substituted
        except MissingVersion as exc:
            if exc.name in substituted or exc.name not in wanted:
                raise
            used = _nearest_published(exc.name, exc.version)
            if used is None:
                raise
            say(
                f"{exc.name}@{exc.version} was never published on the npm registry; "
                f"using {exc.name}@{used}, the nearest published version"
            )
            substituted[exc.name] = {"wanted": exc.version, "used": used}
            wanted[exc.name] = used


def _nearest_published(name: str, version: str) -> str | None:
    with tempfile.TemporaryDirectory(prefix="probe-npm-") as folder:
        proc = run_npm(["view", name, "versions", "--json"], Path(folder), "npm view", name)
    try:
        versions = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return None
    if not isinstance(versions, list):
        return None
    listed = [str(v) for v in versions]
    ordered = sorted({*listed, version}, key=semver_key)
    at = ordered.index(version)
    below = [v for v in ordered[:at] if v in listed]
    above = [v for v in ordered[at + 1 :] if v in listed]
    return below[-1] if below else (above[0] if above else None)


def substitutions(dist: Path) -> dict[str, dict[str, str]]:
    """The dependencies an installed build got at another version than it pins (never published)."""
    try:
        meta = json.loads((Path(dist).parent.parent / COMPLETE_MARKER).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    found = meta.get("substituted") if isinstance(meta, dict) else None
    return found if isinstance(found, dict) else {}


def _marker_dependencies(folder: Path, marker: str) -> dict[str, str]:
    try:
        meta = json.loads((folder / marker).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    deps = meta.get("dependencies") if isinstance(meta, dict) else None
    return {str(k): str(v) for k, v in deps.items()} if isinstance(deps, dict) else {}


def dependency_set(
    wanted: Mapping[str, str], progress: Callable[[str], None] | None = None
) -> Path:
    """A node_modules folder that holds every package of `wanted` at the same version spec.

    An installed build's own node_modules when its dependencies cover `wanted` (no network),
    else a set installed on demand in the cache's .deps/ folder (one per distinct `wanted`).
    """
    say = progress or (lambda _message: None)
    root = cache_dir()
    items = set(wanted.items())
    candidates: list[tuple[Path, str]] = []
    if root.is_dir():
        candidates += [(e, COMPLETE_MARKER) for e in sorted(root.iterdir()) if is_complete(e)]
    deps_root = root / DEPS_DIR
    if deps_root.is_dir():
        candidates += [(e, DEPS_MARKER) for e in sorted(deps_root.iterdir()) if deps_complete(e)]
    for folder, marker in candidates:
        if items <= set(_marker_dependencies(folder, marker).items()):
            return folder / "node_modules"
    digest = hashlib.sha256(json.dumps(dict(wanted), sort_keys=True).encode()).hexdigest()[:16]
    entry = deps_root / digest
    deps_root.mkdir(parents=True, exist_ok=True)
    with install_lock(deps_root, digest, say) as locked:
        if deps_complete(entry):
            return entry / "node_modules"
        sweep_abandoned(deps_root, say, locked=locked)
        remove_abandoned(deps_root, digest, locked=locked)
        work = Path(tempfile.mkdtemp(prefix=f".{digest}.tmp-", dir=deps_root))
        try:
            say(f"installing {len(wanted)} packages: {', '.join(sorted(wanted))}")
            install_packages(work, wanted, "a build of your own")
            meta = {"dependencies": dict(wanted), "harness_protocol": 1}
            (work / DEPS_MARKER).write_text(
                json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8"
            )
            move_into_place(work, entry, deps_root, deps_complete)
            return entry / "node_modules"
        finally:
            if work.exists():
                shutil.rmtree(work, ignore_errors=True)


def fake_timers_dir(progress: Callable[[str], None] | None = None) -> Path:
    """probe's pinned @sinonjs/fake-timers, for builds probe did not install."""
    name, version = fake_timers_package()
    return dependency_set({name: version}, progress) / name


def available_versions() -> list[str]:
    """The published versions, in the registry's order (`npm view openclaw versions --json`)."""
    with tempfile.TemporaryDirectory(prefix="probe-npm-") as name:
        proc = run_npm(["view", PACKAGE, "versions", "--json"], Path(name), "npm view", PACKAGE)
    try:
        versions = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise EngineError(f"npm view {PACKAGE} versions printed no JSON list") from exc
    if isinstance(versions, str):  # a package with one version
        versions = [versions]
    if not isinstance(versions, list) or not all(isinstance(v, str) for v in versions):
        raise EngineError(f"npm view {PACKAGE} versions printed no JSON list")
    return list(versions)
