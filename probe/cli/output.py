"""Where output goes: a report to stdout or a file written whole, progress to stderr."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TextIO

from probe.errors import SystemRefused, UsageError
from probe.report.escape import terminal

# Narrower than this, a wrapped table is one character a line: leave the lines whole and let
# the terminal fold them (a pty of 0 columns is one whose size nobody set).
MIN_WRAP_WIDTH = 20


def _columns() -> int | None:
    """The terminal's width: COLUMNS when set to a number (as shutil reads it), else the
    size of the terminal on stdout; None when neither says."""
    env = os.environ.get("COLUMNS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return os.get_terminal_size(sys.stdout.fileno()).columns or None
    except (OSError, ValueError):  # not a terminal, or stdout closed
        return None


def table_layout(to_file: bool) -> tuple[int | None, bool]:
    """(width, colour) for a table report: the terminal's width on a terminal (or with
    FORCE_COLOR, 140 when the width is unknown), coloured unless NO_COLOR; off a terminal or
    on one too narrow to wrap in, plain unwrapped lines (width None)."""
    force = bool(os.environ.get("FORCE_COLOR"))
    try:
        tty = sys.stdout is not None and sys.stdout.isatty()
    except ValueError:  # stdout closed
        tty = False
    if to_file or not (force or tty):
        return None, False
    width = (_columns() if tty else None) or (140 if force else None)
    if width is None:
        width = 120
    if width < MIN_WRAP_WIDTH:
        return None, False
    return width, not os.environ.get("NO_COLOR")


def say(message: str) -> None:
    """A line for people on stderr, at once (progress of a slow command)."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def say_for(spec: str, message: str) -> None:
    """Progress of one engine (an install, a build's dependencies), named by its spec."""
    say(terminal(f"{spec}: {message}"))


def check_output(output: Path | None, force: bool, option: str = "--output") -> None:
    """Refuse a destination that cannot be written, before anything runs."""
    if output is None:
        return
    shown = terminal(str(output))
    if output.is_dir():
        raise UsageError(f"{shown}: is a directory; {option} takes a file")
    from probe.scenario.files import not_regular

    kind = not_regular(output)
    if kind is not None:  # a file is renamed into place: it would replace a FIFO, /dev/null
        raise UsageError(
            f"{shown}: is {kind}, not a file; {option} writes a file in its place "
            "(leave it out to write to stdout)"
        )
    if output.exists() and not force:
        raise UsageError(f"{shown}: already exists (use --force to replace it)")
    if not output.parent.exists():
        raise UsageError(f"{shown}: the folder {terminal(str(output.parent))} does not exist")


def _umask() -> int:
    # The only way to read it is to set it; put it straight back (probe is single-threaded).
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def written_path(path: Path) -> Path:
    """Where writing `path` lands: a symbolic link's target (the link stays a link, as
    `>` and editors keep it), else the path itself."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def refused(path: Path | str, exc: OSError, doing: str = "cannot write") -> SystemRefused:
    """An OS error as a message naming the file: read-only, full, too long a name."""
    reason = exc.strerror or str(exc)
    return SystemRefused(f"{terminal(str(path))}: {doing}: {reason}")


# A write takes milliseconds: a temporary file this old beside its target was left by a
# probe killed mid-write (SIGKILL, a power cut), which nothing else would ever remove.
_ABANDONED_WRITE_S = 60.0


def _sweep_temporaries(target: Path) -> None:
    """Remove the temporary files a killed write of `target` left beside it, and say so."""
    import re
    import time

    pattern = re.compile(rf"^\.{re.escape(target.name[:64])}\.[A-Za-z0-9_]{{8}}$")
    try:
        siblings = list(target.parent.iterdir())
    except OSError:
        return
    cutoff = time.time() - _ABANDONED_WRITE_S
    for sibling in siblings:
        try:
            if pattern.match(sibling.name) and sibling.lstat().st_mtime < cutoff:
                sibling.unlink()
                say(f"removed {terminal(str(sibling))}, left by an interrupted write")
        except OSError:
            continue


def _write_whole(path: Path, text: str, mode: int) -> None:
    """`path` holding `text`, written to a temporary file beside it and renamed into place, so
    that a reader (or an interrupted write) never sees half of it, and a full disk or a
    read-only folder leaves the old file as it was."""
    import tempfile  # only when writing a file: it is slow to import

    target = written_path(path)
    _sweep_temporaries(target)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name[:64]}.", dir=target.parent)
    except OSError as exc:
        raise refused(path, exc) from None
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise refused(path, exc) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def emit(text: str, output: Path | None, *, table: bool = False) -> None:
    """stdout, or a file written whole with the mode a plain `open` would give it (0666 less
    the umask; mkstemp alone makes it 0600). A `table` (a report laid out in lines) is fitted
    to the terminal's width when stdout is one, broken only between tokens."""
    if output is None:
        width = table_layout(to_file=False)[0] if table else None
        if width is not None:
            from probe.report.layout import fit_lines

            text = fit_lines(text, width)
        to_stdout(text)
        return
    _write_whole(output, text, 0o666 & ~_umask())


def to_stdout(text: str) -> None:
    """`text` on stdout, flushed; a closed or full stdout is a message, a reader that has
    gone (`| head`) ends probe quietly as SIGPIPE would."""
    import errno

    out = sys.stdout
    if out is None:
        raise SystemRefused("stdout is closed: nowhere to write the report (use -o FILE)")
    try:
        _write_all(out, text)
    except OSError as exc:
        _drop_stdout()
        if exc.errno == errno.EPIPE:
            import typer

            raise typer.Exit(141) from None
        raise refused("stdout", exc, "cannot write the report") from None


def _write_all(out: TextIO, text: str) -> None:
    """Every byte of `text`, or an error: an unbuffered stdout (PYTHONUNBUFFERED) takes what
    a pipe has room for and its text layer drops the rest without a word."""
    buffer = getattr(out, "buffer", None)
    if buffer is None:  # an in-memory stream (a test's)
        out.write(text)
        out.flush()
        return
    encoding = out.encoding or "utf-8"
    try:  # a file name that is not UTF-8 goes out as the bytes it is made of
        data = text.encode(encoding, "surrogateescape")
    except UnicodeEncodeError:
        data = text.encode(encoding, "backslashreplace")
    out.flush()
    view = memoryview(data)
    while view:
        wrote = buffer.write(view)
        if wrote is None:  # a non-blocking stdout that is full: wait until it takes more
            import select

            select.select([], [out.fileno()], [])
            continue
        view = view[wrote:]
    buffer.flush()


def _drop_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's own flush at exit does not fail
    again on what is left in the buffer."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.close(null)
    except OSError:
        pass
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process


def replace_file(path: Path, text: str) -> None:
    """Rewrite an existing file whole, keeping its mode (a link's target's)."""
    _write_whole(path, text, written_path(path).stat().st_mode & 0o7777)


def check_distinct(destinations: list[tuple[str, Path | None]]) -> None:
    """Refuse two options writing the same file: the second would replace the first."""
    seen: dict[str, str] = {}
    for option, path in destinations:
        if path is None:
            continue
        key = os.path.realpath(path)
        if key in seen:
            raise UsageError(
                f"{terminal(str(path))}: given to both {seen[key]} and {option}; "
                "each writes a file of its own"
            )
        seen[key] = option
