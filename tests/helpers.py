"""Small builders for tests."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from probe.explore.values import ISSUE_SEED
from probe.scenario.files import read_scenario
from probe.scenario.values import Scenario, SessionSeed, Settings, Step
from probe.strategies import REGISTRY

REF = "agent:main:direct"
# The environment CLI tests pin: a fixed width, no colour.
CLI_ENV = {"COLUMNS": "140", "NO_COLOR": "1", "TERM": "dumb"}


def manual_text() -> str:
    """The manual as a user reads it: the README, then every page of the docs site."""
    from tests.conftest import ROOT

    pages = sorted((ROOT / "docs").glob("*.md"))
    return "\n".join(p.read_text() for p in [ROOT / "README.md", *pages])


def invoke(*args: str) -> tuple[int, str, str]:
    """Run the CLI in process: (exit code, stdout, stderr)."""
    from typer.testing import CliRunner

    from probe.cli import app

    result = CliRunner().invoke(app, list(args), env=CLI_ENV)
    return result.exit_code, result.stdout, result.stderr


def issue_session(**overrides: object) -> SessionSeed:
    """The issue's seed session (probe.explore.values.ISSUE_SEED), with fields overridden."""
    return replace(ISSUE_SEED.sessions[0], **overrides)  # type: ignore[arg-type]


def scenario(
    *steps: Step, sessions: tuple[SessionSeed, ...] | None = None, **settings: object
) -> Scenario:
    return Scenario(
        name="test",
        sessions=sessions if sessions is not None else (issue_session(),),
        steps=tuple(steps),
        settings=Settings(**settings),  # type: ignore[arg-type]
    )


def load(path: Path) -> Scenario:
    return read_scenario(path, REGISTRY.keys())


def validate_in_a_process(path: Path) -> subprocess.CompletedProcess[str]:
    """`probe validate PATH` as a user runs it (a process of its own: exit code and stderr as
    the shell sees them)."""
    return subprocess.run(
        [sys.executable, "-m", "probe", "validate", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
