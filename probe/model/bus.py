"""The diagnostic event bus: synchronous, in order, each event numbered."""

from __future__ import annotations

from probe.limits import LIMITS, TooManyEvents
from probe.model.clock import Clock
from probe.model.events import Event, FieldValue, Layer


class EventBus:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.events: list[Event] = []
        self.step: int | None = None

    def emit(
        self,
        type_: str,
        ref: str,
        fields: tuple[tuple[str, FieldValue], ...],
        *,
        generation: int | None = None,
        layer: Layer | None = None,
    ) -> Event:
        if len(self.events) >= LIMITS.events:
            raise TooManyEvents(self.step, LIMITS.events)
        event = Event(
            seq=len(self.events) + 1,
            at_ms=self.clock.now,
            step=self.step,
            type=type_,
            ref=ref,
            fields=fields,
            generation=generation,
            layer=layer,
        )
        self.events.append(event)
        return event
