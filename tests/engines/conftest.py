"""Fixtures shared by the real-build tests: one engine cache per session, the pinned builds."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from probe.engines import nodes
from probe.engines.cache import cache_dir, install_lock, move_into_place
from probe.engines.install import install
from tests.engines.support import BUILDS, Listeners


@pytest.fixture(scope="session")
def engine_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A cache for the whole session ($PROBE_TEST_CACHE_DIR keeps one across sessions)."""
    keep = os.environ.get("PROBE_TEST_CACHE_DIR")
    cache = Path(keep) if keep else tmp_path_factory.mktemp("engines")
    before = os.environ.get("PROBE_CACHE_DIR")
    os.environ["PROBE_CACHE_DIR"] = str(cache)
    try:
        yield cache
    finally:
        if before is None:
            os.environ.pop("PROBE_CACHE_DIR", None)
        else:
            os.environ["PROBE_CACHE_DIR"] = before


@pytest.fixture(scope="session")
def builds(engine_cache: Path) -> dict[str, Path]:
    return {name: install(version) for name, version in BUILDS.items()}


@pytest.fixture(scope="module", params=["path", "fetched-24"])
def node(request: pytest.FixtureRequest, engine_cache: Path) -> nodes.NodeChoice:
    """Each Node probe runs builds with: PATH's (20 here and in CI) and the fetched 24."""
    if request.param == "path":
        return nodes.path_node()
    return nodes.select_node(
        cache_dir(),
        nodes.NodeNeed(">=24.16.0 <25"),
        lambda _m: None,
        install_lock,
        move_into_place,
    )


@pytest.fixture
def listeners() -> Iterator[Listeners]:
    """A TCP and a UDP listener on one loopback port, for builds to try to reach."""
    found = Listeners()
    yield found
    found.close()
