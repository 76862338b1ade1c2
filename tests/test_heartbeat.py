"""Attention, classification (every branch), throttles and request building."""

from __future__ import annotations

import pytest

from probe.model.activity import ActivitySnapshot
from probe.model.heartbeat import (
    Classification,
    RecoveryRequest,
    build_request,
    classify,
    is_active_abort_eligible,
    passes_throttle,
)
from probe.model.state import SessionRecord
from probe.model.world import World
from probe.replay import replay
from probe.scenario.values import Advance, Tick
from probe.strategies import REGISTRY
from tests.helpers import REF, issue_session, scenario

WARN = 120_000
ABORT = 360_000


def snap(kind: str | None, *, embedded: bool = False, progress: int = 0, tool: int | None = None,
         reason: str = "x") -> ActivitySnapshot:
    return ActivitySnapshot(kind, embedded, tool, progress, reason)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("state", "queue", "activity", "expected"),
    [
        ("idle", 1, snap("tool_call", progress=WARN + 1), ("session.stuck", "queued_work_without_active_run")),
        ("idle", 1, snap("tool_call", embedded=True, progress=WARN + 1, tool=WARN + 1), ("session.stalled", "blocked_tool_call")),
        ("idle", 1, snap("embedded_run", embedded=True, reason="embedded_run:ended"), ("session.stalled", "queued_behind_terminal_active_work")),
        ("idle", 1, snap("embedded_run", embedded=True, reason="x output_item.done"), ("session.stalled", "queued_behind_terminal_active_work")),
        ("processing", 0, snap("embedded_run", embedded=True, progress=WARN + 1), ("session.stalled", "active_work_without_progress")),
        ("processing", 0, snap("model_call", embedded=True, progress=WARN), ("session.long_running", "active_work")),
        ("processing", 2, snap("model_call", embedded=True, progress=WARN), ("session.long_running", "queued_behind_active_work")),
        ("processing", 2, snap(None), ("session.stuck", "queued_work_without_active_run")),
        ("processing", 0, snap(None), ("session.stuck", "stale_session_state")),
    ],
)
def test_classification_branches(state: str, queue: int, activity: ActivitySnapshot,
                                 expected: tuple[str, str]) -> None:
    cls = classify(state, queue, activity, WARN)  # type: ignore[arg-type]
    assert (cls.event_type, cls.reason) == expected
    assert cls.recovery_eligible == (cls.event_type == "session.stuck")


def test_stuck_throttle_backs_off() -> None:
    rec = SessionRecord(REF, "processing", 0, 0, 0)
    stuck = classify("processing", 0, snap(None), WARN)
    ages = [WARN, WARN + 30_000, 2 * WARN, 3 * WARN, 4 * WARN, 6 * WARN]
    assert [passes_throttle(rec, stuck, a, WARN) for a in ages] == [True, False, True, False, True, False]


def test_stalled_is_never_throttled() -> None:
    rec = SessionRecord(REF, "idle", 0, 1, 0)
    stalled = classify("idle", 1, snap("embedded_run", embedded=True, progress=WARN + 1), WARN)
    assert all(passes_throttle(rec, stalled, WARN + 1, WARN) for _ in range(3))


def cls_of(kind: str, classification: str) -> Classification:
    return Classification("session.stalled", "r", classification, kind, False)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("cls", "activity", "age", "eligible"),
    [
        (cls_of("embedded_run", "stalled_agent_run"), snap("embedded_run"), ABORT, True),
        (cls_of("embedded_run", "stalled_agent_run"), snap("embedded_run"), ABORT - 1, False),
        (cls_of("tool_call", "blocked_tool_call"), snap("tool_call", tool=ABORT, progress=ABORT), 0, True),
        (cls_of("tool_call", "blocked_tool_call"), snap("tool_call", tool=ABORT - 1, progress=ABORT), 0, False),
        (cls_of("model_call", "stalled_agent_run"), snap("model_call", embedded=True, progress=ABORT), 0, True),
        (cls_of("model_call", "stalled_agent_run"), snap("model_call", progress=ABORT), 0, False),
    ],
)
def test_active_abort_eligibility(cls: Classification, activity: ActivitySnapshot, age: int,
                                  eligible: bool) -> None:
    assert is_active_abort_eligible(cls, activity, age, ABORT) == eligible


def test_request_shapes() -> None:
    rec = SessionRecord(REF, "processing", 4, 2, 0)
    stuck = classify("processing", 2, snap(None), WARN)
    assert build_request(rec, stuck, snap(None), 200_000, ABORT) == RecoveryRequest(
        REF, "processing", 4, 200_000, 2, stale_abort_ms=ABORT
    )
    stalled = cls_of("embedded_run", "stalled_agent_run")
    req = build_request(rec, stalled, snap("embedded_run"), ABORT, ABORT)
    assert req is not None and req.allow_active_abort and req.stale_abort_ms is None
    assert build_request(rec, stalled, snap("embedded_run"), ABORT - 1, ABORT) is None


def test_between_warn_and_abort_only_stalled_is_emitted() -> None:
    run = replay(scenario(Tick(), sessions=(issue_session(progress_age_ms=100_000),)), REGISTRY["fixed"])
    assert [e.type for e in run.events] == ["session.stalled"]


def test_idle_queued_stall_is_judged_by_progress_age() -> None:
    run = replay(scenario(Tick()), REGISTRY["fixed"])
    assert run.events[0].get("ageMs") == 400_000


def test_waiting_sessions_never_need_attention() -> None:
    sc = scenario(Advance(600_000), sessions=(issue_session(state="waiting"),))
    assert replay(sc, REGISTRY["fixed"]).events == ()


def test_configured_warn_changes_thresholds_and_out_of_range_is_ignored() -> None:
    w = World(scenario(Tick(), warn_ms=200_000), REGISTRY["fixed"])
    assert (w.warn_ms, w.abort_ms) == (200_000, 600_000)
    w = World(scenario(Tick(), warn_ms=999), REGISTRY["fixed"])
    assert (w.warn_ms, w.abort_ms) == (120_000, 360_000)
