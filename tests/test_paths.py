"""Which scenarios a command runs, and paths in reports that the user can open."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from probe.cli import app
from tests.conftest import SCENARIOS
from tests.helpers import CLI_ENV


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=CLI_ENV)
    return result.exit_code, result.stdout, result.stderr


def _paths(out: str) -> list[str]:
    return [s["path"] for s in json.loads(out)["scenarios"]]


def test_compare_without_files_prefers_the_scenarios_folder_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert _invoke("new", "mine")[0] == 0  # where `probe new` writes: ./scenarios/mine.toml
    code, out, err = _invoke("compare", "-f", "json")
    assert code == 0
    assert _paths(out) == ["scenarios/mine.toml"]
    assert "probe: 1 scenario(s) from ./scenarios" in err
    assert Path(_paths(out)[0]).is_file()  # openable from here


def test_compare_elsewhere_uses_the_bundled_library_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = _invoke("compare", "-f", "json")
    assert code == 0
    paths = _paths(out)
    shipped = sorted(SCENARIOS.rglob("*.toml"))
    assert len(paths) == len(shipped)
    # Short, as in a clone (the bundle's own folder is named once, on stderr): the same keys
    # a report or baseline made in a clone has.
    assert paths == sorted(f"scenarios/{p.relative_to(SCENARIOS).as_posix()}" for p in shipped)
    assert f"probe: no ./scenarios here; {len(shipped)} bundled scenario(s) from " in err


def test_run_and_compare_take_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine = tmp_path / "mine" / "deeper"
    mine.mkdir(parents=True)
    for name in ("issue-bump-hold.toml", "issue-control-hold.toml"):
        shutil.copy(SCENARIOS / name, mine / name)
    monkeypatch.chdir(tmp_path)
    for command in ("run", "compare"):
        code, out, _ = _invoke(command, "-f", "json", "mine")
        assert code == 0
        assert _paths(out) == ["mine/deeper/issue-bump-hold.toml", "mine/deeper/issue-control-hold.toml"]
    assert _invoke("validate", "mine")[0] == 0


def test_an_empty_folder_is_bad_input(tmp_path: Path) -> None:
    code, out, err = _invoke("run", str(tmp_path))
    assert code == 2 and out == ""
    assert f"{tmp_path}: no scenario files (*.toml) here" in err
