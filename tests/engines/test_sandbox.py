"""The build process's sandbox: Node's permission model, the launcher's seccomp filter and rlimits,
the harness's JS traps, on PATH's Node 20 and on the fetched Node 24. Each escape a build could
try is refused by one of them, and hostile builds made at test time from openclaw@2026.7.1 (as a
maintainer's PR could) are refused or contained."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from probe.engines import confine, nodes, permissions
from probe.engines.bounded import STDERR_TAIL_BYTES, Tail, run_bounded
from probe.engines.errors import EngineError
from probe.engines.harness import (
    Build,
    network_gap,
    permission_flags,
    read_roots,
    run_harness,
    write_gap,
)
from tests.engines.support import (
    Listeners,
    needs_real_builds,
    outside_with_secret,
)
from tests.helpers import invoke

HOSTILE_BASE = "2026.7.1"


def _self_test(node: str, outside: Path, port: int, *extra: str) -> dict[str, dict[str, Any]]:
    # Through the launcher probe runs every harness process with (its flags, filter and all).
    proc = run_harness(
        node, ["--self-test-sandbox", str(outside), "--port", str(port), *extra], None, 120
    )
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(x) for x in proc.stdout.splitlines() if x.strip()]
    assert lines[-1] == {"kind": "done", "permission": True}
    assert "ExperimentalWarning" not in proc.stderr
    return {x["api"]: x for x in lines if x["kind"] == "self_test"}


# What refuses each escape with the traps off: the permission model, else below JS (the filter).
BY_PERMISSION = [
    "fs.writeFileSync", "fs.promises.writeFile", "fs.promises.FileHandle", "fs.createWriteStream",
    "fs.openSync+writeSync", "fs.appendFileSync", "fs.cpSync", "fs.copyFileSync", "fs.mkdirSync",
    "fs.renameSync", "fs.symlinkSync", "fs.linkSync", "fs.readFileSync", "fs.promises.readFile",
    "fs.readFileSync /proc/self/root", "fs.readFileSync /proc/self/environ", "fs.readdirSync /",
    "child_process.spawn", "child_process.exec", "child_process.execFileSync",
    "child_process.ChildProcess.spawn", "worker_threads.Worker", "process.binding",
    "process.dlopen", "inspector.Session.connect", "wasi.WASI",
]
BELOW_JS = [
    "inspector.open", "process.kill(parent)", "process._debugProcess(parent)", "net.connect",
    "net.Socket.connect", "net.Server.listen", "net.connect unix", "tls.connect", "http.request",
    "http.ClientRequest", "https.request", "http2.connect", "fetch", "dgram.createSocket.send",
    "dgram.Socket.send", "dns.lookup", "dns.Resolver", "dns.promises.Resolver",
    # Landlock's: Node 24's permission model does not see node:sqlite's own open() (Node 20 has
    # no node:sqlite: ABSENT).
    "sqlite.DatabaseSync", "sqlite ATTACH",
]


@needs_real_builds
def test_without_the_traps_every_escape_is_refused_beneath(
    node: nodes.NodeChoice, tmp_path: Path, listeners: Listeners
) -> None:
    if network_gap() is not None or write_gap() is not None:
        pytest.skip(f"nothing below JS on this machine: {network_gap()}, {write_gap()}")
    outside = outside_with_secret(tmp_path)
    results = _self_test(node.path, outside, listeners.port, "--no-traps")
    refused = {api: r["refused_by"] for api, r in results.items()}
    for api in BY_PERMISSION:
        assert refused[api] == "permission", (node.version, api, results[api])
    for api in BELOW_JS:
        absent = results[api]["error"] == "ABSENT"
        assert refused[api] in ("os", "permission") or absent, (node.version, api, results[api])
    # APIs this Node lacks (Node 20: WebSocket, process.execve) have nothing to refuse; undici's
    # WebSocket drops the cause of its failure (a bare TypeError): the listeners say the rest.
    assert refused["process.execve"] is not None or results["process.execve"]["error"] == "ABSENT"
    assert results["WebSocket"]["error"] is not None
    assert set(results) == {*BY_PERMISSION, *BELOW_JS, "WebSocket", "process.execve"}
    assert listeners.received() == []
    assert sorted(p.name for p in outside.iterdir()) == ["secret"]


@needs_real_builds
def test_every_escape_is_refused_with_traps_on_top(
    node: nodes.NodeChoice, tmp_path: Path, listeners: Listeners
) -> None:
    outside = outside_with_secret(tmp_path)
    results = _self_test(node.path, outside, listeners.port)
    # The traps answer first (they report a `blocked` line); the rest is beneath.
    for api, result in results.items():
        if result["error"] == "ABSENT":
            continue
        expected = "permission" if api in ("fs.readFileSync", "fs.promises.readFile") else "trap"
        if api.startswith(("fs.readFileSync /proc", "fs.readdirSync", "fs.symlink", "fs.link")):
            expected = "permission"  # reads are not trapped; links need full fs permissions
        if api == "wasi.WASI":
            expected = "permission"
        assert result["refused_by"] == expected, (node.version, api, result)
    assert listeners.received() == []
    assert sorted(p.name for p in outside.iterdir()) == ["secret"]


def test_the_filter_refuses_sockets_processes_and_signals_to_others() -> None:
    if network_gap() is not None:
        pytest.skip(f"no seccomp filter on this machine: {network_gap()}")
    code = textwrap.dedent(
        """
        import os, socket, sys
        sys.path.insert(0, sys.argv[1])
        import confine
        confine.install_filter()
        out = []
        for family, kind in ((socket.AF_INET, socket.SOCK_STREAM), (socket.AF_INET6,
                socket.SOCK_DGRAM), (socket.AF_UNIX, socket.SOCK_STREAM)):
            try:
                socket.socket(family, kind)
                out.append("socket opened")
            except PermissionError:
                out.append("socket refused")
        try:
            os.kill(os.getppid(), 0)
            out.append("signal sent")
        except PermissionError:
            out.append("signal refused")
        os.kill(os.getpid(), 0)
        try:
            pid = os.fork()
            if pid == 0:
                os._exit(0)
            out.append("forked")
        except PermissionError:
            out.append("fork refused")
        print(" ".join(out))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(Path(confine.__file__).parent)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == (
        "socket refused socket refused socket refused signal refused fork refused"
    )


