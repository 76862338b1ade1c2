"""Every runtime outcome, abort-and-drain in both drain modes, and outcome application."""

from __future__ import annotations

from probe.model.heartbeat import RecoveryRequest
from probe.model.world import World
from probe.replay import replay
from probe.run import Run
from probe.scenario.values import Advance, Bump, Release, StateChange, Tick
from probe.strategies import REGISTRY
from tests.helpers import REF, issue_session, scenario


def run(*steps: object, strategy: str = "fixed", sessions: object = None, **settings: object) -> Run:
    sc = scenario(*steps, sessions=sessions, **settings)  # type: ignore[arg-type]
    return replay(sc, REGISTRY[strategy])


def completed(r: Run) -> list[dict[str, object]]:
    return [e.as_dict() for e in r.events if e.type == "session.recovery.completed"]


def test_runtime_already_in_flight_has_no_work_kind() -> None:
    r = run(Tick(), Bump(REF), Tick(), strategy="buggy", drain="hold")
    skip = completed(r)[0]
    assert (skip["status"], skip["outcomeReason"]) == ("skipped", "already_in_flight")
    assert "activeWorkKind" not in skip and "layer" not in skip


def test_coordinator_already_in_flight_carries_the_classification_kind() -> None:
    r = run(Tick(), Tick(), drain="hold")
    skip = completed(r)[0]
    assert skip["activeWorkKind"] == "embedded_run" and skip["layer"] == "coordinator"


def test_stale_session_state_when_the_record_is_not_current() -> None:
    w = World(scenario(Tick()), REGISTRY["fixed"])
    moved = RecoveryRequest(REF, "idle", 5, 1, 1, allow_active_abort=True)
    outcome = w.runtime.call(moved, REF, 0)
    assert outcome is not None and outcome.outcome.label == "skipped/stale_session_state"


def test_active_embedded_run_when_progress_is_not_stale_enough_to_reclaim() -> None:
    # Processing, no active work: session.stuck asks at 150 s, but the owner's progress is
    # younger than the 360 s reclaim threshold, so the runtime keeps its hands off.
    session = issue_session(state="processing", queue_depth=1, work="none", progress_age_ms=0)
    r = run(Advance(150_000), sessions=(session,))
    assert list(r.runtime_outcomes) == ["skipped/active_embedded_run"]
    assert completed(r)[0]["activeWorkKind"] == "embedded_run"


def test_stale_reclaim_aborts_an_owned_run_with_queued_work() -> None:
    session = issue_session(state="processing", queue_depth=1, work="none", progress_age_ms=400_000)
    r = run(Tick(), sessions=(session,), drain="settle")
    assert list(r.runtime_outcomes) == ["pending"]
    r = run(Tick(), Advance(15_000), sessions=(session,), drain="settle")
    assert list(r.runtime_outcomes) == ["aborted/abort_embedded_run"]


def test_honoured_abort_ends_the_run_at_once_and_applies() -> None:
    r = run(Tick(), sessions=(issue_session(abort="honoured"),))
    assert [(e.type, e.get("reason")) for e in r.events] == [
        ("session.stalled", "active_work_without_progress"),
        ("session.recovery.requested", "active_work_without_progress"),
        ("session.state", "run_completed"),
        ("session.state", "stuck_recovery:aborted"),
        ("session.recovery.completed", None),
    ]
    assert list(r.runtime_outcomes) == ["aborted/abort_embedded_run"]
    assert r.events[-2].get("queueDepth") == 0


def test_settle_timer_force_clears_after_settle_ms() -> None:
    r = run(Tick(), Advance(14_999), drain="settle")
    assert list(r.runtime_outcomes) == ["pending"]
    r = run(Tick(), Advance(15_000), drain="settle")
    clear = [e for e in r.events if e.type == "session.state"][0]
    assert (clear.at_ms, clear.get("reason")) == (45_000, "stuck_recovery")
    assert dict(r.coverage)["settle_force_clears"] == 1


def test_settle_timer_is_at_least_100_ms() -> None:
    r = run(Tick(), Advance(99), drain="settle", settle_ms=0)
    assert list(r.runtime_outcomes) == ["pending"]
    r = run(Tick(), Advance(100), drain="settle", settle_ms=0)
    assert list(r.runtime_outcomes) == ["aborted/abort_embedded_run"]


def test_heartbeat_due_with_the_settle_timer_fires_first() -> None:
    r = run(Tick(), Tick(), drain="settle", settle_ms=30_000, strategy="buggy")
    types = [(e.at_ms, e.type) for e in r.events if e.at_ms == 60_000]
    assert types[0] == (60_000, "session.stalled")
    assert types[-1] == (60_000, "session.recovery.completed")


def test_hold_keeps_the_recovery_until_release() -> None:
    r = run(Tick(), Advance(600_000), drain="hold")
    assert r.runtime_outcomes[0] == "pending"
    assert dict(r.coverage)["settle_force_clears"] == 0


def test_released_and_noop_without_an_owner() -> None:
    queued = issue_session(owner="none", work="embedded_run", progress_age_ms=400_000)
    r = run(Tick(), sessions=(queued,))
    assert list(r.runtime_outcomes) == ["released/release_lane"]
    state = [e for e in r.events if e.type == "session.state"][0]
    assert (state.get("reason"), state.get("queueDepth")) == ("stuck_recovery:released", 0)
    empty = issue_session(state="processing", queue_depth=0, owner="none", work="none",
                          progress_age_ms=130_000)
    r = run(Tick(), sessions=(empty,))
    assert list(r.runtime_outcomes) == ["noop/no_active_work"]


def test_processing_abort_is_stale_once_the_run_has_ended() -> None:
    # Only an idle request tolerates the abort's own generation bump.
    session = issue_session(state="processing", queue_depth=0, abort="honoured", progress_age_ms=400_000)
    r = run(Tick(), sessions=(session,))
    last = completed(r)[-1]
    assert last["stale"] is True


def test_failed_release_frees_both_layers_and_keeps_the_run() -> None:
    r = run(Tick(), Release(failed=True), Tick(), drain="hold")
    assert list(r.runtime_outcomes) == ["failed/exception", "pending"]
    assert r.requested == 2 and not r.violations


def test_idle_abort_tolerates_one_generation() -> None:
    r = run(Tick(), Release(), drain="hold")
    assert "stale" not in completed(r)[-1]
    r = run(Tick(), StateChange(REF, "idle"), Release(), drain="hold")
    assert completed(r)[-1]["stale"] is True
