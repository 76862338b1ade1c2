"""`run` and `compare` on an engine that cannot express a scenario: not comparable, the rest judged.

A stand-in engine (no Node needed) refuses what the published builds refuse, a release with
outcome = "failed", and otherwise replays as the buggy model; tests/engines/test_engine_cli.py
does the same on the real build.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace

import pytest
from typer.testing import CliRunner

from probe.cli import app
from probe.engines.base import CannotExpress, Unexpressible
from probe.replay import replay
from probe.run import Run
from probe.scenario.values import Scenario
from probe.strategies import REGISTRY
from tests.conftest import SCENARIOS
from tests.helpers import CLI_ENV

FAILS = str(SCENARIOS / "recovery-fails.toml")
BUMP = str(SCENARIOS / "issue-bump-hold.toml")


@dataclass(frozen=True)
class StandIn:
    name: str = "openclaw@0.0.1-standin"
    design: str | None = "buggy"

    def replay(self, scenario: Scenario) -> Run:
        failing = [
            i for i, s in enumerate(scenario.steps, start=1) if getattr(s, "failed", False)
        ]
        if failing:
            raise CannotExpress(
                self.name,
                [Unexpressible(i, f"step[{i}].outcome", "the runtime never rejects") for i in failing],
            )
        return replace(replay(scenario, REGISTRY["buggy"]), engine=self.name)


@pytest.fixture(autouse=True)
def stand_in(monkeypatch: pytest.MonkeyPatch) -> None:
    import probe.engines.engine as engine_module

    real_resolve = engine_module.resolve

    def resolve(spec: str, progress: object = None) -> object:
        return StandIn() if spec == "standin" else real_resolve(spec, progress)  # type: ignore[arg-type]

    monkeypatch.setattr(engine_module, "resolve", resolve)


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=CLI_ENV)
    return result.exit_code, result.stdout, result.stderr


def test_compare_reports_the_scenario_as_not_comparable_and_judges_the_rest() -> None:
    code, out, err = _invoke("compare", "--engine", "standin", "--engine", "model:fixed")
    assert code == 0, err
    lines = out.splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("recovery-fails"))
    # The model's row for the scenario is there; the stand-in's is marked n/c with the reason.
    nc = next(line for line in lines[row:] if "standin" in line)
    assert lines[row].split()[1] == "model:fixed" and lines[row].split()[-2:] == ["PASS", "5/5"]
    assert nc.split()[0] == "openclaw@0.0.1-standin" and nc.split()[-1] == "n/c"
    assert "scenarios/recovery-fails.toml:28: step[2].outcome: openclaw@0.0.1-standin cannot " \
        "express this: the runtime never rejects" in out.replace(str(SCENARIOS), "scenarios")
    assert "1 not comparable" in lines[-1]
    assert "recovery-fails.toml:28: step[2].outcome: not comparable" in err
    # Progress on stderr, one line per scenario and engine, with the time it took.
    assert re.search(r"issue-bump-hold\.toml: openclaw@0\.0\.1-standin: [0-9.]+ s\n", err)


def test_json_lists_what_was_not_comparable_and_the_exit_code_follows_the_rest() -> None:
    code, out, _ = _invoke("compare", "-f", "json", "--engine", "standin", FAILS, BUMP)
    doc = json.loads(out)
    fails, bump = doc["scenarios"]
    assert fails["strategies"] == {}
    assert fails["not_comparable"] == [
        {
            "engine": "openclaw@0.0.1-standin",
            "items": [
                {
                    "key": "step[2].outcome",
                    "line": 28,
                    "reason": "openclaw@0.0.1-standin cannot express this: "
                    "the runtime never rejects",
                }
            ],
        }
    ]
    assert "not_comparable" not in bump
    assert code == (0 if bump["ok"] else 1) and bump["ok"] is True


def test_run_shows_the_reason_in_place_of_the_timeline() -> None:
    code, out, _ = _invoke("run", "--engine", "standin", "--engine", "model:buggy", FAILS)
    assert code == 0
    assert "openclaw@0.0.1-standin: not comparable" in out
    assert "step[2].outcome (line 28): openclaw@0.0.1-standin cannot express this" in out
    assert "buggy (model:buggy, drain=" in out  # the model's timeline is still shown


def test_nothing_comparable_is_bad_input_at_its_line() -> None:
    code, out, err = _invoke("run", "--engine", "standin", FAILS)
    assert code == 2 and out == ""
    assert f"{FAILS}:28: step[2].outcome: openclaw@0.0.1-standin cannot express this" in err


def test_a_model_only_report_has_no_not_comparable_key() -> None:
    _, out, err = _invoke("compare", "-f", "json", BUMP)
    assert "not_comparable" not in json.loads(out)["scenarios"][0]
    assert err == ""  # no progress lines without a real engine


def test_piped_progress_is_one_line_per_scenario_and_engine() -> None:
    code, _, err = _invoke("compare", "--engine", "standin", "--engine", "model:fixed", BUMP, FAILS)
    assert code == 0
    # Besides the located reason a scenario is not comparable, which has a line of its own.
    lines = [line for line in err.splitlines() if "step[" not in line]
    assert [line.rsplit(": ", 1)[0] for line in lines] == [
        f"{BUMP}: openclaw@0.0.1-standin",
        f"{BUMP}: model:fixed",
        f"{FAILS}: openclaw@0.0.1-standin",
        f"{FAILS}: model:fixed",
    ]
    assert lines[2].endswith(": not comparable") and not any("..." in line for line in lines)
