"""Class 6: no unbounded run of identical outcomes that change nothing.

A session answered with the same skipped or failed outcome again and again while nothing
happens to it (no progress, message, state change or release) is being recovered in vain:
recovery should back off or escalate. `already_in_flight` is left out: it says a recovery is
under way, which pairing judges.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from probe.invariants import Violation
from probe.model.events import COMPLETED
from probe.properties.base import Declared, Monitor, MonitorKey, Param, Params
from probe.properties.trace import Acted, Moment, Reported, Truth
from probe.scenario.values import Release

FUTILE_REPEATS = "futile-repeats"
FUTILE = frozenset({"skipped", "failed"})

MAX_REPEATS = Param(
    "max_repeats",
    10,
    "identical futile outcomes in a row one session may get while nothing happens to it",
    minimum=1,
)


@dataclass(slots=True)
class FutileRepeats:
    reads = (Acted, Reported)
    name: str
    most: int
    streaks: dict[str, tuple[str, int]] = field(default_factory=dict)  # ref -> (outcome, count)

    @classmethod
    def start(cls, name: str, params: Params) -> Monitor:
        return cls(name, params[MAX_REPEATS.name])

    def observe(self, moment: Moment, truth: Truth) -> list[Violation]:
        if isinstance(moment, Acted):
            verb = moment.verb
            touched = getattr(verb, "session", None)
            if touched is None and isinstance(verb, Release):
                self.streaks = {}
            elif touched in self.streaks:
                self.streaks = {r: s for r, s in self.streaks.items() if r != touched}
            return []
        if not isinstance(moment, Reported) or moment.event.type != COMPLETED:
            return []
        event = moment.event
        status, reason = event.get("status"), event.get("outcomeReason")
        if reason == "already_in_flight":
            return []
        if status not in FUTILE:
            if event.ref in self.streaks:
                self.streaks = {r: s for r, s in self.streaks.items() if r != event.ref}
            return []
        outcome = f"{status}/{reason or event.get('action')}"
        last, count = self.streaks.get(event.ref, ("", 0))
        count = count + 1 if last == outcome else 1
        # Past the bound the count stops: the state stays finite for a search.
        self.streaks = {**self.streaks, event.ref: (outcome, min(count, self.most + 1))}
        if count != self.most + 1:
            return []
        return [
            Violation(
                self.name,
                event.step,
                f"{event.ref}: {count} {outcome} outcomes in a row up to {event.at_ms} ms, "
                f"more than max_repeats = {self.most}, while nothing happened to the session",
            )
        ]

    def finish(self, truth: Truth, *, settled: bool, step: int) -> list[Violation]:
        return []

    def clone(self) -> Monitor:
        return FutileRepeats(self.name, self.most, self.streaks)  # replaced, never changed

    def key(self) -> MonitorKey:
        return frozenset(self.streaks.items())


FUTILITY = (
    Declared(
        FUTILE_REPEATS,
        "bounded repeats",
        (MAX_REPEATS,),
        "no session gets more than N identical skipped/failed outcomes in a row while no "
        "progress, message, state change or release arrives",
        ("#119454",),
        6,
        FutileRepeats,
    ),
)
