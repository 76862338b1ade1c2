"""A build that crashes or hangs on one scenario fails that scenario; the others still run.

The build here is a stand-in engine that raises what the real ones raise when their Node
process crashes, hangs or breaks the protocol (probe.engines.errors.ReplayFailed; the
process side is tests/engines/test_build_process.py): run, compare and conform report every
scenario, the failed one with its reason, and exit 1 rather than 2 with no report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from probe.engines.base import ModelEngine
from probe.engines.errors import ReplayFailed
from probe.run import Run
from probe.scenario.values import Scenario
from probe.strategies import REGISTRY
from tests.conftest import SCENARIOS
from tests.helpers import invoke

FILES = [
    str(SCENARIOS / "issue-bump-hold.toml"),
    str(SCENARIOS / "issue-control-hold.toml"),
    str(SCENARIOS / "two-sessions-one-bumped.toml"),
]
CRASH = "openclaw harness on /fake/dist: crashed during the scenario (exit 7)"


@dataclass(frozen=True)
class CrashingBuild:
    """A buggy-design build whose process dies on one scenario."""

    crashes_on: str
    name: str = "openclaw@0.0.1-fake"
    design: str = "buggy"

    def replay(self, scenario: Scenario) -> Run:
        if scenario.name == self.crashes_on:
            raise ReplayFailed(CRASH)
        return replace(ModelEngine(REGISTRY["buggy"]).replay(scenario), engine=self.name)


@pytest.fixture
def crashing(monkeypatch: pytest.MonkeyPatch) -> None:
    import probe.engines.engine as engine_module
    from probe.scenario.files import read_scenario

    real_resolve = engine_module.resolve
    middle = read_scenario(Path(FILES[1]), REGISTRY.keys()).name

    def resolve(spec: str, *args: object, **kwargs: object) -> object:
        if spec == "openclaw@0.0.1-fake":
            return CrashingBuild(middle)
        return real_resolve(spec, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine_module, "resolve", resolve)


@pytest.mark.usefixtures("crashing")
def test_run_reports_every_scenario_and_fails_the_one_that_crashed() -> None:
    code, out, err = invoke("run", "-e", "openclaw@0.0.1-fake", *FILES)
    assert code == 1 and "Traceback" not in err
    assert f"issue-control-hold.toml: openclaw@0.0.1-fake: failed: {CRASH}" in err
    assert "openclaw@0.0.1-fake: FAILED" in out and CRASH in out
    # the scenario after the crash ran
    assert out.count("openclaw@0.0.1-fake verdict") == 2
    assert out.rstrip().endswith("FAIL (1 failed)")


@pytest.mark.usefixtures("crashing")
def test_compare_shows_the_failed_row_and_why() -> None:
    code, out, _ = invoke("compare", "-e", "openclaw@0.0.1-fake", *FILES)
    assert code == 1
    row = next(line for line in out.splitlines() if "FAILED" in line and "0.0.1-fake" in line)
    assert row.split()[0] == "issue-control-hold"
    assert f"{FILES[1]}: openclaw@0.0.1-fake: {CRASH}" in out


@pytest.mark.usefixtures("crashing")
def test_every_format_carries_the_failure() -> None:
    code, out, _ = invoke("run", "-e", "openclaw@0.0.1-fake", "-f", "json", *FILES)
    doc = json.loads(out)
    assert code == 1 and doc["ok"] is False
    assert [s.get("failed") for s in doc["scenarios"]] == [
        None,
        [{"engine": "openclaw@0.0.1-fake", "reason": CRASH}],
        None,
    ]
    assert [bool(s["strategies"]) for s in doc["scenarios"]] == [True, False, True]
    _, junit, _ = invoke("run", "-e", "openclaw@0.0.1-fake", "-f", "junit", *FILES)
    assert 'type="engine_failed"' in junit and 'tests="3" failures="1"' in junit
    _, github, _ = invoke("run", "-e", "openclaw@0.0.1-fake", "-f", "github", *FILES)
    assert f"::error file={FILES[1]},title=probe%3A openclaw@0.0.1-fake failed::" in github
    _, markdown, _ = invoke("run", "-e", "openclaw@0.0.1-fake", "-f", "markdown", *FILES)
    assert "the build failed: " in markdown and "1 failed" in markdown


@pytest.mark.usefixtures("crashing")
def test_conform_fails_the_pair_and_goes_on() -> None:
    code, out, err = invoke("conform", "--pair", "model:buggy=openclaw@0.0.1-fake", *FILES)
    assert code == 1 and "Traceback" not in err
    verdicts = [line.split()[4] for line in out.splitlines() if " vs " in line]
    assert verdicts == ["agree", "FAILED", "agree"]
    assert CRASH in out and out.rstrip().endswith("2 agree, 0 differ, 0 not comparable, 1 failed")
    code, out, _ = invoke(
        "conform", "--pair", "model:buggy=openclaw@0.0.1-fake", "-f", "json", *FILES
    )
    assert json.loads(out)["ok"] is False


def test_a_build_process_that_crashes_or_hangs_is_a_replay_failure(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from probe.engines import drive, process
    from probe.engines.harness import Build

    class Dying:
        def replay(self, scenario: object, timeout: float) -> object:
            raise process.ProcessFailure("crashed during the scenario (exit 7)", started=True)

        def stderr_tail(self) -> str:
            return ""

    monkeypatch.setattr(drive, "_worker", lambda node, build: Dying())
    with pytest.raises(ReplayFailed, match=r"crashed during the scenario \(exit 7\)"):
        drive._serve("node", Build(tmp_path), {}, 1.0)


@pytest.mark.parametrize(
    ("lines", "code", "reason"),
    [
        ([], 134, "the harness failed on"),  # killed mid-scenario (a fresh process)
        ([{"kind": "error", "message": "TypeError: x is undefined"}], 1, "TypeError"),
    ],
)
def test_a_fresh_process_that_fails_is_a_replay_failure(
    tmp_path: Path, lines: list[dict[str, object]], code: int, reason: str
) -> None:
    from probe.engines.results import build_result

    with pytest.raises(ReplayFailed, match=reason):
        build_result(lines, code, "Aborted (core dumped)", tmp_path)
