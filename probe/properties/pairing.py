"""Class 1, pairing: every request has its one completion, at most one outstanding per ref.

The checks themselves are probe.invariants' (issue 88010's phantom and its kin); Truth runs
that checker once per trace, and these monitors report its findings under their own names.
"""

from __future__ import annotations

from dataclasses import dataclass

from probe.invariants import (
    INVARIANTS,
    PHANTOM_REQUEST,
    SWALLOWED_REQUEST,
    UNMATCHED_REQUEST,
    Violation,
)
from probe.properties.base import Declared, Monitor, MonitorKey, Params
from probe.properties.trace import Moment, Reported, Truth


@dataclass(frozen=True, slots=True)
class PairingMonitor:
    name: str
    reads = (Reported,)

    @classmethod
    def start(cls, name: str, params: Params) -> Monitor:
        return cls(name)

    def observe(self, moment: Moment, truth: Truth) -> list[Violation]:
        if not isinstance(moment, Reported) or not truth.found:
            return []
        return [v for v in truth.found if v.invariant == self.name]

    def finish(self, truth: Truth, *, settled: bool, step: int) -> list[Violation]:
        if self.name != UNMATCHED_REQUEST:
            return []
        return truth.pairing.finish(settled=settled, step=step)

    def clone(self) -> Monitor:
        return self  # it keeps nothing: the open requests are Truth's

    def key(self) -> MonitorKey:
        return frozenset()


PAIRING = tuple(
    Declared(name, "safety", (), INVARIANTS[name], ("#88010",), 1, PairingMonitor)
    for name in (PHANTOM_REQUEST, UNMATCHED_REQUEST, SWALLOWED_REQUEST)
)
