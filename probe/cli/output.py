"""Where output goes: a report to stdout or a file written whole, progress to stderr."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from probe.errors import UsageError
from probe.report.escape import terminal


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


def emit(text: str, output: Path | None) -> None:
    """stdout, or a file written whole with the mode a plain `open` would give it (0666 less
    the umask; mkstemp alone makes it 0600)."""
    if output is None:
        sys.stdout.write(text)
        return
    _write_whole(output, text, 0o666 & ~_umask())


def replace_file(path: Path, text: str) -> None:
    """Rewrite an existing file whole, keeping its mode."""
    _write_whole(path, text, path.stat().st_mode & 0o7777)
