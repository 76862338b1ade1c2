"""Virtual clock and timers: time is a value the simulation owns; nothing sleeps."""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from probe.model.frozen import slot_setters

# reply_wait: a drain waiting on a reply operation that has run out (reply-own-activity); the
# owner wait after it is a settle timer.
TimerKind: TypeAlias = Literal["heartbeat", "settle", "reply_wait"]


@dataclass(order=True, frozen=True, slots=True, init=False)
class Timer:
    due: int
    seq: int  # same instant: scheduling order
    kind: TimerKind = field(compare=False)
    ref: str = field(compare=False, default="")

    def __init__(self, due: int, seq: int, kind: TimerKind, ref: str = "") -> None:
        # Every heartbeat schedules the next (see probe.model.frozen).
        s_due, s_seq, s_kind, s_ref = _TIMER_SLOTS
        s_due(self, due)
        s_seq(self, seq)
        s_kind(self, kind)
        s_ref(self, ref)


_TIMER_SLOTS = slot_setters(Timer, "due", "seq", "kind", "ref")


ClockState: TypeAlias = tuple[int, list[tuple[int, int, Timer]], int, frozenset[int]]


class Clock:
    # The heap holds (due, seq, timer): the same order as Timer's own (due, then seq, which
    # is unique), compared as plain tuples rather than through the dataclass's __lt__.
    # A saved state shares the heap until either side pushes or pops (see `state`); the
    # cancelled set is a frozenset, replaced on change.
    __slots__ = ("_cancelled", "_heap", "_heap_shared", "_seq", "now")

    def __init__(self, now: int = 0) -> None:
        self.now = now
        self._heap: list[tuple[int, int, Timer]] = []
        self._heap_shared = False
        self._seq = 0
        self._cancelled: frozenset[int] = frozenset()

    def schedule(self, due: int, kind: TimerKind, ref: str = "") -> Timer:
        self._seq += 1
        timer = Timer(due, self._seq, kind, ref)
        heapq.heappush(self._own_heap(), (due, self._seq, timer))
        return timer

    def reschedule(self, timer: Timer, due: int) -> Timer:
        """`timer` moved to `due`, keeping its place among timers due at the same instant."""
        moved = Timer(due, timer.seq, timer.kind, timer.ref)
        heap = self._own_heap()
        for i, (_, seq, _) in enumerate(heap):
            if seq == timer.seq:
                heap[i] = (due, seq, moved)
                heapq.heapify(heap)
                return moved
        raise ValueError(f"timer {timer.seq} is not scheduled")

    def cancel(self, timer: Timer) -> None:
        self._cancelled = self._cancelled | {timer.seq}

    def pop_due(self, until: int) -> Timer | None:
        """The earliest live timer due at or before `until`, with the clock moved to it."""
        while self._heap and self._heap[0][0] <= until:
            timer = heapq.heappop(self._own_heap())[2]
            if timer.seq in self._cancelled:
                self._cancelled = self._cancelled - {timer.seq}
                continue
            self.now = max(self.now, timer.due)
            return timer
        return None

    def _own_heap(self) -> list[tuple[int, int, Timer]]:
        if self._heap_shared:
            self._heap = self._heap.copy()  # Timers are immutable: share them
            self._heap_shared = False
        return self._heap

    def state(self) -> ClockState:
        """Everything the clock holds; the heap is shared with it from now on."""
        self._heap_shared = True
        return (self.now, self._heap, self._seq, self._cancelled)

    def restore(self, state: ClockState) -> None:
        self.now, self._heap, self._seq, self._cancelled = state
        self._heap_shared = True
