"""probe's cache of builds: its entries and their markers, install locks, listing and pruning.

An entry appears by one rename of a finished work folder, under a lock per entry, so a reader
never takes a half-installed build for one and an interrupted install leaves only a work folder
that the next install (of any entry) removes, and says so.

A command that uses an installed build holds `.VERSION.use.lock` shared for as long as it runs;
prune takes it exclusively without waiting, and skips (or, named, refuses) a build in use.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from probe.engines.errors import EngineError

PACKAGE = "openclaw"
COMPLETE_MARKER = ".probe-engine.json"
DEPS_MARKER = ".probe-deps.json"
DEPS_DIR = ".deps"  # node_modules sets for builds probe did not install (cache/.deps/HASH)
NODE_DIR = ".node"  # Node runtimes fetched from npm (probe.engines.nodes)
_UNDRIVABLE_DIR = ".undrivable"  # what a downloaded build lacked (cache/.undrivable/VERSION.json)
# Well under a folder name's 255 bytes, with room for the install's work-folder suffixes.
MAX_VERSION_CHARS = 200
_VERSION_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+_-]*$")
_ABANDONED_AFTER_S = 24 * 3600.0


def cache_dir() -> Path:
    """Where builds live: $PROBE_CACHE_DIR, else $XDG_CACHE_HOME or ~/.cache, then probe/engines."""
    # Absolute: npm and the harness run in other folders, where a relative one means
    # another place (a relative PROBE_CACHE_DIR broke install, run and inspect).
    override = os.environ.get("PROBE_CACHE_DIR")
    if override:
        return Path(os.path.abspath(Path(override).expanduser()))
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return Path(os.path.abspath(base / "probe" / "engines"))


def dist_dir(version: str) -> Path:
    """The `dist/` folder of an installed build (which may not exist)."""
    return cache_dir() / version / "package" / "dist"


def is_installed(version: str) -> bool:
    """Whether openclaw@VERSION is a finished build in the cache."""
    return is_complete(cache_dir() / version)


def check_version(version: str) -> None:
    """Refuse a version that could name a path outside the cache (`..`, `/`, ...), or one
    too long to be a folder's name (npm allows 256 characters; a name, 255 bytes)."""
    if len(version) > MAX_VERSION_CHARS:
        raise EngineError(
            f"not a version: {version[:40]!r}... ({len(version)} characters; "
            f"a version has at most {MAX_VERSION_CHARS})"
        )
    if not _VERSION_RE.match(version) or ".." in version:
        raise EngineError(f"not a version: {version!r}")


def is_complete(entry: Path) -> bool:
    """Whether a cache entry is a finished build (its marker is written last)."""
    return (entry / COMPLETE_MARKER).is_file() and (entry / "package" / "dist").is_dir()


def dir_size(path: Path) -> int:
    """Bytes of the files under `path` (links not followed): what a cache entry takes."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += (Path(root) / name).lstat().st_size
            except OSError:
                continue
    return total


def remove_abandoned(root: Path, name: str, *, locked: bool) -> None:
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


# A work folder: `.NAME.tmp-XXXX` (an install or fetch), `.NAME.stale-HEX` or
# `.NAME.pruned-HEX` (a removal): NAME is the entry whose lock its owner holds.
_WORK = re.compile(r"^\.(?P<name>.+)\.(?:tmp|stale|pruned)-[A-Za-z0-9_]+$")


def work_owner(path: Path) -> str | None:
    """The entry a work folder belongs to (None: not a work folder)."""
    found = _WORK.match(path.name)
    return found.group("name") if found and path.is_dir() else None


def _lock_free(root: Path, name: str) -> bool:
    """Whether no process holds NAME's install lock (a running install or fetch)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return False
    lock = root / f".{name}.lock"
    if not lock.exists():
        return True
    with open(lock, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True


def sweep_abandoned(root: Path, say: Callable[[str], None], *, locked: bool = True) -> int:
    """Remove the work folders of killed installs, fetches and prunes in `root` (those whose
    lock nobody holds), saying what each was; returns the bytes freed. Where installs take no
    lock (`locked` False: no fcntl), only folders a day old, as remove_abandoned does."""
    freed = 0
    if not root.is_dir():
        return freed
    cutoff = time.time() - _ABANDONED_AFTER_S
    for path in sorted(root.iterdir()):
        name = work_owner(path)
        if name is None:
            continue
        try:
            old = path.stat().st_mtime <= cutoff
        except OSError:
            continue
        if not (old if not locked else _lock_free(root, name)):
            continue
        size = dir_size(path)
        shutil.rmtree(path, ignore_errors=True)
        if not path.exists():
            freed += size
            say(f"removed {path} ({size / 1e6:.1f} MB), left by an interrupted install of {name}")
    return freed


def sweep_cache(say: Callable[[str], None]) -> None:
    """sweep_abandoned() over the cache's folders of entries: builds, dependency sets, Nodes."""
    root = cache_dir()
    for folder in (root, root / DEPS_DIR, root / NODE_DIR):
        with contextlib.suppress(OSError):
            sweep_abandoned(folder, say)


# The use locks this process holds, by version: kept open until the process ends.
_HELD: dict[str, object] = {}


def hold_build(version: str) -> None:
    """Mark the installed build as in use by this process (a shared lock held until exit), so
    that prune leaves it alone; waits only while a prune is removing it."""
    if version in _HELD:
        return
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return
    root = cache_dir()
    try:
        root.mkdir(parents=True, exist_ok=True)
        handle = open(root / f".{version}.use.lock", "a+b")  # noqa: SIM115 - held until exit
    except OSError:  # a read-only cache: nothing can prune it either
        return
    fcntl.flock(handle, fcntl.LOCK_SH)
    _HELD[version] = handle


def hold_cached_build(dist: Path) -> None:
    """hold_build() for a dist/ folder in the cache (`CACHE/VERSION/package/dist`)."""
    try:
        relative = Path(dist).resolve().relative_to(cache_dir().resolve())
    except (ValueError, OSError):
        return  # a build of your own, outside the cache
    parts = relative.parts
    if len(parts) == 3 and parts[1:] == ("package", "dist"):
        hold_build(parts[0])


@contextlib.contextmanager
def _free(lock: Path) -> Iterator[bool]:
    """Hold `lock` exclusively if nobody holds it (yields False when someone does)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield True
        return
    with open(lock, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _unused(root: Path, version: str) -> contextlib.AbstractContextManager[bool]:
    """The build's use lock, if no command is using it (False when one is: prune leaves it)."""
    return _free(root / f".{version}.use.lock")


def _install_idle(root: Path, name: str) -> contextlib.AbstractContextManager[bool]:
    """NAME's install lock, if no install holds it (False when one does)."""
    return _free(root / f".{name}.lock")


@contextlib.contextmanager
def install_lock(root: Path, name: str, say: Callable[[str], None]) -> Iterator[bool]:
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


def move_into_place(work: Path, entry: Path, root: Path, complete: Callable[[Path], bool]) -> None:
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


def deps_complete(entry: Path) -> bool:
    """Whether a dependency set in .deps/ is finished (its marker is written last)."""
    return (entry / DEPS_MARKER).is_file() and (entry / "node_modules").is_dir()


def undrivable_record(version: str) -> Path:
    """Where the verdict on a downloaded build the harness cannot drive is kept."""
    return cache_dir() / _UNDRIVABLE_DIR / f"{version}.json"


def list_installed() -> list[tuple[str, int]]:
    """Installed builds as (version, size in bytes), sorted by version string."""
    root = cache_dir()
    if not root.is_dir():
        return []
    found: list[tuple[str, int]] = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".") or not entry.is_dir() or not is_complete(entry):
            continue
        found.append((entry.name, dir_size(entry)))
    return found


