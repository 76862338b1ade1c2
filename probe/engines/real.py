"""Published openclaw builds: install them in a cache and replay scenarios on them through Node."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from probe.errors import ProbeError

__all__ = [
    "FAKE_TIMERS",
    "EngineError",
    "cache_dir",
    "dist_dir",
    "harness_path",
    "install",
    "list_installed",
    "run_build",
    "summarize",
]

FAKE_TIMERS = "@sinonjs/fake-timers@15.5.0"
"""The timer faker that drives the harness's virtual clock (not an openclaw dependency)."""

PACKAGE = "openclaw"
_COMPLETE_MARKER = ".probe-engine.json"
_VERSION_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+_-]*$")
_MIN_NODE_MAJOR = 20
_NPM_TIMEOUT_S = 600.0
_ABANDONED_AFTER_S = 24 * 3600.0
_RUN_TIMEOUT_S = 60.0
_UNREACHABLE_CODES = (
    "ENOTFOUND",
    "EAI_AGAIN",
    "ECONNREFUSED",
    "ECONNRESET",
    "ETIMEDOUT",
    "ENETUNREACH",
    "EHOSTUNREACH",
    "ERR_SOCKET_TIMEOUT",
    "network request to",
    "request to https",
)


class EngineError(ProbeError):
    """A real build could not be installed or run; the message says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def harness_path() -> Path:
    """The Node harness shipped inside the package."""
    return Path(__file__).resolve().parent / "node" / "harness.mjs"


def cache_dir() -> Path:
    """Where builds live: $PROBE_CACHE_DIR, else $XDG_CACHE_HOME or ~/.cache, then probe/engines."""
    override = os.environ.get("PROBE_CACHE_DIR")
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "probe" / "engines"


def dist_dir(version: str) -> Path:
    """The `dist/` folder of an installed build (which may not exist)."""
    return cache_dir() / version / "package" / "dist"


def check_version(version: str) -> None:
    if not _VERSION_RE.match(version) or ".." in version:
        raise EngineError(f"not a version: {version!r}")


def _is_complete(entry: Path) -> bool:
    return (entry / _COMPLETE_MARKER).is_file() and (entry / "package" / "dist").is_dir()


def _which(program: str) -> str:
    found = shutil.which(program, path=os.environ.get("PATH", os.defpath))
    if found is None:
        raise EngineError(
            f"{program} is not installed or not on PATH; real openclaw builds need Node.js "
            f"{_MIN_NODE_MAJOR} or newer with npm (https://nodejs.org)"
        )
    return found


def _node() -> str:
    """The node executable, checked to be recent enough to run the builds."""
    node = _which("node")
    try:
        proc = subprocess.run(
            [node, "--version"],
            capture_output=True,
            text=True,
            timeout=30,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EngineError(f"cannot run {node}: {exc}") from exc
    match = re.match(r"^v(\d+)\.", proc.stdout.strip())
    if proc.returncode != 0 or match is None:
        raise EngineError(f"{node} --version did not print a Node.js version")
    if int(match.group(1)) < _MIN_NODE_MAJOR:
        raise EngineError(
            f"{node} is Node.js {proc.stdout.strip()}; real openclaw builds need Node.js "
            f"{_MIN_NODE_MAJOR} or newer"
        )
    return node


def _npm_failure(what: str, spec: str, proc: subprocess.CompletedProcess[str]) -> EngineError:
    text = f"{proc.stdout}\n{proc.stderr}"
    if (
        "ETARGET" in text
        or "E404" in text
        or "No matching version" in text
        or "404 Not Found" in text
    ):
        return EngineError(
            f"{spec} does not exist on the npm registry ({what} failed: no such version)"
        )
    if any(code in text for code in _UNREACHABLE_CODES):
        return EngineError(
            f"the npm registry is unreachable ({what} {spec}); "
            "check the network or npm's registry setting"
        )
    tail = "\n".join(line for line in text.strip().splitlines()[-8:])
    return EngineError(f"{what} {spec} failed (exit {proc.returncode}): {tail}")


def _run_npm(
    npm: str, args: list[str], cwd: Path, what: str, spec: str
) -> subprocess.CompletedProcess[str]:
    try:
        proc = subprocess.run(
            [npm, *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=_NPM_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "npm_config_update_notifier": "false", "npm_config_fund": "false"},
        )
    except subprocess.TimeoutExpired as exc:
        raise EngineError(
            f"{what} {spec} timed out after {exc.timeout:.0f} s; is the npm registry reachable?"
        ) from exc
    if proc.returncode != 0:
        raise _npm_failure(what, spec, proc)
    return proc


def _sandbox_env(sandbox: Path) -> dict[str, str]:
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


def _run_harness(
    node: str, args: list[str], stdin: str | None, timeout: float
) -> subprocess.CompletedProcess[str]:
    """Run the harness in a fresh sandbox folder, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="probe-sandbox-") as name:
        sandbox = Path(name)
        try:
            return subprocess.run(
                [node, str(harness_path()), *args],
                input=stdin if stdin is not None else "",
                capture_output=True,
                text=True,
                timeout=timeout,
                env=_sandbox_env(sandbox),
                cwd=sandbox,
            )
        except subprocess.TimeoutExpired as exc:
            raise EngineError(
                f"the harness did not finish within {timeout:.0f} s ({' '.join(args)})"
            ) from exc


