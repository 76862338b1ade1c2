"""Classes 2 and 4: a session that needs recovery is asked for within K heartbeats.

"Needs recovery" is the world's truth at the instant the heartbeat was due (not when a late
one fired): a run whose progress is older than the abort threshold (the blocked-tool floor for
a tool call), or a processing record with no work whose last activity is older than warn. A
heartbeat that finds a recovery in flight for the session does not count: one is under way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from probe.invariants import Violation
from probe.properties.base import Declared, Monitor, MonitorKey, Param, Params
from probe.properties.trace import Facts, Fired, Moment, Passed, Truth

REQUEST_LIVENESS = "request-liveness"
STALE_RUN_COVERAGE = "stale-run-coverage"

WITHIN = Param(
    "within_heartbeats",
    4,
    "heartbeats in a row a session may need recovery without being asked for",
    minimum=1,
)
# Nothing throttles a request for a record no warning was ever emitted about: a version that
# covers such a record asks at the first heartbeat past the threshold, so two is a margin.
COVERAGE_WITHIN = Param(
    "within_heartbeats",
    2,
    "heartbeats in a row an owned stale run may go unasked in a record the heartbeat passes over",
    minimum=1,
)
TOOL_FLOOR = Param(
    "tool_abort_floor_ms",
    900_000,
    "a blocked tool call needs recovery only past max(abort threshold, this) (openclaw's floor)",
)

# Why a session needs recovery at `due`, or None: (facts, due, truth, tool floor) -> words.
Need = Callable[[Facts, int, Truth, int], str | None]


def _run_threshold(facts: Facts, truth: Truth, tool_floor: int) -> int:
    if facts.work == "tool_call":
        return max(truth.abort_ms, tool_floor)
    if facts.work == "model_call":
        # A model request's declared timeout holds its abort back (openclaw 2026.8.1-beta.3+).
        return max(truth.abort_ms, facts.request_timeout_ms)
    return truth.abort_ms


def stale_run(facts: Facts, due: int, truth: Truth, tool_floor: int) -> str | None:
    age = due - facts.progress_ms
    if age < _run_threshold(facts, truth, tool_floor):
        return None
    return f"its {facts.work} made no progress for {age} ms"


def needs_recovery(facts: Facts, due: int, truth: Truth, tool_floor: int) -> str | None:
    """Class 2: the records the heartbeat looks at (processing, or idle with queued work)."""
    if facts.live_work:
        if facts.state == "processing" or (facts.state == "idle" and facts.queue > 0):
            return stale_run(facts, due, truth, tool_floor)
        return None
    age = due - facts.touched_ms
    if facts.state == "processing" and age > truth.warn_ms:
        return f"it is processing with no work and no activity for {age} ms"
    return None


def needs_coverage(facts: Facts, due: int, truth: Truth, tool_floor: int) -> str | None:
    """Class 4: an owned run in a record the heartbeat passes over (idle and empty, waiting)."""
    if not (facts.owner and facts.live_work):
        return None
    if facts.state == "waiting" or (facts.state == "idle" and facts.queue == 0):
        why = stale_run(facts, due, truth, tool_floor)
        return None if why is None else f"{why} in a {facts.state} record, queue {facts.queue}"
    return None


@dataclass(slots=True)
class AskedWithin:
    """Per ref: (unasked heartbeats so far, due time of the first) while it needs recovery."""

    reads = (Fired, Passed)
    name: str
    within: int
    tool_floor: int
    need: Need
    waiting: dict[str, tuple[int, int]] = field(default_factory=dict)
    flagged: frozenset[str] = frozenset()
    pending: dict[str, str] = field(default_factory=dict)  # between Fired and Passed only

    def observe(self, moment: Moment, truth: Truth) -> list[Violation]:
        if isinstance(moment, Fired):
            due = moment.firing.due_ms
            self.pending = {}
            for ref, facts in truth.sessions.items():
                why = (
                    None if truth.in_flight(ref) else self.need(facts, due, truth, self.tool_floor)
                )
                if why is not None:
                    self.pending[ref] = why
            return []
        if not isinstance(moment, Passed):
            return []
        firing = moment.firing
        found: list[Violation] = []
        waiting: dict[str, tuple[int, int]] = {}
        flagged = set()
        for ref, why in self.pending.items():
            if ref in moment.requested:
                continue
            count, first = self.waiting.get(ref, (0, firing.due_ms))
            count += 1
            waiting[ref] = (count, first)
            if ref in self.flagged:
                flagged.add(ref)
            elif count > self.within:
                flagged.add(ref)
                late = f", {firing.late_ms} ms late" if firing.late_ms else ""
                found.append(
                    Violation(
                        self.name,
                        firing.step,
                        f"{ref}: needs recovery ({why}) at {count} heartbeats in a row since "
                        f"the one due at {first} ms, more than within_heartbeats = "
                        f"{self.within}, and none asked for it (the last fired at "
                        f"{firing.fired_ms} ms{late})",
                    )
                )
        self.waiting, self.flagged, self.pending = waiting, frozenset(flagged), {}
        return found

    def finish(self, truth: Truth, *, settled: bool, step: int) -> list[Violation]:
        return []

    def clone(self) -> Monitor:
        # `waiting` is replaced at every heartbeat, never changed in place: share it.
        return AskedWithin(
            self.name, self.within, self.tool_floor, self.need, self.waiting, self.flagged
        )

    def key(self) -> MonitorKey:
        # The first due time only names the episode in a message: left out, as the search
        # keeps the first path to a state anyway.
        waiting = {(ref, count) for ref, (count, _) in self.waiting.items()}
        return frozenset(waiting) | {(ref, "flagged") for ref in self.flagged}


class RequestLiveness:
    @classmethod
    def start(cls, name: str, params: Params) -> Monitor:
        return AskedWithin(name, params[WITHIN.name], params[TOOL_FLOOR.name], needs_recovery)


class StaleRunCoverage:
    @classmethod
    def start(cls, name: str, params: Params) -> Monitor:
        return AskedWithin(
            name, params[COVERAGE_WITHIN.name], params[TOOL_FLOOR.name], needs_coverage
        )


LIVENESS = (
    Declared(
        REQUEST_LIVENESS,
        "bounded liveness",
        (WITHIN, TOOL_FLOOR),
        "a session that needs recovery (stale run in a processing or idle-queued record, or "
        "processing with no work past warn) is asked for within K heartbeats, whatever the "
        "warning throttles and however late the heartbeat fires",
        ("#92742", "#142200"),
        2,
        RequestLiveness,
    ),
    Declared(
        STALE_RUN_COVERAGE,
        "bounded liveness",
        (COVERAGE_WITHIN, TOOL_FLOOR),
        "an owned run with no progress past the abort threshold is asked for within K "
        "heartbeats whatever its record's state (idle with an empty queue, waiting)",
        (),
        4,
        StaleRunCoverage,
    ),
)
