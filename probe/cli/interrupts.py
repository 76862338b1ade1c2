"""Interrupts a long command turns into an early, reported end rather than a traceback."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType


@dataclass(slots=True)
class Interrupts:
    """The first SIGINT or SIGTERM received while a search runs (0: none yet).

    The first asks the search to stop at its next chunk and report what it found; a second
    of either ends the command at once, as an unhandled one would."""

    received: int = 0

    def __call__(self) -> bool:
        return self.received != 0

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received:
            if signum == signal.SIGINT:
                raise KeyboardInterrupt
            raise SystemExit(128 + signum)
        self.received = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.received

    @property
    def name(self) -> str:
        return signal.Signals(self.received).name if self.received else ""


@contextmanager
def deferred_interrupts() -> Iterator[Interrupts]:
    """Within the block, SIGINT and SIGTERM only set a flag the search polls."""
    interrupts = Interrupts()
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    for s in previous:
        signal.signal(s, interrupts._handle)
    try:
        yield interrupts
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
