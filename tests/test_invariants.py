"""Each invariant fires when it should and stays quiet when it should."""

from __future__ import annotations

from probe.invariants import (
    INVARIANTS,
    PHANTOM_REQUEST,
    SWALLOWED_REQUEST,
    UNMATCHED_REQUEST,
    InvariantChecker,
)
from probe.model.events import COMPLETED, REQUESTED, Event, payload
from probe.model.heartbeat import RecoveryRequest
from probe.replay import replay
from probe.scenario.values import Bump, Release, Tick
from probe.strategies import REGISTRY
from tests.helpers import REF, issue_session, scenario


def ev(seq: int, type_: str, ref: str, gen: int, age: int, **extra: object) -> Event:
    fields = payload(state="idle", stateGeneration=gen, ageMs=age, queueDepth=1, **extra)  # type: ignore[arg-type]
    return Event(seq, seq * 1000, seq, type_, ref, fields)


def test_every_invariant_has_a_meaning() -> None:
    assert set(INVARIANTS) == {PHANTOM_REQUEST, UNMATCHED_REQUEST, SWALLOWED_REQUEST}
    assert all(m and "\n" not in m for m in INVARIANTS.values())


def test_phantom_fires_on_a_second_request_while_the_first_is_open() -> None:
    c = InvariantChecker()
    assert c.observe(ev(1, REQUESTED, REF, 0, 1)) == []
    found = c.observe(ev(2, REQUESTED, REF, 1, 2))
    assert [v.invariant for v in found] == [PHANTOM_REQUEST] and found[0].step == 2


def test_phantom_quiet_once_the_first_has_completed() -> None:
    c = InvariantChecker()
    c.observe(ev(1, REQUESTED, REF, 0, 1))
    c.observe(ev(2, COMPLETED, REF, 0, 1, status="aborted"))
    assert c.observe(ev(3, REQUESTED, REF, 1, 2)) == []


def test_phantom_quiet_across_refs() -> None:
    c = InvariantChecker()
    c.observe(ev(1, REQUESTED, "a", 0, 1))
    assert c.observe(ev(2, REQUESTED, "b", 0, 1)) == []


def test_unmatched_fires_only_when_everything_settled() -> None:
    c = InvariantChecker()
    c.observe(ev(1, REQUESTED, REF, 0, 1))
    assert c.finish(settled=False, step=1) == []
    assert [v.invariant for v in c.finish(settled=True, step=1)] == [UNMATCHED_REQUEST]


def test_unmatched_quiet_when_matched() -> None:
    c = InvariantChecker()
    c.observe(ev(1, REQUESTED, REF, 0, 1))
    c.observe(ev(2, COMPLETED, REF, 0, 1, status="aborted"))
    assert c.finish(settled=True, step=2) == []


def test_swallowed_fires_when_the_coordinator_absorbs_with_nothing_in_flight() -> None:
    c = InvariantChecker()
    skip = ev(1, COMPLETED, "b", 0, 1, status="skipped", outcomeReason="already_in_flight")
    assert [v.invariant for v in c.observe(skip)] == [SWALLOWED_REQUEST]


def test_swallowed_quiet_for_a_genuine_repeat() -> None:
    c = InvariantChecker()
    c.observe(ev(1, REQUESTED, REF, 0, 1))
    skip = ev(2, COMPLETED, REF, 0, 2, status="skipped", outcomeReason="already_in_flight")
    assert c.observe(skip) == [] and c.coordinator_absorbed == 1


class OneKey:
    """A deliberately broken strategy: one key for every session."""

    name = "one-key"
    summary = "every request shares one key"

    def key(self, request: RecoveryRequest) -> str:
        return "all"


def test_a_key_that_ignores_the_ref_swallows_another_sessions_recovery() -> None:
    sessions = (issue_session(ref="a", progress_age_ms=380_000), issue_session(ref="b"))
    run = replay(scenario(Tick(), sessions=sessions, drain="hold"), OneKey())
    assert run.violation_names == [SWALLOWED_REQUEST]
    fixed = replay(scenario(Tick(), sessions=sessions, drain="hold"), REGISTRY["fixed"])
    assert fixed.violations == ()


def test_model_runs_check_invariants_step_by_step() -> None:
    run = replay(scenario(Tick(), Bump(REF), Tick(), Release(), drain="hold"), REGISTRY["buggy"])
    assert [(v.invariant, v.step) for v in run.violations] == [(PHANTOM_REQUEST, 3)]


def test_an_absorbed_ask_alike_a_held_request_is_not_its_completion() -> None:
    # A record pruned while its recovery is held comes back and reaches the held request's
    # generation, age and queue again: the coordinator's answer to the new ask has the same
    # fields, but the held request is still in flight (explore's 91-step swallowed-request).
    c = InvariantChecker()
    c.observe(ev(1, REQUESTED, REF, 2, 5))
    skip = ev(3, COMPLETED, REF, 2, 5, status="skipped", outcomeReason="already_in_flight")
    assert c.observe(skip) == [] and c.coordinator_absorbed == 1
    assert (
        c.observe(ev(4, COMPLETED, REF, 2, 5, status="skipped", outcomeReason="already_in_flight"))
        == []
    )
    assert [v.invariant for v in c.finish(settled=True, step=4)] == [UNMATCHED_REQUEST]
    c.observe(ev(5, COMPLETED, REF, 2, 5, status="aborted"))
    assert c.open_requests[REF] == () and c.finish(settled=True, step=5) == []


def test_the_runtime_absorbing_a_request_at_its_instant_completes_it() -> None:
    c = InvariantChecker()
    c.observe(ev(1, REQUESTED, REF, 0, 1))
    same = Event(
        2,
        1000,
        1,
        COMPLETED,
        REF,
        ev(1, COMPLETED, REF, 0, 1, status="skipped", outcomeReason="already_in_flight").fields,
    )
    assert c.observe(same) == [] and c.coordinator_absorbed == 0
    assert c.finish(settled=True, step=1) == []
