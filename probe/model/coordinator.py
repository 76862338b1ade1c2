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

# Work markers (kind, id) that started after a request (probe.model.runtime.Waiter.fresh).
Fresh = tuple[tuple[str, str], ...]


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
        clear_run_activity: Callable[[str, Fresh], bool] | None = None,
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

    def settle(
        self, request: RecoveryRequest, key: str, outcome: Outcome, fresh: Fresh = ()
    ) -> None:
        """The runtime call resolved (or rejected): apply the outcome, then free the key.

        `fresh`: the work markers that started after the request (see Waiter.fresh).
        """
        self.apply(request, outcome, fresh)
        self.in_flight = self.in_flight - {key}

    def apply(self, request: RecoveryRequest, outcome: Outcome, fresh: Fresh = ()) -> None:
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
        if self.clear_run_activity is not None and self.clear_run_activity(request.ref, fresh):
            # An embedded run started after the request holds the session now: the outcome is
            # not applied to it (clearDiagnosticEmbeddedRunActivityForSession's
            # blockedByActiveEmbeddedRun).
            self.coverage.stale_outcomes += 1
            self._completed(request, outcome, stale=True)
            return
        prev = rec.state
        rec.state = "idle"
        rec.touch(now)
        rec.queue_depth = self.queue_after(request, outcome, rec.queue_depth)
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

    def queue_after(self, request: RecoveryRequest, outcome: Outcome, depth: int) -> int:
        """The record's queueDepth once the outcome is applied (applyRecoveryOutcome...).

        Cleared (recoveryOutcomeClearsQueuedSessionState), or, for an idle request whose
        outcome reports queued lane tasks, kept at least at the request's (queued work the
        lane still holds), else one less. From 8.1-beta.3 (with F19's change) a reported
        queuedCount forbids the clear for any status and keeps an idle request's queue for
        any status; before, only an aborted outcome's queuedCount counted.
        """
        queued = outcome.queued_count or 0
        idle = request.expected_state == "idle"
        if self.mutate_aborted_released_only:
            status = outcome.status
            clears = queued == 0 and (
                status == "released" or (status == "aborted" and outcome.released > 0)
            )
            keeps = idle and queued > 0
        else:
            clears = outcome.clears_queue
            keeps = idle and outcome.status == "aborted" and queued > 0
        if clears:
            return 0
        if keeps:
            return max(depth, request.queue_depth)
        return max(0, depth - 1)

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
