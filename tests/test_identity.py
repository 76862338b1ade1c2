"""Session identity: a session_id beside the key, or an id-only session."""

from __future__ import annotations

import pytest

from probe.engines.engine import model_engine, normalized
from probe.errors import ScenarioError
from probe.scenario.dump import dump_scenario
from probe.scenario.loader import parse_scenario
from probe.scenario.values import Scenario
from probe.strategies import REGISTRY

BODY = """
state = "idle"
queue_depth = 1
owner = "embedded_run"
progress_age_ms = 400000

[[step]]
do = "tick"

[[step]]
do = "bump"
session = "{name}"

[[step]]
do = "tick"
"""


def _load(identity: str, name: str) -> Scenario:
    text = f'name = "identity"\n[[session]]\n{identity}\n' + BODY.format(name=name)
    return parse_scenario(text, "identity.toml", REGISTRY.keys())


def test_both_forms_load_dump_back_and_reach_the_harness() -> None:
    keyed = _load('ref = "agent:main:a"\nsession_id = "s1"', "agent:main:a")
    only = _load('session_id = "s1"', "s1")
    assert (keyed.sessions[0].ref, keyed.sessions[0].session_id) == ("agent:main:a", "s1")
    assert (only.sessions[0].ref, only.sessions[0].keyed) == ("s1", False)
    for scenario in (keyed, only):
        again = parse_scenario(dump_scenario(scenario), "again.toml", REGISTRY.keys())
        assert again.sessions == scenario.sessions
    assert normalized(keyed)["sessions"][0]["session_id"] == "s1"
    assert normalized(only)["sessions"][0]["keyed"] is False
    plain = _load('ref = "agent:main:a"', "agent:main:a")
    assert "session_id" not in dump_scenario(plain)
    assert {"session_id", "keyed"}.isdisjoint(normalized(plain)["sessions"][0])


def test_an_id_only_session_is_recovered_by_its_id_as_a_keyed_one_by_its_key() -> None:
    only = model_engine("fixed@2026.9.6").replay(_load('session_id = "s1"', "s1"))
    keyed = model_engine("fixed@2026.9.6").replay(_load('ref = "s1"', "s1"))
    assert only.events == keyed.events and only.requested == 1
    assert {e.ref for e in only.events} == {"s1"}


@pytest.mark.parametrize(
    ("second", "where", "message"),
    [
        ('ref = "a"', "session[2].ref", "'a' is already the ref of session[1]"),
        ('session_id = "a"', "session[2].session_id", "'a' is already the ref of session[1]"),
        ('ref = "b"\nsession_id = "x"', "session[2].session_id", "is already the session_id"),
        ('session_id = " x"', "session[2].session_id", "no surrounding white space"),
    ],
)
def test_names_are_unique_across_refs_and_session_ids(
    second: str, where: str, message: str
) -> None:
    text = (
        'name = "n"\n[[session]]\nref = "a"\nsession_id = "x"\n'
        f'[[session]]\n{second}\n[[step]]\ndo = "tick"\n'
    )
    with pytest.raises(ScenarioError) as err:
        parse_scenario(text, "n.toml", REGISTRY.keys())
    (problem,) = err.value.problems
    assert problem.where == where and message in problem.message


def test_a_session_with_neither_ref_nor_session_id_is_refused() -> None:
    with pytest.raises(ScenarioError) as err:
        parse_scenario(
            'name = "n"\n[[session]]\nstate = "idle"\n[[step]]\ndo = "tick"\n',
            "n.toml",
            REGISTRY.keys(),
        )
    assert [p.where for p in err.value.problems] == ["session[1].ref"]
