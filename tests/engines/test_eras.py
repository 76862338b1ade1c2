"""Later builds (E2-E5 of ERAS.md) on the harness: 7.1 (lazy loader) and 9.6 (everything else).

Installing them fetches 170-420 MB and, for 9.6, a Node 24: PROBE_TEST_BUILDS=all runs these
(the harness's closing note quotes that run), as CI's install of today's builds does.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from probe.engines.drive import run_build
from probe.engines.engine import normalized
from probe.engines.harness import inspect_dist
from probe.engines.install import install
from probe.engines.nodes import node_for
from probe.scenario.files import read_scenario
from probe.strategies import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
ERAS = {"lazy": "2026.7.1", "today": "2026.9.6"}

pytestmark = pytest.mark.skipif(
    os.environ.get("PROBE_TEST_BUILDS") != "all" or os.environ.get("PROBE_SKIP_REAL_BUILDS") == "1",
    reason="PROBE_TEST_BUILDS=all installs 2026.7.1 and 2026.9.6",
)


@pytest.fixture(scope="module")
def era_builds(engine_cache: Path) -> dict[str, Path]:
    return {name: install(version) for name, version in ERAS.items()}


def _scenario(name: str, **settings: Any) -> dict[str, Any]:
    path = ROOT / "scenarios" / name
    doc = normalized(read_scenario(path, REGISTRY.keys(), str(path)))
    doc["settings"].update(settings)
    return doc


def test_inspect_names_what_each_era_needs(era_builds: dict[str, Path]) -> None:
    lazy = inspect_dist(era_builds["lazy"])
    today = inspect_dist(era_builds["today"])
    assert lazy["status"] == today["status"] == "drivable"
    assert lazy["loader"]["kind"] == today["loader"]["kind"] == "lazy"
    assert (lazy["late_tick_defers"], lazy["warn_seam"]) == (False, False)
    assert (today["late_tick_defers"], today["warn_seam"]) == (True, True)
    assert today["heartbeat_ms"] == 30_000  # read through DIAGNOSTIC_HEARTBEAT_INTERVAL_MS
    assert lazy["process"]["reuse"] and today["process"]["reuse"]
    assert today["regions"]["diagnostic"]["chunk"].endswith(".mjs")
    choice = node_for(era_builds["today"], fetch=False)
    assert choice is not None and int(choice.version.split(".")[0]) >= 24


def test_a_slow_heartbeat_is_refused_with_the_late_tick_reason(
    era_builds: dict[str, Path],
) -> None:
    slow = run_build(
        era_builds["today"], _scenario("issue-bump-settle.toml", heartbeat_ms=60_000)
    )
    assert [u["key"] for u in slow["unsupported"]] == ["settings.heartbeat_ms"]
    assert "the build would see a late tick and defer recovery" in slow["unsupported"][0]["reason"]
    fast = run_build(
        era_builds["today"], _scenario("issue-bump-settle.toml", heartbeat_ms=10_000)
    )
    assert "cannot be set" in fast["unsupported"][0]["reason"]
    # Before the late-tick check, a slower heartbeat is only a constant that cannot be set.
    old = run_build(
        era_builds["lazy"], _scenario("issue-bump-settle.toml", heartbeat_ms=60_000)
    )
    assert "cannot be set" in old["unsupported"][0]["reason"]


def test_warn_outside_the_accepted_range_is_the_default(era_builds: dict[str, Path]) -> None:
    dist = era_builds["today"]
    default = run_build(dist, _scenario("issue-bump-settle.toml", warn_ms=120_000))
    ignored = run_build(dist, _scenario("issue-bump-settle.toml", warn_ms=999))
    lower = run_build(dist, _scenario("issue-bump-settle.toml", warn_ms=60_000))
    assert ignored["events"] == default["events"]
    # In range, the test seam does set it: attention comes at other ages.
    assert lower["events"] != default["events"]


def test_every_request_reaches_the_runtime(era_builds: dict[str, Path]) -> None:
    for dist in era_builds.values():
        for path in sorted((ROOT / "scenarios").glob("*.toml")):
            doc = normalized(read_scenario(path, REGISTRY.keys(), str(path)))
            out = run_build(dist, doc)
            if out["unsupported"]:
                continue
            requested = [e for e in out["events"] if e["type"] == "session.recovery.requested"]
            assert len(out["runtime_outcomes"]) == len(requested), path.name
