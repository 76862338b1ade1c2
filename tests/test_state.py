"""The session state store and its mutators."""

from __future__ import annotations

from probe.model.state import MAX_ENTRIES, SESSION_STATE_TTL_MS, SessionStore
from probe.model.world import World
from probe.scenario.values import Bump, Progress, Release, StateChange, Tick
from probe.strategies import REGISTRY
from tests.helpers import REF, issue_session, scenario


def world(*sessions: object, **settings: object) -> World:
    sc = scenario(Tick(), sessions=sessions or None, **settings)  # type: ignore[arg-type]
    return World(sc, REGISTRY["fixed"])


def test_bump_queues_and_bumps_generation_only() -> None:
    w = world()
    rec = w.store.records[REF]
    rec.last_stuck_warn_age = 5
    w.apply(1, Bump(REF))
    assert (rec.state, rec.generation, rec.queue_depth, rec.last_activity) == ("idle", 1, 2, 0)
    assert rec.last_stuck_warn_age is None
    assert w.activity[REF].last_progress_at == -370_000  # run progress untouched
    assert [e.type for e in w.bus.events] == ["message.queued"]
    assert w.bus.events[0].get("queueDepth") == 2


def test_state_change_to_idle_drains_one_queued_message() -> None:
    w = world(issue_session(state="processing", queue_depth=2))
    w.apply(1, StateChange(REF, "idle"))
    rec = w.store.records[REF]
    assert (rec.state, rec.generation, rec.queue_depth) == ("idle", 1, 1)
    event = w.bus.events[0]
    assert (event.get("prevState"), event.get("state"), event.get("reason")) == (
        "processing",
        "idle",
        "scenario",
    )


def test_state_change_to_processing_keeps_the_queue() -> None:
    w = world()
    w.apply(1, StateChange(REF, "processing"))
    assert (w.store.records[REF].queue_depth, w.store.records[REF].generation) == (1, 1)


def test_progress_moves_both_marks_and_bumps_generation() -> None:
    w = world()
    w.clock.now = 1_000
    w.apply(1, Progress(REF))
    assert w.store.records[REF].generation == 1
    assert w.store.records[REF].last_activity == 1_000
    assert w.activity[REF].last_progress_at == 1_000
    assert w.bus.events == []


def test_progress_never_creates_work() -> None:
    w = world(issue_session(owner="none", work="none"))
    w.apply(1, Progress(REF))
    snap = w.activity[REF].snapshot(0)
    assert snap.work_kind is None and not snap.has_active_embedded_run


def test_release_ends_the_run_and_its_activity() -> None:
    w = world()
    w.apply(1, Release())
    rec = w.store.records[REF]
    assert REF not in w.handles
    assert (rec.state, rec.generation, rec.queue_depth) == ("idle", 1, 0)
    assert w.activity[REF].snapshot(0).work_kind is None
    assert w.bus.events[0].get("reason") == "run_completed"


def test_release_without_a_run_does_nothing() -> None:
    w = world(issue_session(owner="none", work="none"))
    w.apply(1, Release())
    assert w.bus.events == []


def test_prune_forgets_quiet_idle_empty_records_only() -> None:
    store = SessionStore()
    for ref, state, queue in (("a", "idle", 0), ("b", "idle", 1), ("c", "processing", 0)):
        rec = store.create(ref, 0)
        rec.state, rec.queue_depth = state, queue  # type: ignore[assignment]
    assert store.prune(SESSION_STATE_TTL_MS, force=True) == []
    assert store.prune(SESSION_STATE_TTL_MS + 1, force=True) == ["a"]
    assert list(store.records) == ["b", "c"]


def test_prune_waits_sixty_seconds_unless_forced() -> None:
    store = SessionStore()
    store.create("a", 0)  # creating prunes (forced) at 0
    store.records["a"].last_activity = -SESSION_STATE_TTL_MS - 1
    assert store.prune(59_999) == []
    assert store.prune(60_000) == ["a"]


def test_prune_caps_the_store_oldest_first() -> None:
    store = SessionStore()
    for i in range(MAX_ENTRIES + 3):
        rec = store.create(f"s{i}", i)
        rec.queue_depth = 1  # not idle-empty, so only the cap removes it
    assert len(store.records) == MAX_ENTRIES
    assert "s0" not in store.records and "s2" not in store.records and "s3" in store.records


def test_mutator_on_forgotten_session_starts_a_fresh_record() -> None:
    """SPEC: a bump on a forgotten session gives generation 1, at the end of the order."""
    quiet = issue_session(ref="quiet", queue_depth=0, generation=7, progress_age_ms=2_000_000)
    w = world(quiet, issue_session(ref="other", progress_age_ms=0))
    w.apply(1, Tick())  # the heartbeat prunes first
    assert "quiet" not in w.store.records
    assert "quiet" in w.handles  # forgetting a record leaves the run handle
    w.apply(2, Bump("quiet"))
    rec = w.store.records["quiet"]
    assert (rec.generation, rec.queue_depth, rec.state) == (1, 1, "idle")
    assert list(w.store.records) == ["other", "quiet"]
