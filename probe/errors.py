"""Errors that carry data: where in which file, and what is wrong."""

from __future__ import annotations

from dataclasses import dataclass

from probe.report.escape import terminal


class ProbeError(Exception):
    """Anything probe reports to the user as bad input or usage (exit 2)."""

    def render(self) -> str:
        return str(self)


@dataclass(frozen=True, slots=True)
class Problem:
    """One located problem in an input file."""

    path: str
    where: str
    line: int | None
    message: str

    def render(self) -> str:
        """`FILE:LINE: where: message` on one line: a path or key holding a newline or an
        escape sequence is shown escaped, so it can neither forge a line nor colour one."""
        path, where, message = terminal(self.path), terminal(self.where), terminal(self.message)
        loc = f"{path}:{self.line}" if self.line is not None else path
        return f"{loc}: {where}: {message}" if where else f"{loc}: {message}"


class ScenarioError(ProbeError):
    """Every problem found in one scenario file, reported together like a compiler does."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(p.render() for p in problems))
        self.problems = problems

    def render(self) -> str:
        return "\n".join(p.render() for p in self.problems)


class UsageError(ProbeError):
    """A command line that cannot be carried out (unknown strategy, existing output, ...)."""


class SystemRefused(ProbeError):
    """The system would not let probe finish (a full disk, a read-only folder, a closed
    stdout, a worker process killed): a message naming what and where, not a traceback."""
