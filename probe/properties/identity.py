"""Class 9, identity: a recovery ends only the work it classified, never a run that started after.

An embedded run that starts under its own id while a recovery for its session is in flight
(a `start` step between the request and its completion) is not the run the heartbeat
classified. The world alone ends it (an `end` step); the owner's release and the recovery's
abort or force-clear end only the owner's own marker ("main"). While it runs, every report the
system makes about the session sees active work; a report with no `activeWorkKind` then shows
that something else ended it: the recovery, acting on work it never classified.

A run that registers as the session's owner while a recovery is in flight (an `own` step: a new
run handle replacing the one the recovery aborted) is the same kind of stranger: the recovery
waits on the run it asked to abort, and ending the new one on the drain's timeout (the record
going idle with reason `stuck_recovery` before the world released it) ends a run nobody
classified: openclaw issue 104589, fixed in 2026.7.2-beta.5, which force-clears only the handle
it aborted. A request made once the new run is registered classifies it; from then on ending it
is that request's business.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from probe.invariants import Violation
from probe.model.events import REQUESTED, STATE, Event
from probe.properties.base import Declared, Monitor, MonitorKey, Params
from probe.properties.trace import ATTENTION, Acted, Moment, Reported, Truth
from probe.scenario.values import MAIN_MARKER, End, Own, Release, Start

FRESH_RUN_UNTOUCHED = "fresh-run-untouched"

# marker id, when it started, when the request it started after was made
FreshRun = tuple[str, int, int]


@dataclass(slots=True)
class FreshRunUntouched:
    reads = (Acted, Reported)
    name: str
    # ref -> the embedded runs that started while a recovery for it was in flight, still running
    fresh: dict[str, tuple[FreshRun, ...]] = field(default_factory=dict)
    # ref -> (when a replacement run registered, when the request it registered after was made)
    owners: dict[str, tuple[int, int]] = field(default_factory=dict)

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
        found = self._owner_ended(event)
        runs = self.fresh.get(event.ref)
        if not runs or (event.type != REQUESTED and event.type not in ATTENTION):
            return found
        if event.get("activeWorkKind") is not None:
            if event.type == REQUESTED:
                # A new request classified the session with the run in it: from here on
                # the run is work a recovery classified, and ending it is no identity slip.
                self.fresh = {ref: r for ref, r in self.fresh.items() if ref != event.ref}
            return found
        # Reported once: the run's markers are gone, later reports would only repeat it.
        self.fresh = {ref: r for ref, r in self.fresh.items() if ref != event.ref}
        return found + [
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

    def _owner_ended(self, event: Event) -> list[Violation]:
        """A replacement run force-cleared (or a request classifying it) ends its watch."""
        owner = self.owners.get(event.ref)
        if owner is None:
            return []
        if event.type == REQUESTED:
            self.owners = {r: o for r, o in self.owners.items() if r != event.ref}
            return []
        if event.type != STATE or event.get("reason") != "stuck_recovery":
            return []
        self.owners = {r: o for r, o in self.owners.items() if r != event.ref}
        registered, asked = owner
        return [
            Violation(
                self.name,
                event.step,
                f"{event.ref}: the run registered at {registered} ms, after the request at {asked} "
                f"ms, is force-cleared at {event.at_ms} ms (stuck_recovery) by that recovery: it "
                "ended a run it did not classify",
            )
        ]

    def _acted(self, moment: Acted, truth: Truth) -> None:
        verb = moment.verb
        match verb:
            case Own(session=ref):
                open_for_ref = truth.pairing.open_requests.get(ref)
                rest = {r: o for r, o in self.owners.items() if r != ref}
                if open_for_ref:
                    rest[ref] = (moment.at_ms, open_for_ref[0][1].at_ms)
                self.owners = rest
            case Release(session=ref, failed=False):
                # The world ended the run itself (one session, or every session with a run).
                self.owners = (
                    {} if ref is None else {r: o for r, o in self.owners.items() if r != ref}
                )
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
        return FreshRunUntouched(self.name, self.fresh, self.owners)

    def key(self) -> MonitorKey:
        return frozenset(
            (ref, tuple(sorted(marker for marker, _, _ in runs)))
            for ref, runs in self.fresh.items()
            if runs
        ) | frozenset((ref, ("own",)) for ref in self.owners)


IDENTITY = (
    Declared(
        FRESH_RUN_UNTOUCHED,
        "safety",
        (),
        "a run that started or registered after a request (while the recovery was in flight) "
        "is not ended by that recovery: no force-clear of it, and while it runs no request or "
        "warning about its session reports no active work",
        ("#104589",),
        9,
        FreshRunUntouched,
    ),
)
