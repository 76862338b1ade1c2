"""Published openclaw builds: install them in a cache and replay scenarios on them through Node."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from probe.errors import ProbeError

if TYPE_CHECKING:
    from probe.engines.nodes import NodeChoice as nodes_NodeChoice
    from probe.engines.nodes import NodeNeed as nodes_NodeNeed
    from probe.engines.process import BuildProcess as process_BuildProcess

__all__ = [
    "FAKE_TIMERS",
    "Build",
    "EngineError",
    "UndrivableBuild",
    "available_versions",
    "cache_dir",
    "dependency_set",
    "dist_dir",
    "harness_path",
    "inspect_dist",
    "install",
    "list_installed",
    "prune",
    "run_build",
    "summarize",
]

FAKE_TIMERS = "@sinonjs/fake-timers@15.5.0"
"""The timer faker that drives the harness's virtual clock (not an openclaw dependency)."""

PACKAGE = "openclaw"
_COMPLETE_MARKER = ".probe-engine.json"
_DEPS_MARKER = ".probe-deps.json"
_DEPS_DIR = ".deps"  # node_modules sets for builds probe did not install (cache/.deps/HASH)
_NO_PERMISSION_DIR = ".no-permission"  # builds that cannot load under Node's permission model
_UNDRIVABLE_DIR = ".undrivable"  # what a downloaded build lacked (cache/.undrivable/VERSION.json)
_MIN_NODE_MAJOR = 20
_VERSION_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+_-]*$")
_NPM_TIMEOUT_S = 600.0
_ABANDONED_AFTER_S = 24 * 3600.0
_RUN_TIMEOUT_S = 60.0
_UNREACHABLE_CODES = (
    "ENOTFOUND",
    "EAI_AGAIN",
    "ECONNREFUSED",
    "ECONNRESET",
    "ETIMEDOUT",
    "ENETUNREACH",
    "EHOSTUNREACH",
    "ERR_SOCKET_TIMEOUT",
    "network request to",
    "request to https",
)


