"""Events as openclaw's diagnostic bus delivers them, tagged with probe's own bookkeeping."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, TypeAlias

from probe.model.frozen import slot_setters

Layer: TypeAlias = Literal["coordinator", "runtime"]
FieldValue: TypeAlias = str | int | bool

# Event types probe reports (heartbeat, seeding and log events are left out, as in reference/).
REQUESTED = "session.recovery.requested"
COMPLETED = "session.recovery.completed"
STATE = "session.state"
QUEUED = "message.queued"
STUCK: Final = "session.stuck"
STALLED: Final = "session.stalled"
LONG_RUNNING: Final = "session.long_running"


@dataclass(frozen=True, slots=True, init=False)
class Event:
    """One reported event.

    `fields` holds the payload exactly as openclaw emits it (undefined values left out, as
    JSON.stringify does); the other attributes are probe's: where and when it happened and,
    for recovery events, which request and which layer it belongs to.
    """

    seq: int
    at_ms: int
    step: int | None
    type: str
    ref: str
    fields: tuple[tuple[str, FieldValue], ...]
    generation: int | None = None
    layer: Layer | None = None

    def __init__(
        self,
        seq: int,
        at_ms: int,
        step: int | None,
        type: str,
        ref: str,
        fields: tuple[tuple[str, FieldValue], ...],
        generation: int | None = None,
        layer: Layer | None = None,
    ) -> None:
        # The bus builds one for every recovery event of every step (see probe.model.frozen).
        s_seq, s_at, s_step, s_type, s_ref, s_fields, s_generation, s_layer = _EVENT_SLOTS
        s_seq(self, seq)
        s_at(self, at_ms)
        s_step(self, step)
        s_type(self, type)
        s_ref(self, ref)
        s_fields(self, fields)
        s_generation(self, generation)
        s_layer(self, layer)

    def get(self, key: str) -> FieldValue | None:
        for k, v in self.fields:
            if k == key:
                return v
        return None

    def as_dict(self) -> dict[str, FieldValue | None]:
        out: dict[str, FieldValue | None] = {
            "seq": self.seq,
            "at_ms": self.at_ms,
            "step": self.step,
            "type": self.type,
            "ref": self.ref,
        }
        if self.generation is not None:
            out["generation"] = self.generation
        if self.layer is not None:
            out["layer"] = self.layer
        out.update(self.fields)
        return out


def payload(**values: FieldValue | None) -> tuple[tuple[str, FieldValue], ...]:
    """Drop undefined values the way JSON.stringify drops undefined properties."""
    return tuple((k, v) for k, v in values.items() if v is not None)


def defined(*pairs: tuple[str, FieldValue | None]) -> tuple[tuple[str, FieldValue], ...]:
    """`payload` from (name, value) pairs: the same tuple without building a dict first."""
    # mypy cannot narrow a pair through pair[1]; rebuilding each pair would cost a tuple each.
    return tuple([pair for pair in pairs if pair[1] is not None])  # type: ignore[misc]


_EVENT_SLOTS = slot_setters(
    Event, "seq", "at_ms", "step", "type", "ref", "fields", "generation", "layer"
)