def test_the_filter_program_knows_its_machines() -> None:
    for arch in ("x86_64", "aarch64"):
        program = confine.filter_program(arch, 4242)
        assert len(program) % 8 == 0 and 0 < len(program) // 8 < 64
    assert confine.main(["--bogus"]) == confine.LAUNCHER_EXIT


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
    granted = ("--allow-child", "--allow-worker", "--allow-addons", "--allow-wasi", "--allow-net")
    assert not [f for f in flags if f.startswith((*granted, "--allow-inspector"))]
    with pytest.raises(ValueError, match="no permission model"):
        permissions.node_flags((18, 0, 0), [tmp_path], tmp_path)


def test_read_roots_follow_probes_links_but_not_the_folder_above(tmp_path: Path) -> None:
    real_package = tmp_path / "elsewhere" / "package"
    (real_package / "dist").mkdir(parents=True)
    (tmp_path / "elsewhere" / ".ssh").mkdir()
    modules = tmp_path / "deps" / "node_modules"
    (modules / "tslog").mkdir(parents=True)
    work = tmp_path / "work"
    work.mkdir()
    (work / "package").symlink_to(real_package, target_is_directory=True)
    (work / "node_modules").symlink_to(modules, target_is_directory=True)
    roots = permissions.read_roots(work / "package" / "dist", Path("/h/harness.mjs"))
    assert real_package in roots and modules in roots and work / "package" in roots
    assert Path("/h") in roots
    # Neither the work folder nor the folder above the real package (a home folder, for a
    # checkout at ~/openclaw).
    assert work not in roots and tmp_path / "elsewhere" not in roots
    # A checkout's own node_modules linking inside itself (pnpm) is fine.
    (real_package / "node_modules" / ".pnpm" / "x").mkdir(parents=True)
    (real_package / "node_modules" / "x").symlink_to(real_package / "node_modules" / ".pnpm" / "x")
    permissions.read_roots(real_package / "dist", Path("/h/harness.mjs"))


