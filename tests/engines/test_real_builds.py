"""The Node harness replays scenarios on the published openclaw builds as reference/ says."""

from __future__ import annotations

import json
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

from probe.engines.cache import cache_dir, dist_dir, is_installed, list_installed
from probe.engines.drive import run_build
from probe.engines.errors import EngineError
from probe.engines.harness import harness_path
from probe.engines.install import install
from probe.engines.results import summarize
from tests.conftest import REFERENCE
from tests.test_reference import recorded_fields
from tests.engines.support import BUILDS

ROOT = Path(__file__).resolve().parents[2]
CASES = sorted(REFERENCE.glob("*.toml"))
SUMMARY_KEYS = (
    "requested",
    "requested_generations",
    "completed",
    "runtime_outcomes",
    "absorbed_by",
)

pytestmark = pytest.mark.real_build


def normalize(doc: dict[str, Any]) -> dict[str, Any]:
    """The scenario file with every default filled in, as the harness reads it (SCENARIOS.md)."""
    settings = doc.get("settings", {})
    sessions = []
    for seed in doc.get("session", []):
        owner = seed.get("owner", "none")
        sessions.append(
            {
                "ref": seed["ref"],
                "state": seed.get("state", "idle"),
                "generation": seed.get("generation", 0),
                "queue_depth": seed.get("queue_depth", 0),
                "owner": owner,
                "abort": seed.get("abort", "honoured"),
                "work": seed.get("work", "embedded_run" if owner == "embedded_run" else "none"),
                "progress_age_ms": seed.get("progress_age_ms", 0),
            }
        )
    return {
        "settings": {
            "heartbeat_ms": settings.get("heartbeat_ms", 30_000),
            "warn_ms": settings.get("warn_ms", 120_000),
            "settle_ms": settings.get("settle_ms", 15_000),
            "drain": settings.get("drain", "settle"),
        },
        "sessions": sessions,
        "steps": [dict(step) for step in doc.get("step", [])],
    }


def load(case: Path) -> dict[str, Any]:
    with case.open("rb") as handle:
        return normalize(tomllib.load(handle))


def test_the_reference_cases_are_there() -> None:
    assert len(CASES) >= 4, f"expected the reference recordings at {REFERENCE}"


@pytest.mark.parametrize("build", sorted(BUILDS))
@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_harness_reproduces_the_real_build(case: Path, build: str, builds: dict[str, Path]) -> None:
    expected = json.loads(case.with_suffix(".real.json").read_text())[build]
    result = run_build(builds[build], load(case))
    assert result["unsupported"] == []
    # Fields the recordings predate are left out on both sides (tests/test_reference.py).
    assert recorded_fields(result["events"]) == recorded_fields(expected["events"])
    summary = summarize(result["events"], result["runtime_outcomes"])
    assert {k: summary[k] for k in SUMMARY_KEYS} == {k: expected[k] for k in SUMMARY_KEYS}
    assert result["network_attempts"] == []
    assert result["meta"]["openclaw_version"] == BUILDS[build]


def test_installs_are_listed_and_idempotent(builds: dict[str, Path], engine_cache: Path) -> None:
    installed = dict(list_installed())
    assert set(BUILDS.values()) <= set(installed)
    assert all(size > 10_000_000 for size in installed.values())
    assert install(BUILDS["buggy"]) == builds["buggy"]
    assert builds["buggy"] == dist_dir(BUILDS["buggy"])
    assert (builds["buggy"].parents[1] / "node_modules" / "@sinonjs" / "fake-timers").is_dir()


def test_an_incomplete_entry_is_not_taken_for_a_build(engine_cache: Path) -> None:
    (engine_cache / "9.9.9" / "package" / "dist").mkdir(parents=True, exist_ok=True)
    (engine_cache / ".9.9.9.tmp-interrupted").mkdir(exist_ok=True)
    try:
        assert "9.9.9" not in dict(list_installed())
        assert not is_installed("9.9.9")
        assert all(not name.startswith(".") for name, _ in list_installed())
    finally:  # the cache may outlive the session ($PROBE_TEST_CACHE_DIR)
        # ignore_errors: another probe sharing this cache may sweep the lock-free work folder.
        shutil.rmtree(engine_cache / "9.9.9", ignore_errors=True)
        shutil.rmtree(engine_cache / ".9.9.9.tmp-interrupted", ignore_errors=True)


def test_cache_dir_honours_the_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PROBE_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "probe" / "engines"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "probe" / "engines"
    monkeypatch.setenv("PROBE_CACHE_DIR", str(tmp_path / "override"))
    assert cache_dir() == tmp_path / "override"


def test_a_version_that_does_not_exist(engine_cache: Path) -> None:
    with pytest.raises(EngineError, match="does not exist"):
        install("0.0.0-probe-no-such-version")
    assert "0.0.0-probe-no-such-version" not in dict(list_installed())


