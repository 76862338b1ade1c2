"""Class 3: traffic on a record does not hide a run that stopped making progress.

A run with no progress past warn, in a record that queued messages or state changes touched
since that progress, is reported (a session.stuck/stalled/long_running event, or a request)
within K heartbeats; once reported, the episode is over until the run makes progress.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from probe.invariants import Violation
from probe.properties.base import Declared, Monitor, MonitorKey, Param, Params
from probe.properties.trace import Facts, Fired, Moment, Passed, Truth

STALL_REPORTED = "stall-reported"

WITHIN = Param(
    "within_heartbeats",
    1,
    "heartbeats past warn a touched, stalled run may go unreported",
    minimum=0,
)


def hidden_stall(facts: Facts, due: int, truth: Truth) -> int | None:
    """The run's progress age at `due` when it is a stall that traffic could hide, else None."""
    if not (facts.owner and facts.live_work) or facts.touched_ms <= facts.progress_ms:
        return None
    if facts.state != "processing" and not (facts.state == "idle" and facts.queue > 0):
        return None
    age = due - facts.progress_ms
    return age if age > truth.warn_ms else None


@dataclass(slots=True)
class StallReported:
    reads = (Fired, Passed)
    name: str
    within: int
    unreported: dict[str, int] = field(default_factory=dict)  # heartbeats without a word
    reported: frozenset[str] = frozenset()  # this episode is over (told, or flagged)
    pending: dict[str, int] = field(default_factory=dict)

    @classmethod
    def start(cls, name: str, params: Params) -> Monitor:
        return cls(name, params[WITHIN.name])

    def observe(self, moment: Moment, truth: Truth) -> list[Violation]:
        if isinstance(moment, Fired):
            due = moment.firing.due_ms
            self.pending = {}
            for ref, facts in truth.sessions.items():
                age = hidden_stall(facts, due, truth)
                if age is not None:
                    self.pending[ref] = age
            return []
        if not isinstance(moment, Passed):
            return []
        firing = moment.firing
        found: list[Violation] = []
        unreported: dict[str, int] = {}
        reported = set()
        for ref, age in self.pending.items():
            if ref in self.reported or ref in moment.warned or ref in moment.requested:
                reported.add(ref)
                continue
            if truth.in_flight(ref):
                reported.add(ref)
                continue
            count = self.unreported.get(ref, 0) + 1
            if count > self.within:
                reported.add(ref)
                found.append(
                    Violation(
                        self.name,
                        firing.step,
                        f"{ref}: its run made no progress for {age} ms (warn_ms = "
                        f"{truth.warn_ms}) but the record was touched since, and "
                        f"{count} heartbeats up to {firing.fired_ms} ms reported nothing",
                    )
                )
            else:
                unreported[ref] = count
        self.unreported, self.reported, self.pending = unreported, frozenset(reported), {}
        return found

    def finish(self, truth: Truth, *, settled: bool, step: int) -> list[Violation]:
        return []

    def clone(self) -> Monitor:
        # `unreported` is replaced at every heartbeat, never changed in place: share it.
        return StallReported(self.name, self.within, self.unreported, self.reported)

    def key(self) -> MonitorKey:
        return frozenset(self.unreported.items()) | {(ref, "told") for ref in self.reported}


DETECTION = (
    Declared(
        STALL_REPORTED,
        "bounded liveness",
        (WITHIN,),
        "a run with no progress past warn is reported within K heartbeats even when queued "
        "messages or state changes keep touching its record",
        ("#94701",),
        3,
        StallReported,
    ),
)
