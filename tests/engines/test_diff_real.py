"""probe diff on real builds: the fix between the last buggy and the first fixed build."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from probe.cli import app
from tests.conftest import SCENARIOS
from tests.engines.support import BUILDS, needs_real_builds

ENV = {"COLUMNS": "140", "NO_COLOR": "1", "TERM": "dumb"}
BUGGY = f"openclaw@{BUILDS['buggy']}"
FIXED = f"openclaw@{BUILDS['fixed']}"


@needs_real_builds
def test_diff_finds_the_fix_between_the_pinned_builds(
    builds: dict[str, Path], tmp_path: Path
) -> None:
    runner = CliRunner()
    files = [str(SCENARIOS / f"issue-{name}.toml") for name in ("bump-hold", "control-hold")]
    files.append(str(SCENARIOS / "recovery-fails.toml"))
    out = tmp_path / "out"
    args = ["diff", BUGGY, FIXED, *files, "--out", str(out), "-f", "json"]
    result = runner.invoke(app, args, env=ENV)
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    counts = doc["counts"]
    assert counts.pop("replays") > 4  # shrinking replayed candidates on both builds
    assert counts == {"compared": 2, "same": 1, "differ": 1, "not_comparable": 1, "kinds": 1}
    [kind] = doc["kinds"]
    assert kind["kind"] == f"{BUGGY} emits session.recovery.requested where {FIXED} emits nothing"
    assert kind["sources"] == [files[0]]
    assert [s["do"] for s in kind["example"]["steps"]] == ["tick", "bump", "tick"]
    [nc] = doc["not_comparable"]
    assert nc["source"] == files[2] and "never rejects" in nc["reasons"][0]
    # The written file records both builds, and replays on them to what it records.
    [written] = out.glob("*.toml")
    assert kind["example"]["file"] == str(written)
    text = written.read_text()
    assert "[expect.buggy]" in text and "[expect.fixed]" in text
    replayed = runner.invoke(
        app, ["run", "--engine", BUGGY, "--engine", FIXED, str(written)], env=ENV
    )
    assert replayed.exit_code == 0, replayed.output
    # The models of the two designs replay it to the same record.
    assert runner.invoke(app, ["run", str(written)], env=ENV).exit_code == 0


@needs_real_builds
def test_diff_finds_nothing_between_builds_with_the_same_recovery_code(
    engine_cache: Path, tmp_path: Path
) -> None:
    from probe.engines.install import install

    for version in ("2026.7.1", "2026.7.35"):
        install(version)
    files = [str(p) for p in sorted(SCENARIOS.glob("issue-*.toml"))]
    out = tmp_path / "out"
    args = ["diff", "openclaw@2026.7.1", "openclaw@2026.7.35", *files, "--random", "4"]
    result = CliRunner().invoke(app, [*args, "--out", str(out), "-f", "json"], env=ENV)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["ok"] is True and doc["kinds"] == [] and doc["not_comparable"] == []
    assert doc["counts"]["compared"] == len(files) + 4 and doc["counts"]["differ"] == 0
    assert not out.exists()
