"""enqueue: a session's command lane with active and queued tasks, and what recovery does to it."""

from __future__ import annotations

import pytest

from probe.engines.engine import model_engine, normalized
from probe.errors import ScenarioError
from probe.model.lanes import Lane, enqueue, finish_quick, reset
from probe.run import Run
from probe.scenario.dump import dump_scenario
from probe.scenario.loader import parse_scenario
from probe.scenario.values import Enqueue, Scenario
from probe.strategies import REGISTRY
from probe.versions import design_of


def test_a_lane_runs_one_task_at_a_time_and_a_reset_releases_the_active_ones() -> None:
    lane, nxt = enqueue(Lane(), "blocked", 1)
    assert (lane.active, lane.queued, nxt) == ((1,), (), 2)
    lane, nxt = enqueue(lane, "quick", nxt)
    assert (lane.active, lane.queued) == ((1,), ("quick",))
    lane, nxt, released = reset(lane, nxt)
    # The queued quick task starts at once and ends when the microtasks run.
    assert (released, lane.active, lane.finishing, lane.queued) == (1, (2,), (2,), ())
    lane, nxt = finish_quick(lane, nxt)
    assert lane.idle and nxt == 3
    assert reset(Lane(), 7) == (Lane(), 7, 0)


def test_a_finished_quick_task_pumps_the_next_blocked_one() -> None:
    lane, nxt = enqueue(Lane(), "quick", 1)
    lane, nxt = enqueue(lane, "blocked", nxt)
    lane, nxt = finish_quick(lane, nxt)
    assert (lane.active, lane.finishing, lane.queued) == ((2,), (), ())


HEAD = """\
name = "lanes"
[[session]]
ref = "a"
state = "{state}"
queue_depth = {depth}
owner = "{owner}"
abort = "{abort}"
progress_age_ms = {age}
"""


def _load(
    steps: str,
    *,
    state: str = "processing",
    depth: int = 1,
    owner: str = "none",
    abort: str = "ignored",
    age: int = 200_000,
) -> Scenario:
    head = HEAD.format(state=state, depth=depth, owner=owner, abort=abort, age=age)
    return parse_scenario(head + steps, "lanes.toml", REGISTRY.keys())


def enqueue_step(task: str = "blocked") -> str:
    return f'[[step]]\ndo = "enqueue"\nsession = "a"\ntask = "{task}"\n'


def recover_step(age_ms: int) -> str:
    return f'[[step]]\ndo = "recover"\nsession = "a"\nage_ms = {age_ms}\n'


TICK = '[[step]]\ndo = "tick"\n'


def _run(scenario: Scenario, version: str) -> Run:
    return model_engine(f"{design_of(version)}@{version}").replay(scenario)


def _completed(run: Run) -> list[dict[str, object]]:
    return [dict(e.fields) for e in run.events if e.type == "session.recovery.completed"]


def test_enqueue_loads_dumps_back_and_reaches_the_harness() -> None:
    scenario = _load(enqueue_step() + enqueue_step("quick"))
    assert scenario.steps == (Enqueue("a"), Enqueue("a", "quick"))
    assert parse_scenario(dump_scenario(scenario), "x.toml", REGISTRY.keys()).steps == (
        scenario.steps
    )
    assert normalized(scenario)["steps"] == [
        {"do": "enqueue", "session": "a", "task": "blocked"},
        {"do": "enqueue", "session": "a", "task": "quick"},
    ]


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ('[[step]]\ndo = "enqueue"\n', "step[1].session", "required key is missing"),
        (enqueue_step("slow"), "step[1].task", "'slow' is not one of: blocked, quick"),
        (enqueue_step() + "id = 1\n", "step[1].id", "unknown key"),
    ],
)
def test_bad_enqueue_steps_are_located_errors(text: str, where: str, message: str) -> None:
    with pytest.raises(ScenarioError) as err:
        _load(text)
    (problem,) = err.value.problems
    assert problem.where == where and message in problem.message and problem.line is not None


@pytest.mark.parametrize(
    ("version", "outcomes"),
    [
        ("2026.6.35", ["skipped/active_lane_task", "skipped/active_lane_task"]),
        ("2026.7.1", ["skipped/active_lane_task", "released/stale_lane_task"]),
        ("2026.9.6", ["skipped/active_lane_task", "released/stale_lane_task"]),
    ],
)
def test_an_active_lane_task_holds_the_lane_until_the_era_calls_it_stale(
    version: str, outcomes: list[str]
) -> None:
    run = _run(_load(enqueue_step() + recover_step(299_999) + recover_step(300_000)), version)
    assert list(run.runtime_outcomes) == outcomes


def test_a_kept_lane_changes_nothing_and_a_stale_release_clears_the_queue() -> None:
    run = _run(_load(enqueue_step() + enqueue_step("quick") + TICK, age=400_000), "2026.9.6")
    # The heartbeat asks with ageMs 430 000: stale; one task released, one queued.
    (done,) = _completed(run)
    assert (done["status"], done["outcomeReason"], done["released"]) == (
        "released",
        "stale_lane_task",
        1,
    )
    # 8.1-beta.3 on: a reported queuedCount keeps the queue from being cleared.
    (state,) = [e for e in run.events if e.type == "session.state"]
    assert state.get("queueDepth") == 0
    kept = _run(_load(enqueue_step() + TICK), "2026.6.35")
    assert [e.type for e in kept.events if e.type == "session.state"] == []
    assert "released" not in _completed(kept)[0]


@pytest.mark.parametrize(
    ("version", "released", "queue"),
    [("2026.5.31-beta.1", None, 1), ("2026.6.35", 1, 1), ("2026.9.6", 1, 1)],
)
def test_a_drained_abort_resets_the_lane_from_66_and_reports_what_it_released(
    version: str, released: int | None, queue: int
) -> None:
    scenario = _load(
        enqueue_step() + enqueue_step("quick") + TICK,
        state="idle",
        owner="embedded_run",
        abort="honoured",
        age=400_000,
    )
    run = _run(scenario, version)
    (done,) = _completed(run)
    assert done["status"] == "aborted" and done.get("released") == released
    # The record after: the run's end took one queued message (0); the outcome reports a
    # queued lane task for an idle request, so the request's queueDepth (1) is kept in each era.
    last = [e for e in run.events if e.type == "session.state"][-1]
    assert last.get("queueDepth") == queue


def test_a_lane_task_started_during_the_abort_keeps_the_lane_from_66() -> None:
    steps = TICK + enqueue_step() + '[[step]]\ndo = "advance"\nms = 15000\n'
    scenario = _load(steps, state="idle", owner="embedded_run", age=400_000)
    # The lane was idle when the abort began; the task that started during it is fresh.
    fresh = _completed(_run(scenario, "2026.9.6"))[0]
    assert "released" not in fresh
    # Up to 6.5 the force-cleared run's lane is reset whatever started.
    assert _completed(_run(scenario, "2026.5.31-beta.1"))[0]["released"] == 1


def test_the_compaction_safety_window_delays_a_stale_lane_release() -> None:
    compaction = "compaction_safety_ms = 600000\n"
    scenario = _load(
        enqueue_step() + recover_step(614_999) + compaction + recover_step(615_000) + compaction
    )
    # Released only once ageMs reaches 600 000 + the 15 000 settle time.
    assert list(_run(scenario, "2026.9.6").runtime_outcomes) == [
        "skipped/active_lane_task",
        "released/stale_lane_task",
    ]
