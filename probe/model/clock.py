"""Virtual clock and timers: time is a value the simulation owns; nothing sleeps."""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

TimerKind: TypeAlias = Literal["heartbeat", "settle"]


@dataclass(order=True, frozen=True, slots=True)
class Timer:
    due: int
    seq: int  # same instant: scheduling order
    kind: TimerKind = field(compare=False)
    ref: str = field(compare=False, default="")


class Clock:
    # The heap holds (due, seq, timer): the same order as Timer's own (due, then seq, which
    # is unique), compared as plain tuples rather than through the dataclass's __lt__.
    __slots__ = ("_cancelled", "_heap", "_seq", "now")

    def __init__(self, now: int = 0) -> None:
        self.now = now
        self._heap: list[tuple[int, int, Timer]] = []
        self._seq = 0
        self._cancelled: set[int] = set()

    def schedule(self, due: int, kind: TimerKind, ref: str = "") -> Timer:
        self._seq += 1
        timer = Timer(due, self._seq, kind, ref)
        heapq.heappush(self._heap, (due, self._seq, timer))
        return timer

    def cancel(self, timer: Timer) -> None:
        self._cancelled.add(timer.seq)

    def pop_due(self, until: int) -> Timer | None:
        """The earliest live timer due at or before `until`, with the clock moved to it."""
        heap = self._heap
        while heap and heap[0][0] <= until:
            timer = heapq.heappop(heap)[2]
            if timer.seq in self._cancelled:
                self._cancelled.discard(timer.seq)
                continue
            self.now = max(self.now, timer.due)
            return timer
        return None

    def clone(self) -> Clock:
        twin = Clock.__new__(Clock)
        twin.now = self.now
        twin._heap = self._heap.copy()  # Timers are immutable: share them
        twin._seq = self._seq
        twin._cancelled = self._cancelled.copy()
        return twin
