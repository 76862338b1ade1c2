"""Exit codes, and the one place that turns errors into messages and exit codes."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Generic, NoReturn, ParamSpec

import typer

from probe.errors import ProbeError
from probe.report.escape import terminal_lines

EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

P = ParamSpec("P")


def fail(message: str, code: int = EXIT_INPUT) -> NoReturn:
    # Messages escape what they quote from files; this keeps any other (a build's, an OS
    # error's) from acting on the terminal too. Escaping twice changes nothing.
    sys.stderr.write(terminal_lines(message.rstrip("\n")) + "\n")
    raise typer.Exit(code)


class guarded(Generic[P]):
    """A command whose ProbeError, Ctrl-C or internal error becomes a message and an exit code.

    A class rather than a wrapper function: Typer reads the command's signature, docstring and
    annotations through `__wrapped__`, and nothing here closes over anything.
    """

    def __init__(self, command: Callable[P, None]) -> None:
        self.command = command
        functools.update_wrapper(self, command)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> None:
        try:
            self.command(*args, **kwargs)
        except typer.Exit:
            raise
        except ProbeError as exc:
            fail(exc.render())
        except KeyboardInterrupt:
            fail("interrupted", EXIT_INTERRUPTED)
        except OSError as exc:  # the system's refusal (a full disk, a read-only folder), not a bug
            where = f"{exc.filename}: " if exc.filename else ""
            fail(f"probe: {where}{exc.strerror or exc}")
        except Exception:  # an internal error must still exit 3, with its traceback
            import traceback

            sys.stderr.write(traceback.format_exc())
            fail("probe: internal error (this is a bug in probe)", EXIT_INTERNAL)