@pytest.mark.parametrize("permission", ["on", "off"])
def test_the_sandbox_keeps_writes_inside(
    builds: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, permission: str
) -> None:
    from probe.engines import permissions, process

    process.close_all()  # a process started under the other setting is not reused
    # "off" is `probe --no-node-permission`: the write guard alone keeps writes in.
    monkeypatch.setattr(permissions, "_UNSAFE", [permission == "off"])
    tmp_openclaw = Path("/tmp/openclaw")
    existed = tmp_openclaw.exists()
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    entry = builds["fixed"].parents[1]
    before = {p: p.stat().st_mtime_ns for p in entry.rglob("*")}
    result = run_build(builds["fixed"], load(REFERENCE / "issue-bump-hold.toml"))
    assert list(home.iterdir()) == []
    assert {p: p.stat().st_mtime_ns for p in entry.rglob("*")} == before
    mkdir = {"what": "write", "api": "fs.mkdirSync", "target": str(tmp_openclaw)}
    if not existed:
        # The logger tries /tmp/openclaw first and falls back to TMPDIR: under the permission
        # model its accessSync("/tmp") is already denied (no read there), so it never gets to
        # the mkdir; under the traps alone the write guard refuses the mkdir and reports it.
        assert not tmp_openclaw.exists()
        assert (mkdir in result["blocked"]) is (permission == "off")
    assert [b for b in result["blocked"] if b["what"] != "write"] == []


def test_the_network_trap_fires() -> None:
    proc = subprocess.run(
        ["node", str(harness_path()), "--self-test-network"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    tests = [line for line in lines if line["kind"] == "self_test"]
    assert {t["api"] for t in tests} >= {
        "net.connect",
        "http.request",
        "fetch",
        "dns.lookup",
        "tls.connect",
    }
    assert all(t["trapped"] for t in tests)
    refused = {
        line["api"] for line in lines if line["kind"] == "blocked" and line["what"] == "network"
    }
    assert refused >= {"net.connect", "http.request", "fetch", "dns.lookup", "tls.connect"}


def test_unexpressible_features_are_reported_not_approximated(builds: dict[str, Path]) -> None:
    scenario = load(REFERENCE / "issue-bump-hold.toml")
    scenario["settings"]["settle_ms"] = 5_000
    scenario["settings"]["heartbeat_ms"] = 10_000  # driven: the harness fires the heartbeat
    scenario["steps"][3] = {"do": "release", "outcome": "failed"}
    result = run_build(builds["buggy"], scenario)
    assert result["events"] == []
    keys = {(u["step"], u["key"]) for u in result["unsupported"]}
    assert keys == {(None, "settings.settle_ms"), (3, "steps[3].outcome")}
    assert all(u["reason"] for u in result["unsupported"])


def test_pending_and_step_indexes(builds: dict[str, Path]) -> None:
    scenario = load(REFERENCE / "issue-bump-hold.toml")
    scenario["steps"] = scenario["steps"][:3]  # no release: the held recovery never finishes
    result = run_build(builds["buggy"], scenario)
    assert result["runtime_outcomes"] == ["pending", "skipped/already_in_flight"]
    assert result["runtime_calls"][0] == {
        "call": 0,
        "call_step": 0,
        "step": None,
        "outcome": "pending",
    }
    assert result["event_steps"] == [0, 0, 1, 2, 2, 2]


def test_node_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(EngineError, match="node is not installed or not on PATH"):
        run_build(tmp_path, {})
    monkeypatch.setenv("PROBE_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(EngineError, match="node is not installed"):
        install("2026.5.30-beta.1")


def test_a_missing_build_dir(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="does not exist"):
        run_build(tmp_path / "nowhere" / "dist", {})


def test_a_folder_that_is_not_an_openclaw_build(tmp_path: Path) -> None:
    dist = tmp_path / "package" / "dist"
    dist.mkdir(parents=True)
    with pytest.raises(EngineError, match="not an openclaw build"):
        run_build(dist, {})
    (tmp_path / "package" / "package.json").write_text('{"name": "leftpad", "version": "1.0.0"}')
    with pytest.raises(EngineError, match="not an openclaw build"):
        run_build(dist, {})
    # Named openclaw, but none of the diagnostic chunks: the harness itself refuses it.
    (tmp_path / "package" / "package.json").write_text('{"name": "openclaw", "version": "1.0.0"}')
    (dist / "index.js").write_text("export {};\n")
    with pytest.raises(
        EngineError, match="not an openclaw build with the diagnostic recovery code"
    ):
        run_build(dist, load(REFERENCE / "issue-bump-hold.toml"))


def test_summarize_matches_the_reference_summaries() -> None:
    for case in CASES:
        for build, expected in json.loads(case.with_suffix(".real.json").read_text()).items():
            summary = summarize(expected["events"], expected["runtime_outcomes"])
            assert {k: summary[k] for k in SUMMARY_KEYS} == {
                k: expected[k] for k in SUMMARY_KEYS
            }, (
                case.stem,
                build,
            )
