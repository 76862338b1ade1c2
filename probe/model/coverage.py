"""Coverage counters: proof that a run reached its race, not just that nothing failed."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(slots=True)
class Coverage:
    bump_while_in_flight: int = 0
    heartbeat_while_in_flight: int = 0
    coordinator_absorbed: int = 0
    runtime_absorbed: int = 0
    stale_outcomes: int = 0
    settle_force_clears: int = 0

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


COVERAGE_MEANINGS = {
    "bump_while_in_flight": "a bump landed on a session whose recovery was in flight",
    "heartbeat_while_in_flight": "a heartbeat fired while some recovery was in flight",
    "coordinator_absorbed": "the coordinator found a key in flight and skipped",
    "runtime_absorbed": "the runtime found a ref in flight and answered already_in_flight",
    "stale_outcomes": "an outcome was applied to a record that had moved on (stale)",
    "settle_force_clears": "a settle timer expired and force-cleared a run",
}
