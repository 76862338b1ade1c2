"""Reading a build's own files without running anything: is it openclaw, its in-flight key."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from probe.engines.cache import PACKAGE
from probe.engines.errors import EngineError

COORDINATOR_REGION = "src/logging/diagnostic-session-recovery-coordinator.ts"
_REGION_START = f"//#region {COORDINATOR_REGION}"
_IN_FLIGHT_KEY = re.compile(r"\bconst\s+inFlightKey\s*=\s*(.+?);?\s*$")
_CALL = re.compile(r"^([\w$]+)\(([^()]*)\)$")
_RETURN = re.compile(r"^\s*return\s+(.+?);?\s*$")
_GENERATION = re.compile(r"\b(?:state)?[Gg]eneration\b")
# What a key made of the session's identity alone reads like: sessionKey / sessionId / ref, with
# optional chaining, trims and fallbacks, and nothing that adds to it.
_REF_ONLY = re.compile(r"^[\w$?.()\s|]+$")
_REF_NAME = re.compile(r"\b(?:sessionKey|sessionId|ref)\b")
_MAX_DEPTH = 4


@dataclass(frozen=True, slots=True)
class KeyShape:
    """The coordinator's dedup key: `ref:generation`, `ref` or `unknown`, and where it was read."""

    shape: str
    line: str | None = None
    chunk: str | None = None
    lineno: int | None = None  # 1-based, in `chunk`

    def as_dict(self) -> dict[str, Any]:
        return {"shape": self.shape, "line": self.line, "chunk": self.chunk, "lineno": self.lineno}

    @property
    def where(self) -> str:
        return f"{self.chunk}:{self.lineno}" if self.chunk and self.lineno else ""


def _chunks(dist: Path) -> Iterator[Path]:
    """Chunk files, the ones named after the diagnostic modules first."""
    names = (
        sorted(p for p in dist.iterdir() if p.suffix in (".js", ".mjs") and p.is_file())
        if dist.is_dir()
        else []
    )
    yield from (p for p in names if p.name.startswith("diagnostic"))
    yield from (p for p in names if not p.name.startswith("diagnostic"))


def _coordinator_chunk(dist: Path) -> tuple[Path, list[str], int, int] | None:
    """The chunk holding the coordinator, its lines and the region's [start, end) line indexes."""
    for chunk in _chunks(dist):
        try:
            text = chunk.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if _REGION_START not in text:
            continue
        lines = text.splitlines()
        for start, line in enumerate(lines):
            if line.strip() == _REGION_START:
                end = next(
                    (
                        i
                        for i in range(start + 1, len(lines))
                        if lines[i].startswith("//#endregion")
                    ),
                    len(lines),
                )
                return chunk, lines, start, end
    return None


def _returns(lines: list[str], function: str) -> list[tuple[int, str]]:
    """(line index, expression) of each `return EXPR` in a top-level function of the chunk."""
    head = re.compile(rf"^(?:async\s+)?function\s+{re.escape(function)}\s*\(")
    for start, line in enumerate(lines):
        if head.match(line):
            found = []
            for i in range(start + 1, len(lines)):
                if lines[i] == "}":
                    break
                match = _RETURN.match(lines[i])
                if match:
                    found.append((i, match.group(1)))
            return found
    return []


def _judge(expr: str, at: int, lines: list[str], region: range, depth: int) -> tuple[str, int]:
    """The shape of a key expression, and the line that decided it (the deepest in the region)."""
    expr = expr.strip()
    if _GENERATION.search(expr):
        return "ref:generation", at
    call = _CALL.match(expr)
    if call and depth < _MAX_DEPTH:
        returns = _returns(lines, call.group(1))
        if returns:
            judged = [_judge(e, i, lines, region, depth + 1) for i, e in returns]
            shapes = {shape for shape, _ in judged}
            deciding = next(
                (i for shape, i in judged if shape == "ref:generation"),
                judged[-1][1],
            )
            where = deciding if deciding in region else at
            if "ref:generation" in shapes:
                return "ref:generation", where
            if shapes == {"ref"}:
                return "ref", where
            return "unknown", where
    if _REF_ONLY.match(expr) and _REF_NAME.search(expr):
        return "ref", at
    return "unknown", at


def key_shape(dist: Path) -> KeyShape:
    """How the build's coordinator keys its in-flight set, read from its source.

    Follows `const inFlightKey = ...` in the coordinator's region through the helpers it calls:
    a key that mentions the generation is `ref:generation`, one made of the session's key or id
    alone is `ref`, anything else (or no coordinator) `unknown`.
    """
    found = _coordinator_chunk(Path(dist))
    if found is None:
        return KeyShape("unknown")
    chunk, lines, start, end = found
    region = range(start, end)
    at = next((i for i in region if _IN_FLIGHT_KEY.search(lines[i])), None)
    if at is None:
        return KeyShape("unknown", None, chunk.name, None)
    match = _IN_FLIGHT_KEY.search(lines[at])
    assert match is not None
    shape, where = _judge(match.group(1), at, lines, region, 0)
    return KeyShape(shape, lines[where].strip(), chunk.name, where + 1)


def check_dist(dist: Path) -> None:
    """Refuse a folder that is not an openclaw build's dist/ (before any Node runs on it)."""
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


def check_package(package: Path, version: str) -> None:
    """Refuse a downloaded package folder that is not openclaw@`version`."""
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
