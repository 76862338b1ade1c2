"""Node's own permission model around the build process, and the builds that cannot load under it.

It allows reads where the build lives, writes only in its sandbox folder, and no child processes,
workers, addons or WASI.

The harness's JS traps (network, child processes, workers, writes outside the sandbox) stay in
place beneath it: the permission model of Node 20 to 24 does not cover the network at all, and the
traps report what was refused as `blocked` lines, which the permission model does not.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path

__all__ = ["OFF_ENV", "flag_for", "node_flags", "read_roots", "refusal", "refuse", "sandbox_line"]

OFF_ENV = "PROBE_NODE_PERMISSION"
"""`off` runs builds under the JS traps alone (a build the permission model stops from loading)."""

Version = tuple[int, int, int]


def flag_for(version: Version) -> str | None:
    """The flag that turns the permission model on: `--permission` from Node 22.13 / 23.5,
    `--experimental-permission` on Node 20 to 22.12, None before Node 20."""
    if version >= (23, 5, 0) or (version[0] == 22 and version >= (22, 13, 0)):
        return "--permission"
    if version[0] >= 20:
        return "--experimental-permission"
    return None


def _with_real(paths: Iterable[Path]) -> list[str]:
    """Each path as given and as its real path (linked work folders), once each, in order."""
    found: list[str] = []
    for path in paths:
        for candidate in (Path(os.path.abspath(path)), Path(os.path.realpath(path))):
            text = str(candidate)
            if text not in found:
                found.append(text)
    return found


def read_roots(dist: Path | None, harness: Path, extra: Iterable[Path] = ()) -> list[Path]:
    """Where the build process may read: the harness's folder, the build's package and the folder
    above it (its node_modules), each symlink in those folders and node_modules followed (a
    local build's linked package and dependency set), and `extra` (the pinned fake-timers). A
    build whose packages live elsewhere (a hoisted monorepo node_modules) fails to load under
    these and falls back to the JS traps, saying so."""
    roots = [harness.parent, *extra]
    if dist is not None:
        package = Path(os.path.abspath(dist)).parent
        roots += [package, package.parent]
        linking = [
            package.parent,
            package.parent / "node_modules",
            package,
            package / "node_modules",
        ]
        for folder in linking:
            try:
                entries = list(folder.iterdir()) if folder.is_dir() else []
            except OSError:
                entries = []
            roots += [entry for entry in entries if entry.is_symlink()]
    return [Path(p) for p in _with_real(roots)]


def node_flags(version: Version, roots: Iterable[Path], sandbox: Path) -> list[str]:
    """The permission flags for one process; [] when this Node has no permission model or the
    user turned it off."""
    flag = flag_for(version)
    if flag is None or os.environ.get(OFF_ENV, "").lower() == "off":
        return []
    reads = _with_real([*roots, sandbox])
    # Node 20's "Permission is an experimental feature" warning is noise in every stderr tail.
    quiet = ["--disable-warning=ExperimentalWarning"] if flag == "--experimental-permission" else []
    return [
        flag,
        *quiet,
        *(f"--allow-fs-read={p}" for p in reads),
        *(f"--allow-fs-write={p}" for p in _with_real([sandbox])),
    ]


def _record(records: Path, dist: Path) -> Path:
    key = hashlib.sha256(str(Path(dist).resolve()).encode()).hexdigest()[:24]
    return records / f"{key}.json"


def refuse(records: Path, dist: Path, reason: str, harness: str) -> None:
    """Remember (in `records`, kept across commands) that this build cannot load under the
    permission model with this harness: the JS traps alone from now on."""
    records.mkdir(parents=True, exist_ok=True)
    doc = {"dist": str(Path(dist).resolve()), "reason": reason, "harness": harness}
    _record(records, dist).write_text(json.dumps(doc, sort_keys=True) + "\n", encoding="utf-8")


def refusal(records: Path, dist: Path, harness: str) -> str | None:
    """Why this build runs under the traps alone (None: it does not); a record made with
    another harness no longer counts."""
    try:
        doc = json.loads(_record(records, dist).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    if not isinstance(doc, dict) or doc.get("harness") != harness:
        return None
    return str(doc.get("reason"))


def sandbox_line(version: Version | None, refused: str | None = None) -> str:
    """What confines the build process on this Node, in words (`probe engines inspect`)."""
    traps = "JS traps (network, child processes, workers, writes outside the sandbox)"
    if version is None:
        return f"Node's permission model where the Node fetched on first use has it + {traps}"
    flag = flag_for(version)
    node = "Node " + ".".join(str(p) for p in version)
    if os.environ.get(OFF_ENV, "").lower() == "off":
        return f"{traps} only: {OFF_ENV}=off"
    if flag is None:
        return f"{traps} only: {node} has no permission model"
    if refused is not None:
        return f"{traps} only: the build did not load under {flag} ({refused})"
    return (
        f"{flag} on {node} (reads: build, its node_modules, harness; writes: sandbox; "
        f"no child processes, workers, addons, WASI) + {traps}; the network by the traps alone"
    )
