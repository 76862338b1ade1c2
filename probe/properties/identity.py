"""Class 9, identity: a recovery ends only the work it classified, never a run that started after.

An embedded run that starts under its own id while a recovery for its session is in flight
(a `start` step between the request and its completion) is not the run the heartbeat
classified. The world alone ends it (an `end` step); the owner's release and the recovery's
abort or force-clear end only the owner's own marker ("main"). While it runs, every report the
system makes about the session sees active work; a report with no `activeWorkKind` then shows
that something else ended it: the recovery, acting on work it never classified.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from probe.invariants import Violation
from probe.model.events import REQUESTED
from probe.properties.base import Declared, Monitor, MonitorKey, Params
from probe.properties.trace import ATTENTION, Acted, Moment, Reported, Truth
from probe.scenario.values import MAIN_MARKER, End, Start

FRESH_RUN_UNTOUCHED = "fresh-run-untouched"

# marker id, when it started, when the request it started after was made
FreshRun = tuple[str, int, int]


@dataclass(slots=True)
class FreshRunUntouched:
    reads = (Acted, Reported)
    name: str
    # ref -> the embedded runs that started while a recovery for it was in flight, still running
    fresh: dict[str, tuple[FreshRun, ...]] = field(default_factory=dict)

    @classmethod
    def start(cls, name: str, params: Params) -> Monitor:
        return cls(name)

    def observe(self, moment: Moment, truth: Truth) -> list[Violation]:
        if isinstance(moment, Acted):
            self._acted(moment, truth)
            return []
        if not isinstance(moment, Reported):
            return []
        event = moment.event
        runs = self.fresh.get(event.ref)
        if not runs or (event.type != REQUESTED and event.type not in ATTENTION):
            return []
        if event.get("activeWorkKind") is not None:
            if event.type == REQUESTED:
                # A new request classified the session with the run in it: from here on
                # the run is work a recovery classified, and ending it is no identity slip.
                self.fresh = {ref: r for ref, r in self.fresh.items() if ref != event.ref}
            return []
        # Reported once: the run's markers are gone, later reports would only repeat it.
        self.fresh = {ref: r for ref, r in self.fresh.items() if ref != event.ref}
        return [
            Violation(
                self.name,
                event.step,
                f"{event.ref}: {event.type} ({event.get('reason')}) at {event.at_ms} ms reports no "
                f"active work, but the embedded run '{marker}' that started at {started} ms, after "
                f"the request at {asked} ms, never ended: the recovery ended work it did not "
                "classify",
            )
            for marker, started, asked in runs[:1]
        ]

    def _acted(self, moment: Acted, truth: Truth) -> None:
        verb = moment.verb
        match verb:
            case Start(session=ref, work="embedded_run", id=marker) if marker != MAIN_MARKER:
                runs = tuple(r for r in self.fresh.get(ref, ()) if r[0] != marker)
                open_for_ref = truth.pairing.open_requests.get(ref)
                if open_for_ref:
                    asked = open_for_ref[0][1].at_ms
                    self.fresh = {**self.fresh, ref: (*runs, (marker, moment.at_ms, asked))}
                elif len(runs) != len(self.fresh.get(ref, ())):
                    # Restarted with no recovery in flight: no longer a run that started after one.
                    self.fresh = {**self.fresh, ref: runs}
            case End(session=ref, work="embedded_run", id=marker) if ref in self.fresh:
                kept = tuple(r for r in self.fresh[ref] if r[0] != marker)
                self.fresh = {**self.fresh, ref: kept}
            case _:
                pass

    def finish(self, truth: Truth, *, settled: bool, step: int) -> list[Violation]:
        return []

    def clone(self) -> Monitor:
        return FreshRunUntouched(self.name, self.fresh)

    def key(self) -> MonitorKey:
        return frozenset(
            (ref, tuple(sorted(marker for marker, _, _ in runs)))
            for ref, runs in self.fresh.items()
            if runs
        )


IDENTITY = (
    Declared(
        FRESH_RUN_UNTOUCHED,
        "safety",
        (),
        "an embedded run that started after a request (under its own id, while the recovery "
        "was in flight) is not ended by that recovery: while it runs, no request or warning "
        "about its session reports no active work",
        (),  # none published fails it with today's verbs (see the class 9 control)
        9,
        FreshRunUntouched,
    ),
)
