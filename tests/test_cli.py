"""The command line: exit codes, stdout for data, stderr for people (CliRunner, pinned env)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from tests.conftest import ROOT
from tests.helpers import CLI_ENV, invoke

ENV = CLI_ENV
BAD = sorted((ROOT / "tests" / "bad").glob("*.toml"))


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("FORCE_COLOR", raising=False)


def test_compare_with_bump_prints_the_reference_table() -> None:
    code, out, err = invoke("compare", "--with-bump")
    assert code == 0, err
    assert "With bump" in out and "Control" not in out
    assert "issue-bump-hold" in out and "issue-control-hold" not in out
    assert "phantom-request" in out and "runtime (1)" in out and "coordinator (1)" in out
    assert "diverges at step 3" in out


def test_compare_no_bump_shows_only_controls() -> None:
    code, out, _ = invoke("compare", "--no-bump")
    assert code == 0
    assert "Control (no bump)" in out and "With bump" not in out
    assert "issue-control-hold" in out and "issue-bump-hold" not in out


def test_compare_json_is_the_contract_report() -> None:
    code, out, _ = invoke("compare", "-f", "json", "scenarios/issue-bump-hold.toml")
    assert code == 0
    doc = json.loads(out)
    buggy = doc["scenarios"][0]["strategies"]["buggy"]
    assert doc["ok"] is True
    assert buggy["requested"] == 2 and buggy["requested_generations"] == [0, 1]
    assert buggy["absorbed_by"] == {"coordinator": 0, "runtime": 1}
    assert buggy["violations"][0]["invariant"] == "phantom-request"
    assert buggy["violations"][0]["step"] == 3
    assert buggy["expectations"][0] == {"key": "requested", "expected": 2, "actual": 2, "ok": True}


def test_run_prints_timelines_and_marks_divergence() -> None:
    code, out, _ = invoke("run", "scenarios/issue-bump-hold.toml")
    assert code == 0
    assert "buggy (model:buggy, drain=hold)" in out
    assert "3 <- diverges" in out
    assert "session.recovery.requested" in out


def test_run_picks_strategies() -> None:
    code, out, _ = invoke(
        "run", "-f", "json", "--strategy", "fixed", "scenarios/issue-bump-hold.toml"
    )
    assert code == 0
    assert list(json.loads(out)["scenarios"][0]["strategies"]) == ["fixed"]


def test_failed_expectation_exits_1(tmp_path: Path) -> None:
    text = (ROOT / "scenarios" / "issue-bump-hold.toml").read_text()
    wrong = tmp_path / "wrong.toml"
    wrong.write_text(text.replace("requested = 2\n", "requested = 1\n", 1))
    code, out, _ = invoke("run", str(wrong))
    assert code == 1
    assert "BROKEN: expected 1, got 2" in out


def test_buggy_strategy_without_expectations_fails_on_its_violation(tmp_path: Path) -> None:
    text = (ROOT / "scenarios" / "issue-bump-hold.toml").read_text()
    bare = tmp_path / "bare.toml"
    bare.write_text(text.split("[expect.buggy]")[0])
    assert invoke("run", str(bare))[0] == 1
    assert invoke("run", "--strategy", "fixed", str(bare))[0] == 0


def test_unknown_strategy_is_usage_error() -> None:
    code, out, err = invoke("run", "--strategy", "nope", "scenarios/issue-bump-hold.toml")
    assert (code, out) == (2, "")
    assert err == "unknown strategy 'nope' (known: buggy, fixed)\n"


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_bad_scenario_message_is_exact(path: Path) -> None:
    rel = path.relative_to(ROOT).as_posix()
    code, out, err = invoke("validate", rel)
    assert (code, out) == (2, "")
    assert err == path.with_suffix(".err").read_text()
    assert "Traceback" not in err


def test_all_files_are_checked_before_anything_runs() -> None:
    code, out, err = invoke(
        "run", "scenarios/issue-bump-hold.toml", "tests/bad/empty.toml", "tests/bad/bad-state.toml"
    )
    assert (code, out) == (2, "")
    assert err.count("\n") == 2


def test_missing_file_and_directory(tmp_path: Path) -> None:
    assert invoke("run", "nope.toml")[2] == "nope.toml: no such file\n"
    # A folder is read for its *.toml files (tests/test_paths.py); an empty one is refused.
    assert invoke("run", str(tmp_path))[2] == f"{tmp_path}: no scenario files (*.toml) here\n"


def test_existing_output_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    out_file = tmp_path / "report.json"
    out_file.write_text("keep me")
    code, _, err = invoke("compare", "-f", "json", "-o", str(out_file))
    assert code == 2 and "already exists" in err
    assert out_file.read_text() == "keep me"
    assert invoke("compare", "-f", "json", "-o", str(out_file), "--force")[0] == 0
    assert json.loads(out_file.read_text())["ok"] is True
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_validate_reports_ok_and_notes(tmp_path: Path) -> None:
    text = (ROOT / "scenarios" / "issue-bump-hold.toml").read_text()
    noted = tmp_path / "noted.toml"
    noted.write_text(text.replace('drain = "hold"', 'drain = "hold"\nwarn_ms = 500'))
    code, out, err = invoke("validate", str(noted))
    assert code == 0 and out.endswith("ok (1 session(s), 4 step(s))\n")
    assert "openclaw ignores it and uses 120000" in err


def test_new_writes_a_runnable_skeleton_and_refuses_to_overwrite(tmp_path: Path) -> None:
    code, _, err = invoke("new", "mine", "--dir", str(tmp_path))
    assert code == 0 and "mine.toml" in err
    assert invoke("run", str(tmp_path / "mine.toml"))[0] == 0
    code, _, err = invoke("new", "mine", "--dir", str(tmp_path))
    assert code == 2 and "already exists" in err
    assert invoke("new", "mine", "--dir", str(tmp_path), "--force")[0] == 0
    assert invoke("new", "../escape", "--dir", str(tmp_path))[0] == 2


def test_strategies_and_invariants_list_one_line_each() -> None:
    code, out, _ = invoke("strategies")
    assert code == 0 and out.startswith("buggy ") and "\nfixed " in out
    code, out, _ = invoke("invariants")
    assert code == 0 and "phantom-request" in out and "unmatched-request" in out


def test_version_and_usage_errors() -> None:
    assert invoke("--version")[1].startswith("probe ")
    assert invoke("run")[0] == 2
    assert invoke("frobnicate")[0] == 2


# --- building only the command being run --------------------------------------------------


def test_every_command_is_known_to_the_trimmed_builds() -> None:
    from probe.cli import COMMAND_NAMES, build_app

    full = typer.main.get_command(build_app())
    assert isinstance(full, typer.core.TyperGroup)
    assert sorted(full.commands) == sorted(COMMAND_NAMES)
    for name in COMMAND_NAMES:
        only = typer.main.get_command(build_app(name))
        assert isinstance(only, typer.core.TyperGroup)
        assert name in only.commands
        assert only.commands[name].get_help(
            typer.Context(only.commands[name], info_name=name)
        ) == full.commands[name].get_help(typer.Context(full.commands[name], info_name=name))


def _main(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "probe", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**CLI_ENV, "PATH": "/usr/bin:/bin"},
        check=False,
        timeout=60,
    )


def test_main_runs_a_command_from_its_trimmed_build() -> None:
    proc = _main("run", "scenarios/issue-bump-hold.toml")
    assert proc.returncode == 0, proc.stderr
    assert "3 <- diverges" in proc.stdout
    proc = _main("runn")
    assert proc.returncode == 2 and "No such command 'runn'" in proc.stderr


def test_help_lists_every_command_with_a_whole_summary() -> None:
    from probe.cli import COMMAND_NAMES, SUMMARIES

    assert set(SUMMARIES) == set(COMMAND_NAMES)
    code, out, _ = invoke("--help")
    listed = out.split("Commands:")[1]
    assert "..." not in listed
    for name, summary in SUMMARIES.items():
        assert f"  {name:<10}  {summary}" in listed
