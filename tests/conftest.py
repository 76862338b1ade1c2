"""Shared fixtures: the reference recordings, the real-build marker, the golden-file switch."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The reference recordings live in the repository (a copy of ../shared/reference, checked
# against it by tests/test_reference_copy.py when that folder is beside the clone), so that a
# plain clone's `pytest` has what it needs.
REFERENCE = ROOT / "tests" / "reference"
SHARED_REFERENCE = ROOT.parent / "shared" / "reference"
SCENARIOS = ROOT / "scenarios"

# Fixtures that install or drive real openclaw builds: Node.js, npm and the registry.
REAL_BUILD_FIXTURES = frozenset({"builds", "engine_cache"})


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/golden/* from the current output instead of comparing",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "real_build: needs Node.js 20+, npm and the npm registry (real openclaw builds); "
        "deselected by default, run with `pytest -m real_build`",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A test that takes a real-build fixture is a real-build test whether or not its author
    # remembered the marker; `-m "not real_build"` (the default) then leaves it out.
    skip = os.environ.get("PROBE_SKIP_REAL_BUILDS") == "1"
    for item in items:
        if REAL_BUILD_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.real_build)
        if skip and item.get_closest_marker("real_build") is not None:
            item.add_marker(pytest.mark.skip(reason="PROBE_SKIP_REAL_BUILDS=1"))


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))
