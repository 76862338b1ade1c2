"""The model against recorded replays of the real builds (see tests/realdata/README.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from probe.replay import replay
from probe.scenario.values import Scenario
from probe.strategies import REGISTRY
from tests.conftest import ROOT
from tests.test_reference import PROBE_KEYS, recorded_fields

CASES = sorted((ROOT / "tests" / "realdata").glob("*.json"))


def _scenario(doc: dict[str, Any]) -> Scenario:
    import tomli_w

    from probe.scenario.loader import parse_scenario

    def strip(t: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in t.items() if v is not None}

    toml = {
        "name": "recorded",
        "settings": strip(doc["settings"]),
        "session": [strip(s) for s in doc["sessions"]],
        "step": [strip(s) for s in doc["steps"]],
    }
    return parse_scenario(tomli_w.dumps(toml), "recorded", REGISTRY.keys())


def test_there_are_recordings() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize("strategy", ["buggy", "fixed"])
@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_model_matches_recorded_real_build(case: Path, strategy: str) -> None:
    doc = json.loads(case.read_text())
    real = doc[strategy]
    run = replay(_scenario(doc["scenario"]), REGISTRY[strategy])
    events = [{k: v for k, v in e.as_dict().items() if k not in PROBE_KEYS} for e in run.events]
    assert recorded_fields(events) == recorded_fields(real["events"])
    assert list(run.runtime_outcomes) == real["runtime_outcomes"]
    assert run.absorbed_by == real["absorbed_by"]
    assert (run.requested, run.completed) == (real["requested"], real["completed"])


# -- the failure library on the real builds of each era (tests/realdata/failures/README.md) --

FAILURES = sorted((ROOT / "tests" / "realdata" / "failures").glob("*.json"))


def _failure_builds() -> list[tuple[Path, str]]:
    cases = []
    for path in FAILURES:
        doc = json.loads(path.read_text())
        cases += [(path, v) for v, b in sorted(doc["builds"].items()) if "events" in b]
    return cases


def test_the_failure_library_is_recorded_on_every_era() -> None:
    from probe.versions import ERAS

    cases = _failure_builds()
    eras = {next(e for e, vs in ERAS.items() if v in vs) for _, v in cases}
    assert {"E0", "E1", "E2", "E3", "E4", "E5"} <= eras
    recorded = {p.stem for p, _ in cases}
    shipped = {p.stem for p in (ROOT / "scenarios" / "failures").glob("*.toml")}
    # Every one, the late-heartbeat ones included: the harness fires the build's own heartbeat
    # at each late instant.
    assert shipped == recorded


def _id(value: object) -> str:
    return getattr(value, "stem", str(value))


@pytest.mark.parametrize(("case", "version"), _failure_builds(), ids=_id)
def test_the_model_of_each_version_replays_the_failure_library_as_its_build(
    case: Path, version: str
) -> None:
    from probe.engines.engine import model_engine
    from probe.expectations import strategy_ok
    from probe.scenario.files import read_scenario

    doc = json.loads(case.read_text())
    real = doc["builds"][version]
    run = model_engine(f"{real['design']}@{version}").replay(_scenario(doc["scenario"]))
    events = [{k: v for k, v in e.as_dict().items() if k not in PROBE_KEYS} for e in run.events]
    assert recorded_fields(events) == recorded_fields(real["events"])
    assert list(run.runtime_outcomes) == real["runtime_outcomes"]
    assert run.absorbed_by == real["absorbed_by"]
    assert (run.requested, run.completed) == (real["requested"], real["completed"])
    # And the shipped file's table for that version holds on what the build did.
    shipped = read_scenario(ROOT / doc["file"], REGISTRY.keys())
    expectation = shipped.expectation(real["design"], version)
    assert expectation is not None and strategy_ok(expectation, run)
