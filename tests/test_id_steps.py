"""Steps that name a keyed session by its session_id: the call passes the id alone."""

from __future__ import annotations

import pytest

from probe.engines.engine import model_engine, normalized
from probe.errors import ScenarioError
from probe.scenario.dump import dump_scenario
from probe.scenario.loader import parse_scenario
from probe.scenario.values import Bump, Progress, Release, Scenario
from probe.strategies import REGISTRY

HEAD = """name = "by id"
[settings]
warn_ms = 30000
[[session]]
ref = "agent:main:a"
session_id = "s1"
state = "processing"
owner = "embedded_run"
progress_age_ms = {age}
"""


def _load(steps: str, age: int = 0) -> Scenario:
    return parse_scenario(HEAD.format(age=age) + steps, "by-id.toml", REGISTRY.keys())


STEPS = """
[[step]]
do = "bump"
session = "{name}"
[[step]]
do = "progress"
session = "{name}"
target = "run"
[[step]]
do = "advance"
ms = 65000
[[step]]
do = "release"
session = "{name}"
"""


def test_a_step_naming_the_id_is_the_keyed_sessions_step_passing_the_id_alone() -> None:
    by_id = _load(STEPS.format(name="s1"))
    by_key = _load(STEPS.format(name="agent:main:a"))
    bump, progress, _, release = by_id.steps
    assert bump == Bump("agent:main:a", via="s1")
    assert isinstance(progress, Progress) and progress.via == "s1"
    assert release == Release("agent:main:a")  # a release ends the session's own handle
    # The harness gets the id (and calls with it alone); the dump reads back the same.
    assert [s.get("session") for s in normalized(by_id)["steps"]] == [
        "s1",
        "s1",
        None,
        "agent:main:a",
    ]
    again = parse_scenario(dump_scenario(by_id), "again.toml", REGISTRY.keys())
    assert again.steps == by_id.steps and again.sessions == by_id.sessions
    # openclaw finds the keyed record by its id: the same run as the keyed steps, events
    # named by the key.
    one = model_engine("fixed@2026.9.6").replay(by_id)
    other = model_engine("fixed@2026.9.6").replay(by_key)
    assert one.events == other.events
    assert {e.ref for e in one.events} == {"agent:main:a"}
    assert any(e.type == "message.queued" for e in one.events)


def test_an_id_only_step_on_a_record_that_may_be_forgotten_is_refused_at_its_line() -> None:
    steps = '\n[[step]]\ndo = "advance"\nms = 100000\n[[step]]\ndo = "bump"\nsession = "s1"\n'
    _load(steps, age=1_700_000)  # at t=100 000 the record is at most 1 800 000 ms quiet
    with pytest.raises(ScenarioError) as err:
        _load(steps.replace("100000", "100001"), age=1_700_000)
    (problem,) = err.value.problems
    assert problem.where == "step[2].session" and problem.line == 16
    assert "may be forgotten" in problem.message and "second record" in problem.message


def test_back_dated_record_progress_counts_as_old_activity() -> None:
    steps = (
        '\n[[step]]\ndo = "progress"\nsession = "agent:main:a"\ntarget = "record"\n'
        'ago_ms = 1800001\n[[step]]\ndo = "state"\nsession = "s1"\nto = "idle"\n'
    )
    with pytest.raises(ScenarioError) as err:
        _load(steps)
    assert [p.where for p in err.value.problems] == ["step[2].session"]


def test_a_name_that_is_neither_a_ref_nor_a_keyed_sessions_id_is_refused() -> None:
    with pytest.raises(ScenarioError) as err:
        _load('\n[[step]]\ndo = "bump"\nsession = "s2"\n')
    (problem,) = err.value.problems
    assert problem.where == "step[1].session" and "no [[session]] has ref 's2'" in problem.message


def test_the_generator_names_sessions_by_id_and_only_where_the_loader_takes_it() -> None:
    from probe.scenario.generate import GenerateOptions, generate_many

    scenarios = generate_many(7, 200, GenerateOptions(late_ticks=True, verbs_chance=1.0))
    via = [s for _, sc in scenarios for s in sc.steps if getattr(s, "via", None)]
    assert len(via) >= 20
    assert {type(s).__name__ for s in via} >= {"Bump", "StateChange", "Progress"}


EMPTY = """name = "empty key"
[[session]]
ref = {ref}
session_id = "s1"
state = "idle"
queue_depth = 1
owner = "embedded_run"
progress_age_ms = 400000
[[step]]
do = "tick"
[[step]]
do = "bump"
session = {ref}
[[step]]
do = "tick"
"""


def test_an_empty_key_is_a_key_its_steps_name_and_its_events_carry() -> None:
    scenario = parse_scenario(EMPTY.format(ref='""'), "empty.toml", REGISTRY.keys())
    assert scenario.sessions[0].ref == "" and scenario.sessions[0].keyed
    assert scenario.steps[1] == Bump("")
    assert normalized(scenario)["sessions"][0]["ref"] == ""
    again = parse_scenario(dump_scenario(scenario), "again.toml", REGISTRY.keys())
    assert again.sessions == scenario.sessions and again.steps == scenario.steps
    run = model_engine("fixed@2026.9.6").replay(scenario)
    named = model_engine("fixed@2026.9.6").replay(
        parse_scenario(EMPTY.format(ref='"k"'), "k.toml", REGISTRY.keys())
    )
    # Dedup on the id instead of "" renames nothing a scenario can see: the same run as a
    # session keyed "k", every event naming "".
    assert run.requested == named.requested == 1
    assert [e.type for e in run.events] == [e.type for e in named.events]
    assert {e.ref for e in run.events} == {""}


@pytest.mark.parametrize("ref", ['" "', '" k"'])
def test_a_blank_or_padded_key_is_still_refused(ref: str) -> None:
    with pytest.raises(ScenarioError) as err:
        parse_scenario(EMPTY.format(ref=ref), "blank.toml", REGISTRY.keys())
    assert [p.where for p in err.value.problems] == ["session[1].ref"]
    assert 'must be "" (an empty key)' in err.value.problems[0].message


def test_two_sessions_cannot_both_have_the_empty_key() -> None:
    text = EMPTY.format(ref='""').replace(
        "[[step]]", '[[session]]\nref = ""\nsession_id = "s2"\n[[step]]', 1
    )
    with pytest.raises(ScenarioError) as err:
        parse_scenario(text, "two.toml", REGISTRY.keys())
    assert "'' is already the ref of session[1]" in err.value.problems[0].message


def test_the_generator_draws_empty_keys_and_their_steps_follow() -> None:
    from probe.scenario.generate import GenerateOptions, generate_many

    scenarios = generate_many(3, 100, GenerateOptions(late_ticks=False, verbs_chance=1.0))
    empty = [sc for _, sc in scenarios if any(s.ref == "" for s in sc.sessions)]
    assert len(empty) >= 5
    assert any(getattr(step, "session", None) == "" for sc in empty for step in sc.steps)


def test_shrinking_renames_sessions_and_keeps_the_id_only_form() -> None:
    from probe.diff import simpler

    scenario = _load(STEPS.format(name="s1"))
    renamed = [c for c in simpler(scenario) if c.sessions[0].ref != scenario.sessions[0].ref]
    assert renamed, "the plain-refs move"
    (plain,) = renamed
    bump = plain.steps[0]
    assert isinstance(bump, Bump) and bump.via == "s1" and bump.session == plain.sessions[0].ref
    again = parse_scenario(dump_scenario(plain), "again.toml", REGISTRY.keys())
    assert again.steps == plain.steps
