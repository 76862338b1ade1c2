"""Errors of real builds, as data: one not installed or run, one undrivable, a missing version."""

from __future__ import annotations

from probe.errors import ProbeError

__all__ = ["EngineError", "MissingVersion", "ReplayFailed", "UndrivableBuild"]


class EngineError(ProbeError):
    """A real build could not be installed or run; the message says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ReplayFailed(EngineError):
    """A build's process crashed, hung or broke the protocol replaying one scenario: that
    scenario fails with this reason, and the next gets a new process."""


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


class MissingVersion(EngineError):
    """npm found no such version of a package (`name@version`): the registry never had it."""

    def __init__(self, message: str, name: str, version: str) -> None:
        super().__init__(message)
        self.name = name
        self.version = version
