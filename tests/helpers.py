"""Small builders for tests."""

from __future__ import annotations

from pathlib import Path

from probe.files import read_scenario
from probe.scenario import Scenario, SessionSeed, Settings, Step
from probe.strategies import REGISTRY

REF = "agent:main:direct"


def issue_session(**overrides: object) -> SessionSeed:
    values: dict[str, object] = dict(
        ref=REF,
        state="idle",
        generation=0,
        queue_depth=1,
        owner="embedded_run",
        abort="ignored",
        work="embedded_run",
        progress_age_ms=370_000,
    )
    values.update(overrides)
    return SessionSeed(**values)  # type: ignore[arg-type]


def scenario(*steps: Step, sessions: tuple[SessionSeed, ...] | None = None, **settings: object) -> Scenario:
    return Scenario(
        name="test",
        sessions=sessions if sessions is not None else (issue_session(),),
        steps=tuple(steps),
        settings=Settings(**settings),  # type: ignore[arg-type]
    )


def load(path: Path) -> Scenario:
    return read_scenario(path, REGISTRY.keys())
