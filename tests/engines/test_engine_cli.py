"""`run --engine` and `compare --engine` on the pinned builds: same report as the model."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from probe.cli import app
from tests.conftest import ROOT

ENV = {"NO_COLOR": "1"}
BUMP = str(ROOT / "scenarios" / "issue-bump-hold.toml")
FAILS = str(ROOT / "scenarios" / "recovery-fails.toml")


def _strategies(args: list[str]) -> dict[str, dict[str, object]]:
    result = CliRunner().invoke(app, args, env=ENV)
    assert result.exit_code == 0, result.stderr
    doc: dict[str, dict[str, object]] = json.loads(result.stdout)["scenarios"][0]["strategies"]
    return doc


def test_compare_with_a_real_build_matches_its_model(builds: dict[str, Path]) -> None:
    doc = _strategies(["compare", "-f", "json", "--engine", "openclaw@2026.5.30-beta.1",
                       "--engine", "model:buggy", BUMP])
    real, model = doc["openclaw@2026.5.30-beta.1"], doc["model:buggy"]
    for key in ("requested", "requested_generations", "completed", "runtime_outcomes",
                "absorbed_by", "ok"):
        assert real[key] == model[key], key
    assert [v["invariant"] for v in real["violations"]] == ["phantom-request"]  # type: ignore[union-attr, index]


def test_the_fixed_build_is_held_to_the_fixed_expectations(builds: dict[str, Path]) -> None:
    doc = _strategies(["run", "-f", "json", "--engine", "openclaw@2026.5.31-beta.1", BUMP])
    fixed = doc["openclaw@2026.5.31-beta.1"]
    assert fixed["requested"] == 1 and fixed["ok"] is True
    assert all(e["ok"] for e in fixed["expectations"])  # type: ignore[attr-defined, index]


def test_a_feature_the_build_cannot_express_is_exit_2_at_its_line(builds: dict[str, Path]) -> None:
    result = CliRunner().invoke(app, ["run", "--engine", "openclaw@2026.5.30-beta.1", FAILS],
                                env=ENV)
    assert result.exit_code == 2 and result.stdout == ""
    assert f"{FAILS}:28: step[2].outcome: openclaw@2026.5.30-beta.1 cannot express this" in result.stderr


def test_compare_on_a_real_build_reports_the_unexpressible_and_judges_the_rest(
    builds: dict[str, Path],
) -> None:
    result = CliRunner().invoke(
        app, ["compare", "-f", "json", "--engine", "openclaw@2026.5.30-beta.1"], env=ENV
    )
    doc = json.loads(result.stdout)
    by_path = {s["path"]: s for s in doc["scenarios"]}
    fails = by_path["scenarios/recovery-fails.toml"]
    assert fails["strategies"] == {}
    assert [nc["engine"] for nc in fails["not_comparable"]] == ["openclaw@2026.5.30-beta.1"]
    # A heartbeat other than the build's own is driven, not refused (heartbeat_ms = 40000).
    late = by_path["scenarios/versions/f12-late-tick-defers.toml"]
    assert late["strategies"] and not late.get("not_comparable")
    judged = [s for s in doc["scenarios"] if s["strategies"]]
    assert len(judged) == len(doc["scenarios"]) - 1
    assert result.exit_code == (0 if all(s["ok"] for s in judged) else 1)
    assert "recovery-fails.toml: openclaw@2026.5.30-beta.1: not comparable" in result.stderr
