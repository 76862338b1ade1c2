"""A finished replay: events, runtime outcomes, verdicts and the figures derived from them."""

from __future__ import annotations

from dataclasses import dataclass

from probe.invariants import Violation
from probe.model.events import COMPLETED, REQUESTED, Event

RUNTIME_ABSORBED = "skipped/already_in_flight"


@dataclass(frozen=True, slots=True)
class Run:
    strategy: str
    engine: str
    events: tuple[Event, ...]
    runtime_outcomes: tuple[str, ...]
    violations: tuple[Violation, ...]
    coordinator_absorbed: int
    coverage: tuple[tuple[str, int], ...] = ()
    drain: str = "settle"
    # The openclaw version whose behaviour ran (model:NAME@VERSION, or a build's own), which
    # picks its [expect."DESIGN@VERSION"] table; None for the pinned models.
    version: str | None = None
    notes: tuple[str, ...] = ()  # why the run did less than it might (probe.notes)
    # The properties that judged it (None: not recorded, e.g. a run read from a baseline).
    judged: tuple[str, ...] | None = None

    @property
    def requested(self) -> int:
        return sum(1 for e in self.events if e.type == REQUESTED)

    @property
    def requested_generations(self) -> list[int]:
        return [int(e.get("stateGeneration") or 0) for e in self.events if e.type == REQUESTED]

    @property
    def completed(self) -> int:
        return sum(1 for e in self.events if e.type == COMPLETED)

    @property
    def absorbed_by(self) -> dict[str, int]:
        return {
            "coordinator": self.coordinator_absorbed,
            "runtime": sum(1 for o in self.runtime_outcomes if o == RUNTIME_ABSORBED),
        }

    @property
    def violation_names(self) -> list[str]:
        return sorted({v.invariant for v in self.violations})
