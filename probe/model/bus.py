"""The diagnostic event bus: synchronous, in order, each event numbered."""

from __future__ import annotations

from probe.model.clock import Clock
from probe.model.events import Event, FieldValue, Layer
from probe.scenario.limits import LIMITS, TooManyEvents


class EventBus:
    """`keep`: the event types to record (None: all of them).

    A search that judges only some types (explore feeds the invariant checker alone) need not
    pay for the rest; `keeps` lets an emitter skip even building a dropped event's payload.
    """

    __slots__ = ("clock", "events", "keep", "step")

    def __init__(self, clock: Clock, keep: frozenset[str] | None = None) -> None:
        self.clock = clock
        self.keep = keep
        self.events: list[Event] = []
        self.step: int | None = None

    def keeps(self, type_: str) -> bool:
        return self.keep is None or type_ in self.keep

    def emit(
        self,
        type_: str,
        ref: str,
        fields: tuple[tuple[str, FieldValue], ...],
        *,
        generation: int | None = None,
        layer: Layer | None = None,
    ) -> None:
        if self.keep is not None and type_ not in self.keep:
            return
        if len(self.events) >= LIMITS.events:
            raise TooManyEvents(self.step, LIMITS.events)
        self.events.append(
            Event(
                len(self.events) + 1,
                self.clock.now,
                self.step,
                type_,
                ref,
                fields,
                generation,
                layer,
            )
        )
