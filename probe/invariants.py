"""Named invariants, checked over the event stream after every step and at the end of a run.

They read only reported events, so the same checks judge the model and a real build.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from probe.model.events import COMPLETED, REQUESTED, Event, FieldValue

PHANTOM_REQUEST = "phantom-request"
UNMATCHED_REQUEST = "unmatched-request"
SWALLOWED_REQUEST = "swallowed-request"

INVARIANTS: dict[str, str] = {
    PHANTOM_REQUEST: "no second session.recovery.requested for a ref while a recovery for that "
    "ref is in flight (work the runtime can only absorb as already_in_flight)",
    UNMATCHED_REQUEST: "once every recovery has finished, every session.recovery.requested has "
    "its session.recovery.completed",
    SWALLOWED_REQUEST: "the coordinator absorbs a request as already_in_flight only while a "
    "recovery for that same ref is in flight",
}


@dataclass(frozen=True, slots=True)
class Violation:
    invariant: str
    step: int | None
    message: str

    def as_dict(self) -> dict[str, str | int | None]:
        return {"invariant": self.invariant, "step": self.step, "message": self.message}


Identity = tuple[FieldValue | None, ...]

# The only event types the checks read: a search may drop every other type unseen.
OBSERVED_EVENTS = frozenset({REQUESTED, COMPLETED})


def request_identity(event: Event) -> Identity:
    """A completed event carries its request's fields, so the pair can be matched."""
    fields = event.fields
    if (
        len(fields) >= 4
        and fields[0][0] == "state"
        and fields[1][0] == "stateGeneration"
        and fields[2][0] == "ageMs"
        and fields[3][0] == "queueDepth"
    ):
        # How the model lists them (a real build's arrive sorted): the first of each name,
        # as get() would find them, without four scans.
        return (event.ref, fields[0][1], fields[1][1], fields[2][1], fields[3][1])
    return (
        event.ref,
        event.get("state"),
        event.get("stateGeneration"),
        event.get("ageMs"),
        event.get("queueDepth"),
    )


OpenRequest = tuple[Identity, Event]
CheckerKey = frozenset[tuple[str, tuple[Identity, ...]]]


@dataclass(slots=True)
class InvariantChecker:
    """Feed events in order; `finish` adds the end-of-run checks.

    The open requests of a ref are a tuple, replaced rather than changed, and a clone shares
    the dict of them with its original until either side records an event (most steps
    record none); the key is kept until an event changes what it is made of.
    """

    open_requests: dict[str, tuple[OpenRequest, ...]] = field(default_factory=dict)
    coordinator_absorbed: int = 0
    _key: CheckerKey | None = field(default=None, init=False, repr=False, compare=False)
    _shared: bool = field(default=False, init=False, repr=False, compare=False)

    def clone(self) -> InvariantChecker:
        twin = InvariantChecker(self.open_requests, self.coordinator_absorbed)
        twin._key = self._key
        twin._shared = self._shared = True
        return twin

    def _own(self) -> dict[str, tuple[OpenRequest, ...]]:
        """The open requests, to change: a shared dict is first copied, emptied refs left out."""
        if self._shared:
            self.open_requests = {ref: items for ref, items in self.open_requests.items() if items}
            self._shared = False
        return self.open_requests

    def key(self) -> CheckerKey:
        """What the checks still depend on: the requests open per ref.

        A frozenset of (ref, its open identities in a fixed order): canonical, and it keeps
        its hash, so a search's key hashes it once however many states share it.
        """
        if self._key is None:
            self._key = frozenset(
                (
                    ref,
                    (items[0][0],)
                    if len(items) == 1  # nothing to order (repr is dear)
                    else tuple(sorted((i for i, _ in items), key=repr)),
                )
                for ref, items in self.open_requests.items()
                if items
            )
        return self._key

    def observe(self, event: Event) -> list[Violation]:
        if event.type == REQUESTED:
            return self._requested(event)
        if event.type == COMPLETED:
            return self._completed(event)
        return []

    def observe_all(self, events: Sequence[Event]) -> list[Violation]:
        if not events:  # most steps of a search record none
            return []
        return [v for e in events for v in self.observe(e)]

    def _requested(self, event: Event) -> list[Violation]:
        open_for_ref = self.open_requests.get(event.ref, ())
        found: list[Violation] = []
        if open_for_ref:
            first = open_for_ref[0][1]
            found.append(
                Violation(
                    PHANTOM_REQUEST,
                    event.step,
                    f"{event.ref}: requested again at {event.at_ms} ms for generation "
                    f"{event.get('stateGeneration')} while the recovery requested at "
                    f"{first.at_ms} ms for generation {first.get('stateGeneration')} is in flight",
                )
            )
        self._own()[event.ref] = (*open_for_ref, (request_identity(event), event))
        self._key = None
        return found

    def _completed(self, event: Event) -> list[Violation]:
        open_for_ref = self.open_requests.get(event.ref, ())
        identity = request_identity(event)
        # The runtime answers an ask it absorbs at once: an already_in_flight at another
        # instant than an open request's is the coordinator's own answer to a new ask, however
        # alike their fields (a record pruned and recreated meets its old generation again).
        absorbed = event.get("outcomeReason") == "already_in_flight"
        for i, (ident, request) in enumerate(open_for_ref):
            if ident == identity and (not absorbed or request.at_ms == event.at_ms):
                self._own()[event.ref] = open_for_ref[:i] + open_for_ref[i + 1 :]
                self._key = None
                return []
        # No requested event behind it: the coordinator absorbed this ask itself.
        self.coordinator_absorbed += 1
        if not open_for_ref and event.get("outcomeReason") == "already_in_flight":
            return [
                Violation(
                    SWALLOWED_REQUEST,
                    event.step,
                    f"{event.ref}: the coordinator answered already_in_flight at {event.at_ms} ms "
                    "but no recovery for this ref was in flight",
                )
            ]
        return []

    def finish(self, *, settled: bool, step: int | None) -> list[Violation]:
        if not settled or not self.open_requests:
            return []
        return [
            Violation(
                UNMATCHED_REQUEST,
                step,
                f"{ref}: the recovery requested at {ev.at_ms} ms for generation "
                f"{ev.get('stateGeneration')} never completed",
            )
            for ref, items in self.open_requests.items()
            for _, ev in items
        ]
