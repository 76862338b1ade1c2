"""Classes 7 and 8: an abort hits only stale work, and `aborted` means the run honoured it.

Class 7 judges the run's progress age at the instant the heartbeat that asked was due, not
when a late one fired. Class 8 reads the world's own answer to the abort: a run that ignores
it and is force-cleared after the drain timeout was not aborted (issue 145152).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from probe.invariants import Violation
from probe.model.events import COMPLETED, REQUESTED
from probe.properties.base import Declared, Monitor, MonitorKey, Params
from probe.properties.trace import Acted, Fired, Moment, Reported, Truth
from probe.scenario.values import Release

HEALTHY_RUN_ABORTED = "healthy-run-aborted"
TRUTHFUL_OUTCOME = "truthful-outcome"


@dataclass(slots=True)
class HealthyRunAborted:
    reads = (Fired, Reported)
    name: str
    due: int = 0  # the heartbeat whose instant this is
    fired: int = 0
    # ref -> (due, fired, progress age at due, whether that age was past the threshold)
    asked: dict[str, tuple[int, int, int, bool]] = field(default_factory=dict)

    @classmethod
    def start(cls, name: str, params: Params) -> Monitor:
        return cls(name)

    def observe(self, moment: Moment, truth: Truth) -> list[Violation]:
        if isinstance(moment, Fired):
            self.due, self.fired = moment.firing.due_ms, moment.firing.fired_ms
            return []
        if not isinstance(moment, Reported):
            return []
        event = moment.event
        facts = truth.sessions.get(event.ref)
        if facts is None:
            return []
        if event.type == REQUESTED:
            due = self.due if event.at_ms == self.fired else event.at_ms
            age = due - facts.progress_ms
            stale = age >= truth.abort_ms
            self.asked = {**self.asked, event.ref: (due, event.at_ms, age, stale)}
            return []
        if event.type != COMPLETED or event.get("status") != "aborted":
            return []
        due, fired, age, stale = self.asked.get(event.ref, (event.at_ms, event.at_ms, 0, True))
        if stale:
            return []
        when = f"due at {due} ms" + (f", fired {fired - due} ms late" if fired > due else "")
        return [
            Violation(
                self.name,
                event.step,
                f"{event.ref}: its run was aborted at {event.at_ms} ms though its last "
                f"progress was {age} ms old at the heartbeat that asked ({when}), under the "
                f"abort threshold of {truth.abort_ms} ms",
            )
        ]

    def finish(self, truth: Truth, *, settled: bool, step: int) -> list[Violation]:
        return []

    def clone(self) -> Monitor:
        return HealthyRunAborted(self.name, self.due, self.fired, self.asked)

    def key(self) -> MonitorKey:
        return frozenset((ref, stale) for ref, (*_, stale) in self.asked.items())


@dataclass(slots=True)
class TruthfulOutcome:
    reads = (Acted, Reported)
    name: str
    ended: frozenset[str] = frozenset()  # runs that ended by themselves while asked to abort

    @classmethod
    def start(cls, name: str, params: Params) -> Monitor:
        return cls(name)

    def observe(self, moment: Moment, truth: Truth) -> list[Violation]:
        if isinstance(moment, Acted):
            verb = moment.verb
            if isinstance(verb, Release) and not verb.failed:
                self.ended = self.ended | {
                    ref
                    for ref in truth.sessions
                    if verb.session in (None, ref) and truth.in_flight(ref)
                }
            return []
        if not isinstance(moment, Reported) or moment.event.type != COMPLETED:
            return []
        event = moment.event
        facts = truth.sessions.get(event.ref)
        ended = event.ref in self.ended
        if ended and not truth.in_flight(event.ref):
            self.ended = self.ended - {event.ref}
        if event.get("status") != "aborted" or facts is None or ended:
            return []
        if facts.abort == "honoured":
            return []
        how = (
            "ignored the abort: it was force-cleared after the drain timeout"
            if facts.abort == "ignored"
            else "refused the abort (the call failed): it was force-cleared at once"
        )
        return [
            Violation(
                self.name,
                event.step,
                f"{event.ref}: reported aborted/{event.get('action')} at {event.at_ms} ms, but "
                f"its run {how}",
            )
        ]

    def finish(self, truth: Truth, *, settled: bool, step: int) -> list[Violation]:
        return []

    def clone(self) -> Monitor:
        return TruthfulOutcome(self.name, self.ended)

    def key(self) -> MonitorKey:
        return frozenset((ref, True) for ref in self.ended)


ABORTS = (
    Declared(
        HEALTHY_RUN_ABORTED,
        "safety",
        (),
        "no abort of a run whose progress was younger than the abort threshold when the "
        "heartbeat that asked was due (a late tick is judged at its due time)",
        ("#107415",),
        7,
        HealthyRunAborted,
    ),
    Declared(
        TRUTHFUL_OUTCOME,
        "safety",
        (),
        "session.recovery.completed says aborted only when the run honoured the abort, not "
        "when it was force-cleared after the drain timeout",
        ("#145152",),
        8,
        TruthfulOutcome,
    ),
)