def _harness_json(node: str, args: list[str], timeout: float) -> list[dict[str, Any]]:
    proc = _run_harness(node, args, None, timeout)
    lines = _parse_lines(proc.stdout)
    for line in lines:
        if line.get("kind") == "error":
            raise EngineError(str(line.get("message")))
    if proc.returncode != 0:
        raise EngineError(
            f"the harness failed (exit {proc.returncode}): {proc.stderr.strip()[-2000:]}"
        )
    return lines


def _parse_lines(stdout: str) -> list[dict[str, Any]]:
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


def _extract(tarball: Path, into: Path) -> None:
    root = into.resolve()
    with tarfile.open(tarball, "r:gz") as archive:
        for member in archive.getmembers():
            target = (into / member.name).resolve()
            if (
                not target.is_relative_to(root)
                or member.issym()
                or member.islnk()
                or member.isdev()
            ):
                raise EngineError(f"unsafe entry in the npm tarball {tarball.name}: {member.name}")
        try:
            archive.extractall(into, filter="data")
        except TypeError:  # pragma: no cover - Python 3.11 before 3.11.4 has no extraction filters
            archive.extractall(into)


def _check_openclaw_package(package: Path, version: str) -> None:
    manifest = package / "package.json"
    try:
        meta = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise EngineError(f"{package} is not an openclaw build: no readable package.json") from exc
    if not isinstance(meta, dict) or meta.get("name") != PACKAGE:
        raise EngineError(
            f"{package} is not an openclaw build: package.json names {meta.get('name')!r}"
        )
    if meta.get("version") != version:
        raise EngineError(f"{package} holds openclaw {meta.get('version')!r}, not {version}")
    if not (package / "dist").is_dir():
        raise EngineError(f"{package} is not an openclaw build: it has no dist/ folder")


