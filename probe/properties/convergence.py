"""Class 5: an applied outcome is not followed by a request on the evidence it cleared.

After an aborted/released/no-active-work outcome ends a session's run or its orphan markers,
a request that cites active work (activeWorkKind), or asks for an idle record (which needs
attention only through run activity), while the world has no work left asks again on stale
evidence: the outcome should have cleared it (ERAS.md F02, before 2026.5.31-beta.4).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from probe.invariants import Violation
from probe.model.events import COMPLETED, REQUESTED
from probe.properties.base import Declared, Monitor, MonitorKey, Params
from probe.properties.trace import MUTATING, Moment, Reported, Truth

STALE_EVIDENCE = "stale-evidence"


@dataclass(slots=True)
class StaleEvidence:
    reads = (Reported,)
    name: str
    applied: dict[str, tuple[int, str]] = field(default_factory=dict)  # ref -> (at, outcome)

    @classmethod
    def start(cls, name: str, params: Params) -> Monitor:
        return cls(name)

    def observe(self, moment: Moment, truth: Truth) -> list[Violation]:
        if not isinstance(moment, Reported):
            return []
        event = moment.event
        if event.type == COMPLETED:
            status = event.get("status")
            if status in MUTATING and event.get("stale") is not True:
                reason = event.get("outcomeReason") or event.get("action")
                self.applied = {**self.applied, event.ref: (event.at_ms, f"{status}/{reason}")}
            return []
        if event.type != REQUESTED or event.ref not in self.applied:
            return []
        kind = event.get("activeWorkKind")
        facts = truth.sessions.get(event.ref)
        # An idle record needs attention only through run activity (an idle-queued stall):
        # asking for one, or citing work, when the world has none left is stale evidence.
        if facts is None or facts.live_work or (kind is None and event.get("state") != "idle"):
            return []
        at, outcome = self.applied[event.ref]
        cited = f"{kind} work" if kind is not None else "run activity"
        return [
            Violation(
                self.name,
                event.step,
                f"{event.ref}: requested again at {event.at_ms} ms ({event.get('reason')}, "
                f"age {event.get('ageMs')} ms) on {cited} that the {outcome} outcome applied "
                f"at {at} ms ended; no run has worked there since",
            )
        ]

    def finish(self, truth: Truth, *, settled: bool, step: int) -> list[Violation]:
        return []

    def clone(self) -> Monitor:
        return StaleEvidence(self.name, self.applied)  # replaced, never changed in place

    def key(self) -> MonitorKey:
        return frozenset((ref, outcome) for ref, (_, outcome) in self.applied.items())


CONVERGENCE = (
    Declared(
        STALE_EVIDENCE,
        "safety",
        (),
        "after an applied aborted/released/no-active-work outcome, no request cites active "
        "work that the outcome ended (stale markers, handles or activity)",
        ("F02",),
        5,
        StaleEvidence,
    ),
)
