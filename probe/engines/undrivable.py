"""Builds the harness cannot drive: its --inspect verdict as an error, remembered per harness.

A downloaded build that has no recovery code, or a layout the harness cannot drive, is not
downloaded again for the same harness: its verdict and the coordinator key read from it stay in
the cache (.undrivable/VERSION.json) until it is pruned or the harness changes.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Mapping
from typing import Any

from probe.engines import harness
from probe.engines.cache import PACKAGE, undrivable_record
from probe.engines.errors import UndrivableBuild

__all__ = ["remember_undrivable", "remembered_undrivable", "undrivable_key", "undrivable_problem"]


def remembered_undrivable(version: str) -> UndrivableBuild | None:
    """The verdict on openclaw@VERSION from an earlier download by this harness, if any."""
    try:
        meta = json.loads(undrivable_record(version).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    if not isinstance(meta, dict) or meta.get("harness") != harness.harness_digest():
        return None
    error = UndrivableBuild(
        f"{PACKAGE}@{version}", str(meta.get("status")), [str(m) for m in meta.get("problems", [])]
    )
    error.remembered = True
    return error


def remember_undrivable(version: str, error: UndrivableBuild, key: dict[str, Any]) -> None:
    """Keep the verdict and the coordinator key read from the build (written by one rename)."""
    record = undrivable_record(version)
    record.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "version": version,
        "status": error.status,
        "problems": error.problems,
        "harness": harness.harness_digest(),
        "key": key,
    }
    tmp = record.with_name(f".{record.name}.{uuid.uuid4().hex}")
    tmp.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, record)


def undrivable_key(version: str) -> dict[str, Any] | None:
    """The coordinator key read from a build that was downloaded and found undrivable, if any."""
    try:
        meta = json.loads(undrivable_record(version).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    key = meta.get("key") if isinstance(meta, dict) else None
    return key if isinstance(key, dict) else None


def undrivable_problem(inspected: Mapping[str, Any], name: str) -> UndrivableBuild | None:
    """The harness's --inspect verdict as an error, or None when the build can be driven."""
    status = str(inspected.get("status"))
    if status == "drivable":
        return None
    problems = [str(p.get("message")) for p in inspected.get("problems", [])]
    return UndrivableBuild(name, status, problems)
