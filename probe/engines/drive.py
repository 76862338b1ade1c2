"""Replaying a scenario on a build: in the build's Node process for the command, or a fresh one.

A build is replayed in one process per command (probe.engines.process) unless
PROBE_BUILD_PROCESS=fresh, or unless its state cannot be reset between scenarios. A build that
fails to load for want of node:sqlite is learnt from and tried again on the Node it needs; one
that fails to load under Node's permission model is refused, never tried with less isolation.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from probe.engines import nodes
from probe.engines.errors import EngineError, ReplayFailed
from probe.engines.harness import (
    RUN_TIMEOUT_S,
    Build,
    harness_path,
    launch,
    parse_lines,
    permission_flags,
    refuse_if_denied,
    run_harness,
    sandbox_env,
)
from probe.engines.layout import check_dist
from probe.engines.results import build_result

if TYPE_CHECKING:
    from probe.engines.process import BuildProcess

__all__ = ["prestart", "reuse_refusal", "reuses_processes", "run_build"]


def run_build(
    dist_dir: Path | Build, scenario: dict[str, Any], timeout: float = RUN_TIMEOUT_S
) -> dict[str, Any]:
    """Replay a normalized scenario on the build in `dist_dir` in a fresh, sandboxed Node process.

    `dist_dir` is a build's dist/ folder, or a Build (a folder prepared for a build probe did not
    install: see probe.engines.local). Returns {"events" (shaped as in reference/*.real.json),
    "event_steps" (the step index of each event), "runtime_outcomes" (in call order),
    "runtime_calls" (call, call_step, step, outcome), "unsupported" (step, key, reason; nothing
    ran when it is not empty), "blocked" (what, api, target: attempts the sandbox refused),
    "network_attempts" (the blocked ones of what=network), "meta"}; raises EngineError when the
    harness fails.
    """
    from probe.engines.cache import hold_cached_build

    build = dist_dir if isinstance(dist_dir, Build) else Build(Path(dist_dir))
    dist = build.dist
    hold_cached_build(dist)  # in use until probe exits: prune leaves it
    nodes.reader_node()  # Node missing is said before anything about the build
    check_dist(dist)
    while True:
        choice = nodes.node_for(dist)
        assert choice is not None
        if reuses_processes() and Path(dist).resolve() not in _NO_REUSE:
            served = _serve(choice.path, build, scenario, timeout)
            if served is None:
                continue  # the build needs another Node, or cannot be reused: try again
            lines, code, stderr = served
            break
        proc = run_harness(choice.path, [str(dist)], json.dumps(scenario), timeout, build)
        output = proc.stdout + proc.stderr
        if proc.returncode in (0, 3) or not nodes.learn_sqlite_need(dist, choice.path, output):
            if proc.returncode not in (0, 3):
                refuse_if_denied(dist, output)
            lines, code, stderr = parse_lines(proc.stdout), proc.returncode, proc.stderr
            break
    return build_result(lines, code, stderr, dist)


# Builds whose state the harness cannot reset between scenarios (fresh process per scenario).
_NO_REUSE: dict[Path, str] = {}


def reuses_processes() -> bool:
    """One build process per command, unless PROBE_BUILD_PROCESS=fresh (one per scenario)."""
    return os.environ.get("PROBE_BUILD_PROCESS", "reuse") != "fresh"


def reuse_refusal(dist: Path) -> str | None:
    """Why this process replays the build in a fresh process per scenario (None: it does not)."""
    return _NO_REUSE.get(Path(dist).resolve())


def _worker(node: str, build: Build) -> BuildProcess:
    from probe.engines import process

    dist = build.dist
    from probe.engines.permissions import enforced

    key = (node, str(dist), build.node_flags, build.env, enforced())

    def make() -> process.BuildProcess:
        return process.BuildProcess(
            lambda sandbox: [
                *launch(
                    node, [*permission_flags(node, build, sandbox), *build.node_flags], sandbox
                ),
                str(harness_path()),
                "--serve",
                str(dist),
            ],
            lambda sandbox: {**sandbox_env(sandbox), **dict(build.env)},
        )

    return process.pooled(key, make)


def prestart(dist_dir: Path | Build) -> None:
    """Start the build's process now, so that several builds load at once (conform, compare).
    Only where a Node fit to run it is already at hand: never fetches, never fails."""
    from probe.engines.cache import hold_cached_build

    build = dist_dir if isinstance(dist_dir, Build) else Build(Path(dist_dir))
    if not reuses_processes() or Path(build.dist).resolve() in _NO_REUSE:
        return
    hold_cached_build(build.dist)
    try:
        choice = nodes.node_for(build.dist, fetch=False)
    except EngineError:
        return
    if choice is not None:
        _worker(choice.path, build).spawn()


def _serve(
    node: str, build: Build, scenario: dict[str, Any], timeout: float
) -> tuple[list[dict[str, Any]], int, str] | None:
    from probe.engines import process

    dist = build.dist
    worker = _worker(node, build)
    try:
        served = worker.replay(scenario, timeout)
    except process.ProcessFailure as exc:
        if not exc.started:
            if nodes.learn_sqlite_need(dist, node, exc.message + worker.stderr_tail()):
                return None
            if "cannot reset its diagnostic state" in exc.message:
                _NO_REUSE[Path(dist).resolve()] = exc.message
                return None
            refuse_if_denied(dist, exc.message + worker.stderr_tail())
        raise ReplayFailed(f"openclaw harness on {dist}: {exc.message}") from None
    return served.lines, served.code, served.stderr
