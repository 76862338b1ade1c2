"""explore's JUnit, Markdown and GitHub output: exact text, wall clock frozen."""

from __future__ import annotations

from pathlib import Path

import pytest
import xmlschema
from freezegun import freeze_time
from typer.testing import CliRunner

from probe.cli import app
from tests.conftest import ROOT

ENV = {"NO_COLOR": "1", "PROBE_FORMAT": ""}


def explore(*args: str) -> tuple[int, str]:
    with freeze_time("2026-11-24 12:00:00", tick=False):
        result = CliRunner().invoke(app, ["explore", "--no-write", *args], env=ENV)
    return result.exit_code, result.stdout


def test_junit_failure_names_the_missing_violation_and_validates() -> None:
    code, out = explore("-f", "junit", "--depth", "2", "--actions", "tick,bump")
    assert code == 1
    xmlschema.XMLSchema(str(ROOT / "tests" / "schemas" / "junit.xsd")).validate(out)
    assert 'timestamp="2026-11-24T12:00:00+00:00"' in out
    assert (
        '<failure message="buggy is expected to violate phantom-request, but no trace up to '
        'depth 2 does (searched exhaustively)" type="explore">' in out
    )
    assert '<testcase name="fixed" classname="explore" time="0.000">' in out


def test_markdown_lists_the_trace() -> None:
    code, out = explore("-f", "markdown", "--depth", "3", "--actions", "tick,bump")
    assert code == 0
    assert out.startswith(
        "## probe explore: issue \\#88010 seed\n\nDepth bound 3; run at 2026-11-24 12:00:00 UTC.\n"
    )
    assert "| buggy | PASS | 7 | 15 | 14 | 3 | 0.000 | `phantom-request` (3) |" in out
    assert "1. `tick`\n2. `bump session=agent:main:direct`\n3. `tick`" in out


@pytest.mark.parametrize(("depth", "expected"), [
    ("3", ""),
    ("2", "::error title=probe explore%3A buggy::buggy is expected to violate phantom-request, "
          "but no trace up to depth 2 does (searched exhaustively)\n"),
])
def test_github_annotations_only_for_failures(depth: str, expected: str) -> None:
    code, out = explore("-f", "github", "--depth", depth, "--actions", "tick,bump")
    assert out == expected and code == (0 if not expected else 1)


def test_github_annotation_points_at_the_seed_file(tmp_path: Path) -> None:
    seed = ROOT / "scenarios" / "issue-bump-hold.toml"
    code, out = explore(str(seed), "-f", "github", "--depth", "2", "--actions", "tick,bump")
    assert code == 1 and out.startswith(f"::error file={seed},line=1,title=probe explore%3A buggy::")


def test_a_sweep_refuses_the_report_formats() -> None:
    code, _ = explore("-f", "junit", "--vary", "settle_ms=1..2")
    assert code == 2
