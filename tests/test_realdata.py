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
from tests.test_reference import PROBE_KEYS

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
    assert events == real["events"]
    assert list(run.runtime_outcomes) == real["runtime_outcomes"]
    assert run.absorbed_by == real["absorbed_by"]
    assert (run.requested, run.completed) == (real["requested"], real["completed"])