class EngineError(ProbeError):
    """A real build could not be installed or run; the message says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UndrivableBuild(EngineError):
    """A build the harness cannot drive: it predates the recovery code, or its layout differs.

    `status` is "no_code" or "layout"; `problems` are the harness's own findings, first the one
    that decided. Bisect steps over such builds; everywhere else they are bad input (exit 2).
    """

    def __init__(self, name: str, status: str, problems: list[str]) -> None:
        if status == "no_code":
            what = "has no stuck-session recovery code"
        else:
            what = "has a layout the harness cannot drive"
        super().__init__(f"{name} {what}: {problems[0] if problems else status}")
        self.name = name
        self.status = status
        self.problems = problems
        self.remembered = False  # True: known from an earlier download, not downloaded now


@dataclass(frozen=True, slots=True)
class Build:
    """How the harness reaches a build: its dist/ as Node sees it, Node flags, extra environment."""

    dist: Path
    node_flags: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()


def harness_path() -> Path:
    """The Node harness shipped inside the package."""
    return Path(__file__).resolve().parent / "node" / "harness.mjs"


def cache_dir() -> Path:
    """Where builds live: $PROBE_CACHE_DIR, else $XDG_CACHE_HOME or ~/.cache, then probe/engines."""
    override = os.environ.get("PROBE_CACHE_DIR")
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "probe" / "engines"


def dist_dir(version: str) -> Path:
    """The `dist/` folder of an installed build (which may not exist)."""
    return cache_dir() / version / "package" / "dist"


def is_installed(version: str) -> bool:
    """Whether openclaw@VERSION is a finished build in the cache."""
    return _is_complete(cache_dir() / version)


def check_version(version: str) -> None:
    if not _VERSION_RE.match(version) or ".." in version:
        raise EngineError(f"not a version: {version!r}")


def _is_complete(entry: Path) -> bool:
    return (entry / _COMPLETE_MARKER).is_file() and (entry / "package" / "dist").is_dir()


def _which(program: str) -> str:
    found = shutil.which(program, path=os.environ.get("PATH", os.defpath))
    if found is None:
        raise EngineError(
            f"{program} is not installed or not on PATH; real openclaw builds need Node.js "
            f"{_MIN_NODE_MAJOR} or newer with npm (https://nodejs.org)"
        )
    return found


def _node() -> str:
    """The Node that reads builds' files (--inspect, --list-deps): PROBE_NODE, else PATH's."""
    from probe.engines import nodes

    try:
        return nodes.path_node().path
    except nodes.NodeError as exc:
        raise EngineError(str(exc)) from None


# Builds seen to need node:sqlite in this process (their marker records it for installed ones).
_SQLITE_LEARNED: set[Path] = set()
_SQLITE_FAILURE = re.compile(r"node:sqlite|SQLite support is unavailable")


def node_need(dist: Path) -> nodes_NodeNeed:
    """What a build asks of Node: its package.json's engines.node, and node:sqlite when its
    install found (or a run in this process found) that it loads it."""
    from probe.engines.nodes import NodeNeed

    try:
        meta = json.loads((Path(dist).parent / "package.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        meta = {}
    engines = meta.get("engines") if isinstance(meta, dict) else None
    spec = engines.get("node") if isinstance(engines, dict) else None
    sqlite = Path(dist).resolve() in _SQLITE_LEARNED
    marker = Path(dist).parent.parent / _COMPLETE_MARKER
    if not sqlite and marker.is_file():
        try:
            recorded = json.loads(marker.read_text(encoding="utf-8")).get("node") or {}
        except (OSError, json.JSONDecodeError, AttributeError):
            recorded = {}
        sqlite = bool(recorded.get("sqlite")) if isinstance(recorded, dict) else False
    return NodeNeed(spec if isinstance(spec, str) else None, sqlite)


def node_for(
    dist: Path, progress: Callable[[str], None] | None = None, *, fetch: bool = True
) -> nodes_NodeChoice | None:
    """The Node a build runs on (fetched into the cache when it needs a newer one than PATH's)."""
    from probe.engines import nodes

    say = progress or _stderr_progress
    try:
        return nodes.select_node(
            cache_dir(), node_need(dist), say, _install_lock, _move_into_place, fetch=fetch
        )
    except nodes.NodeError as exc:
        raise EngineError(str(exc)) from None


def _stderr_progress(message: str) -> None:
    import sys

    sys.stderr.write(f"probe: {message}\n")
    sys.stderr.flush()


def _learn_sqlite_need(dist: Path, node: str, text: str) -> bool:
    """After a failed load: whether it was Node lacking node:sqlite (then remembered, so the next
    try gets a Node that has it). Never with an override: that Node is the user's choice."""
    from probe.engines import nodes

    if not _SQLITE_FAILURE.search(text) or os.environ.get("PROBE_NODE"):
        return False
    version = nodes.parse_version(nodes.path_node().version) if node else None
    if version is not None and version >= nodes.SQLITE_MIN:
        return False
    resolved = Path(dist).resolve()
    if resolved in _SQLITE_LEARNED:
        return False
    _SQLITE_LEARNED.add(resolved)
    return True


class MissingVersion(EngineError):
    """npm found no such version of a package (`name@version`): the registry never had it."""

    def __init__(self, message: str, name: str, version: str) -> None:
        super().__init__(message)
        self.name = name
        self.version = version


_NO_MATCHING = re.compile(r"No matching version found for (@?[^@\s]+)@([^\s]+?)\.?\s*$", re.M)


def _npm_failure(what: str, spec: str, proc: subprocess.CompletedProcess[str]) -> EngineError:
    text = f"{proc.stdout}\n{proc.stderr}"
    missing = _NO_MATCHING.search(text)
    if missing and what == "npm install":
        name, version = missing.group(1), missing.group(2)
        return MissingVersion(
            f"{name}@{version} (needed by {spec}) does not exist on the npm registry",
            name,
            version,
        )
    if (
        "ETARGET" in text
        or "E404" in text
        or "No matching version" in text
        or "404 Not Found" in text
    ):
        return EngineError(
            f"{spec} does not exist on the npm registry ({what} failed: no such version)"
        )
    if any(code in text for code in _UNREACHABLE_CODES):
        return EngineError(
            f"the npm registry is unreachable ({what} {spec}); "
            "check the network or npm's registry setting"
        )
    tail = "\n".join(line for line in text.strip().splitlines()[-8:])
    return EngineError(f"{what} {spec} failed (exit {proc.returncode}): {tail}")


def _run_npm(
    npm: str, args: list[str], cwd: Path, what: str, spec: str
) -> subprocess.CompletedProcess[str]:
    try:
        proc = subprocess.run(
            [npm, *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=_NPM_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "npm_config_update_notifier": "false", "npm_config_fund": "false"},
        )
    except subprocess.TimeoutExpired as exc:
        raise EngineError(
            f"{what} {spec} timed out after {exc.timeout:.0f} s; is the npm registry reachable?"
        ) from exc
    if proc.returncode != 0:
        raise _npm_failure(what, spec, proc)
    return proc


def _sandbox_env(sandbox: Path) -> dict[str, str]:
    """A minimal environment that points every place openclaw writes to into `sandbox`."""
    for sub in ("home", "state", "tmp"):
        (sandbox / sub).mkdir(exist_ok=True)
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "LANG": "C.UTF-8",
        "TZ": "UTC",
        "NO_COLOR": "1",
        "PROBE_SANDBOX": str(sandbox),
        "HOME": str(sandbox / "home"),
        "OPENCLAW_HOME": str(sandbox / "home"),
        "OPENCLAW_STATE_DIR": str(sandbox / "state"),
        "OPENCLAW_CONFIG_PATH": str(sandbox / "state" / "openclaw.json"),
        "TMPDIR": str(sandbox / "tmp"),
        "OPENCLAW_LOG_LEVEL": "silent",
    }