def prune(
    versions: list[str] | None = None,
    *,
    dry_run: bool = False,
    skipped: list[str] | None = None,
) -> list[tuple[str, int]]:
    """Remove the given builds (default: the whole cache); returns (what, bytes freed) each.

    With versions, each one's build, its remembered verdict and its lock go. Without, so do the
    dependency sets, the fetched Nodes, the remembered verdicts and whatever interrupted
    installs left behind. A build a running command uses, or an install in progress, is left
    as it is, with why in `skipped`. With dry_run, nothing is removed: the list is what would be.
    """
    root = cache_dir()
    if not root.is_dir():
        return []
    # One prune at a time (a second waits): else each takes the other's removals for installs.
    with install_lock(root, _PRUNE_LOCK, lambda _m: None):
        removed = _prune(root, versions, dry_run, skipped if skipped is not None else [])
    if not dry_run:
        _remove_idle_lock(root / f".{_PRUNE_LOCK}.lock")
    return removed


_PRUNE_LOCK = "_prune"  # not a version (those start with a letter or digit)


def _prune(
    root: Path, versions: list[str] | None, dry_run: bool, kept: list[str]
) -> list[tuple[str, int]]:
    removed: list[tuple[str, int]] = []

    def drop(path: Path, label: str) -> None:
        try:
            if not path.exists() and not path.is_symlink():
                return
            size = dir_size(path) if path.is_dir() else path.lstat().st_size
        except FileNotFoundError:  # another prune took it meanwhile
            return
        if dry_run:
            removed.append((label, size))
            return
        try:
            if path.is_dir() and not path.is_symlink():
                # Renamed first, so that a half-removed build never looks like one.
                doomed = root / f".{path.name}.pruned-{uuid.uuid4().hex}"
                os.rename(path, doomed)
                shutil.rmtree(doomed, ignore_errors=True)
            else:
                path.unlink()
        except FileNotFoundError:
            return
        removed.append((label, size))

    def drop_build(version: str, path: Path, label: str) -> None:
        with _install_idle(root, version) as idle, _unused(root, version) as unused:
            if not idle:
                kept.append(f"{label}: being installed by another probe process; kept")
            elif not unused:
                kept.append(f"{label}: in use by a running probe command; kept")
            else:
                drop(path, label)

    if versions:
        for version in versions:
            check_version(version)
            entry = root / version
            if not entry.exists() and not undrivable_record(version).exists():
                raise EngineError(f"{PACKAGE}@{version} is not in the cache ({root})")
            drop_build(version, entry, f"{PACKAGE}@{version}")
            drop(undrivable_record(version), f"{PACKAGE}@{version} (remembered as undrivable)")
        return removed
    for path in sorted(root.iterdir()):
        if path.name.endswith(".lock"):
            continue
        owner = work_owner(path)
        if is_complete(path):
            drop_build(path.name, path, f"{PACKAGE}@{path.name}")
        elif owner is not None:
            label = f"leftover {path.name} (of an interrupted install of {owner})"
            if _lock_free(root, owner):
                drop(path, label)
            else:
                kept.append(f"{path.name}: the work folder of a running install of {owner}; kept")
        elif path.name == DEPS_DIR:
            drop(path, "dependency sets for builds of your own")
        elif path.name == _UNDRIVABLE_DIR:
            drop(path, "remembered undrivable builds")
        elif path.name == NODE_DIR:
            drop(path, "Node runtimes fetched for the builds that need them")
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
