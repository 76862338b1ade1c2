"""Which behaviour switches a build's code has, read from its dist/ chunks with one regex each.

Pure Python, no Node: each switch has an anchor (the function its change lives in) and a
pattern (the change itself). No anchor in the code: None (the code cannot tell). Anchor and
pattern: True; anchor without pattern: False. The patterns were written against the 52
published bundles (bench/check_switches.py checks them against probe.versions).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from probe.model.behaviour import SWITCHES


@dataclass(frozen=True, slots=True)
class Probe:
    anchor: re.Pattern[str]
    pattern: re.Pattern[str]


def _p(anchor: str, pattern: str) -> Probe:
    return Probe(re.compile(anchor), re.compile(pattern))


_HEARTBEAT = r"function startDiagnosticHeartbeat\("
_ATTENTION = r"function classifySessionAttention\("
_ELIGIBLE = r"function isActiveAbortRecoveryEligible\("

PROBES: dict[str, Probe] = {
    "clear-run-activity": _p(
        r"function applyRecoveryOutcomeToDiagnosticState\(",
        r"if \(clearDiagnosticEmbeddedRunActivityForSession\(\{\s*sessionId: state\.sessionId",
    ),
    "recover-when-throttled": _p(r"function logSessionAttention\(", r"suppressWarning = true"),
    "model-call-long-running": _p(_ATTENTION, r'reason: "active_model_call_without_progress"'),
    "embedded-abort-by-progress": _p(
        _ELIGIBLE,
        r'activeWorkKind === "embedded_run" && typeof lastProgressAgeMs === "number" && '
        r"lastProgressAgeMs >= params\.stuckSessionAbortMs"
        r'|activeWorkKind === "embedded_run"\) && lastProgressAgeMs >= ',
    ),
    "blocked-tool-floor": _p(
        _ELIGIBLE,
        r"Math\.max\(params\.stuckSessionAbortMs, BLOCKED_TOOL_CALL_ABORT_FLOOR_MS\)"
        r"|const abortMs = resolveRunStaleThresholdMs\(activity, lastProgressAgeMs, ",
    ),
    "model-call-abort-without-run": _p(
        _ELIGIBLE,
        r'activeWorkKind === "model_call" && typeof lastProgressAgeMs === "number"'
        r'|\(classification\.activeWorkKind === "model_call" \|\| ',
    ),
    "skip-slow-tick": _p(_HEARTBEAT, r"tickDelayMs > DIAGNOSTIC_HEARTBEAT_DELAY_RECOVERY_SKIP_MS"),
    "defer-late-tick": _p(_HEARTBEAT, r"const recoveryObservationNow = now - heartbeatOverdueMs"),
    "queued-backlog": _p(
        _HEARTBEAT, r"queueDepth(?:: | = )resolveDiagnosticQueuedBacklog\(state\)"
    ),
    "released-no-active-work": _p(
        r"function recoverStuckDiagnosticSession\(",
        r'clearStaleSession \? \{ reason: "no_active_work" \}',
    ),
    "mutate-aborted-released-only": _p(
        r"function applyRecoveryOutcomeToDiagnosticState\(",
        r'if \(params\.outcome\.status !== "aborted" && params\.outcome\.status !== "released"\)',
    ),
    "owned-work-attention-age": _p(_HEARTBEAT, r"const ownedWorkAgeMs = "),
    "no-prune-on-create": _p(
        r"function getDiagnosticSessionState\(",
        r"diagnosticSessionStates\.set\(key, created\);\s*pruneDiagnosticSessionStates\(\);",
    ),
    "prune-empty-key": _p(
        r"function pruneDiagnosticSessionStates\(",
        r"if \(oldest\) \{\s*diagnosticSessionStates\.delete\(oldest\[0\]\);",
    ),
    "observation-pass": _p(
        _HEARTBEAT,
        r'recoveryBlocker === "stale_session_state" \|\| !isDiagnosticSessionStateCurrent\(',
    ),
    "abort-test-timing": _p(
        _HEARTBEAT, r"const stuckSessionAbortMs = opts\?\.testTimings\?\.stuckSessionAbortMs \?\? "
    ),
    "stale-run-threshold": _p(
        r"function isActiveRunProgressStale\(",
        r"evidenceAgeMs >= resolveRunStaleThresholdMs\(activity, evidenceAgeMs, "
        r"params\.staleAbortMs\)",
    ),
    "force-clear-own-handle": _p(
        r"function forceClearEmbedded(?:Agent|Pi)Run\(",
        r"function forceClearEmbedded(?:Agent|Pi)Run\(sessionId, expectedHandle",
    ),
    "async-force-clear": _p(
        r"function forceClearEmbedded(?:Agent|Pi)Run\(",
        r"async function forceClearEmbedded(?:Agent|Pi)Run\(",
    ),
    "model-request-timeout": _p(
        r"function getDiagnosticSessionActivitySnapshot\(",
        r"call\.requestTimeoutMs > activeModelCallRequestTimeoutMs",
    ),
    "request-close-needs-run": _p(
        r"function getDiagnosticSessionActivitySnapshot\(",
        r"activity\.activeEmbeddedRuns\.get\(owner\.workKey\)\?\.generation !== "
        r"owner\.generation\) return;",
    ),
    "tool-deadline": _p(
        r"function isActiveRunProgressStale\(",
        r"params\.allowActiveAbort && activity\.activeToolDeadlineAtMs === void 0",
    ),
    "backend-liveness": _p(
        # A backend attempt with outstanding work (9.6); 9.2's attempts have none.
        r"function getDiagnosticSessionActivitySnapshot\(", r"setOutstandingWork: \(active\) =>"
    ),
    "repeated-requests": _p(_ATTENTION, r'reason: "repeated_model_requests_without_progress"'),
    "lane-fresh-task": _p(
        r"function recoverStuckDiagnosticSession\(", r"const laneStartedFreshTask = "
    ),
    # The runtime keeps a reply operation's maintenance phase within the compaction window.
    "reply-own-activity": _p(
        r"function recoverStuckDiagnosticSession\(", r"const activeMaintenanceProtected = "
    ),
    "stale-lane-release": _p(
        r"function recoverStuckDiagnosticSession\(", r'reason: "stale_lane_task"'
    ),
    # On where createReplyOperation no longer starts the operation's diagnostic embedded run.
    "reply-progress-only": _p(
        r"function createReplyOperation\(",
        r"function createReplyOperation\((?![\s\S]*markReplyRunDiagnosticWorkStarted\()",
    ),
}

assert set(PROBES) == {s.name for s in SWITCHES}


def read_switches(chunks: Iterable[str]) -> dict[str, bool | None]:
    """Each switch's presence in the given chunk texts, in SWITCHES order."""
    texts = list(chunks)
    found: dict[str, bool | None] = {}
    for switch in SWITCHES:
        probe = PROBES[switch.name]
        if not any(probe.anchor.search(t) for t in texts):
            found[switch.name] = None
        else:
            found[switch.name] = any(probe.pattern.search(t) for t in texts)
    return found


def recovery_chunks(dist: Path) -> list[str]:
    """The texts of the chunks the recovery path lives in (diagnostic*.js / .mjs), the
    embedded runner's run registry (runs-*.js / .mjs), where the runtime's force-clear lives,
    and the reply-run registry (reply-run-registry*, or run-state-* where it was bundled)."""
    files = sorted(
        [
            *dist.glob("diagnostic*.js"),
            *dist.glob("diagnostic*.mjs"),
            *dist.glob("runs-*.js"),
            *dist.glob("runs-*.mjs"),
            *dist.glob("reply-run-registry*.js"),
            *dist.glob("reply-run-registry*.mjs"),
            *dist.glob("run-state-*.js"),
            *dist.glob("run-state-*.mjs"),
        ]
    )
    return [f.read_text(encoding="utf-8", errors="replace") for f in files]


def switches_in_dist(dist: Path) -> dict[str, bool | None]:
    return read_switches(recovery_chunks(dist))
