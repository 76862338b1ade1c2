"""openclaw's own recovery test cases, translated into scenarios (tests/openclaw_cases/).

Each case names the openclaw test file and case it translates, the version of the era that
test asserts (config warn: up to 7.2-beta.3, here 2026.7.1; test timings: 2026.9.6), and what
the test asserts: the attention events (type, reason, active work kind, queue depth) and how
many recoveries are requested. The model of that era must show exactly that; the real build of
that era must agree with the model event for event (tests/engines/test_openclaw_cases_real.py,
`pytest -m real_build`).
Two cases assert a change in no published build (untracked active progress): for them the
table holds what every published build does, and the case says so.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from probe.engines.engine import model_engine
from probe.scenario.files import read_scenario
from probe.strategies import REGISTRY

CASES = Path(__file__).resolve().parent / "openclaw_cases"
CONFIG_ERA = "2026.7.1"
TIMINGS_ERA = "2026.9.6"

Attention = tuple[str, str, str | None, int]
STUCK, STALLED, LONG = "session.stuck", "session.stalled", "session.long_running"

# file stem: (era version, attention events in order, requests)
EXPECTED: dict[str, tuple[str, tuple[Attention, ...], int]] = {
    "attention-stale-state-without-queued-work": (
        TIMINGS_ERA,
        ((STUCK, "stale_session_state", None, 0),),
        1,
    ),
    "attention-queued-stale-state-without-active-work": (
        TIMINGS_ERA,
        ((STUCK, "queued_work_without_active_run", None, 1),),
        1,
    ),
    "attention-active-embedded-run-making-progress": (
        TIMINGS_ERA,
        ((LONG, "active_work", "embedded_run", 0),),
        0,
    ),
    "attention-queued-behind-active-work": (
        TIMINGS_ERA,
        ((LONG, "queued_behind_active_work", "embedded_run", 1),),
        0,
    ),
    "attention-queued-behind-terminal-embedded-progress": (
        TIMINGS_ERA,
        ((STALLED, "queued_behind_terminal_active_work", "embedded_run", 1),),
        0,
    ),
    "attention-active-work-without-progress": (
        TIMINGS_ERA,
        ((STALLED, "active_work_without_progress", "model_call", 0),),
        0,
    ),
    "attention-blocked-tool-call": (
        TIMINGS_ERA,
        ((STALLED, "blocked_tool_call", "tool_call", 0),),
        0,
    ),
    "attention-idle-queued-stale-model-activity": (
        TIMINGS_ERA,
        ((STUCK, "queued_work_without_active_run", None, 1),),
        1,
    ),
    "attention-idle-queued-stale-tool-activity": (
        TIMINGS_ERA,
        ((STUCK, "queued_work_without_active_run", None, 1),),
        1,
    ),
    "attention-processing-orphaned-activity": (
        TIMINGS_ERA,
        ((STALLED, "active_work_without_progress", "model_call", 1),),
        0,
    ),
    # openclaw asserts session.long_running for these two: in no published build.
    "attention-fresh-untracked-progress-queued": (
        TIMINGS_ERA,
        ((STUCK, "queued_work_without_active_run", None, 1),),
        1,
    ),
    "attention-fresh-untracked-progress": (
        TIMINGS_ERA,
        ((STUCK, "stale_session_state", None, 0),),
        1,
    ),
    "abort-stale-embedded-run-queued-work-refreshes-activity": (
        TIMINGS_ERA,
        ((STALLED, "active_work_without_progress", "embedded_run", 1),),
        1,
    ),
    "threshold-configured-warn": (CONFIG_ERA, ((STUCK, "stale_session_state", None, 0),), 1),
    "threshold-queued-stale-stays-eligible": (
        CONFIG_ERA,
        ((STUCK, "queued_work_without_active_run", None, 1),),
        1,
    ),
    "threshold-progress-keeps-quiet": (CONFIG_ERA, (), 0),
    "threshold-stalled-not-stuck": (
        CONFIG_ERA,
        ((STALLED, "active_work_without_progress", "embedded_run", 0),),
        0,
    ),
    "threshold-long-running-with-progress": (
        CONFIG_ERA,
        ((LONG, "active_work", "embedded_run", 0),),
        0,
    ),
    "threshold-queued-behind-progress": (
        CONFIG_ERA,
        ((LONG, "queued_behind_active_work", "embedded_run", 1),),
        0,
    ),
    "threshold-default-when-config-absent": (CONFIG_ERA, (), 0),
}
PATHS = sorted(CASES.glob("*.toml"))


def test_every_case_file_has_its_assertion_and_names_its_openclaw_test() -> None:
    assert {p.stem for p in PATHS} == set(EXPECTED)
    for path in PATHS:
        scenario = read_scenario(path, REGISTRY.keys())
        assert "openclaw test src/logging/" in scenario.description, path.name
        assert scenario.name.startswith("openclaw: "), path.name


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_the_model_of_the_tests_era_shows_what_the_test_asserts(path: Path) -> None:
    version, attention, requested = EXPECTED[path.stem]
    run = model_engine(f"fixed@{version}").replay(read_scenario(path, REGISTRY.keys()))
    seen = tuple(
        (e.type, f.get("reason"), f.get("activeWorkKind"), f.get("queueDepth"))
        for e in run.events
        if e.type in (STUCK, STALLED, LONG)
        for f in [dict(e.fields)]
    )
    assert seen == attention
    assert run.requested == requested
