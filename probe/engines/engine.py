"""Engines by name (resolve) and what build engines share: the harness's input, runs, diffs."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from probe.engines.base import CannotExpress, Engine, ModelEngine, Unexpressible
from probe.errors import ProbeError
from probe.model.events import COMPLETED, REQUESTED, Event, FieldValue
from probe.run import Run
from probe.scenario.dump import step_table
from probe.scenario.timeline import BUILD_HEARTBEAT_MS, timeline
from probe.scenario.values import Scenario, Tick
from probe.strategies import get_strategy

if TYPE_CHECKING:  # imported where used: the installer and its helpers are slow to import
    from probe.engines.harness import Build

# The last published build with the bug and the first with the fix.
BUGGY_BUILD = "openclaw@2026.5.30-beta.1"
FIXED_BUILD = "openclaw@2026.5.31-beta.1"
DEFAULT_PAIRS = (("model:buggy", BUGGY_BUILD), ("model:fixed", FIXED_BUILD))


def key_shape(dist: Path) -> tuple[str, str | None]:
    """The coordinator's in-flight key as the build's code writes it, and the line read."""
    from probe.engines.layout import key_shape as read_key_shape

    found = read_key_shape(dist)
    return found.shape, found.line


DESIGN_OF_SHAPE = {"ref:generation": "buggy", "ref": "fixed"}


def normalized(scenario: Scenario) -> dict[str, Any]:
    """The harness's input: every default filled in.

    With a heartbeat other than the builds' own (late firings, another interval), also
    `heartbeats`: every firing instant, from the timeline the model keeps too, at which the
    harness fires the build's own heartbeat callback.
    """
    s = scenario.settings
    settings: dict[str, Any] = {
        "heartbeat_ms": s.heartbeat_ms,
        "warn_ms": s.warn_ms,
        "settle_ms": s.settle_ms,
        "drain": s.drain,
    }
    if s.abort_ms is not None:  # only when given: the build derives it from warn otherwise
        settings["abort_ms"] = s.abort_ms
    if s.tick_late_ms:
        settings["tick_late_ms"] = s.tick_late_ms
    if s.tick_jitter_ms is not None:
        settings["tick_jitter_ms"] = list(s.tick_jitter_ms)
        settings["jitter_seed"] = s.jitter_seed
    if s.runtime != "real":
        settings["runtime"] = s.runtime
    late = s.tick_late_ms > 0 or s.tick_jitter_ms is not None
    late = late or any(isinstance(t, Tick) and t.late_ms is not None for t in scenario.steps)
    doc: dict[str, Any] = {
        "settings": settings,
        "sessions": [
            {
                "ref": x.ref,
                "state": x.state,
                "generation": x.generation,
                "queue_depth": x.queue_depth,
                "owner": x.owner,
                "abort": x.abort,
                "work": x.work,
                "progress_age_ms": x.progress_age_ms,
                # Identity only when it is not the harness's default (key + its own id).
                **({} if x.session_id is None else {"session_id": x.session_id}),
                **({} if x.keyed else {"keyed": False}),
                **({} if x.session_file is None else {"session_file": x.session_file}),
            }
            for x in scenario.sessions
        ],
        "steps": [step_table(step) for step in scenario.steps],
    }
    if late or s.heartbeat_ms != BUILD_HEARTBEAT_MS:
        doc["heartbeats"] = [h.fired_ms for h in timeline(scenario).heartbeats]
    return doc


_HARNESS_KEY = re.compile(r"^steps\[(\d+)\](.*)$")


def _unexpressible(item: dict[str, Any]) -> Unexpressible:
    step = item.get("step")
    key = str(item.get("key") or "")
    match = _HARNESS_KEY.match(key)
    if match:  # the harness counts steps from 0; probe from 1
        key = f"step[{int(match.group(1)) + 1}]{match.group(2)}"
    return Unexpressible(None if step is None else int(step) + 1, key, str(item.get("reason")))


def replay_build(
    name: str,
    design: str | None,
    build: Path | Build,
    scenario: Scenario,
    version: str | None = None,
) -> Run:
    """Replay `scenario` on a build through the harness: a Run, or CannotExpress."""
    from probe.engines.drive import run_build

    out = run_build(build, normalized(scenario))
    if out["unsupported"]:
        raise CannotExpress(name, [_unexpressible(u) for u in out["unsupported"]])
    run = run_from_events(
        design or name,
        name,
        out["events"],
        [int(s) + 1 for s in out["event_steps"]],
        out["runtime_outcomes"],
        scenario,
    )
    return replace(run, version=version) if version is not None else run


def run_from_events(
    strategy: str,
    engine: str,
    raw: list[dict[str, Any]],
    steps: list[int],
    runtime_outcomes: list[str],
    scenario: Scenario,
) -> Run:
    """A Run from a real build's event stream, judged by the same invariant checks."""
    from probe.properties.judge import judge

    events: list[Event] = []
    for seq, (data, step) in enumerate(zip(raw, steps, strict=True), start=1):
        fields: tuple[tuple[str, FieldValue], ...] = tuple(
            (k, v) for k, v in sorted(data.items()) if k not in ("type", "at_ms", "ref")
        )
        generation = data.get("stateGeneration") if data["type"] in (REQUESTED, COMPLETED) else None
        event = Event(
            seq,
            int(data["at_ms"]),
            step,
            str(data["type"]),
            str(data["ref"]),
            fields,
            generation=generation,
        )
        events.append(event)
    settled = "pending" not in runtime_outcomes
    verdict = judge(scenario, events, settled=settled)
    return Run(
        strategy=strategy,
        engine=engine,
        events=tuple(events),
        runtime_outcomes=tuple(runtime_outcomes),
        violations=verdict.violations,
        coordinator_absorbed=verdict.coordinator_absorbed,
        judged=verdict.judged,
        drain=scenario.settings.drain,
    )


