"""Where output goes: a report to stdout or a file written whole, progress to stderr."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from probe.errors import UsageError
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
        tty = sys.stdout.isatty()
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


def _write_whole(path: Path, text: str, mode: int) -> None:
    """`path` holding `text`, written to a temporary file beside it and renamed into place, so
    that a reader (or an interrupted write) never sees half of it."""
    import tempfile  # only when writing a file: it is slow to import

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
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
        sys.stdout.write(text)
        return
    _write_whole(output, text, 0o666 & ~_umask())


def replace_file(path: Path, text: str) -> None:
    """Rewrite an existing file whole, keeping its mode."""
    _write_whole(path, text, path.stat().st_mode & 0o7777)
