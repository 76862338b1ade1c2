"""A build's answer to one scenario: the harness's output lines read as a result, and summed up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from probe.engines.errors import ReplayFailed

__all__ = ["build_result", "summarize"]


def build_result(lines: list[dict[str, Any]], code: int, stderr: str, dist: Path) -> dict[str, Any]:
    """run_build's answer from the harness's output lines of one scenario."""
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
            raise ReplayFailed(f"openclaw harness on {dist}: {line.get('message')}")
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
        if code != 3:
            raise ReplayFailed(f"the harness reported unsupported features but exited {code}")
        result["events"] = []
        result["event_steps"] = []
        return result
    if code != 0 or not done:
        raise ReplayFailed(
            f"the harness failed on {dist} (exit {code}): {stderr.strip()[-2000:] or 'no output'}"
        )
    ordered = [calls[i] for i in sorted(calls)]
    if [c["call"] for c in ordered] != list(range(len(ordered))):
        raise ReplayFailed("the harness skipped a runtime call in its report")
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
