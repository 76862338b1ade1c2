"""explore's counterexample files name the property they violate, as the search judged it."""

from __future__ import annotations

from dataclasses import replace

from probe.engines.engine import model_engine
from probe.explore.counterexamples import counterexample_scenario
from probe.explore.values import Counterexample
from probe.properties.selection import Choice
from probe.scenario.dump import dump_scenario
from probe.scenario.loader import parse_scenario
from probe.scenario.values import Scenario, Tick
from probe.strategies import REGISTRY, AtVersion

# Issue 142200's shape: every heartbeat 1.2 s late; from 7.2-beta.2 each late tick defers.
SEED = """
name = "late"
[settings]
heartbeat_ms = 31200
[[session]]
ref = "s"
queue_depth = 1
owner = "embedded_run"
abort = "honoured"
progress_age_ms = 400000
[[step]]
do = "tick"
"""


def seed(choice: Choice) -> Scenario:
    return replace(parse_scenario(SEED, "seed.toml", REGISTRY.keys()), properties=choice)


ENGINE = model_engine("fixed@2026.9.6")
AT_9_6 = AtVersion(REGISTRY["fixed"], "2026.9.6")  # what explore searches


def written(choice: Choice, name: str, ticks: int) -> Scenario:
    example = Counterexample(name, (Tick(),) * ticks, "m")
    s = counterexample_scenario(seed(choice), example, "fixed", [AT_9_6])
    return parse_scenario(dump_scenario(s), "cx.toml", REGISTRY.keys())


def test_the_file_names_the_violated_property_only() -> None:
    back = written(Choice(), "phantom-request", 2)
    assert back.properties == Choice(only=("phantom-request",))


def test_parameters_off_their_defaults_are_kept_and_judge_the_replay_alike() -> None:
    choice = Choice(params=(("request-liveness", (("within_heartbeats", 6),)),))
    back = written(choice, "request-liveness", 6)
    assert back.properties == Choice(
        only=("request-liveness",), params=(("request-liveness", (("within_heartbeats", 6),)),)
    )
    # The search's verdict: six late heartbeats unasked are within the bound it was given,
    # and the file's table says so; judged by the defaults instead, the same steps violate it.
    (_, expectation), *_ = back.expect
    assert expectation.violations == ()
    run = ENGINE.replay(back)
    assert run.judged == ("request-liveness",) and run.violation_names == []
    by_default = ENGINE.replay(replace(back, properties=Choice(only=("request-liveness",))))
    assert by_default.violation_names == ["request-liveness"]


def test_defaults_given_explicitly_are_not_written() -> None:
    choice = Choice(params=(("request-liveness", (("within_heartbeats", 4),)),))
    assert written(choice, "request-liveness", 3).properties == Choice(only=("request-liveness",))
    assert "[properties.request-liveness]" not in dump_scenario(
        written(choice, "request-liveness", 3)
    )
