"""requestStuckSessionRecovery: in-flight set #1 (keyed by the strategy) and outcome application."""

from __future__ import annotations

from collections.abc import Callable

from probe.model.bus import EventBus
from probe.model.coverage import Coverage
from probe.model.events import COMPLETED, REQUESTED, STATE, FieldValue, payload
from probe.model.heartbeat import Classification, RecoveryRequest
from probe.model.outcomes import Outcome, coordinator_skip
from probe.model.state import SessionStore
from probe.strategies import DedupStrategy


def _request_fields(request: RecoveryRequest) -> tuple[tuple[str, FieldValue], ...]:
    """What both recovery events carry of the request (not the record's current values)."""
    return (
        ("state", request.expected_state),
        ("stateGeneration", request.generation),
        ("ageMs", request.age_ms),
        ("queueDepth", request.queue_depth),
    )


class Coordinator:
    __slots__ = (
        "bus",
        "clear_run_activity",
        "coverage",
        "in_flight",
        "mutate_aborted_released_only",
        "store",
        "strategy",
    )

    def __init__(
        self,
        strategy: DedupStrategy,
        store: SessionStore,
        bus: EventBus,
        coverage: Coverage,
        *,
        clear_run_activity: Callable[[str], bool] | None = None,
        mutate_aborted_released_only: bool = False,
    ) -> None:
        self.strategy = strategy
        # Switch clear-run-activity (F02): what ends the recovered session's run activity.
        self.clear_run_activity = clear_run_activity
        # Switch mutate-aborted-released-only (F19).
        self.mutate_aborted_released_only = mutate_aborted_released_only
        self.store = store
        self.bus = bus
        self.coverage = coverage
        # Replaced, never changed in place: saved states share it, and it is its own key.
        self.in_flight: frozenset[str] = frozenset()

    def request(self, request: RecoveryRequest, cls: Classification) -> str | None:
        """Emit requested and return the in-flight key, or absorb the ask and return None."""
        key = self.strategy.key(request)
        if key in self.in_flight:
            self.coverage.coordinator_absorbed += 1
            self._completed(request, coordinator_skip(cls.active_work_kind), layer="coordinator")
            return None
        self.in_flight = self.in_flight | {key}
        fields = _request_fields(request) + cls.requested_fields
        if request.allow_active_abort:
            fields += (("allowActiveAbort", True),)
        self.bus.emit(REQUESTED, request.ref, fields, generation=request.generation)
        return key

    def settle(self, request: RecoveryRequest, key: str, outcome: Outcome) -> None:
        """The runtime call resolved (or rejected): apply the outcome, then free the key."""
        self.apply(request, outcome)
        self.in_flight = self.in_flight - {key}

    def apply(self, request: RecoveryRequest, outcome: Outcome) -> None:
        now = self.bus.clock.now
        if not outcome.mutates or (
            self.mutate_aborted_released_only and outcome.status not in ("aborted", "released")
        ):
            self._completed(request, outcome)
            return
        if not self._still_current(request, outcome):
            self.coverage.stale_outcomes += 1
            self._completed(request, outcome, stale=True)
            return
        rec = self.store.lookup(request.ref, now)
        if self.clear_run_activity is not None and self.clear_run_activity(request.ref):
            # An embedded run started after the request still runs: the build skips it.
            self.coverage.stale_outcomes += 1
            self._completed(request, outcome, stale=True)
            return
        prev = rec.state
        rec.state = "idle"
        rec.touch(now)
        rec.queue_depth = 0 if outcome.clears_queue else max(0, rec.queue_depth - 1)
        if self.bus.keeps(STATE):
            self.bus.emit(
                STATE,
                rec.ref,
                payload(
                    prevState=prev,
                    state="idle",
                    reason=f"stuck_recovery:{outcome.status}",
                    queueDepth=rec.queue_depth,
                ),
                generation=rec.generation,
            )
        self._completed(request, outcome)

    def _still_current(self, request: RecoveryRequest, outcome: Outcome) -> bool:
        rec = self.store.peek(request.ref)
        if request.expected_state == "idle" and outcome.action == "abort_embedded_run":
            # The abort's own idle transition bumps the generation once.
            return (
                rec is not None
                and rec.state == "idle"
                and (rec.generation in (request.generation, request.generation + 1))
            )
        return self.store.is_current(request.ref, request.generation, request.expected_state)

    def _completed(
        self,
        request: RecoveryRequest,
        outcome: Outcome,
        *,
        stale: bool = False,
        layer: str | None = None,
    ) -> None:
        fields = _request_fields(request) + outcome.completed_fields
        if stale:
            fields += (("stale", True),)
        self.bus.emit(
            COMPLETED,
            request.ref,
            fields,
            generation=request.generation,
            layer="coordinator" if layer == "coordinator" else None,
        )
