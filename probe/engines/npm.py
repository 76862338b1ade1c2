"""Running npm for probe: one runner, whose failures become engine errors that say what to do."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from probe.engines.errors import EngineError, MissingVersion

__all__ = ["BUILDS_NEED_NPM", "npm_path", "run_npm"]

BUILDS_NEED_NPM = "real openclaw builds need Node.js 20 or newer with npm (https://nodejs.org)"
"""What a missing npm stops, said when it is not on PATH."""

_NPM_TIMEOUT_S = 600.0
_NO_MATCHING = re.compile(r"No matching version found for (@?[^@\s]+)@([^\s]+?)\.?\s*$", re.M)
# What npm prints when the registry cannot be reached: error codes, and its own wording.
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


def npm_path(needed_for: str = BUILDS_NEED_NPM) -> str:
    """npm on PATH; missing, an EngineError that says what it is `needed_for`."""
    found = shutil.which("npm", path=os.environ.get("PATH", os.defpath))
    if found is None:
        raise EngineError(f"npm is not installed or not on PATH; {needed_for}")
    return found


def run_npm(
    args: list[str], cwd: Path, what: str, spec: str, *, needed_for: str = BUILDS_NEED_NPM
) -> subprocess.CompletedProcess[str]:
    """`npm ARGS` in `cwd`; `what` (`npm pack`) and `spec` (what it was for) name it in errors."""
    npm = npm_path(needed_for)
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


def _npm_failure(what: str, spec: str, proc: subprocess.CompletedProcess[str]) -> EngineError:
    """What a failed npm run means for the user: a missing version, no registry, or npm's tail."""
    text = f"{proc.stdout}\n{proc.stderr}"
    missing = _NO_MATCHING.search(text)
    if missing and what == "npm install":
        name, version = missing.group(1), missing.group(2)
        return MissingVersion(
            f"{name}@{version} (needed by {spec}) does not exist on the npm registry",
            name,
            version,
        )
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
