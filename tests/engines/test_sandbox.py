"""The build process's sandbox: Node's permission model and the harness's JS traps, each escape a
build could try refused by one of them (on PATH's Node 20 and on the fetched Node 24)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from probe.engines import nodes, permissions
from probe.engines.cache import cache_dir, install_lock, move_into_place
from probe.engines.harness import (
    Build,
    permission_flags,
    permission_refusal,
    refused_by_permissions,
    run_harness,
)
from tests.engines.support import needs_real_builds

FS_AND_PROCESS = [
    "fs.writeFileSync",
    "fs.promises.writeFile",
    "fs.createWriteStream",
    "fs.cpSync",
    "fs.mkdirSync",
    "child_process.spawn",
    "child_process.exec",
    "worker_threads.Worker",
    "process.binding",
]
NETWORK = ["net.connect", "http.request", "dgram.createSocket", "dns.lookup"]


@pytest.fixture(scope="module", params=["path", "fetched-24"])
def node(request: pytest.FixtureRequest, engine_cache: Path) -> nodes.NodeChoice:
    if request.param == "path":
        return nodes.path_node()
    return nodes.select_node(
        cache_dir(),
        nodes.NodeNeed(">=24.16.0 <25"),
        lambda _m: None,
        install_lock,
        move_into_place,
    )


def _self_test(node: str, outside: Path, *extra: str) -> dict[str, dict[str, object]]:
    # Through the launcher probe runs every harness process with (its permission flags and all).
    proc = run_harness(node, ["--self-test-sandbox", str(outside), *extra], None, 60)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(x) for x in proc.stdout.splitlines() if x.strip()]
    assert lines[-1] == {"kind": "done", "permission": True}
    assert "ExperimentalWarning" not in proc.stderr
    return {x["api"]: x for x in lines if x["kind"] == "self_test"}


@needs_real_builds
def test_permission_model_alone_refuses_fs_processes_workers_bindings(
    node: nodes.NodeChoice, tmp_path: Path
) -> None:
    results = _self_test(node.path, tmp_path, "--no-traps")
    for api in FS_AND_PROCESS:
        assert results[api]["refused_by"] == "permission", (node.version, api, results[api])
        assert results[api]["error"] == "ERR_ACCESS_DENIED"
    # Node 20 to 24 have no network permission: only the traps stand there.
    assert all(results[api]["refused_by"] is None for api in NETWORK)
    assert list(tmp_path.iterdir()) == []


@needs_real_builds
def test_every_escape_is_refused_with_traps_on_top(node: nodes.NodeChoice, tmp_path: Path) -> None:
    results = _self_test(node.path, tmp_path)
    assert set(results) == {*FS_AND_PROCESS, *NETWORK}
    # The traps answer first (they report a `blocked` line); the permission model is beneath.
    assert {api: r["refused_by"] for api, r in results.items()} == dict.fromkeys(results, "trap")
    assert list(tmp_path.iterdir()) == []


def test_flags_per_node_version(tmp_path: Path) -> None:
    assert permissions.flag_for((20, 20, 2)) == "--experimental-permission"
    assert permissions.flag_for((22, 12, 0)) == "--experimental-permission"
    assert permissions.flag_for((22, 13, 0)) == "--permission"
    assert permissions.flag_for((23, 4, 0)) == "--experimental-permission"
    assert permissions.flag_for((23, 5, 0)) == "--permission"
    assert permissions.flag_for((24, 22, 3)) == "--permission"
    assert permissions.flag_for((18, 0, 0)) is None
    flags = permissions.node_flags((24, 22, 3), [tmp_path / "build"], tmp_path / "sandbox")
    assert flags[0] == "--permission"
    assert f"--allow-fs-write={tmp_path / 'sandbox'}" in flags
    granted = ("--allow-child", "--allow-worker", "--allow-addons", "--allow-wasi")
    assert not [f for f in flags if f.startswith(granted)]


def test_read_roots_follow_linked_work_folders(tmp_path: Path) -> None:
    real_package = tmp_path / "elsewhere" / "package"
    (real_package / "dist").mkdir(parents=True)
    modules = tmp_path / "deps" / "node_modules"
    modules.mkdir(parents=True)
    work = tmp_path / "work"
    work.mkdir()
    (work / "package").symlink_to(real_package, target_is_directory=True)
    (work / "node_modules").symlink_to(modules, target_is_directory=True)
    roots = permissions.read_roots(work / "package" / "dist", Path("/h/harness.mjs"))
    assert real_package in roots and modules in roots and work in roots
    assert Path("/h") in roots


def test_turned_off_it_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(permissions.OFF_ENV, "off")
    assert permissions.node_flags((24, 22, 3), [tmp_path], tmp_path) == []
    assert "only" in permissions.sandbox_line((24, 22, 3))


@needs_real_builds  # it asks PATH's Node for its version
def test_a_build_refused_by_the_permission_model_runs_under_the_traps_alone(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PROBE_CACHE_DIR", str(tmp_path / "cache"))
    dist = tmp_path / "package" / "dist"
    dist.mkdir(parents=True)
    build = Build(dist)
    version = nodes.path_node().version
    assert permission_flags(nodes.path_node().path, build, tmp_path)[0].endswith("permission")
    assert permission_refusal(dist) is None
    said = "Error: Access to this API has been restricted [ERR_ACCESS_DENIED] fs.read"
    assert refused_by_permissions(dist, said)
    assert not refused_by_permissions(dist, said)  # already known: no second retry
    assert permission_flags(nodes.path_node().path, build, tmp_path) == []
    refused = permission_refusal(dist)
    assert refused is not None and "ERR_ACCESS_DENIED" in refused
    line = permissions.sandbox_line(nodes.parse_version(version), refused)
    assert line.startswith("JS traps") and "did not load under" in line