def _run_harness(
    node: str,
    args: list[str],
    stdin: str | None,
    timeout: float,
    build: Build | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the harness in a fresh sandbox folder, removed afterwards."""
    flags = list(build.node_flags) if build is not None else []
    extra = dict(build.env) if build is not None else {}
    with tempfile.TemporaryDirectory(prefix="probe-sandbox-") as name:
        sandbox = Path(name)
        guard = _permission_flags(node, build, sandbox)
        try:
            return subprocess.run(
                [node, *guard, *flags, str(harness_path()), *args],
                input=stdin if stdin is not None else "",
                capture_output=True,
                text=True,
                timeout=timeout,
                env={**_sandbox_env(sandbox), **extra},
                cwd=sandbox,
            )
        except subprocess.TimeoutExpired as exc:
            raise EngineError(
                f"the harness did not finish within {timeout:.0f} s ({' '.join(args)})"
            ) from exc


def _permission_flags(node: str, build: Build | None, sandbox: Path) -> list[str]:
    """Node's permission model for one harness process (see probe.engines.permissions)."""
    from probe.engines import nodes, permissions

    if build is not None and permission_refusal(build.dist) is not None:
        return []
    try:
        version = nodes._checked(node)
    except nodes.NodeError:
        return []
    env = build.env if build is not None else ()
    # The pinned fake-timers resolve their own dependency (@sinonjs/commons) beside them.
    pinned = [Path(value) for name, value in env if name == "PROBE_FAKE_TIMERS"]
    extra = [*pinned, *(a for p in pinned for a in Path(p).parents if a.name == "node_modules")]
    roots = permissions.read_roots(build.dist if build is not None else None, harness_path(), extra)
    return permissions.node_flags(version, roots, sandbox)


def _harness_json(
    node: str, args: list[str], timeout: float, build: Build | None = None
) -> list[dict[str, Any]]:
    proc = _run_harness(node, args, None, timeout, build)
    lines = _parse_lines(proc.stdout)
    for line in lines:
        if line.get("kind") == "error":
            raise EngineError(str(line.get("message")))
    if proc.returncode != 0:
        raise EngineError(
            f"the harness failed (exit {proc.returncode}): {proc.stderr.strip()[-2000:]}"
        )
    return lines


def _harness_line(node: str, mode: str, dist: Path, kind: str) -> dict[str, Any]:
    found = next(
        (
            line
            for line in _harness_json(node, [mode, str(dist)], _RUN_TIMEOUT_S, Build(dist))
            if line.get("kind") == kind
        ),
        None,
    )
    if found is None:
        raise EngineError(f"the harness printed no {kind} line for {mode} {dist}")
    return found


def inspect_dist(dist: Path) -> dict[str, Any]:
    """What the harness finds in a build's dist/ without importing it (`harness.mjs --inspect`)."""
    return _harness_line(_node(), "--inspect", Path(dist), "inspect")


def list_dependencies(dist: Path) -> dict[str, Any]:
    """The npm packages the diagnostic chunks import: {"packages": {name: spec}, "undeclared"}."""
    return _harness_line(_node(), "--list-deps", Path(dist), "deps")


def _parse_lines(stdout: str) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    for raw in stdout.splitlines():
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise EngineError(f"the harness wrote a line that is not JSON: {raw[:200]!r}") from exc
        if not isinstance(value, dict):
            raise EngineError(f"the harness wrote a line that is not a JSON object: {raw[:200]!r}")
        lines.append(value)
    return lines


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
                    timeout=_NPM_TIMEOUT_S,
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


def _check_openclaw_package(package: Path, version: str) -> None:
    manifest = package / "package.json"
    try:
        meta = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise EngineError(f"{package} is not an openclaw build: no readable package.json") from exc
    if not isinstance(meta, dict) or meta.get("name") != PACKAGE:
        raise EngineError(
            f"{package} is not an openclaw build: package.json names {meta.get('name')!r}"
        )
    if meta.get("version") != version:
        raise EngineError(f"{package} holds openclaw {meta.get('version')!r}, not {version}")


def _dir_size(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += (Path(root) / name).lstat().st_size
            except OSError:
                continue
    return total


def _remove_abandoned(root: Path, name: str, *, locked: bool) -> None:
    """Remove what killed installs of `name` left behind.

    Under the install lock no other install of it runs, so every leftover is abandoned; without a
    lock (no fcntl), only those old enough that no running install can own them.
    """
    cutoff = time.time() if locked else time.time() - _ABANDONED_AFTER_S
    for leftover in root.glob(f".{name}.*-*"):
        try:
            if leftover.is_dir() and leftover.stat().st_mtime <= cutoff:
                shutil.rmtree(leftover, ignore_errors=True)
        except OSError:
            continue


@contextlib.contextmanager
def _install_lock(root: Path, name: str, say: Callable[[str], None]) -> Iterator[bool]:
    """Hold `root/.NAME.lock` exclusively: one install of a build (or dependency set) at a time.

    Yields whether a lock is held (False where fcntl does not exist: then the atomic rename alone
    keeps the cache consistent, at the cost of duplicate downloads).
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield False
        return
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f".{name}.lock", "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say(f"waiting for another probe process that is installing {name}")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _move_into_place(work: Path, entry: Path, root: Path, complete: Callable[[Path], bool]) -> None:
    """Rename a finished work folder to its entry; a complete entry already there wins."""
    try:
        os.rename(work, entry)
    except OSError:
        # Another install won the race (only without a lock), or a broken entry is in the way.
        if complete(entry):
            return
        if not entry.exists():
            raise
        stale = root / f".{entry.name}.stale-{uuid.uuid4().hex}"
        os.rename(entry, stale)
        shutil.rmtree(stale, ignore_errors=True)
        os.rename(work, entry)


@cache
def harness_digest() -> str:
    """Identifies the harness: what it could not drive is remembered only for this harness."""
    return hashlib.sha256(harness_path().read_bytes()).hexdigest()[:16]


def _undrivable_record(version: str) -> Path:
    return cache_dir() / _UNDRIVABLE_DIR / f"{version}.json"


def remembered_undrivable(version: str) -> UndrivableBuild | None:
    try:
        meta = json.loads(_undrivable_record(version).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    if not isinstance(meta, dict) or meta.get("harness") != harness_digest():
        return None
    error = UndrivableBuild(
        f"{PACKAGE}@{version}", str(meta.get("status")), [str(m) for m in meta.get("problems", [])]
    )
    error.remembered = True
    return error


def _remember_undrivable(version: str, error: UndrivableBuild, key: dict[str, Any]) -> None:
    record = _undrivable_record(version)
    record.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "version": version,
        "status": error.status,
        "problems": error.problems,
        "harness": harness_digest(),
        "key": key,
    }
    tmp = record.with_name(f".{record.name}.{uuid.uuid4().hex}")
    tmp.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, record)


def undrivable_key(version: str) -> dict[str, Any] | None:
    """The coordinator key read from a build that was downloaded and found undrivable, if any."""
    try:
        meta = json.loads(_undrivable_record(version).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    key = meta.get("key") if isinstance(meta, dict) else None
    return key if isinstance(key, dict) else None


def undrivable_problem(inspected: Mapping[str, Any], name: str) -> UndrivableBuild | None:
    """The harness's --inspect verdict as an error, or None when the build can be driven."""
    status = str(inspected.get("status"))
    if status == "drivable":
        return None
    problems = [str(p.get("message")) for p in inspected.get("problems", [])]
    return UndrivableBuild(name, status, problems)


def fetch_package(version: str, into: Path, say: Callable[[str], None]) -> Path:
    """`npm pack openclaw@VERSION` into `into` and extract it: returns the package folder."""
    npm = _which("npm")
    spec = f"{PACKAGE}@{version}"
    say(f"downloading {spec}")
    packed = _run_npm(
        npm, ["pack", spec, "--json", "--pack-destination", str(into)], into, "npm pack", spec
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
    _check_openclaw_package(into / "package", version)
    return into / "package"


def install_packages(work: Path, wanted: Mapping[str, str], spec: str) -> None:
    """`npm install` exactly `wanted` (name -> version spec) into work/node_modules."""
    npm = _which("npm")
    manifest = {"name": "probe-engine-openclaw", "private": True, "dependencies": dict(wanted)}
    (work / "package.json").write_text(
        json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    _run_npm(
        npm,
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


def _fake_timers() -> tuple[str, str]:
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
    if _is_complete(entry):
        return entry / "package" / "dist"
    node = _node()
    _which("npm")
    remembered = remembered_undrivable(version)
    if remembered is not None:
        raise remembered
    spec = f"{PACKAGE}@{version}"
    root.mkdir(parents=True, exist_ok=True)
    with _install_lock(root, version, say) as locked:
        if _is_complete(entry):  # installed by the process we waited for
            return entry / "package" / "dist"
        _remove_abandoned(root, version, locked=locked)
        work = Path(tempfile.mkdtemp(prefix=f".{version}.tmp-", dir=root))
        try:
            package = fetch_package(version, work, say)
            dist = package / "dist"
            if dist.is_dir():
                inspected = _harness_line(node, "--inspect", dist, "inspect")
                problem = undrivable_problem(inspected, spec)
            else:  # the earliest packages were not built bundles at all
                problem = UndrivableBuild(spec, "no_code", ["the package has no dist/ folder"])
            if problem is not None:
                from probe.engines.layout import key_shape

                shape = key_shape(dist)
                _remember_undrivable(version, problem, shape.as_dict())
                raise problem
            deps = _harness_line(node, "--list-deps", dist, "deps")
            packages: dict[str, str] = dict(deps.get("packages", {}))
            undeclared = list(deps.get("undeclared", []))
            if undeclared:
                raise EngineError(
                    f"{spec}'s diagnostic chunks import packages it does not declare: "
                    f"{', '.join(undeclared)}"
                )
            fake_name, fake_version = _fake_timers()
            wanted = {**packages, fake_name: fake_version}
            say(f"installing {len(wanted)} packages: {', '.join(sorted(wanted))}")
            substituted = _install_published(work, wanted, spec, say)
            runner = check_loads(dist, say)
            need = node_need(dist)
            meta = {
                "version": version,
                "dependencies": wanted,
                "harness_protocol": 1,
                "node": {"engines": need.engines, "sqlite": need.sqlite, "checked_on": runner},
            }
            if substituted:
                meta["substituted"] = substituted
            # Written last: a folder with the marker is a finished build.
            (work / _COMPLETE_MARKER).write_text(
                json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8"
            )
            _move_into_place(work, entry, root, _is_complete)
            say(f"installed {spec} in {entry}")
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
    npm = _which("npm")
    with tempfile.TemporaryDirectory(prefix="probe-npm-") as folder:
        proc = _run_npm(npm, ["view", name, "versions", "--json"], Path(folder), "npm view", name)
    try:
        versions = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return None
    if not isinstance(versions, list):
        return None
    listed = [str(v) for v in versions]
    ordered = sorted({*listed, version}, key=_semver_key)
    at = ordered.index(version)
    below = [v for v in ordered[:at] if v in listed]
    above = [v for v in ordered[at + 1 :] if v in listed]
    return below[-1] if below else (above[0] if above else None)


def _semver_key(version: str) -> tuple[Any, ...]:
    core, _, pre = version.partition("-")
    nums = tuple(int(p) if p.isdigit() else 0 for p in core.split("."))
    # A prerelease sorts before its release; its parts compare numerically where numeric.
    pre_key = (
        tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split(".")) if pre else ()
    )
    return (nums, 0 if pre else 1, pre_key)


def substitutions(dist: Path) -> dict[str, dict[str, str]]:
    """The dependencies an installed build got at another version than it pins (never published)."""
    try:
        meta = json.loads((Path(dist).parent.parent / _COMPLETE_MARKER).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    found = meta.get("substituted") if isinstance(meta, dict) else None
    return found if isinstance(found, dict) else {}


def check_loads(dist: Path, say: Callable[[str], None]) -> str:
    """Import the build's chunks once (`harness.mjs --check`) on the Node it needs; a load that
    fails for want of node:sqlite is retried on a Node that has it. Returns that Node's version."""
    while True:
        choice = node_for(dist, say)
        assert choice is not None
        say(f"checking that the build loads (Node v{choice.version}, {choice.source})")
        try:
            _harness_json(choice.path, ["--check", str(dist)], _RUN_TIMEOUT_S, Build(dist))
        except EngineError as exc:
            if _learn_sqlite_need(dist, choice.path, exc.message):
                continue
            if _refused_by_permissions(dist, exc.message):
                continue
            raise
        return choice.version


def _marker_dependencies(folder: Path, marker: str) -> dict[str, str]:
    try:
        meta = json.loads((folder / marker).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    deps = meta.get("dependencies") if isinstance(meta, dict) else None
    return {str(k): str(v) for k, v in deps.items()} if isinstance(deps, dict) else {}


def _deps_complete(entry: Path) -> bool:
    return (entry / _DEPS_MARKER).is_file() and (entry / "node_modules").is_dir()


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
        candidates += [(e, _COMPLETE_MARKER) for e in sorted(root.iterdir()) if _is_complete(e)]
    deps_root = root / _DEPS_DIR
    if deps_root.is_dir():
        candidates += [(e, _DEPS_MARKER) for e in sorted(deps_root.iterdir()) if _deps_complete(e)]
    for folder, marker in candidates:
        if items <= set(_marker_dependencies(folder, marker).items()):
            return folder / "node_modules"
    digest = hashlib.sha256(json.dumps(dict(wanted), sort_keys=True).encode()).hexdigest()[:16]
    entry = deps_root / digest
    deps_root.mkdir(parents=True, exist_ok=True)
    with _install_lock(deps_root, digest, say) as locked:
        if _deps_complete(entry):
            return entry / "node_modules"
        _remove_abandoned(deps_root, digest, locked=locked)
        work = Path(tempfile.mkdtemp(prefix=f".{digest}.tmp-", dir=deps_root))
        try:
            say(f"installing {len(wanted)} packages: {', '.join(sorted(wanted))}")
            install_packages(work, wanted, "a build of your own")
            meta = {"dependencies": dict(wanted), "harness_protocol": 1}
            (work / _DEPS_MARKER).write_text(
                json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8"
            )
            _move_into_place(work, entry, deps_root, _deps_complete)
            return entry / "node_modules"
        finally:
            if work.exists():
                shutil.rmtree(work, ignore_errors=True)


def fake_timers_dir(progress: Callable[[str], None] | None = None) -> Path:
    """probe's pinned @sinonjs/fake-timers, for builds probe did not install."""
    name, version = _fake_timers()
    return dependency_set({name: version}, progress) / name


def list_installed() -> list[tuple[str, int]]:
    """Installed builds as (version, size in bytes), sorted by version string."""
    root = cache_dir()
    if not root.is_dir():
        return []
    found: list[tuple[str, int]] = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".") or not entry.is_dir() or not _is_complete(entry):
            continue
        found.append((entry.name, _dir_size(entry)))
    return found


def prune(versions: list[str] | None = None, *, dry_run: bool = False) -> list[tuple[str, int]]:
    """Remove the given builds (default: the whole cache); returns (what, bytes freed) each.

    With versions, each one's build, its remembered verdict and its lock go. Without, so do the
    dependency sets, the remembered verdicts and whatever interrupted installs left behind.
    With dry_run, nothing is removed: the list is what would be.
    """
    root = cache_dir()
    removed: list[tuple[str, int]] = []
    if not root.is_dir():
        return removed

    def drop(path: Path, label: str) -> None:
        if not path.exists() and not path.is_symlink():
            return
        size = _dir_size(path) if path.is_dir() else path.lstat().st_size
        if dry_run:
            removed.append((label, size))
            return
        if path.is_dir() and not path.is_symlink():
            # Renamed first, so that a half-removed build never looks like one.
            doomed = root / f".{path.name}.pruned-{uuid.uuid4().hex}"
            os.rename(path, doomed)
            shutil.rmtree(doomed, ignore_errors=True)
        else:
            path.unlink()
        removed.append((label, size))

    if versions:
        for version in versions:
            check_version(version)
            with _install_lock(root, version, lambda _m: None):
                entry = root / version
                if not entry.exists() and not _undrivable_record(version).exists():
                    raise EngineError(f"{PACKAGE}@{version} is not in the cache ({root})")
                drop(entry, f"{PACKAGE}@{version}")
                drop(_undrivable_record(version), f"{PACKAGE}@{version} (remembered as undrivable)")
        return removed
    for path in sorted(root.iterdir()):
        if path.name.endswith(".lock"):
            continue
        if _is_complete(path):
            with _install_lock(root, path.name, lambda _m: None):
                drop(path, f"{PACKAGE}@{path.name}")
        elif path.name == _DEPS_DIR:
            drop(path, "dependency sets for builds of your own")
        elif path.name == _UNDRIVABLE_DIR:
            drop(path, "remembered undrivable builds")
        else:
            drop(path, f"leftover {path.name}")
    if not dry_run:
        for lock in root.glob(".*.lock"):
            _remove_idle_lock(lock)
    return removed


def _remove_idle_lock(lock: Path) -> None:
    """Remove a lock file no process holds (they are empty; this only tidies the folder)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return
    with contextlib.suppress(OSError), open(lock, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return
        lock.unlink()


def available_versions() -> list[str]:
    """The published versions, in the registry's order (`npm view openclaw versions --json`)."""
    npm = _which("npm")
    with tempfile.TemporaryDirectory(prefix="probe-npm-") as name:
        proc = _run_npm(
            npm, ["view", PACKAGE, "versions", "--json"], Path(name), "npm view", PACKAGE
        )
    try:
        versions = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise EngineError(f"npm view {PACKAGE} versions printed no JSON list") from exc
    if isinstance(versions, str):  # a package with one version
        versions = [versions]
    if not isinstance(versions, list) or not all(isinstance(v, str) for v in versions):
        raise EngineError(f"npm view {PACKAGE} versions printed no JSON list")
    return list(versions)


def _check_dist(dist: Path) -> None:
    if not dist.exists():
        raise EngineError(
            f"no openclaw build at {dist}: the folder does not exist (install it first)"
        )
    if not dist.is_dir():
        raise EngineError(f"no openclaw build at {dist}: not a folder")
    manifest = dist.parent / "package.json"
    try:
        meta = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise EngineError(
            f"{dist} is not an openclaw build's dist/ folder: no package.json beside it"
        ) from exc
    if not isinstance(meta, dict) or meta.get("name") != PACKAGE:
        raise EngineError(
            f"{dist} is not an openclaw build's dist/ folder: "
            f"its package.json names {meta.get('name')!r}"
        )


def run_build(
    dist_dir: Path | Build, scenario: dict[str, Any], timeout: float = _RUN_TIMEOUT_S
) -> dict[str, Any]:
    """Replay a normalized scenario on the build in `dist_dir` in a fresh, sandboxed Node process.

    `dist_dir` is a build's dist/ folder, or a Build (a folder prepared for a build probe did not
    install: see probe.engines.local). Returns {"events" (shaped as in reference/*.real.json),
    "event_steps" (the step index of each event), "runtime_outcomes" (in call order),
    "runtime_calls" (call, call_step, step, outcome), "unsupported" (step, key, reason; nothing
    ran when it is not empty), "blocked" (what, api, target: attempts the sandbox refused),
    "network_attempts" (the blocked ones of what=network), "meta"}; raises EngineError when the
    harness fails.
    """
    build = dist_dir if isinstance(dist_dir, Build) else Build(Path(dist_dir))
    dist = build.dist
    _node()  # Node missing is said before anything about the build
    _check_dist(dist)
    while True:
        choice = node_for(dist)
        assert choice is not None
        if reuses_processes() and Path(dist).resolve() not in _NO_REUSE:
            served = _serve(choice.path, build, scenario, timeout)
            if served is None:
                continue  # the build needs another Node, or cannot be reused: try again
            lines, code, stderr = served
            break
        proc = _run_harness(choice.path, [str(dist)], json.dumps(scenario), timeout, build)
        output = proc.stdout + proc.stderr
        if proc.returncode in (0, 3) or not (
            _learn_sqlite_need(dist, choice.path, output) or _refused_by_permissions(dist, output)
        ):
            lines, code, stderr = _parse_lines(proc.stdout), proc.returncode, proc.stderr
            break
    return _build_result(lines, code, stderr, dist)


# Builds whose state the harness cannot reset between scenarios (fresh process per scenario).
_NO_REUSE: dict[Path, str] = {}


def reuses_processes() -> bool:
    """One build process per command, unless PROBE_BUILD_PROCESS=fresh (one per scenario)."""
    return os.environ.get("PROBE_BUILD_PROCESS", "reuse") != "fresh"


def reuse_refusal(dist: Path) -> str | None:
    """Why this process replays the build in a fresh process per scenario (None: it does not)."""
    return _NO_REUSE.get(Path(dist).resolve())


def _worker(node: str, build: Build) -> process_BuildProcess:
    from probe.engines import process

    dist = build.dist
    key = (node, str(dist), build.node_flags, build.env, permission_refusal(dist) is None)

    def make() -> process.BuildProcess:
        command = [node, *build.node_flags, str(harness_path()), "--serve", str(dist)]
        return process.BuildProcess(
            command,
            lambda sandbox: {**_sandbox_env(sandbox), **dict(build.env)},
            flags=lambda sandbox: _permission_flags(node, build, sandbox),
        )

    return process.pooled(key, make)


def prestart(dist_dir: Path | Build) -> None:
    """Start the build's process now, so that several builds load at once (conform, compare).
    Only where a Node fit to run it is already at hand: never fetches, never fails."""
    build = dist_dir if isinstance(dist_dir, Build) else Build(Path(dist_dir))
    if not reuses_processes() or Path(build.dist).resolve() in _NO_REUSE:
        return
    try:
        choice = node_for(build.dist, fetch=False)
    except EngineError:
        return
    if choice is not None:
        _worker(choice.path, build).spawn()


def _serve(
    node: str, build: Build, scenario: dict[str, Any], timeout: float
) -> tuple[list[dict[str, Any]], int, str] | None:
    from probe.engines import process

    dist = build.dist
    worker = _worker(node, build)
    try:
        served = worker.replay(scenario, timeout)
    except process.ProcessFailure as exc:
        if not exc.started:
            if _learn_sqlite_need(dist, node, exc.message + worker.stderr_tail()):
                return None
            if "cannot reset its diagnostic state" in exc.message:
                _NO_REUSE[Path(dist).resolve()] = exc.message
                return None
            if _refused_by_permissions(dist, exc.message + worker.stderr_tail()):
                return None
        raise EngineError(f"openclaw harness on {dist}: {exc.message}") from None
    return served.lines, served.code, served.stderr


def permission_refusal(dist: Path) -> str | None:
    """Why this build runs under the harness's JS traps alone, without Node's permission model
    (None: it runs under both)."""
    from probe.engines import permissions

    return permissions.refusal(cache_dir() / _NO_PERMISSION_DIR, dist, harness_digest())


def _refused_by_permissions(dist: Path, text: str) -> bool:
    """A build that Node's permission model stopped from loading runs under the JS traps alone
    from now on, and `probe engines inspect` says so; True when that is new (try again)."""
    from probe.engines import permissions

    if "ERR_ACCESS_DENIED" not in text or permission_refusal(dist) is not None:
        return False
    found = re.search(r"ERR_ACCESS_DENIED[^\n]*", text)
    reason = found.group(0)[:300] if found else "ERR_ACCESS_DENIED"
    permissions.refuse(cache_dir() / _NO_PERMISSION_DIR, dist, reason, harness_digest())
    _stderr_progress(
        f"{dist}: the build did not load under Node's permission model; "
        "running it under the harness's JS traps alone"
    )
    return True


def _build_result(
    lines: list[dict[str, Any]], code: int, stderr: str, dist: Path
) -> dict[str, Any]:
    """run_build's answer from the harness's output lines of one scenario."""
    result: dict[str, Any] = {
        "events": [],
        "event_steps": [],
        "runtime_outcomes": [],
        "runtime_calls": [],
        "unsupported": [],
        "blocked": [],
        "network_attempts": [],
        "meta": {},
    }
    calls: dict[int, dict[str, Any]] = {}
    done = False
    for line in lines:
        kind = line.get("kind")
        if kind == "error":
            raise EngineError(f"openclaw harness on {dist}: {line.get('message')}")
        if kind == "event":
            result["events"].append(dict(line["event"]))
            result["event_steps"].append(line["step"])
        elif kind == "runtime_outcome":
            calls[int(line["call"])] = {
                k: line[k] for k in ("call", "call_step", "step", "outcome")
            }
        elif kind == "unsupported":
            result["unsupported"].append({k: line.get(k) for k in ("step", "key", "reason")})
        elif kind == "blocked":
            entry = {k: line.get(k) for k in ("what", "api", "target")}
            result["blocked"].append(entry)
            if entry["what"] == "network":
                result["network_attempts"].append(entry)
        elif kind == "meta":
            result["meta"] = {k: v for k, v in line.items() if k != "kind"}
        elif kind == "done":
            done = True
    if result["unsupported"]:
        if code != 3:
            raise EngineError(f"the harness reported unsupported features but exited {code}")
        result["events"] = []
        result["event_steps"] = []
        return result
    if code != 0 or not done:
        raise EngineError(
            f"the harness failed on {dist} (exit {code}): {stderr.strip()[-2000:] or 'no output'}"
        )
    ordered = [calls[i] for i in sorted(calls)]
    if [c["call"] for c in ordered] != list(range(len(ordered))):
        raise EngineError("the harness skipped a runtime call in its report")
    result["runtime_calls"] = ordered
    result["runtime_outcomes"] = [c["outcome"] for c in ordered]
    return result


def summarize(events: list[dict[str, Any]], runtime_outcomes: list[str]) -> dict[str, Any]:
    """The summary keys of the JSON report (and of reference/*.real.json) from one run's events."""
    requested = [e for e in events if e.get("type") == "session.recovery.requested"]
    completed = [e for e in events if e.get("type") == "session.recovery.completed"]
    # Both layers' already_in_flight skips end in a completed event; the runtime's resolve at once,
    # so the coordinator's own are the rest. (The coordinator's carries the classification's
    # activeWorkKind, which a session.stuck classification does not have, so that cannot tell them.)
    in_flight_skips = sum(
        1
        for e in completed
        if e.get("status") == "skipped" and e.get("outcomeReason") == "already_in_flight"
    )
    runtime = sum(1 for outcome in runtime_outcomes if outcome == "skipped/already_in_flight")
    coordinator = in_flight_skips - runtime
    return {
        "absorbed_by": {"coordinator": coordinator, "runtime": runtime},
        "completed": len(completed),
        "requested": len(requested),
        "requested_generations": [e.get("stateGeneration") for e in requested],
        "runtime_outcomes": list(runtime_outcomes),
    }
