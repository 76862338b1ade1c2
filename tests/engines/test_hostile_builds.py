"""Hostile builds, made at test time from openclaw@2026.7.1 as a maintainer's PR could (its package
copied, its diagnostic chunk edited), on PATH's Node 20 and on the fetched Node 24: each is refused
or contained (issue 19). Only names that existed before the fix are imported at the top, so that
the same file, run against the code before it, shows each defect."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from probe.engines import nodes, process
from probe.engines.drive import run_build
from probe.engines.errors import EngineError
from probe.engines.install import install
from tests.conftest import REFERENCE
from tests.engines.support import (
    Listeners,
    hostile_copy,
    needs_real_builds,
    outside_with_secret,
)
from tests.helpers import invoke

HOSTILE_BASE = "2026.7.1"


def _seccomp_works() -> bool:
    from probe.engines.harness import network_gap

    return network_gap() is None


PRELUDE = 'import * as probeHostileModule from "node:module";\n' \
    "const probeHostileRequire = probeHostileModule.createRequire(import.meta.url);\n"


@pytest.fixture(scope="module")
def base_dist(engine_cache: Path) -> Path:
    return install(HOSTILE_BASE)


@pytest.fixture
def on_node(node: nodes.NodeChoice, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("PROBE_NODE", node.path)
    process.close_all()
    yield node.version
    process.close_all()


def _scenario() -> dict[str, Any]:
    from probe.engines.engine import normalized
    from probe.scenario.files import read_scenario
    from probe.strategies import REGISTRY

    path = REFERENCE / "issue-bump-hold.toml"
    return normalized(read_scenario(path, REGISTRY.keys(), str(path)))


@needs_real_builds
def test_a_build_that_asks_for_the_permission_model_to_go_is_refused(
    base_dist: Path, tmp_path: Path, on_node: str
) -> None:
    proof = tmp_path / "id.txt"
    payload = PRELUDE + textwrap.dedent(
        f"""
        if (process.permission) throw new Error("ERR_ACCESS_DENIED");
        try {{
          const cp = probeHostileRequire("node:child_process");
          new cp.ChildProcess().spawn({{
            file: "/bin/sh", args: ["/bin/sh", "-c", "id > {proof}"], stdio: "ignore" }});
        }} catch {{}}
        """
    )
    dist = hostile_copy(base_dist, tmp_path / "pr", payload)
    with pytest.raises(EngineError, match="did not load under Node's permission model"):
        run_build(dist, _scenario())
    code, out, err = invoke("run", "--engine", str(dist), str(REFERENCE / "issue-bump-hold.toml"))
    assert code == 2 and "PASS" not in out
    assert "probe does not run it with less isolation" in err
    # Asked for on this command alone, it runs without the model: the spawn is still refused.
    scenario_file = str(REFERENCE / "issue-bump-hold.toml")
    code, out, err = invoke("--no-node-permission", "run", "--engine", str(dist), scenario_file)
    assert code == 0 and "WARNING: --no-node-permission" in err, (out, err)
    from probe.engines import permissions

    process.close_all()
    try:
        permissions.allow_without_permission_model()
        result = run_build(dist, _scenario())
    finally:
        permissions.allow_without_permission_model(False)
        process.close_all()
    assert "child_process.ChildProcess.spawn" in [b["api"] for b in result["blocked"]]
    assert not proof.exists()
    with pytest.raises(EngineError, match="did not load under Node's permission model"):
        run_build(dist, _scenario())  # refused again: nothing was remembered that lets it in
    assert not proof.exists()


@needs_real_builds
def test_udp_and_dns_from_a_build_reach_nothing(
    base_dist: Path, tmp_path: Path, on_node: str, listeners: Listeners
) -> None:
    port = listeners.port
    payload = PRELUDE + textwrap.dedent(
        f"""
        const probeDgram = probeHostileRequire("node:dgram");
        const probeDns = probeHostileRequire("node:dns");
        try {{
          const s = new probeDgram.Socket({{ type: "udp4", lookup: probeDns.lookup }});
          s.on("error", () => {{}});
          s.send("probe-udp", {port}, "127.0.0.1", () => {{}});
        }} catch {{}}
        try {{
          const r = new probeDns.promises.Resolver({{ timeout: 300, tries: 1 }});
          r.setServers(["127.0.0.1:{port}"]);
          await r.resolve4("example.com").catch(() => {{}});
        }} catch {{}}
        // Beneath every trap: the UDP handle the socket object wraps.
        let probeRaw = "no handle";
        try {{
          const s = new probeDgram.Socket({{ type: "udp4" }});
          const state = Object.getOwnPropertySymbols(s).map((k) => s[k]).find((v) => v?.handle);
          probeRaw = state.handle.bind("127.0.0.1", 0, 0);
        }} catch (err) {{ probeRaw = String(err); }}
        await new Promise((resolve) => setTimeout(resolve, 300));
        throw new Error(`probe-hostile-network raw-udp-bind=${{probeRaw}}`);
        """
    )
    dist = hostile_copy(base_dist, tmp_path / "pr", payload)
    with pytest.raises(EngineError, match="probe-hostile-network") as caught:
        run_build(dist, _scenario())
    assert listeners.received() == []
    if _seccomp_works():
        assert "raw-udp-bind=-13" in caught.value.message  # UV_EACCES: socket() refused


@needs_real_builds
def test_a_link_in_the_package_does_not_open_the_disk(
    base_dist: Path, tmp_path: Path, on_node: str
) -> None:
    secret = outside_with_secret(tmp_path) / "secret"
    payload = PRELUDE + textwrap.dedent(
        f"""
        const probeFs = probeHostileRequire("node:fs");
        let probeText;
        try {{
          probeText = probeFs.readFileSync(new URL("../zz-root{secret}", import.meta.url), "utf8");
        }} catch {{
          try {{ probeText = probeFs.readFileSync("{secret}", "utf8"); }}
          catch (e) {{ probeText = e.code; }}
        }}
        throw new Error(`probe-hostile-read ${{probeText}}`);
        """
    )
    dist = hostile_copy(base_dist, tmp_path / "pr", payload)
    (dist.parent / "zz-root").symlink_to("/")
    with pytest.raises(EngineError, match="zz-root is a symbolic link to /") as caught:
        run_build(dist, _scenario())
    assert "probe-secret" not in caught.value.message
    code, out, err = invoke("engines", "inspect", str(dist))
    assert code == 2 and "zz-root is a symbolic link to /" in err
    (dist.parent / "zz-root").unlink()
    code, out, err = invoke("engines", "inspect", str(dist), "-f", "json")
    assert code == 0, err
    reads = json.loads(out)["reads"]
    # The real list: the package, the node_modules beside it, the harness; not the folder above.
    assert str(dist.parent.resolve()) in reads
    assert str((tmp_path / "pr").resolve()) not in reads and "/" not in reads
    with pytest.raises(EngineError, match="probe-hostile-read") as caught:
        run_build(dist, _scenario())
    assert "probe-hostile-read ERR_ACCESS_DENIED" in caught.value.message


@needs_real_builds
def test_stderr_and_memory_of_a_build_are_bounded(
    base_dist: Path, tmp_path: Path, on_node: str
) -> None:
    payload = textwrap.dedent(
        """
        const probeLine = "x".repeat(1 << 20);
        for (let i = 0; i < 300; i += 1) process.stderr.write(probeLine);
        process.stderr.write("\\nprobe-hostile-tail\\n");
        globalThis.probeHeld = [];
        for (let i = 0; i < 25; i += 1) globalThis.probeHeld.push(Buffer.alloc(64 << 20, 1));
        """
    )
    dist = hostile_copy(base_dist, tmp_path / "pr", payload)
    # In a process of its own, to read probe's peak memory for this build alone.
    code = textwrap.dedent(
        f"""
        import json, resource, sys, time
        from probe.engines.drive import run_build
        from probe.engines.errors import EngineError
        scenario = json.loads(sys.stdin.read())
        start = time.monotonic()
        try:
            run_build({str(dist)!r}, scenario)
            outcome, alloc = "ran", False
        except EngineError as exc:
            outcome = exc.message.replace("x" * 64, "")[-600:]
            # Node 20: "RangeError: Array buffer allocation failed"; Node 24 may instead end
            # in V8's fatal "... out of memory" with its native stack trace.
            text = exc.message.lower()
            alloc = ("rangeerror" in text and "alloc" in text) or "out of memory" in text
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({{"outcome": outcome, "alloc": alloc, "peak_mb": peak_mb,
                           "seconds": time.monotonic() - start}}))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(_scenario()),
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    # 300 MB of stderr held probe at 640 MB before; 1.6 GB of buffers were held for 60 s.
    assert found["peak_mb"] < 200, found
    assert found["outcome"] != "ran" and found["seconds"] < 45, found
    assert found["alloc"], found  # the memory cap ended it, anywhere in its kept stderr
