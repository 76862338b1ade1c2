"""The pytest plugin: `pytest --probe-scenarios PATH` makes one test per scenario and strategy."""

from __future__ import annotations

import shutil
from importlib.metadata import entry_points

import pytest

from tests.conftest import SCENARIOS

pytest_plugins = ["pytester"]


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    scen = pytester.path / "scen"
    scen.mkdir()
    shutil.copy(SCENARIOS / "issue-bump-hold.toml", scen / "hold.toml")
    (scen / "deeper").mkdir()
    text = (SCENARIOS / "issue-control-hold.toml").read_text()
    (scen / "deeper" / "wrong.toml").write_text(
        text.replace("requested = 1\n", "requested = 3\n", 1)
    )
    pytester.makepyfile(test_own="def test_own():\n    assert True\n")
    return pytester


def test_the_entry_point_is_registered() -> None:
    assert "probe.pytest_plugin" in {e.value for e in entry_points(group="pytest11")}


def test_one_item_per_scenario_and_strategy(project: pytest.Pytester) -> None:
    result = project.runpytest("--probe-scenarios", "scen", "--co", "-q", "-p", "no:cacheprovider")
    assert result.ret == 0
    ids = sorted(line for line in result.outlines if "::" in line)
    assert ids == [
        "scen/deeper/wrong.toml::buggy",
        "scen/deeper/wrong.toml::fixed",
        "scen/hold.toml::buggy",
        "scen/hold.toml::fixed",
        "test_own.py::test_own",
    ]


def test_failures_read_like_probe_with_the_line(project: pytest.Pytester) -> None:
    result = project.runpytest("--probe-scenarios", "scen", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4, failed=1)
    line = next(
        n
        for n, text in enumerate(
            (project.path / "scen/deeper/wrong.toml").read_text().splitlines(), 1
        )
        if text == "requested = 3"
    )
    result.stdout.fnmatch_lines(
        [
            "*scen/deeper/wrong.toml [[]buggy[]]*",
            "expect requested: expected 3, got 1",
            "issue #88010 control: no bump while a held recovery is in flight [[]buggy[]]",
            f"scen/deeper/wrong.toml:{line}: expect requested: expected 3, got 1",
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_verbose_ids_and_the_short_summary_say_the_file_the_engine_and_why(
    project: pytest.Pytester,
) -> None:
    result = project.runpytest(
        "--probe-scenarios", "scen", "--probe-engine", "model:fixed@2026.9.6", "-v", "-rf",
        "-p", "no:cacheprovider",
    )
    out = result.stdout.str()
    # pytest turns the dots of a report "domain" into "::": ids stay as the node ids are.
    assert "scen/hold.toml::model:fixed@2026.9.6 PASSED" in out
    assert "::toml::" not in out and "2026::9" not in out
    result.stdout.fnmatch_lines(
        ["FAILED scen/deeper/wrong.toml::buggy - expect requested: expected 3, got 1"]
    )


def test_only_the_chosen_strategy(project: pytest.Pytester) -> None:
    result = project.runpytest(
        "--probe-scenarios", "scen/hold.toml", "--probe-strategy", "fixed", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=2)  # fixed on hold.toml, and the project's own test


def test_a_bad_scenario_is_a_collection_error_with_probe_message(project: pytest.Pytester) -> None:
    (project.path / "scen" / "bad.toml").write_text('name = "x"\n[[session]]\nref = "a"\n')
    result = project.runpytest("--probe-scenarios", "scen", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*ERROR collecting scen/bad.toml*"])
    assert "scen/bad.toml: step: at least one [[step]] table is required" in result.outlines
    assert "Traceback" not in result.stdout.str()


def test_without_the_option_toml_files_are_not_collected(project: pytest.Pytester) -> None:
    result = project.runpytest("scen", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_a_missing_path_is_a_usage_error(project: pytest.Pytester) -> None:
    result = project.runpytest("--probe-scenarios", "nope", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert (
        "--probe-scenarios" in result.stderr.str()
        and "no such file or folder" in result.stderr.str()
    )