def test_a_link_out_of_the_build_is_refused(tmp_path: Path) -> None:
    package = tmp_path / "package"
    (package / "dist").mkdir(parents=True)
    (package / "dist" / "deep").mkdir()
    (package / "dist" / "deep" / "zz-root").symlink_to("/")
    with pytest.raises(permissions.LinkOut, match="zz-root is a symbolic link to /"):
        permissions.read_roots(package / "dist", Path("/h/harness.mjs"))
    # Through probe's own entry points: an EngineError, exit 2 on the command line.
    with pytest.raises(EngineError, match="outside the build"):
        read_roots(Build(package / "dist"))


def test_no_node_permission_lasts_one_command(tmp_path: Path) -> None:
    try:
        permissions.allow_without_permission_model()
        assert permissions.node_flags((24, 22, 3), [tmp_path], tmp_path) == []
        assert "NO permission model" in permissions.sandbox_line((24, 22, 3), None, None)
        invoke("strategies")  # a command without the flag puts it back
        assert permissions.enforced()
    finally:
        permissions.allow_without_permission_model(False)
    assert permissions.node_flags((24, 22, 3), [tmp_path], tmp_path)[0] == "--permission"


def test_a_node_whose_version_cannot_be_read_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "node"
    fake.write_text("#!/bin/sh\necho not-a-node\n")
    fake.chmod(0o755)
    with pytest.raises(EngineError, match="permission model only"):
        permission_flags(str(fake), None, tmp_path)


def test_stderr_keeps_only_its_tail() -> None:
    # 64 MB through the pipe; only the last STDERR_TAIL_BYTES are kept.
    writer = "import sys\nfor i in range(1024): sys.stderr.write(str(i % 10) * 65536)\n"
    proc = subprocess.Popen([sys.executable, "-c", writer], stderr=subprocess.PIPE)
    assert proc.stderr is not None
    tail = Tail(proc.stderr)
    proc.wait()
    tail.close()
    assert tail.total == 1024 * 65536
    assert len(tail.text()) == STDERR_TAIL_BYTES and set(tail.text()) == {"3"}


def test_stdout_beyond_its_limit_ends_the_process() -> None:
    from probe.engines.bounded import OutputOverflow

    with pytest.raises(OutputOverflow, match="more than 4096 bytes"):
        run_bounded(
            [sys.executable, "-c", "import sys, time; sys.stdout.write('x' * 5000); "
             "sys.stdout.flush(); time.sleep(30)"],
            "",
            20,
            dict(os.environ),
            "/",
            stdout_limit=4096,
        )


def test_the_launcher_keeps_writes_in_the_sandbox_and_files_small(tmp_path: Path) -> None:
    if write_gap() is not None:
        pytest.skip(f"no Landlock on this machine: {write_gap()}")
    sandbox = tmp_path / "sandbox"
    sandbox.mkdir()
    code = textwrap.dedent(
        f"""
        import sys
        for name in ({str(sandbox / "in")!r}, {str(tmp_path / "out")!r}):
            try:
                open(name, "w").close()
                print("wrote", name.rsplit("/", 1)[1])
            except PermissionError:
                print("refused", name.rsplit("/", 1)[1])
        sys.stdout.flush()
        with open({str(sandbox / "big")!r}, "wb") as big:
            big.write(b"0" * ({confine.FILE_BYTES} + 1))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-I", "-S", confine.__file__, "--write-beneath", str(sandbox), "--",
         sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.stdout.split("\n")[:2] == ["wrote in", "refused out"], proc.stderr
    assert not (tmp_path / "out").exists()
    # Past RLIMIT_FSIZE the write fails (EFBIG; Python ignores the SIGXFSZ that ends Node).
    assert proc.returncode != 0 and "File too large" in proc.stderr
    assert (sandbox / "big").stat().st_size <= confine.FILE_BYTES
