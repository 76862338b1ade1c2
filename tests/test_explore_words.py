"""explore says what it did: random walks sample and never prove; a re-run in the same folder
finds the counterexample it already wrote and is fine with it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from probe.cli import app
from tests.helpers import CLI_ENV


def _explore(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["explore", *args], env=CLI_ENV)
    return result.exit_code, result.stdout, result.stderr


RANDOM = ("--random", "--seed", "7", "--runs", "40", "--depth", "4", "--no-write")


def test_random_mode_prints_its_seed_and_runs_and_claims_no_proof() -> None:
    code, out, _ = _explore(*RANDOM, "-s", "fixed", "--invariant", "phantom-request")
    assert code == 0
    assert "random walks: seed 7, 40 run(s) (a sample, not a proof)" in out.splitlines()[0]
    assert "no violation in 40 random walk(s) of depth 4 (seed 7): not a proof" in out
    assert "proof for" not in out and "bounded proof" not in out


def test_random_mode_json_records_mode_seed_and_runs() -> None:
    code, out, _ = _explore(*RANDOM, "-f", "json")
    doc = json.loads(out)
    assert (doc["mode"], doc["seed"], doc["runs"]) == ("random", 7, 40)
    exhaustive = json.loads(_explore("--depth", "2", "--no-write", "-f", "json")[1])
    assert exhaustive["mode"] == "exhaustive" and "seed" not in exhaustive


def test_the_exhaustive_search_keeps_its_bounded_proof() -> None:
    out = _explore("--depth", "3", "--actions", "tick,bump", "--no-write", "-s", "fixed")[1]
    assert "no violation up to depth 3: a bounded proof for these actions" in out


def test_a_second_explore_in_the_same_folder_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args = ("--depth", "3", "--actions", "tick,bump")
    first = _explore(*args)
    assert first[0] == 0, first[2]
    written = tmp_path / "counterexamples" / "buggy-phantom-request.toml"
    before = written.read_bytes()
    second = _explore(*args)
    assert second[0] == 0, second[2]
    assert written.read_bytes() == before
    assert "written to counterexamples/buggy-phantom-request.toml" in second[1]


def test_a_different_file_in_the_way_is_still_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "counterexamples" / "buggy-phantom-request.toml"
    target.parent.mkdir()
    target.write_text("# my own notes\n")
    code, out, err = _explore("--depth", "3", "--actions", "tick,bump")
    assert code == 2
    assert "buggy-phantom-request.toml: already exists with another counterexample" in err
    assert target.read_text() == "# my own notes\n"
    # The search's result is reported all the same, the file it could not write named.
    assert "violates phantom-request in 3 step(s)" in out and "fixed: PASS" in out
    assert "written to" not in out
