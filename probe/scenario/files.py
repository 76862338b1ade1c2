"""Reading scenario files, refusing what is not a regular file of bounded size; the library."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Collection
from pathlib import Path

from probe.errors import ProbeError, Problem, ScenarioError
from probe.scenario.limits import LIMITS
from probe.scenario.loader import parse_scenario
from probe.scenario.values import Scenario

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)
_OS_REASONS = {
    errno.ELOOP: "a symbolic link loop (too many levels of symbolic links)",
    errno.ENAMETOOLONG: "the file name is too long",
    errno.ENOTDIR: "no such file (a part of the path is not a folder)",
    errno.EACCES: "cannot read: permission denied",
}


class Unreadable(ProbeError):
    """A file probe will not read, and why; `missing` when there is no file at all."""

    def __init__(self, reason: str, *, missing: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.missing = missing


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def not_regular(path: Path) -> str | None:
    """What `path` is when something other than a regular file is there ("a FIFO (named
    pipe)", "a character device", ...), else None (a regular file, or nothing at all)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return "a symbolic link to a missing file" if os.path.lexists(path) else None
    except OSError as exc:
        return _os_reason(exc)
    return None if stat.S_ISREG(info.st_mode) else _kind(info.st_mode)


def _refuse_unless_regular(info: os.stat_result, limit: int, what: str) -> None:
    if not stat.S_ISREG(info.st_mode):
        kind = _kind(info.st_mode)
        if kind == "a directory":
            raise Unreadable(f"is a directory, not a {what}")
        raise Unreadable(f"is {kind}, not a {what} (only regular files are read)")
    if info.st_size > limit:
        raise Unreadable(_too_large(info.st_size, limit, what))


def _too_large(size: int, limit: int, what: str) -> str:
    return f"is {size} bytes, over the limit of {limit} bytes ({limit // 2**20} MiB) for a {what}"


def _os_reason(exc: OSError) -> str:
    return _OS_REASONS.get(exc.errno or 0, f"cannot read: {exc.strerror or exc}")


def read_limited(path: Path, limit: int, what: str = "scenario file") -> bytes:
    """The bytes of a regular file of at most `limit` bytes; else Unreadable, saying why.

    What is not a regular file is refused on its stat alone, never opened: opening a FIFO to
    read waits for a writer, and a device may never end. The open itself cannot block either,
    and the file is checked again once open, in case it was swapped after the stat.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if os.path.lexists(path):
            raise Unreadable("a symbolic link to a missing file", missing=True) from None
        raise Unreadable("no such file", missing=True) from None
    except OSError as exc:
        raise Unreadable(_os_reason(exc)) from None
    _refuse_unless_regular(info, limit, what)
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise Unreadable(_os_reason(exc)) from None
    chunks: list[bytes] = []
    size = 0
    try:
        _refuse_unless_regular(os.fstat(fd), limit, what)
        while size <= limit:  # it may grow while read: read one byte past the limit at most
            chunk = os.read(fd, min(2**20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise Unreadable(_os_reason(exc)) from None
    finally:
        os.close(fd)
    if size > limit:
        raise Unreadable(_too_large(size, limit, what))
    return b"".join(chunks)


def read_scenario(path: Path, strategies: Collection[str], shown: str | None = None) -> Scenario:
    name = shown or str(path)
    try:
        raw = read_limited(path, LIMITS.file_bytes)
    except Unreadable as exc:
        raise ScenarioError([Problem(name, "", None, exc.reason)]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError(
            [
                Problem(
                    name, "", line, f"not UTF-8 text (byte {exc.start} is 0x{raw[exc.start]:02x})"
                )
            ]
        ) from None
    return parse_scenario(text, name, strategies)


def read_text(path: Path) -> str | None:
    """A scenario file's text read again (for its key lines), or None if it is now unreadable."""
    try:
        return read_limited(path, LIMITS.file_bytes).decode("utf-8")
    except (Unreadable, UnicodeDecodeError):
        return None


def read_all(
    files: list[tuple[Path, str]], strategies: Collection[str]
) -> list[tuple[Scenario, str]]:
    """Read every file, reporting the problems of all of them at once, as a compiler does."""
    loaded: list[tuple[Scenario, str]] = []
    problems: list[Problem] = []
    for path, shown in files:
        try:
            loaded.append((read_scenario(path, strategies, shown), shown))
        except ScenarioError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ScenarioError(problems)
    return loaded


def library_dir() -> Path:
    """The shipped scenarios: packaged in the wheel, else beside the package in a checkout."""
    package = Path(__file__).resolve().parent.parent
    packaged = package / "scenarios"
    return packaged if packaged.is_dir() else package.parent / "scenarios"


def shown_path(path: Path) -> str:
    """A path the user can open from where they are: relative to the current folder when
    under it, else absolute."""
    absolute = path.absolute()
    try:
        return str(absolute.relative_to(Path.cwd()))
    except ValueError:
        return str(absolute)


def library_files() -> list[tuple[Path, str]]:
    """(file, the path to show) for every shipped scenario, its subfolders' too, in path order.

    Shown as in a clone (`scenarios/versions/f02-....toml`), not by where the package was
    installed: a row stays short, and a report or baseline keys a scenario alike whether it
    was made in a clone or from an installed probe."""
    root = library_dir()
    return [
        (p, f"scenarios/{p.relative_to(root).as_posix()}")
        for p in sorted(q for q in root.rglob("*.toml") if q.is_file())
    ]


def scenario_files(paths: list[Path]) -> list[tuple[Path, str]]:
    """(file, the path to show) for each argument: a file as given, a folder's *.toml files
    (searched recursively, in path order) under the folder as given."""
    chosen: list[tuple[Path, str]] = []
    for path in paths:
        if not path.is_dir():
            chosen.append((path, str(path)))
            continue
        found = sorted(p for p in path.rglob("*.toml") if p.is_file())
        if not found:
            raise ScenarioError([Problem(str(path), "", None, "no scenario files (*.toml) here")])
        chosen += [(p, str(p)) for p in found]
    return chosen


def default_files() -> tuple[list[tuple[Path, str]], str]:
    """The scenarios a command runs without arguments, and a line saying which they are:
    ./scenarios (where `probe new` writes) when it exists, else the bundled library."""
    local = Path("scenarios")
    if local.is_dir() and any(local.rglob("*.toml")):
        files = scenario_files([local])
        return files, f"probe: {len(files)} scenario(s) from ./scenarios"
    files = library_files()
    why = "no *.toml in ./scenarios" if local.is_dir() else "no ./scenarios here"
    where = shown_path(library_dir())
    return files, f"probe: {why}; {len(files)} bundled scenario(s) from {where}"
