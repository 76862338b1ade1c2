"""Why nothing was asked, in the words of what happened: a deferred late tick, a slow tick, a
throttle step, an idle record the heartbeat never looks at, a session under (or past) the
abort threshold."""

from __future__ import annotations

from dataclasses import replace

from probe.engines.engine import model_engine
from probe.invariants import OBSERVED_EVENTS
from probe.model.world import World
from probe.run import Run
from probe.scenario.files import read_scenario
from probe.scenario.loader import parse_scenario
from probe.scenario.values import Scenario, Tick
from probe.strategies import REGISTRY
from tests.conftest import SCENARIOS

FAILURES = SCENARIOS / "failures"


def _load(name: str) -> Scenario:
    """The library's scenario without its [expect.*] tables: a table that already records
    what happens (no request, or how many) silences the note that would explain it."""
    return replace(read_scenario(FAILURES / f"{name}.toml", REGISTRY.keys()), expect=())


def _run(scenario: Scenario, version: str) -> Run:
    return model_engine(f"fixed@{version}").replay(scenario)


def _one_session(
    state: str, work: str, owner: str, age: int, ticks: int = 1, **settings: int
) -> Scenario:
    lines = ['name = "x"']
    if settings:
        lines.append("[settings]")
        lines += [f"{k} = {v}" for k, v in settings.items()]
    lines += [
        "[[session]]",
        'ref = "s"',
        f'state = "{state}"',
        f'owner = "{owner}"',
        f'work = "{work}"',
        f"progress_age_ms = {age}",
    ]
    lines += ['[[step]]\ndo = "tick"'] * ticks
    return parse_scenario("\n".join(lines) + "\n", "x.toml", REGISTRY.keys())


def test_issue_142200_late_ticks_are_named_not_the_abort_threshold() -> None:
    # The issue's case: heartbeat_ms = 31200 on 9.6, 8 ticks, the session past the threshold.
    run = _run(_load("c2-late-ticks-never-asked"), "2026.9.6")
    assert run.requested == 0
    (note,) = run.notes
    assert note.startswith(
        "nothing was asked: 'agent:main:direct' needed attention (session.stalled, "
        "stalled_agent_run) at 8 heartbeat(s), t=31200 .. 249600 ms, and none asked for recovery"
    )
    assert "each fired 1200 ms late against openclaw's 30000 ms interval" in note
    assert "defers a late heartbeat's recovery requests" in note and "142200" in note
    assert "abort threshold" not in note
    # Before the deferral (7.2-beta.1) the same scenario asks, so there is no such note.
    assert _run(_load("c2-late-ticks-never-asked"), "2026.7.2-beta.1").notes == ()


def test_a_slow_tick_skipped_by_7_2_beta_1_is_named() -> None:
    slow = _one_session("processing", "none", "none", 200_000, heartbeat_ms=100_000)
    (note,) = _run(slow, "2026.7.2-beta.1").notes
    assert "(session.stuck, stale_session_state) at 1 heartbeat(s), t=100000 ms" in note
    assert "more than 90000 ms after the previous one" in note
    assert _run(slow, "2026.7.1").requested == 1


def test_a_throttle_step_before_6_8_is_named_where_requests_thin_out() -> None:
    throttled = _load("c2-throttled-recovery")
    before = _run(throttled, "2026.6.6")
    assert before.requested == 3
    (note,) = before.notes
    assert note.startswith("'agent:main:direct' was asked for less often than it needed: at 13")
    assert "session.stuck warning was inside its back-off" in note and "92742" in note
    assert _run(throttled, "2026.6.8").notes == ()


def test_an_idle_record_with_an_empty_queue_is_never_looked_at() -> None:
    (note,) = _run(_load("c4-idle-owned-stale-run"), "2026.9.6").notes
    assert note.endswith(
        "'agent:main:direct' is idle with nothing queued, a record the heartbeat never looks "
        "at, though its embedded_run has made no progress since t=-400000 ms"
    )
    # With no run behind it, it is only idle with nothing queued.
    (plain,) = _run(_one_session("idle", "none", "none", 400_000), "2026.9.6").notes
    assert plain.endswith("'s' is idle with nothing queued")


def test_a_session_under_the_abort_threshold_says_how_far_under() -> None:
    (note,) = _run(_load("c7-late-tick-aborts-healthy-run-control"), "2026.9.6").notes
    assert "asked for only once past the abort threshold, abort_ms = 360000 ms" in note
    assert "it was at 355000 ms" in note


def test_past_the_abort_threshold_the_note_names_what_held_it_back() -> None:
    tool = _one_session("processing", "tool_call", "embedded_run", 400_000)
    (note,) = _run(tool, "2026.9.6").notes
    assert "past the abort threshold (abort_ms = 360000 ms, at 430000 ms)" in note
    assert "aborts a blocked tool call only once the call and its progress are 900000 ms" in note
    assert _run(tool, "2026.7.1").requested == 1  # no floor on the 7.1 line
    model = _one_session("processing", "model_call", "none", 400_000)
    (note,) = _run(model, "2026.7.1-beta.2").notes
    assert "aborts a model call only under an active embedded run" in note
    assert _run(model, "2026.7.1").requested == 1


def test_the_library_s_own_tables_silence_the_notes() -> None:
    for name, version in (
        ("c2-late-ticks-never-asked", "2026.9.6"),
        ("c2-throttled-recovery", "2026.6.6"),
    ):
        scenario = read_scenario(FAILURES / f"{name}.toml", REGISTRY.keys())
        assert _run(scenario, version).notes == ()


def test_a_search_keeps_no_reasons() -> None:
    world = World(
        _load("c2-late-ticks-never-asked"),
        REGISTRY["fixed"],
        keep_events=OBSERVED_EVENTS,
        behaviour=model_engine("fixed@2026.9.6").behaviour,
    )
    world.apply(1, Tick())
    assert world.unasked == []
