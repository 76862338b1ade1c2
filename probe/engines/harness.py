"""The Node harness as a program: its command line, sandbox, permission flags and one-shot modes.

Every harness process runs in a fresh sandbox folder with an environment that points every place
openclaw writes to into it, under Node's permission model (probe.engines.permissions: a build
that does not load under it is refused), started through the launcher that caps its memory and
closes its sockets (probe.engines.confine), its output bounded (probe.engines.bounded). The
one-shot modes read a build without replaying anything:
`--inspect` (can it be driven), `--list-deps` (what its diagnostic chunks import), `--check`
(do its chunks load).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from probe.engines import nodes
from probe.engines.bounded import OutputOverflow, run_bounded
from probe.engines.errors import EngineError, ReplayFailed

__all__ = [
    "MEMORY_CAP_BYTES",
    "RUN_TIMEOUT_S",
    "Build",
    "check_loads",
    "harness_digest",
    "harness_line",
    "harness_path",
    "inspect_dist",
    "launch",
    "list_dependencies",
    "network_gap",
    "parse_lines",
    "permission_flags",
    "read_roots",
    "refuse_if_denied",
    "run_harness",
    "sandbox_env",
    "write_gap",
]

RUN_TIMEOUT_S = 60.0


@dataclass(frozen=True, slots=True)
class Build:
    """How the harness reaches a build: its dist/ as Node sees it, Node flags, extra environment."""

    dist: Path
    node_flags: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()


def harness_path() -> Path:
    """The Node harness shipped inside the package."""
    return Path(__file__).resolve().parent / "node" / "harness.mjs"


@cache
def harness_digest() -> str:
    """Identifies the harness: what it could not drive is remembered only for this harness."""
    return hashlib.sha256(harness_path().read_bytes()).hexdigest()[:16]


def sandbox_env(sandbox: Path) -> dict[str, str]:
    """A minimal environment that points every place openclaw writes to into `sandbox`."""
    for sub in ("home", "state", "tmp"):
        (sandbox / sub).mkdir(exist_ok=True)
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "LANG": "C.UTF-8",
        "TZ": "UTC",
        "NO_COLOR": "1",
        "PROBE_SANDBOX": str(sandbox),
        "HOME": str(sandbox / "home"),
        "OPENCLAW_HOME": str(sandbox / "home"),
        "OPENCLAW_STATE_DIR": str(sandbox / "state"),
        "OPENCLAW_CONFIG_PATH": str(sandbox / "state" / "openclaw.json"),
        "TMPDIR": str(sandbox / "tmp"),
        "OPENCLAW_LOG_LEVEL": "silent",
    }


MEMORY_CAP_BYTES = 1536 * 1024**2
"""The data segment a build process may map (RLIMIT_DATA): heap, buffers and V8's reservations.
A loaded 9.6 on Node 24 maps 0.83 GB of it (0.27 GB resident), 7.1 on Node 20 0.19 GB; beyond
the cap an allocation fails and the build's load or scenario fails with it."""
OLD_SPACE_MB = 1024
"""V8's old generation (--max-old-space-size), inside the cap above."""


def confine_path() -> Path:
    """The launcher every build process starts through (rlimits and the seccomp filter)."""
    return Path(__file__).resolve().parent / "confine.py"


@cache
def _below_js() -> dict[str, str | None]:
    """What the launcher can close below JS on this machine: {"seccomp", "landlock"}, each None
    (it works) or why not; a gap is said once on stderr (what is above it then stands alone)."""
    try:
        proc = subprocess.run(
            [sys.executable, "-I", "-S", str(confine_path()), "--check"],
            capture_output=True,
            text=True,
            timeout=30,
            stdin=subprocess.DEVNULL,
        )
        found = json.loads(proc.stdout)
        gaps = {key: found[key] for key in ("seccomp", "landlock")}
    except (OSError, subprocess.TimeoutExpired, ValueError, KeyError, TypeError) as exc:
        gaps = dict.fromkeys(("seccomp", "landlock"), f"the launcher's check failed: {exc}")
    if gaps["seccomp"] is not None:
        nodes.say_on_stderr(
            f"WARNING: cannot close sockets and new processes below JS here ({gaps['seccomp']}); "
            "the build's network is closed by the harness's JS traps alone"
        )
    if gaps["landlock"] is not None:
        nodes.say_on_stderr(
            f"WARNING: no Landlock here ({gaps['landlock']}); the build's writes are confined by "
            "Node's permission model and the harness's write guard alone"
        )
    return gaps


def network_gap() -> str | None:
    """Why sockets cannot be closed below JS here (None: the seccomp filter works)."""
    return _below_js()["seccomp"]


def write_gap() -> str | None:
    """Why writes cannot be confined below JS here (None: Landlock works)."""
    return _below_js()["landlock"]


def launch(node: str, flags: list[str], sandbox: Path) -> list[str]:
    """The argv that starts `node` with `flags` first, through the launcher: memory capped and,
    where the kernel allows, no sockets, no new processes, no signals to other processes, and
    no change to the file system outside `sandbox`."""
    below = [] if network_gap() is None else ["--no-seccomp"]
    if write_gap() is None:
        below += ["--write-beneath", str(sandbox)]
    return [
        sys.executable,
        "-I",
        "-S",
        str(confine_path()),
        "--data-bytes",
        str(MEMORY_CAP_BYTES),
        *below,
        "--",
        os.path.abspath(node) if os.sep in node else node,
        f"--max-old-space-size={OLD_SPACE_MB}",
        *flags,
    ]


