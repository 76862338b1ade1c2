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


def _model_events(version: str, doc: dict[str, Any]) -> list[dict[str, Any]]:
    from probe.engines.engine import model_engine
    from tests.test_realdata import _scenario as from_normalized
    from tests.test_reference import PROBE_KEYS

    run = model_engine(f"fixed@{version}").replay(from_normalized(doc))
    return [{k: v for k, v in e.as_dict().items() if k not in PROBE_KEYS} for e in run.events]


@pytest.mark.parametrize("heartbeat_ms", [10_000, 60_000])
def test_any_interval_reaches_every_era_and_the_build_judges_it(
    era_builds: dict[str, Path], heartbeat_ms: int
) -> None:
    # The harness fires the build's own heartbeat callback every heartbeat_ms: 9.6 measures a
    # 60 s one as 30 s overdue and defers recovery, 7.1 sees a later tick; both as modelled.
    for name, version in ERAS.items():
        doc = _scenario("issue-bump-settle.toml", heartbeat_ms=heartbeat_ms)
        real = run_build(era_builds[name], doc)
        assert real["unsupported"] == []
        assert real["events"] == _model_events(version, doc), (name, heartbeat_ms)
    slow = run_build(era_builds["today"], _scenario("issue-bump-settle.toml", heartbeat_ms=60_000))
    assert not any(e["type"] == "session.recovery.requested" for e in slow["events"])


def test_late_ticks_without_their_firing_instants_are_refused(
    era_builds: dict[str, Path],
) -> None:
    from probe.engines.errors import EngineError

    doc = _scenario("issue-bump-settle.toml", tick_late_ms=1_200)
    with pytest.raises(EngineError, match="late heartbeats need their firing instants"):
        run_build(era_builds["today"], doc)


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