def model_engine(name: str) -> ModelEngine:
    """`NAME` or `NAME@VERSION`: a strategy, with the behaviour of that openclaw version."""
    from probe.versions import switches_of

    strategy, at, version = name.partition("@")
    if not at:
        return ModelEngine(get_strategy(strategy))
    switches_of(version)  # an unknown version is a usage error naming the known range
    return ModelEngine(get_strategy(strategy), version)


# One published version, as npm writes it (2026.5.30-beta.1): not a dist-tag (latest, beta) or
# a range (^2026.5.0, 2026.x), which name different builds on different days.
_EXACT_VERSION = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")


def check_exact_version(version: str, shown: str | None = None) -> None:
    """Refuse anything but one exact version before anything is downloaded."""
    if _EXACT_VERSION.match(version):
        return
    from probe.near_miss import did_you_mean, versions_like
    from probe.versions import VERSIONS

    what = shown or f"openclaw@{version}"
    hint = did_you_mean(versions_like(version))
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", version):
        kind = "a dist-tag, which names a different build on different days"
        if not hint:
            hint = f" (the newest version probe knows is openclaw@{list(VERSIONS)[-1]})"
    elif re.fullmatch(r"[\^~<>=]*\s*[0-9]+(\.([0-9]+|[xX*]))*(\s*(\|\||-|<|<=)\s*\S+)?", version):
        kind = "a range"
    else:
        kind = "not a version"
    raise ProbeError(
        f"{what}: {kind}{hint}; probe replays one exact published version (such as "
        "openclaw@2026.5.31-beta.1), so that a report names the build it ran. "
        "`probe engines list --available` lists them"
    )


def check_published(version: str) -> None:
    """Refuse, before any download, a version that probe's table shows npm never had."""
    from probe.near_miss import did_you_mean, neighbours, unpublished
    from probe.versions import known_range

    if unpublished(version):
        raise ProbeError(
            f"openclaw@{version} was never published{did_you_mean(neighbours(version))}: "
            f"probe's version table holds every published version {known_range()}"
        )


def resolve(spec: str, progress: Callable[[str], None] | None = None) -> Engine:
    """`model:NAME`, `openclaw@VERSION`, or the path of a build (dist/ folder, package, .tgz).

    `progress` hears what a build's first use does that takes a while (downloads, installs).
    """
    from probe.engines.cache import check_version
    from probe.engines.local import LocalEngine, locate, looks_like_path
    from probe.engines.real import RealEngine

    if spec.startswith("model:"):
        return model_engine(spec.removeprefix("model:"))
    if spec.startswith("openclaw@") and len(spec) > len("openclaw@"):
        version = spec.removeprefix("openclaw@")
        check_exact_version(version, spec)
        check_version(version)
        check_published(version)
        return RealEngine(version, progress=progress)
    if spec and looks_like_path(spec):
        return LocalEngine(locate(spec), progress)
    from probe.near_miss import did_you_mean, versions_like

    hint = did_you_mean([f"openclaw@{v}" for v in versions_like(spec)] if spec else [], "")
    raise ProbeError(
        f"unknown engine {spec!r}{hint}: use model:NAME (a strategy), openclaw@VERSION (a "
        "published build) or the path of a build of your own (a dist/ folder, a package folder "
        "holding one, or a .tgz made by npm pack)"
    )


PROBE_ONLY_KEYS = ("seq", "step", "generation", "layer")


def comparable(event: dict[str, Any]) -> str:
    """One event as a line: the payload openclaw emits, without probe's bookkeeping."""
    return json.dumps({k: v for k, v in event.items() if k not in PROBE_ONLY_KEYS}, sort_keys=True)


def diff_runs(a: Run, b: Run) -> list[str]:
    """A unified diff of two runs' event streams and runtime outcomes; empty when they agree."""
    left = [comparable(e.as_dict()) for e in a.events]
    right = [comparable(e.as_dict()) for e in b.events]
    left += [f"runtime_outcomes {json.dumps(list(a.runtime_outcomes))}"]
    right += [f"runtime_outcomes {json.dumps(list(b.runtime_outcomes))}"]
    if left == right:
        return []
    return list(difflib.unified_diff(left, right, a.engine, b.engine, lineterm="", n=2))
