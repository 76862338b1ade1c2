"""Recovery outcomes, and what applying each does to the session record."""

from __future__ import annotations

from dataclasses import dataclass, field

from probe.model.events import FieldValue, defined
from probe.scenario.values import WORK_KINDS, WorkKind


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str
    action: str
    reason: str | None = None
    active_work_kind: WorkKind | None = None
    # Command-lane tasks the runtime's resetCommandLane released, and the lane's queued tasks
    # it reported (None: the outcome carries no queuedCount).
    released: int = 0
    queued_count: int | None = None
    # Derived from the fields above once, at construction: every resolved call asks them.
    # The contract's runtime_outcomes form: status/reason, else status/action.
    label: str = field(init=False, repr=False, compare=False)
    mutates: bool = field(init=False, repr=False, compare=False)
    # The rule of the builds before 8.1-beta.3 (see Coordinator.queue_after for both).
    clears_queue: bool = field(init=False, repr=False, compare=False)
    # What a session.recovery.completed carries of the outcome, after the request's fields.
    completed_fields: tuple[tuple[str, FieldValue], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        no_active_work = self.status == "noop" and self.reason == "no_active_work"
        fields = defined(
            ("activeWorkKind", self.active_work_kind),
            ("status", self.status),
            ("action", self.action),
            ("outcomeReason", self.reason),
            # The event carries `released` only when some lane task was released.
            ("released", self.released or None),
        )
        object.__setattr__(self, "completed_fields", fields)
        object.__setattr__(self, "label", f"{self.status}/{self.reason or self.action}")
        object.__setattr__(
            self, "mutates", self.status in ("aborted", "released") or no_active_work
        )
        aborted_released = (
            self.status == "aborted" and self.released > 0 and not self.queued_count
        )
        object.__setattr__(
            self,
            "clears_queue",
            self.status == "released" or aborted_released or no_active_work,
        )


ALREADY_IN_FLIGHT = "already_in_flight"
RUNTIME_ALREADY_IN_FLIGHT = Outcome("skipped", "observe_only", ALREADY_IN_FLIGHT)
STALE_SESSION_STATE = Outcome("skipped", "observe_only", "stale_session_state")
ACTIVE_EMBEDDED_RUN = Outcome("skipped", "observe_only", "active_embedded_run", "embedded_run")
ABORTED = Outcome("aborted", "abort_embedded_run", None, "embedded_run")
RELEASED = Outcome("released", "release_lane")
NO_ACTIVE_WORK = Outcome("noop", "none", "no_active_work")
# The runtime's tail from 8.1-beta.3 (switch released-no-active-work, F18).
RELEASED_NO_ACTIVE_WORK = Outcome("released", "release_lane", "no_active_work")
FAILED = Outcome("failed", "none", "exception")


_COORDINATOR_SKIPS: dict[WorkKind | None, Outcome] = {
    kind: Outcome("skipped", "observe_only", ALREADY_IN_FLIGHT, kind)
    for kind in (*WORK_KINDS, None)
}


def coordinator_skip(kind: WorkKind | None) -> Outcome:
    return _COORDINATOR_SKIPS[kind]
