"""probe explore --confirm: counterexamples from the model replayed on real builds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from probe.cli import app
from probe.engines import engine as engine_module
from probe.engines.confirm import AGREES, CANNOT_EXPRESS, CONFIRMED, DISAGREES, confirm
from probe.explore.counterexamples import counterexample_scenario
from probe.explore.values import ISSUE_SEED, Counterexample
from probe.replay import replay
from probe.run import Run
from probe.scenario.values import Bump, Scenario, Tick
from probe.strategies import REGISTRY, get_strategy
from tests.engines.support import BUILDS, needs_real_builds

ENV = {"COLUMNS": "140", "NO_COLOR": "1", "TERM": "dumb"}
BUGGY = f"openclaw@{BUILDS['buggy']}"
FIXED = f"openclaw@{BUILDS['fixed']}"
MINIMAL = (Tick(), Bump("agent:main:direct"), Tick())


def explore(*args: str) -> tuple[int, str, str]:
    # Class 1 alone: confirming the phantom is what these tests are about.
    base = ["explore", "--strategy", "buggy", "--no-write", "--depth", "3",
            "--invariant", "phantom-request"]
    result = CliRunner().invoke(app, [*base, *args], env=ENV)
    return result.exit_code, result.stdout, result.stderr


@needs_real_builds
def test_the_minimal_counterexample_is_confirmed_on_the_last_buggy_build(
    builds: dict[str, Path],
) -> None:
    code, out, err = explore("-f", "json", "--confirm", BUGGY, "--confirm", FIXED)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["ok"] is True
    (violation,) = doc["strategies"]["buggy"]["violations"]
    assert violation["invariant"] == "phantom-request"
    assert [s["do"] for s in violation["trace"]] == ["tick", "bump", "tick"]
    on_buggy, on_fixed = violation["confirm"]
    assert on_buggy["engine"] == BUGGY and on_buggy["design"] == "buggy"
    # The build is held to the model of its own version.
    assert on_buggy["status"] == CONFIRMED and on_buggy["model"] == "model:buggy@2026.5.30-beta.1"
    assert on_buggy["detail"] == [] and "phantom-request" in on_buggy["violations"]
    # The fixed build does not show it, and the model of its design says the same.
    assert on_fixed["status"] == AGREES and on_fixed["model"] == "model:fixed@2026.5.31-beta.1"
    assert on_fixed["violations"] == []
    code, out, _ = explore("--confirm", BUGGY)
    assert code == 0
    assert f"on {BUGGY} (buggy design): confirmed: the real code violates phantom-request" in out


class Impostor:
    """A "build" that claims the buggy design but behaves like the fixed model."""

    name = "impostor"
    design = "buggy"

    def replay(self, scenario: Scenario) -> Run:
        return replay(scenario, get_strategy("fixed"))


def test_a_build_that_differs_from_the_model_is_a_disagreement(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scenario = counterexample_scenario(
        ISSUE_SEED,
        Counterexample("phantom-request", MINIMAL, ""),
        "buggy",
        list(REGISTRY.values()),
    )
    found = confirm(scenario, "buggy", "phantom-request", Impostor())
    assert found.status == DISAGREES and found.failed
    assert any(
        line.startswith("-") and "session.recovery.requested" in line for line in found.detail
    )
    # probe.cli.explore imports resolve where it uses it: patch it at its source.
    monkeypatch.setattr(engine_module, "resolve", lambda spec, progress=None: Impostor())
    code, out, _ = explore("--confirm", "impostor")
    assert code == 1
    assert "on impostor (buggy design): MODEL DISAGREES (- model:buggy, + real)" in out
    code, out, _ = explore("-f", "json", "--confirm", "impostor")
    assert code == 1 and json.loads(out)["ok"] is False


@needs_real_builds
def test_a_counterexample_the_build_cannot_express(builds: dict[str, Path], tmp_path: Path) -> None:
    seed = tmp_path / "short-settle.toml"
    seed.write_text(
        'name = "a settle time the builds do not have"\n'
        '[settings]\ndrain = "hold"\nsettle_ms = 5000\n'
        '[[session]]\nref = "s"\nqueue_depth = 1\nowner = "embedded_run"\nabort = "ignored"\n'
        "progress_age_ms = 370000\n"
        '[[step]]\ndo = "tick"\n'
    )
    code, out, err = explore(str(seed), "-f", "json", "--confirm", BUGGY)
    assert code == 0, err
    (on_buggy,) = json.loads(out)["strategies"]["buggy"]["violations"][0]["confirm"]
    assert on_buggy["status"] == CANNOT_EXPRESS
    assert on_buggy["detail"][0].startswith("settings.settle_ms: openclaw 2026.5.30-beta.1 waits")


def test_confirm_refuses_what_it_cannot_do(tmp_path: Path) -> None:
    code, _, err = explore("--confirm", "model:buggy")
    assert code == 2 and "confirm on a real build" in err
    code, _, err = explore("--confirm", str(tmp_path / "nowhere" / "dist"))
    assert code == 2 and "no such file or folder" in err
    code, _, err = explore("--vary", "settle_ms=5000..6000:1000", "--confirm", BUGGY)
    assert code == 2 and "--vary writes none" in err