def _dir_size(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += (Path(root) / name).lstat().st_size
            except OSError:
                continue
    return total


def _remove_abandoned(root: Path, version: str) -> None:
    """Remove what killed installs of this version left behind (a running one is younger)."""
    cutoff = time.time() - _ABANDONED_AFTER_S
    for leftover in root.glob(f".{version}.*-*"):
        try:
            if leftover.is_dir() and leftover.stat().st_mtime < cutoff:
                shutil.rmtree(leftover, ignore_errors=True)
        except OSError:
            continue


def install(version: str, progress: Callable[[str], None] | None = None) -> Path:
    """Install openclaw@VERSION (the package and only the dependencies its diagnostic chunks need).

    Returns the build's `dist/` folder. Idempotent; an interrupted install leaves only a temporary
    folder that is never taken for a build, and concurrent installs of one version leave one entry.
    """
    check_version(version)
    say = progress or (lambda _message: None)
    root = cache_dir()
    entry = root / version
    if _is_complete(entry):
        return entry / "package" / "dist"
    node = _node()
    npm = _which("npm")
    root.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(root, version)
    work = Path(tempfile.mkdtemp(prefix=f".{version}.tmp-", dir=root))
    try:
        spec = f"{PACKAGE}@{version}"
        say(f"downloading {spec}")
        packed = _run_npm(
            npm, ["pack", spec, "--json", "--pack-destination", str(work)], work, "npm pack", spec
        )
        try:
            filename = json.loads(packed.stdout)[0]["filename"]
        except (json.JSONDecodeError, LookupError, TypeError) as exc:
            raise EngineError(f"npm pack {spec} printed no tarball name") from exc
        tarball = work / str(filename)
        if not tarball.is_file():
            raise EngineError(f"npm pack {spec} did not write {tarball.name}")
        say(f"extracting {tarball.name}")
        _extract(tarball, work)
        tarball.unlink()
        _check_openclaw_package(work / "package", version)
        deps_line = _harness_json(
            node, ["--list-deps", str(work / "package" / "dist")], _RUN_TIMEOUT_S
        )
        deps = next((line for line in deps_line if line.get("kind") == "deps"), None)
        if deps is None:
            raise EngineError("the harness listed no dependencies")
        packages: dict[str, str] = dict(deps.get("packages", {}))
        undeclared = list(deps.get("undeclared", []))
        if undeclared:
            raise EngineError(
                f"{spec}'s diagnostic chunks import packages it does not declare: "
                f"{', '.join(undeclared)}"
            )
        fake_name, _, fake_version = FAKE_TIMERS.rpartition("@")
        wanted = {**packages, fake_name: fake_version}
        manifest = {"name": "probe-engine-openclaw", "private": True, "dependencies": wanted}
        (work / "package.json").write_text(
            json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        say(f"installing {len(wanted)} packages: {', '.join(sorted(wanted))}")
        _run_npm(
            npm,
            [
                "install",
                "--ignore-scripts",
                "--no-audit",
                "--no-fund",
                "--omit=dev",
                "--loglevel=error",
            ],
            work,
            "npm install",
            f"a dependency of {spec}",
        )
        say("checking that the build loads")
        _harness_json(node, ["--check", str(work / "package" / "dist")], _RUN_TIMEOUT_S)
        meta = {"version": version, "dependencies": wanted, "harness_protocol": 1}
        (work / _COMPLETE_MARKER).write_text(
            json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        try:
            os.rename(work, entry)
        except OSError:
            # Another install of this version won the race, or a broken entry is in the way.
            if _is_complete(entry):
                return entry / "package" / "dist"
            if entry.exists():
                stale = root / f".{version}.stale-{uuid.uuid4().hex}"
                os.rename(entry, stale)
                shutil.rmtree(stale, ignore_errors=True)
                os.rename(work, entry)
            else:
                raise
        say(f"installed {spec} in {entry}")
        return entry / "package" / "dist"
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)


def list_installed() -> list[tuple[str, int]]:
    """Installed builds as (version, size in bytes), sorted by version string."""
    root = cache_dir()
    if not root.is_dir():
        return []
    found: list[tuple[str, int]] = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".") or not entry.is_dir() or not _is_complete(entry):
            continue
        found.append((entry.name, _dir_size(entry)))
    return found


def _check_dist(dist: Path) -> None:
    if not dist.exists():
        raise EngineError(
            f"no openclaw build at {dist}: the folder does not exist (install it first)"
        )
    if not dist.is_dir():
        raise EngineError(f"no openclaw build at {dist}: not a folder")
    manifest = dist.parent / "package.json"
    try:
        meta = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise EngineError(
            f"{dist} is not an openclaw build's dist/ folder: no package.json beside it"
        ) from exc
    if not isinstance(meta, dict) or meta.get("name") != PACKAGE:
        raise EngineError(
            f"{dist} is not an openclaw build's dist/ folder: "
            f"its package.json names {meta.get('name')!r}"
        )


def run_build(
    dist_dir: Path, scenario: dict[str, Any], timeout: float = _RUN_TIMEOUT_S
) -> dict[str, Any]:
    """Replay a normalized scenario on the build in `dist_dir` in a fresh, sandboxed Node process.

    Returns {"events" (shaped as in reference/*.real.json), "event_steps" (the step index of each
    event), "runtime_outcomes" (in call order), "runtime_calls" (call, call_step, step, outcome),
    "unsupported" (step, key, reason; nothing ran when it is not empty), "blocked" (what, api,
    target: attempts the sandbox refused), "network_attempts" (the blocked ones of what=network),
    "meta"}; raises EngineError when the harness fails.
    """
    dist = Path(dist_dir)
    node = _node()
    _check_dist(dist)
    proc = _run_harness(node, [str(dist)], json.dumps(scenario), timeout)
    lines = _parse_lines(proc.stdout)
    result: dict[str, Any] = {
        "events": [],
        "event_steps": [],
        "runtime_outcomes": [],
        "runtime_calls": [],
        "unsupported": [],
        "blocked": [],
        "network_attempts": [],
        "meta": {},
    }
    calls: dict[int, dict[str, Any]] = {}
    done = False
    for line in lines:
        kind = line.get("kind")
        if kind == "error":
            raise EngineError(f"openclaw harness on {dist}: {line.get('message')}")
        if kind == "event":
            result["events"].append(dict(line["event"]))
            result["event_steps"].append(line["step"])
        elif kind == "runtime_outcome":
            calls[int(line["call"])] = {
                k: line[k] for k in ("call", "call_step", "step", "outcome")
            }
        elif kind == "unsupported":
            result["unsupported"].append({k: line.get(k) for k in ("step", "key", "reason")})
        elif kind == "blocked":
            entry = {k: line.get(k) for k in ("what", "api", "target")}
            result["blocked"].append(entry)
            if entry["what"] == "network":
                result["network_attempts"].append(entry)
        elif kind == "meta":
            result["meta"] = {k: v for k, v in line.items() if k != "kind"}
        elif kind == "done":
            done = True
    if result["unsupported"]:
        if proc.returncode != 3:
            raise EngineError(
                f"the harness reported unsupported features but exited {proc.returncode}"
            )
        result["events"] = []
        result["event_steps"] = []
        return result
    if proc.returncode != 0 or not done:
        raise EngineError(
            f"the harness failed on {dist} (exit {proc.returncode}): "
            f"{proc.stderr.strip()[-2000:] or 'no output'}"
        )
    ordered = [calls[i] for i in sorted(calls)]
    if [c["call"] for c in ordered] != list(range(len(ordered))):
        raise EngineError("the harness skipped a runtime call in its report")
    result["runtime_calls"] = ordered
    result["runtime_outcomes"] = [c["outcome"] for c in ordered]
    return result


def summarize(events: list[dict[str, Any]], runtime_outcomes: list[str]) -> dict[str, Any]:
    """The summary keys of the JSON report (and of reference/*.real.json) from one run's events."""
    requested = [e for e in events if e.get("type") == "session.recovery.requested"]
    completed = [e for e in events if e.get("type") == "session.recovery.completed"]
    # Both layers' already_in_flight skips end in a completed event; the runtime's resolve at once,
    # so the coordinator's own are the rest. (The coordinator's carries the classification's
    # activeWorkKind, which a session.stuck classification does not have, so that cannot tell them.)
    in_flight_skips = sum(
        1
        for e in completed
        if e.get("status") == "skipped" and e.get("outcomeReason") == "already_in_flight"
    )
    runtime = sum(1 for outcome in runtime_outcomes if outcome == "skipped/already_in_flight")
    coordinator = in_flight_skips - runtime
    return {
        "absorbed_by": {"coordinator": coordinator, "runtime": runtime},
        "completed": len(completed),
        "requested": len(requested),
        "requested_generations": [e.get("stateGeneration") for e in requested],
        "runtime_outcomes": list(runtime_outcomes),
    }
