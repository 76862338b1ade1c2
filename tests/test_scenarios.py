"""The shipped library: valid, documented, and every expectation holds on both strategies."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from probe.expectations import evaluate
from probe.replay import replay
from probe.report.json_report import render_json
from probe.report.results import Report, judge
from probe.strategies import REGISTRY
from tests.conftest import ROOT, SCENARIOS
from tests.helpers import load

SHIPPED = sorted(SCENARIOS.glob("*.toml"))
REQUIRED = {
    "issue-bump-hold", "issue-control-hold", "issue-bump-settle", "issue-control-settle",
    "processing-bump-resets", "two-sessions-one-bumped", "two-bumps-one-window", "recovery-fails",
}


def test_library_holds_the_required_scenarios() -> None:
    assert {p.stem for p in SHIPPED} >= REQUIRED


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_scenario_is_documented_and_expects_both_strategies(path: Path) -> None:
    sc = load(path)
    assert sc.description.strip()
    assert sc.expectation("buggy") is not None and sc.expectation("fixed") is not None


@pytest.mark.parametrize("strategy", sorted(REGISTRY))
@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_expectations_hold(path: Path, strategy: str) -> None:
    sc = load(path)
    exp = sc.expectation(strategy)
    assert exp is not None
    broken = [r for r in evaluate(exp, replay(sc, REGISTRY[strategy])) if not r.ok]
    assert broken == []


def _json_for(path: Path) -> str:
    sc = load(path)
    runs = [replay(sc, REGISTRY[n]) for n in sorted(REGISTRY)]
    return render_json(Report((judge(sc, f"scenarios/{path.name}", runs),)))


def test_golden_json_of_the_issue_scenario(update_golden: bool) -> None:
    golden = ROOT / "tests" / "golden" / "issue-bump-hold.json"
    text = _json_for(SCENARIOS / "issue-bump-hold.toml")
    if update_golden:
        golden.write_text(text)
    assert text == golden.read_text()


def test_json_is_byte_identical_across_runs_and_hash_seeds() -> None:
    code = (
        "import sys; from probe.cli import main; sys.argv=['probe','compare','-f','json']; main()"
    )
    outputs = set()
    for seed in ("0", "1", "12345"):
        proc = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            cwd=ROOT,
            env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"},
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        outputs.add(proc.stdout)
    assert len(outputs) == 1
    assert json.loads(outputs.pop())["ok"] is True


LIBRARY = sorted(SCENARIOS.rglob("*.toml"))


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: str(p.relative_to(SCENARIOS)))
def test_every_shipped_scenario_passes_on_the_model_of_every_version(path: Path) -> None:
    """A user checking any release with the shipped library sees PASS, version by version."""
    from probe.engines.engine import model_engine
    from probe.versions import VERSIONS, design_of

    sc = load(path)
    failing: dict[str, list[str]] = {}
    for version in VERSIONS:
        design = design_of(version)
        run = model_engine(f"{design}@{version}").replay(sc)
        exp = sc.expectation(design, version)
        broken = [] if exp is None else [r for r in evaluate(exp, run) if not r.ok]
        if exp is None and run.violations:
            broken = list(run.violations)  # type: ignore[arg-type]
        if broken:
            failing[version] = [str(b) for b in broken]
    assert failing == {}
