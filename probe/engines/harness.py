"""The Node harness as a program: its command line, sandbox, permission flags and one-shot modes.

Every harness process runs in a fresh sandbox folder with an environment that points every place
openclaw writes to into it, under Node's permission model where the build loads under it (see
probe.engines.permissions). The one-shot modes read a build without replaying anything:
`--inspect` (can it be driven), `--list-deps` (what its diagnostic chunks import), `--check`
(do its chunks load).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from probe.engines import nodes
from probe.engines.cache import NO_PERMISSION_DIR, cache_dir
from probe.engines.errors import EngineError, ReplayFailed

__all__ = [
    "RUN_TIMEOUT_S",
    "Build",
    "check_loads",
    "harness_digest",
    "harness_line",
    "harness_path",
    "inspect_dist",
    "list_dependencies",
    "parse_lines",
    "permission_flags",
    "permission_refusal",
    "refused_by_permissions",
    "run_harness",
    "sandbox_env",
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


def run_harness(
    node: str,
    args: list[str],
    stdin: str | None,
    timeout: float,
    build: Build | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the harness in a fresh sandbox folder, removed afterwards."""
    flags = list(build.node_flags) if build is not None else []
    extra = dict(build.env) if build is not None else {}
    with tempfile.TemporaryDirectory(prefix="probe-sandbox-") as name:
        sandbox = Path(name)
        guard = permission_flags(node, build, sandbox)
        try:
            return subprocess.run(
                [node, *guard, *flags, str(harness_path()), *args],
                input=stdin if stdin is not None else "",
                capture_output=True,
                text=True,
                timeout=timeout,
                env={**sandbox_env(sandbox), **extra},
                cwd=sandbox,
            )
        except subprocess.TimeoutExpired as exc:
            raise ReplayFailed(
                f"the harness did not finish within {timeout:.0f} s ({' '.join(args)})"
            ) from exc


def permission_flags(node: str, build: Build | None, sandbox: Path) -> list[str]:
    """Node's permission model for one harness process (see probe.engines.permissions)."""
    from probe.engines import permissions

    if build is not None and permission_refusal(build.dist) is not None:
        return []
    try:
        version = nodes.checked_version(node)
    except nodes.NodeError:
        return []
    env = build.env if build is not None else ()
    # The pinned fake-timers resolve their own dependency (@sinonjs/commons) beside them.
    pinned = [Path(value) for name, value in env if name == "PROBE_FAKE_TIMERS"]
    extra = [*pinned, *(a for p in pinned for a in Path(p).parents if a.name == "node_modules")]
    roots = permissions.read_roots(build.dist if build is not None else None, harness_path(), extra)
    return permissions.node_flags(version, roots, sandbox)


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
            if refused_by_permissions(dist, exc.message):
                continue
            raise
        return choice.version


def permission_refusal(dist: Path) -> str | None:
    """Why this build runs under the harness's JS traps alone, without Node's permission model
    (None: it runs under both)."""
    from probe.engines import permissions

    return permissions.refusal(cache_dir() / NO_PERMISSION_DIR, dist, harness_digest())


def refused_by_permissions(dist: Path, text: str) -> bool:
    """A build that Node's permission model stopped from loading runs under the JS traps alone
    from now on, and `probe engines inspect` says so; True when that is new (try again)."""
    from probe.engines import permissions

    if "ERR_ACCESS_DENIED" not in text or permission_refusal(dist) is not None:
        return False
    found = re.search(r"ERR_ACCESS_DENIED[^\n]*", text)
    reason = found.group(0)[:300] if found else "ERR_ACCESS_DENIED"
    permissions.refuse(cache_dir() / NO_PERMISSION_DIR, dist, reason, harness_digest())
    nodes.say_on_stderr(
        f"{dist}: the build did not load under Node's permission model; "
        "running it under the harness's JS traps alone"
    )
    return True