def run_harness(
    node: str,
    args: list[str],
    stdin: str | None,
    timeout: float,
    build: Build | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the harness in a fresh sandbox folder, removed afterwards; its stdout bounded, its
    stderr only the tail."""
    flags = list(build.node_flags) if build is not None else []
    extra = dict(build.env) if build is not None else {}
    with tempfile.TemporaryDirectory(prefix="probe-sandbox-") as name:
        sandbox = Path(name)
        guard = permission_flags(node, build, sandbox)
        try:
            return run_bounded(
                [*launch(node, [*guard, *flags], sandbox), str(harness_path()), *args],
                stdin if stdin is not None else "",
                timeout,
                {**sandbox_env(sandbox), **extra},
                str(sandbox),
            )
        except subprocess.TimeoutExpired as exc:
            raise ReplayFailed(
                f"the harness did not finish within {timeout:.0f} s ({' '.join(args)})"
            ) from exc
        except OutputOverflow as exc:
            raise EngineError(f"the harness was ended: {exc} ({' '.join(args)})") from None


def permission_flags(node: str, build: Build | None, sandbox: Path) -> list[str]:
    """Node's permission model for one harness process (see probe.engines.permissions); an
    EngineError when it cannot be had (never a process with less isolation)."""
    from probe.engines import permissions

    if not permissions.enforced():
        return []
    try:
        version = nodes.checked_version(node)
    except nodes.NodeError as exc:
        raise EngineError(f"{exc}: probe runs builds under Node's permission model only") from None
    try:
        return permissions.node_flags(version, read_roots(build), sandbox)
    except ValueError as exc:
        raise EngineError(str(exc)) from None


def read_roots(build: Build | None) -> list[Path]:
    """Where a harness process for `build` may read (permissions.read_roots); EngineError when a
    link under them leads outside them."""
    from probe.engines import permissions

    env = build.env if build is not None else ()
    # The pinned fake-timers resolve their own dependency (@sinonjs/commons) beside them.
    pinned = [Path(value) for name, value in env if name == "PROBE_FAKE_TIMERS"]
    extra = [*pinned, *(a for p in pinned for a in Path(p).parents if a.name == "node_modules")]
    try:
        return permissions.read_roots(
            build.dist if build is not None else None, harness_path(), extra
        )
    except permissions.LinkOut as exc:
        raise EngineError(str(exc)) from None


def _harness_json(
    node: str, args: list[str], timeout: float, build: Build | None = None
) -> list[dict[str, Any]]:
    proc = run_harness(node, args, None, timeout, build)
    lines = parse_lines(proc.stdout)
    for line in lines:
        if line.get("kind") == "error":
            raise EngineError(str(line.get("message")))
    if proc.returncode != 0:
        raise EngineError(
            f"the harness failed (exit {proc.returncode}): {proc.stderr.strip()[-2000:]}"
        )
    return lines


def harness_line(node: str, mode: str, dist: Path, kind: str) -> dict[str, Any]:
    found = next(
        (
            line
            for line in _harness_json(node, [mode, str(dist)], RUN_TIMEOUT_S, Build(dist))
            if line.get("kind") == kind
        ),
        None,
    )
    if found is None:
        raise EngineError(f"the harness printed no {kind} line for {mode} {dist}")
    return found


def inspect_dist(dist: Path) -> dict[str, Any]:
    """What the harness finds in a build's dist/ without importing it (`harness.mjs --inspect`)."""
    return harness_line(nodes.reader_node(), "--inspect", Path(dist), "inspect")


def list_dependencies(dist: Path) -> dict[str, Any]:
    """The npm packages the diagnostic chunks import: {"packages": {name: spec}, "undeclared"}."""
    return harness_line(nodes.reader_node(), "--list-deps", Path(dist), "deps")


def parse_lines(stdout: str) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    for raw in stdout.splitlines():
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise EngineError(f"the harness wrote a line that is not JSON: {raw[:200]!r}") from exc
        if not isinstance(value, dict):
            raise EngineError(f"the harness wrote a line that is not a JSON object: {raw[:200]!r}")
        lines.append(value)
    return lines


def check_loads(dist: Path, say: Callable[[str], None]) -> str:
    """Import the build's chunks once (`harness.mjs --check`) on the Node it needs; a load that
    fails for want of node:sqlite is retried on a Node that has it. Returns that Node's version."""
    while True:
        choice = nodes.node_for(dist, say)
        assert choice is not None
        say(f"checking that the build loads (Node v{choice.version}, {choice.source})")
        try:
            _harness_json(choice.path, ["--check", str(dist)], RUN_TIMEOUT_S, Build(dist))
        except EngineError as exc:
            if nodes.learn_sqlite_need(dist, choice.path, exc.message):
                continue
            refuse_if_denied(dist, exc.message)
            raise
        return choice.version


def refuse_if_denied(dist: Path, text: str) -> None:
    """A build that Node's permission model stopped (ERR_ACCESS_DENIED in what its process said)
    is refused with the reason: probe never runs it again with less isolation by itself."""
    from probe.engines import permissions

    if "ERR_ACCESS_DENIED" not in text or not permissions.enforced():
        return
    found = re.search(r"[^\n]*ERR_ACCESS_DENIED[^\n]*", text)
    reason = found.group(0).strip()[:300] if found else "ERR_ACCESS_DENIED"
    raise EngineError(
        f"{dist}: the build did not load under Node's permission model ({reason}); probe does "
        "not run it with less isolation. `probe --no-node-permission COMMAND ...` runs it "
        "without the permission model for that one command (unsafe: the build may then read "
        "and write anywhere you can)"
    )
