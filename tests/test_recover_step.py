"""recover: the recovery runtime called directly, as openclaw's runtime and integration tests do."""

from __future__ import annotations

import pytest

from probe.engines.engine import model_engine, normalized
from probe.errors import ScenarioError
from probe.scenario.dump import dump_scenario
from probe.scenario.loader import parse_scenario
from probe.scenario.values import Recover, Scenario
from probe.strategies import REGISTRY

HEAD = """\
name = "recover"
[[session]]
ref = "a"
state = "processing"
queue_depth = 1
owner = "embedded_run"
abort = "{abort}"
progress_age_ms = 400000
[settings]
drain = "{drain}"
"""


def _load(steps: str, abort: str = "ignored", drain: str = "settle") -> Scenario:
    text = HEAD.format(abort=abort, drain=drain) + steps
    return parse_scenario(text, "recover.toml", REGISTRY.keys())


def recover(extra: str = "") -> str:
    return f'[[step]]\ndo = "recover"\nsession = "a"\n{extra}'


def _outcomes(scenario: Scenario, version: str = "2026.9.6") -> list[str]:
    return list(model_engine(f"fixed@{version}").replay(scenario).runtime_outcomes)


def test_recover_loads_dumps_back_and_reaches_the_harness_with_the_arguments_given() -> None:
    scenario = _load(
        recover("allow_active_abort = true\nage_ms = 720000\nqueue_depth = 1\n")
        + recover('generation = 3\nexpected_state = "idle"\nstale_abort_ms = 1000\n')
        + recover()
    )
    assert scenario.steps == (
        Recover("a", True, 720_000, 1),
        Recover("a", generation=3, expected_state="idle", stale_abort_ms=1000),
        Recover("a"),
    )
    again = parse_scenario(dump_scenario(scenario), "again.toml", REGISTRY.keys())
    assert again.steps == scenario.steps
    assert normalized(scenario)["steps"] == [
        {
            "do": "recover",
            "session": "a",
            "allow_active_abort": True,
            "age_ms": 720000,
            "queue_depth": 1,
        },
        {
            "do": "recover",
            "session": "a",
            "generation": 3,
            "expected_state": "idle",
            "stale_abort_ms": 1000,
        },
        {"do": "recover", "session": "a"},
    ]


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ('[[step]]\ndo = "recover"\n', "step[1].session", "required key is missing"),
        ('[[step]]\ndo = "recover"\nsession = "b"\n', "step[1].session", "no [[session]]"),
        (recover("allow_active_abort = 1\n"), "step[1].allow_active_abort", "must be a boolean"),
        (recover("age_ms = -1\n"), "step[1].age_ms", "out of range"),
        (recover("queue_depth = 4294967296\n"), "step[1].queue_depth", "out of range"),
        (recover('generation = "0"\n'), "step[1].generation", "must be an integer"),
        (recover('generation = 0\nexpected_state = "x"\n'), "step[1].expected_state", "not one"),
        (recover('work = "tool_call"\n'), "step[1].work", "unknown key"),
    ],
)
def test_bad_recover_steps_are_located_errors(text: str, where: str, message: str) -> None:
    with pytest.raises(ScenarioError) as err:
        _load(text)
    (problem,) = err.value.problems
    assert problem.where == where and message in problem.message and problem.line is not None


def test_expected_state_without_generation_is_a_note_not_an_error() -> None:
    scenario = _load(recover('expected_state = "idle"\n'))
    assert any("expected_state has no effect without generation" in n for n in scenario.notes)


def test_no_coordinator_applies_a_direct_outcome_and_no_recovery_event_is_emitted() -> None:
    run = model_engine("fixed@2026.9.6").replay(
        _load(recover("allow_active_abort = true\nqueue_depth = 1\n"), abort="honoured")
    )
    assert list(run.runtime_outcomes) == ["aborted/abort_embedded_run"]
    # The run's own end is the only change (reason run_completed, not stuck_recovery:aborted).
    assert [(e.type, e.get("reason")) for e in run.events] == [("session.state", "run_completed")]
    assert run.requested == 0 and run.completed == 0


def test_the_runtime_leaves_a_run_alone_unless_told_or_its_progress_is_stale() -> None:
    assert _outcomes(_load(recover())) == ["skipped/active_embedded_run"]
    # Stale progress behind queued work is reclaimed even without allow_active_abort.
    stale = recover("queue_depth = 1\nstale_abort_ms = 300000\n")
    assert _outcomes(_load(stale, abort="honoured")) == ["aborted/abort_embedded_run"]
    fresh = recover("queue_depth = 1\nstale_abort_ms = 500000\n")
    assert _outcomes(_load(fresh, abort="honoured")) == ["skipped/active_embedded_run"]


def test_the_state_check_runs_only_against_a_generation() -> None:
    assert _outcomes(_load(recover("generation = 1\n"))) == ["skipped/stale_session_state"]
    assert _outcomes(_load(recover('generation = 0\nexpected_state = "idle"\n'))) == [
        "skipped/stale_session_state"
    ]
    assert _outcomes(_load(recover("generation = 0\n"))) == ["skipped/active_embedded_run"]


def test_a_direct_call_meets_the_heartbeats_held_recovery_in_the_runtimes_in_flight_set() -> None:
    held = _load('[[step]]\ndo = "tick"\n' + recover("allow_active_abort = true\n"), drain="hold")
    # The heartbeat's call waits on the ignored abort; the direct one is absorbed.
    assert _outcomes(held) == ["pending", "skipped/already_in_flight"]


def test_a_held_direct_abort_stays_pending_and_the_settle_timer_force_clears_it() -> None:
    call = recover("allow_active_abort = true\n")
    assert _outcomes(_load(call, drain="hold")) == ["pending"]
    settled = _load(call + '[[step]]\ndo = "advance"\nms = 15000\n')
    run = model_engine("fixed@2026.9.6").replay(settled)
    assert list(run.runtime_outcomes) == ["aborted/abort_embedded_run"]
    assert [e.get("reason") for e in run.events if e.type == "session.state"] == ["stuck_recovery"]


@pytest.mark.parametrize(
    ("version", "outcome"),
    [("2026.5.30-beta.1", "noop/no_active_work"), ("2026.9.6", "released/no_active_work")],
)
def test_with_no_owner_each_era_answers_as_its_runtime_does(version: str, outcome: str) -> None:
    text = '[[session]]\nref = "free"\nstate = "processing"\n'
    scenario = parse_scenario(
        f'name = "x"\n{text}[[step]]\ndo = "recover"\nsession = "free"\n',
        "x.toml",
        REGISTRY.keys(),
    )
    assert _outcomes(scenario, version) == [outcome]
