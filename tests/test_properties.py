"""The property catalogue: each property fires on a minimal failing trace of an affected version
and stays silent on its healthy twin and on the versions that fixed the failure."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from probe.engines.engine import model_engine
from probe.model.world import World
from probe.properties.catalogue import CATALOGUE
from probe.properties.judge import Judge, judge
from probe.properties.selection import Choice
from probe.properties.trace import TRACE_EVENTS
from probe.run import Run
from probe.scenario.generate import GenerateOptions, generate
from probe.scenario.loader import parse_scenario
from probe.scenario.values import Scenario
from probe.strategies import REGISTRY


def scenario(text: str) -> Scenario:
    return parse_scenario('name = "t"\n' + text, "t.toml", REGISTRY.keys())


def run(s: Scenario, engine: str) -> Run:
    return model_engine(engine).replay(s)


def fired(s: Scenario, engine: str) -> set[str]:
    return set(run(s, engine).violation_names)


def ticks(n: int) -> str:
    return '[[step]]\ndo = "tick"\n' * n


# Issue 142200: every heartbeat 1.2 s late; from 7.2-beta.2 each late tick defers recovery.
LATE = """
[settings]
heartbeat_ms = {hb}
[[session]]
ref = "s"
queue_depth = 1
owner = "embedded_run"
abort = "honoured"
progress_age_ms = 400000
""" + ticks(6)

# Issue 92742: a stuck record the runtime leaves alone (skipped), warned about with back-off.
THROTTLED = """
[[session]]
ref = "s"
state = "processing"
owner = "embedded_run"
work = "none"
progress_age_ms = 100000
""" + ticks(14)

# Traffic on a processing record hides its stalled run (fixed by F20 in 8.1).
TOUCHED = """
[[session]]
ref = "s"
state = "processing"
owner = "embedded_run"
abort = "honoured"
progress_age_ms = 400000
[[step]]
do = "state"
session = "s"
to = "processing"
""" + ticks(2)

# An owned, stalled run in an idle record with nothing queued: no version looks at it.
IDLE_EMPTY = """
[[session]]
ref = "s"
owner = "embedded_run"
abort = "honoured"
progress_age_ms = {age}
""" + ticks(6)

# F02: an orphan tool marker survives an applied released before 5.31-beta.4.
ORPHAN = """
[[session]]
ref = "s"
queue_depth = 1
work = "{work}"
progress_age_ms = 200000
[[step]]
do = "tick"
[[step]]
do = "bump"
session = "s"
[[step]]
do = "tick"
"""

# A tick 25 s late makes a 350 s-old run look 375 s old to a build judging at the fired time.
LATE_ABORT = """
[settings]
heartbeat_ms = {hb}
[[session]]
ref = "s"
queue_depth = 1
owner = "embedded_run"
abort = "honoured"
progress_age_ms = 320000
[[step]]
do = "tick"
"""

# Issue 145152: a run that ignores the abort is force-cleared and reported aborted.
FORCE_CLEARED = """
[[session]]
ref = "s"
queue_depth = 1
owner = "embedded_run"
abort = "{abort}"
progress_age_ms = 370000
[[step]]
do = "tick"
[[step]]
do = "advance"
ms = 20000
"""


def test_request_liveness_flags_late_ticks_from_7_2_beta_2_only() -> None:
    late = scenario(LATE.format(hb=31_200))
    assert "request-liveness" in fired(late, "fixed@2026.9.6")
    assert "request-liveness" in fired(late, "fixed@2026.7.2-beta.2")
    assert "request-liveness" not in fired(late, "fixed@2026.7.1")
    on_time = scenario(LATE.format(hb=30_000))
    assert fired(on_time, "fixed@2026.9.6") == set()
    message = next(v.message for v in run(late, "fixed@2026.9.6").violations)
    assert "1200 ms late" in message and "within_heartbeats = 4" in message


def test_request_liveness_flags_the_throttle_back_off_before_6_8() -> None:
    s = scenario(THROTTLED)
    assert "request-liveness" in fired(s, "fixed@2026.6.6")
    assert "request-liveness" not in fired(s, "fixed@2026.6.8")
    assert "request-liveness" not in fired(s, "fixed@2026.9.6")


def test_futile_repeats_flags_a_skip_every_heartbeat_from_6_8() -> None:
    s = scenario(THROTTLED)
    assert "futile-repeats" in fired(s, "fixed@2026.9.6")
    assert "futile-repeats" in fired(s, "fixed@2026.6.8")
    assert "futile-repeats" not in fired(s, "fixed@2026.6.6")  # backs off instead
    message = next(
        v for v in run(s, "fixed@2026.9.6").violations if v.invariant == "futile-repeats"
    )
    assert "11 skipped/active_embedded_run outcomes in a row" in message.message
    # Progress between the skips: the same outcome, but the session is alive.
    alive = THROTTLED.replace(
        ticks(14), (ticks(3) + '[[step]]\ndo = "progress"\nsession = "s"\n') * 4
    )
    assert "futile-repeats" not in fired(scenario(alive), "fixed@2026.9.6")


def test_stall_reported_flags_a_stall_hidden_by_traffic_before_8_1() -> None:
    s = scenario(TOUCHED)
    assert "stall-reported" in fired(s, "fixed@2026.7.1")
    assert "stall-reported" not in fired(s, "fixed@2026.8.1")
    untouched = scenario(
        TOUCHED.replace('[[step]]\ndo = "state"\nsession = "s"\nto = "processing"\n', "")
    )
    assert "stall-reported" not in fired(untouched, "fixed@2026.7.1")


def test_stale_run_coverage_flags_an_idle_empty_record_on_every_version() -> None:
    stale = scenario(IDLE_EMPTY.format(age=400_000))
    for version in ("buggy", "fixed@2026.6.8", "fixed@2026.9.6"):
        assert "stale-run-coverage" in fired(stale, version)
    assert fired(scenario(IDLE_EMPTY.format(age=0)), "fixed@2026.9.6") == set()


def test_stale_evidence_flags_an_orphan_marker_before_5_31_beta_4() -> None:
    orphan = scenario(ORPHAN.format(work="tool_call"))
    assert "stale-evidence" in fired(orphan, "fixed@2026.5.31-beta.3")
    assert "stale-evidence" not in fired(orphan, "fixed@2026.5.31-beta.4")
    assert "stale-evidence" not in fired(scenario(ORPHAN.format(work="none")), "fixed")


def test_healthy_run_aborted_judges_a_late_tick_at_its_due_time() -> None:
    late = scenario(LATE_ABORT.format(hb=55_000))
    assert "healthy-run-aborted" in fired(late, "fixed@2026.7.1")
    assert "healthy-run-aborted" in fired(late, "fixed@2026.7.2-beta.1")
    # From 7.2-beta.2 ages are taken at the due time: no abort.
    assert "healthy-run-aborted" not in fired(late, "fixed@2026.9.6")
    message = next(v.message for v in run(late, "fixed@2026.7.1").violations)
    assert "350000 ms old" in message and "fired 25000 ms late" in message
    assert fired(scenario(LATE_ABORT.format(hb=30_000)), "fixed@2026.7.1") == set()


def test_truthful_outcome_flags_a_force_clear_reported_aborted() -> None:
    ignored = scenario(FORCE_CLEARED.format(abort="ignored"))
    for version in ("buggy", "fixed", "fixed@2026.9.6"):
        assert fired(ignored, version) == {"truthful-outcome"}
    assert fired(scenario(FORCE_CLEARED.format(abort="honoured")), "fixed@2026.9.6") == set()


def test_a_release_while_held_is_not_a_force_clear() -> None:
    held = scenario(
        FORCE_CLEARED.format(abort="ignored").replace(
            "[[session]]", '[settings]\ndrain = "hold"\n[[session]]'
        )
        + '[[step]]\ndo = "release"\n'
    )
    assert "truthful-outcome" not in fired(held, "fixed@2026.9.6")


def test_every_class_1_to_8_has_a_property() -> None:
    classes = {getattr(p, "failure_class", None) for p in CATALOGUE.values()}
    assert set(range(1, 9)) <= classes
    for name, prop in CATALOGUE.items():
        assert (
            name == prop.name
            and prop.meaning
            and prop.kind in ("safety", "bounded liveness", "bounded repeats")
        )


def test_parameters_change_the_verdict() -> None:
    late = scenario(
        LATE.format(hb=31_200) + "[properties.request-liveness]\nwithin_heartbeats = 6\n"
    )
    assert "request-liveness" not in fired(late, "fixed@2026.9.6")
    throttled = scenario(THROTTLED + "[properties.futile-repeats]\nmax_repeats = 20\n")
    assert "futile-repeats" not in fired(throttled, "fixed@2026.9.6")


def test_only_and_skip_choose_what_judges() -> None:
    base = scenario(THROTTLED)
    only = replace(base, properties=Choice(only=("futile-repeats",)))
    r = run(only, "fixed@2026.9.6")
    assert r.violation_names == ["futile-repeats"] and r.judged == ("futile-repeats",)
    skip = replace(base, properties=Choice(skip=("futile-repeats",)))
    assert "futile-repeats" not in fired(skip, "fixed@2026.9.6")


# --- the monitors fed step by step agree with the whole trace ----------------------------


def _incremental(s: Scenario, engine: str) -> list[tuple[str, int | None, str]]:
    """What explore sees: a World stepped one step at a time, the judge cloned at each."""
    e = model_engine(engine)
    world = World(s, e.strategy, behaviour=e.behaviour, keep_events=TRACE_EVENTS)
    checker = Judge.of(s)
    found = []
    for number, step in enumerate(s.steps, start=1):
        world.apply(number, step)
        checker = checker.clone()  # a search branches here: the clone must carry everything
        found += checker.step(number, step, world.bus.events)
        world.bus.events.clear()
    found += checker.finish(settled=not world.in_flight(), step=len(s.steps))
    return [(v.invariant, v.step, v.message) for v in found]


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 2**32), st.sampled_from(["buggy", "fixed", "fixed@2026.6.6", "fixed@2026.9.6"])
)
def test_monitors_agree_with_the_whole_trace(seed: int, engine: str) -> None:
    s = generate(random.Random(seed), GenerateOptions(timer_settings=True, max_steps=16))
    whole = run(s, engine)
    assert _incremental(s, engine) == [(v.invariant, v.step, v.message) for v in whole.violations]


def test_keys_are_equal_for_equal_futures() -> None:
    s = scenario(THROTTLED)
    a, b = Judge.of(s), Judge.of(s)
    assert a.key() == b.key() and hash(a.key()) == hash(b.key())
    verdict = judge(s, run(s, "fixed@2026.9.6").events, settled=True)
    assert verdict.judged == tuple(CATALOGUE)


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_each_property_can_be_listed_and_chosen_alone(name: str) -> None:
    s = replace(scenario(THROTTLED), properties=Choice(only=(name,)))
    assert run(s, "fixed@2026.9.6").judged == (name,)


# --- the real builds' recorded streams (tests/realdata) as a corpus -----------------------

# Every property that fires on a recorded real stream, and the openclaw failure it is. Both
# recorded builds (5.30-beta.1, 5.31-beta.1) predate the fixes of 6.8 and 8.1.
EXPLAINED = {
    # A run that ignores the abort, force-cleared after the 15 s drain, reported aborted: #145152.
    "many-heartbeats-settle": {"truthful-outcome"},
    "model-call-owned": {"truthful-outcome"},
    "tool-call-owned-settle": {"truthful-outcome"},
    "two-sessions-settle-bump": {"truthful-outcome"},
    "warn-ms-200000": {"truthful-outcome"},
    "warn-ms-out-of-range": {"truthful-outcome"},
    # The stuck warning's back-off spaces the asks 4, 8, 16 heartbeats apart: #92742 (6.8).
    "owner-no-work-stuck-throttle": {"request-liveness"},
    "owner-no-work-processing-queued-reclaim": {"request-liveness", "truthful-outcome"},
    # A state change hides a run stalled for 330 s until the record ages: F20 (8.1), #94701.
    "state-progress-steps": {"stall-reported"},
}
PAIRING_NAMES = {"phantom-request", "unmatched-request", "swallowed-request"}


def test_the_recorded_real_streams_show_only_explained_failures() -> None:
    import json

    from probe.engines.engine import run_from_events
    from probe.replay import replay
    from tests.test_realdata import CASES, _scenario

    seen: dict[str, set[str]] = {}
    for case in CASES:
        doc = json.loads(case.read_text())
        s = _scenario(doc["scenario"])
        for design in ("buggy", "fixed"):
            model = replay(s, REGISTRY[design])
            real = doc[design]
            steps = [e.step or 0 for e in model.events]
            build = run_from_events(
                design, "real", real["events"], steps, real["runtime_outcomes"], s
            )
            assert build.violation_names == model.violation_names, case.stem
            found = set(build.violation_names) - PAIRING_NAMES
            if found:
                seen.setdefault(case.stem, set()).update(found)
    assert seen == EXPLAINED
