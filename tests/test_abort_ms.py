"""settings.abort_ms: the abort threshold set apart from warn, with each version's own rules."""

from __future__ import annotations

import pytest

from probe.engines.engine import model_engine, normalized
from probe.errors import ScenarioError
from probe.model.world import World
from probe.scenario.dump import dump_scenario
from probe.scenario.loader import parse_scenario
from probe.scenario.values import Scenario, Settings
from probe.strategies import REGISTRY, get_strategy

# openclaw's own tests mostly run warn 30 s with abort 60 s or 90 s.
APART = """\
name = "abort apart"
[settings]
warn_ms = 30000
abort_ms = {abort}
[[session]]
ref = "a"
state = "processing"
owner = "embedded_run"
abort = "honoured"
progress_age_ms = {age}
[[step]]
do = "tick"
"""


def _load(text: str) -> Scenario:
    return parse_scenario(text, "abort.toml", REGISTRY.keys())


def _requested(scenario: Scenario, version: str) -> int:
    return model_engine(f"fixed@{version}").replay(scenario).requested


def test_abort_ms_loads_dumps_back_and_reaches_the_harness_only_when_given() -> None:
    scenario = _load(APART.format(abort=60_000, age=0))
    assert scenario.settings.abort_ms == 60_000
    assert _load(dump_scenario(scenario)).settings == scenario.settings
    assert normalized(scenario)["settings"]["abort_ms"] == 60_000
    plain = Scenario("plain", scenario.sessions, scenario.steps)
    assert "abort_ms" not in dump_scenario(plain)
    assert "abort_ms" not in normalized(plain)["settings"]


@pytest.mark.parametrize(
    ("value", "message"),
    [("0", "0 is out of range (1..9007199254740991)"), ('"60s"', "must be an integer")],
)
def test_a_bad_abort_ms_is_a_located_error(value: str, message: str) -> None:
    text = APART.replace("abort_ms = {abort}", f"abort_ms = {value}").format(age=0)
    with pytest.raises(ScenarioError) as err:
        _load(text)
    (problem,) = err.value.problems
    assert (problem.where, problem.line) == ("settings.abort_ms", 4)
    assert message in problem.message


def test_each_version_combines_abort_with_warn_by_its_own_rule() -> None:
    # Config (up to 7.2-beta.3): raised to at least warn. Test timings (7.2-beta.4 on): as given.
    low = Settings(warn_ms=30_000, abort_ms=10_000)
    assert (low.abort_threshold_ms(False), low.abort_threshold_ms(True)) == (30_000, 10_000)
    assert Settings(warn_ms=30_000).abort_threshold_ms(True) == 300_000
    assert Settings(warn_ms=999, abort_ms=500).abort_threshold_ms(False) == 120_000
    assert World(Scenario("x", (), ()), get_strategy("fixed")).abort_ms == 360_000
    for version, expected in (("2026.7.2-beta.2", 30_000), ("2026.7.2-beta.4", 10_000)):
        engine = model_engine(f"fixed@{version}")
        scenario = Scenario("x", (), (), Settings(warn_ms=30_000, abort_ms=10_000))
        world = World(scenario, get_strategy("fixed"), behaviour=engine.behaviour)
        assert world.abort_ms == expected


def test_a_run_past_abort_but_short_of_the_derived_threshold_is_aborted() -> None:
    # Progress 61 s old at the first tick: past abort 60 s, far short of max(300 s, 3 x warn).
    apart = _load(APART.format(abort=60_000, age=31_000))
    derived = _load(APART.replace("abort_ms = {abort}\n", "").format(age=31_000))
    for version in ("2026.5.31-beta.1", "2026.7.1", "2026.9.6"):
        assert _requested(apart, version) == 1
        assert _requested(derived, version) == 0


def test_abort_below_warn_is_noted_with_both_eras_values() -> None:
    scenario = _load(APART.format(abort=1, age=0))
    assert scenario.notes == (
        "settings.abort_ms = 1: openclaw up to 2026.7.2-beta.3 reads it from config and uses "
        "30000 (below warn it is raised to warn); later versions take 1 as it is",
    )
    assert _load(APART.format(abort=60_000, age=0)).notes == ()


def test_abort_below_warn_tells_7_2_beta_3_from_7_2_beta_4() -> None:
    # tests/verb_scenarios/abort-below-warn-tells-eras-apart.toml: not in the shipped library,
    # whose plain run prints no note (and this one's note is the point).
    from pathlib import Path

    from probe.scenario.files import read_scenario

    path = Path(__file__).parent / "verb_scenarios" / "abort-below-warn-tells-eras-apart.toml"
    scenario = read_scenario(path, REGISTRY.keys())
    outcomes = {
        v: model_engine(f"fixed@{v}").replay(scenario).runtime_outcomes
        for v in ("2026.7.2-beta.3", "2026.7.2-beta.4", "2026.7.33", "2026.9.6")
    }
    assert outcomes == {
        "2026.7.2-beta.3": ("skipped/active_embedded_run",),
        "2026.7.2-beta.4": ("aborted/abort_embedded_run",),
        "2026.7.33": ("skipped/active_embedded_run",),
        "2026.9.6": ("aborted/abort_embedded_run",),
    }
