/**
 * probe's real-build harness: replays one normalized scenario on a published openclaw build.
 *
 * Usage
 *   node harness.mjs <dist-dir>                 replay the scenario read from stdin
 *   node harness.mjs --list-deps <dist-dir>     print the npm packages the diagnostic chunks need
 *   node harness.mjs --check <dist-dir>         import the build's chunks and report, run nothing
 *   node harness.mjs --inspect <dist-dir>       what the harness finds in the build, importing nothing:
 *       {"kind":"inspect","openclaw_version","regions":{key:{"region","chunk","required"}},
 *        "functions":[{"name","found_as","region","chunk","export"}],"shim","seam","heartbeat_ms","settle_ms",
 *        "problems":[{"kind":"no_code"|"layout","message"}],"status":"drivable"|"no_code"|"layout"}
 *   node harness.mjs --self-test-network        try to reach the network once per trapped API
 *   node harness.mjs --self-test-sandbox <outside> [--no-traps] [--port N]
 *       try each escape (writes into <outside>, reads of <outside>/secret, processes, workers,
 *       native code, the inspector, signals, every kind of socket to 127.0.0.1:N) and print
 *       {"kind":"self_test","api","refused_by":"permission"|"trap"|"os"|null,"error"}
 *
 * <dist-dir> is an extracted `npm pack openclaw@VERSION` package's `dist/` (or any openclaw build's),
 * with the packages that `--list-deps` names (plus @sinonjs/fake-timers) resolvable from it. probe
 * installs them in the folder above `package/`; for a build it did not install, it links the package
 * and a node_modules into a work folder and runs Node with --preserve-symlinks (ESM resolution
 * ignores NODE_PATH). PROBE_FAKE_TIMERS, when set, is the @sinonjs/fake-timers folder to load
 * instead of the one resolvable from <dist-dir>. Nothing here is compiled: the build's own chunks
 * run, located by their `//#region src/...` markers (in .js or .mjs chunks) and their exports
 * mapped by function name (export names are mangled).
 *
 * Input (stdin): ONE JSON document, a scenario with every default filled in:
 *   {"settings": {"heartbeat_ms", "warn_ms", "abort_ms"?, "settle_ms", "drain": "hold"|"settle",
 *                 "tick_late_ms"?, "tick_jitter_ms"?, "jitter_seed"?},
 *    "sessions": [{"ref", "state", "generation", "queue_depth", "owner", "abort", "work",
 *                  "progress_age_ms", "session_file"? (its session file: on every call naming
 *                  the session, and setActiveEmbeddedRun's sessionFile)}],
 *    "heartbeats"?: [T, ...],   every heartbeat firing within the scenario, in scenario clock
 *                               (probe's timeline: late firings, any interval); required with
 *                               lateness; without it, every heartbeat_ms from 0
 *    "steps": [{"do": "tick", "late_ms"?} | {"do": "advance", "ms"} | {"do": "bump", "session"} |
 *              {"do": "release", "session"?: ref|null, "outcome"?: "completed"|"failed"} |
 *              {"do": "state", "session", "to"} |
 *              {"do": "progress", "session", "target"?: "both"|"run"|"record", "reason"?, "ago_ms"?} |
 *              {"do": "enqueue", "session", "task"?: "blocked"|"quick"} |
 *              {"do": "recover", "session", "allow_active_abort"?, "age_ms"?, "queue_depth"?,
 *               "generation"?, "expected_state"?, "stale_abort_ms"?, "compaction_safety_ms"?} |
 *              {"do": "start"|"end", "session", "work": "embedded_run"|"tool_call"|"model_call",
 *               "id"?, "clear"? (end only), "timeout_ms"? (start of a model call only),
 *               "deadline_ms"? (start of a tool call only),
 *               "session_id"? (an embedded run under this other id of the session's key),
 *               "delivery"?: "now"|"held" (start of a plain tool or model call only)} |
 *              {"do": "deliver"} (the held starts reach run activity, in emission order) |
 *              {"do": "own", "session", "abort"?: "honoured"|"ignored"|"refused"} |
 *              {"do": "backend", "session", "action": "begin"|"output"|"model_output"|
 *               "outstanding"|"settled"|"close", "allowance_ms"? (begin only)} |
 *              {"do": "answer", "session", "status", "action"?, "reason"?, "released"?,
 *               "queued_count"?, "work"?} (settings.runtime "scripted" only)]}
 *   Top-level keys other than settings/sessions/steps (name, description, expect) are ignored.
 *
 * Output (stdout): JSON lines (keys sorted), written when the run ends
 *   {"kind":"meta","protocol":1,"openclaw_version","node","drain","heartbeat_ms","settle_ms","warn_ms"}
 *   {"kind":"event","step":N,"event":{...}}       one per session.* / message.queued event, in bus
 *       order; N = 0-based index of the step during which it was emitted. The event holds `type`,
 *       `at_ms` (scenario clock), `ref` (session key) and, when openclaw set them, stateGeneration,
 *       status, action, outcomeReason, stale, released, activeWorkKind, classification, reason,
 *       state, prevState, ageMs, queueDepth, allowActiveAbort (the shape of reference/*.real.json).
 *   {"kind":"runtime_outcome","call":I,"call_step":M,"step":N,"outcome":"status/reason"}
 *       one per call into recoverStuckDiagnosticSession, written when it resolves (step N), or at the
 *       end with "outcome":"pending" and "step":null; I is the 0-based call order. The outcome is
 *       "status/reason", or "status/action" when the outcome has no reason.
 *   {"kind":"blocked","what":"network"|"write"|"process","api","target"}  an attempt the sandbox
 *       refused, wherever it happened (importing the logger always tries to mkdir /tmp/openclaw;
 *       refused, it falls back to $TMPDIR, inside the sandbox)
 *   {"kind":"done","clock_ms":T}                   last line of a successful run: the end clock
 *   A feature the build cannot express: {"kind":"unsupported","step":N|null,"key":"...","reason":"..."}
 *   lines (all of them) and exit code 3, before anything runs. Any other failure:
 *   {"kind":"error","message":"..."} and exit code 1.
 *
 * How a scenario maps onto the build
 *   clock      Date is faked (@sinonjs/fake-timers); scenario clock 0 is epoch E, sessions are seeded
 *              at E - progress_age_ms (oldest first, ties in file order), the heartbeat is started at
 *              E. Its setInterval is cleared and its callback fired at E + T for each firing
 *              instant T (`heartbeats`, else every heartbeat_ms), the next armed before the
 *              callback runs: so it fires at E + 30 000, E + 60 000, ... by default, and late or
 *              at another interval when the scenario says, for the build to judge.
 *   drain      settle: setTimeout/setInterval are faked too, so the runtime's 15 s settle timer fires
 *              on the virtual clock. hold: only setInterval (the heartbeat) is faked; the settle
 *              timer is a real 15 s timer that never fires during a replay, so a recovery waiting on
 *              a run that ignores abort stays in flight until a `release` step.
 *   tick       fires every timer due up to the heartbeat's next firing instant, one at a time, letting all
 *              promise work settle after each; advance does the same up to now + ms.
 *   seeding    owner = embedded_run: setActiveEmbeddedRun(sessionId, handle, ref) (registers the
 *              handle and run activity's embedded run); owner = none, work = embedded_run:
 *              markDiagnosticEmbeddedRunStarted only; work = tool_call / model_call: a
 *              tool.execution.started / model.call.started event on the bus; owner = embedded_run,
 *              work = none: markDiagnosticEmbeddedRunEnded (handle kept, progress reason
 *              embedded_run:ended). Then the live record's state, queueDepth and generation are
 *              written directly. Session i gets sessionId "scenario-session-i" (i = file index)
 *              beside its key `ref` ("" is an empty key, passed as it is), or its own session_id.
 *              A step naming a keyed session by its session_id calls with that id alone. Records are created through the build's own
 *              getDiagnosticSessionState, so seeding prunes the store as openclaw does. Seeding
 *              emits no reported event.
 *   abort      the handle's abort() ends the run at once (clearActiveEmbeddedRun) when honoured,
 *              does nothing when ignored, and throws when refused (the build's abort call fails).
 *   bump       logMessageQueued({source: "scenario"}); state: logSessionStateChange({reason:
 *              "scenario"}); progress: markDiagnosticRunProgress({reason}) (target run or both, reason
 *              default "scenario:progress") then markDiagnosticSessionProgress (record or both), with
 *              the clock set back ago_ms for the two calls; release: clearActiveEmbeddedRun for the session's
 *              registered handle (every registered one in creation order when no session is named;
 *              a session with no registered handle has no run to end); own: setActiveEmbeddedRun
 *              with a new handle (abort as the step says), the session's current one from then on.
 *   reply      the build's own createReplyOperation({sessionKey, sessionId}) (from its reply-run
 *              registry chunk) when the session has none open, then setPhase; phase completed:
 *              complete(). abort = honoured: a listener on its abort signal completes it. Builds
 *              whose registry marks no embedded run (2026.7.2-beta.1 on) refuse it, located.
 *   held       start with delivery "held": the tool / model call start is emitted through the
 *              build's bus (numbered there) and taken out of its async queue before the drain
 *              it scheduled runs; deliver puts the held entries back, in order, and runs that
 *              drain. A bus without a setImmediate-drained async queue for these starts refuses it.
 *   outcomes   startDiagnosticHeartbeat's recoverStuckSession seam gets a replica of the build's own
 *              recoverStuckSession (same promise shape, checked against the build's source) that
 *              notes each call and its outcome; the build's runtime does the work. With
 *              settings.runtime "scripted" the seam gets a scripted runtime instead, as openclaw's
 *              heartbeat tests give it a vi.fn: every call pends until an `answer` step resolves
 *              the session's oldest one (with nothing for status "none", else the outcome).
 *   sandbox    network entry points, child processes, workers, the inspector, native code, signals
 *              to other processes and process.binding throw and are reported; fs writes outside
 *              $PROBE_SANDBOX (or a temp folder made here) throw EACCES and are reported. Beneath,
 *              probe starts Node under its permission model (probe/engines/permissions.py) through
 *              a launcher whose seccomp filter closes sockets and new processes to the whole
 *              process (probe/engines/confine.py); these traps report what was tried.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { builtinModules, createRequire, syncBuiltinESMExports } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

const PROTOCOL = 1;
const EXIT_ERROR = 1;
const EXIT_UNSUPPORTED = 3;
const PROGRESS_REASON = "scenario:progress";
const REPORTED_FIELDS = [
  "stateGeneration", "status", "action", "outcomeReason", "stale", "released", "activeWorkKind",
  "classification", "reason", "state", "prevState", "ageMs", "queueDepth", "allowActiveAbort",
  // Attention events' run progress (sessionAttentionFields): its last reason and whether it was terminal.
  "lastProgressReason", "terminalProgressStale",
  // ... and how long the run's request attempts have gone without semantic progress (8.1-beta.3+).
  "repeatedRequestNoProgressAgeMs",
];
// The latest instant fake Date can represent (new Date(x) is invalid beyond it).
const MAX_DATE_MS = 8.64e15;
const PREFERRED_EPOCH_BASE = 1_700_000_000_000;
// The session store prunes on a lookup only if 60 s passed since the last prune (initially at 0),
// as in production, where Date.now() is always far from 0.
const MIN_EPOCH_BASE = 60_001;

const realSetImmediate = globalThis.setImmediate;
const realSetTimeout = globalThis.setTimeout;
const realStdoutWrite = process.stdout.write.bind(process.stdout);
const outputLines = [];

class HarnessError extends Error {}

function out(obj) {
  outputLines.push(JSON.stringify(obj, sortedReplacer));
}

function sortedReplacer(_key, value) {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, value[k]]));
  }
  return value;
}

let finished = false;

function finish(code) {
  if (finished) return;
  finished = true;
  const text = outputLines.length ? outputLines.join("\n") + "\n" : "";
  realStdoutWrite(text, () => process.exit(code));
}

function fail(message, code = EXIT_ERROR) {
  out({ kind: "error", message });
  finish(code);
}

// ---------------------------------------------------------------------------------------------
// Locating the build's chunks
// ---------------------------------------------------------------------------------------------

const REGIONS = {
  diagnostic: "src/logging/diagnostic.ts",
  sessionState: "src/logging/diagnostic-session-state.ts",
  runActivity: "src/logging/diagnostic-run-activity.ts",
  events: "src/infra/diagnostic-events.ts",
  runtime: "src/logging/diagnostic-stuck-session-recovery.runtime.ts",
  runs: "src/agents/embedded-agent-runner/runs.ts",
  // Not imported by the harness (it lives in the diagnostic chunk and is reached only through the
  // heartbeat), but a build without it has no recovery coordinator at all.
  coordinator: "src/logging/diagnostic-session-recovery-coordinator.ts",
};
// Before 2026.5.28 the embedded runner was the "pi" runner: same code, other names.
const RUNS_REGIONS = [REGIONS.runs, "src/agents/pi-embedded-runner/runs.ts"];
// Located by scanning dist/; `runs` is found through the runtime's import of abortAndDrain.
const SCANNED = ["diagnostic", "sessionState", "runActivity", "events", "runtime", "coordinator"];
const REQUIRED = ["diagnostic", "sessionState", "runActivity", "events", "runtime"];
// Without these two regions a build has no stuck-session recovery to replay (older builds).
const RECOVERY_CODE = ["runtime", "coordinator"];

// What the harness calls, by chunk and (unmangled) function name, then older names of it.
const FUNCTIONS = [
  ["events", "onInternalDiagnosticEvent"],
  ["events", "emitInternalDiagnosticEvent"],
  ["sessionState", "getDiagnosticSessionState"],
  ["sessionState", "peekDiagnosticSessionState"],
  ["runActivity", "markDiagnosticEmbeddedRunStarted"],
  ["runActivity", "markDiagnosticEmbeddedRunEnded"],
  ["runActivity", "markDiagnosticRunProgress"],
  ["diagnostic", "startDiagnosticHeartbeat"],
  ["diagnostic", "logMessageQueued"],
  ["diagnostic", "logSessionStateChange"],
  ["diagnostic", "markDiagnosticSessionProgress"],
  ["runs", "setActiveEmbeddedRun"],
  ["runs", "clearActiveEmbeddedRun"],
  ["runs", "isEmbeddedAgentRunHandleActive", "isEmbeddedPiRunHandleActive"],
  ["runtime", "recoverStuckDiagnosticSession"],
];
// Called when the build exports them (later builds): absent in earlier ones, which need neither.
const OPTIONAL_FUNCTIONS = [
  // 7.2-beta.3+: run activity's bus listener is started by the heartbeat and ignores earlier events.
  ["runActivity", "startDiagnosticRunActivityTracking"],
  ["runActivity", "stopDiagnosticRunActivityTracking"],
  ["diagnostic", "stopDiagnosticHeartbeat"],
  // What a build process reuses between scenarios (see resetBuild).
  ["sessionState", "resetDiagnosticSessionStateForTest"],
  ["runActivity", "resetDiagnosticRunActivityForTest"],
  // 8.1-beta.3+: a model call's request timeout, declared by a core model request that a run
  // owner of its own holds (a timed model call: `start` with timeout_ms).
  ["runActivity", "createDiagnosticEmbeddedRunOwner"],
  ["runActivity", "closeDiagnosticEmbeddedRunOwner"],
  ["runActivity", "emitCoreModelRequestStartedDiagnosticEvent"],
  ["runActivity", "emitCoreModelRequestEndedDiagnosticEvent"],
];
// 2026.9.6: what an exec's before-tool-call wrapper calls to record its command deadline.
const TOOL_DEADLINE_FUNCTIONS = [
  "createDiagnosticToolExecutionLiveness",
  "markToolExecutionLivenessDiagnosticEvent",
  "recordDiagnosticToolExecutionDeadline",
  "emitTrustedDiagnosticEvent",
];
const REQUEST_OWNER_FUNCTIONS = [
  "createDiagnosticEmbeddedRunOwner",
  "closeDiagnosticEmbeddedRunOwner",
  "emitCoreModelRequestStartedDiagnosticEvent",
  "emitCoreModelRequestEndedDiagnosticEvent",
];

const SHIM_SHAPE =
  /^\s*stuckSessionRecoveryRuntimePromise \?\?= import\("(\.\/[^"]+)"\);\s*\n\s*return stuckSessionRecoveryRuntimePromise\.then\(\(\{ recoverStuckDiagnosticSession \}\) => recoverStuckDiagnosticSession\(params\)\)\.catch\(/m;
// From 2026.7.1-beta.2 the runtime is reached through a lazy loader (a cached promise made by the
// build's own createLazyRuntimeModule); once settled, the same `.then(fn).catch(g)` shape.
const LAZY_SHAPE =
  /^\s*return loadStuckSessionRecoveryRuntime\(\)\.then\(\(\{ recoverStuckDiagnosticSession \}\) => recoverStuckDiagnosticSession\(params\)\)\.catch\(/m;
const LAZY_LOADER =
  /^const loadStuckSessionRecoveryRuntime = createLazyRuntimeModule\(\(\) => import\("(\.\/[^"]+)"\)\);\s*$/m;
const LAZY_FACTORY_IMPORT =
  /^import\s*\{[^}]*?\b([\w$]+) as createLazyRuntimeModule\b[^}]*\}\s*from\s*"(\.\/[^"]+)";?\s*$/m;
const SEAM = "recover: opts?.recoverStuckSession ?? recoverStuckSession";
// 7.2-beta.2+: a tick later than the interval shifts ages and, 1 s late or more, defers recovery.
const LATE_TICK = "const heartbeatOverdueMs = Math.max(0, heartbeatElapsedMs - DIAGNOSTIC_HEARTBEAT_INTERVAL_MS);";
// 7.2-beta.4+: warn is read only from this test seam (config's stuckSessionWarnMs is ignored).
const WARN_SEAM = "opts?.testTimings?.stuckSessionWarnMs";
// settings.abort_ms: config's diagnostics.stuckSessionAbortMs up to 7.2-beta.3, then this test seam.
const ABORT_SEAM = "opts?.testTimings?.stuckSessionAbortMs";
const ABORT_CONFIG = "config?.diagnostics?.stuckSessionAbortMs";
// The range the builds' own config path accepted; outside it they used the default.
const MIN_WARN_MS = 1000;
const MAX_WARN_MS = 86_400_000;

function regionRegex(region) {
  return new RegExp(`^//#region ${region.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*$`, "m");
}

function readText(file) {
  return fs.readFileSync(file, "utf8");
}

/** Maps each exported local name of a chunk to its (mangled) export name. */
function exportMap(source) {
  const map = new Map();
  for (const m of source.matchAll(/^export\s*\{([^}]*)\}\s*;?\s*$/gm)) {
    for (const part of m[1].split(",")) {
      const item = part.trim();
      if (!item) continue;
      const mm = item.match(/^([\w$]+)(?:\s+as\s+([\w$]+))?$/);
      if (mm) map.set(mm[1], mm[2] ?? mm[1]);
    }
  }
  return map;
}

/**
 * Everything the harness needs from a build, read from its files without importing any: the chunk
 * holding each region, the export name of each function it calls, the runtime shim, the constants.
 * Problems are collected, not thrown: `kind` is "no_code" (the build predates the recovery code)
 * or "layout" (the code is there, in a shape the harness cannot drive faithfully).
 */
function surveyBuild(distDir) {
  if (!fs.existsSync(distDir) || !fs.statSync(distDir).isDirectory()) {
    throw new HarnessError(`not a directory: ${distDir}`);
  }
  const pkgFile = path.join(distDir, "..", "package.json");
  let pkg = null;
  try {
    pkg = JSON.parse(readText(pkgFile));
  } catch {
    pkg = null;
  }
  if (!pkg || pkg.name !== "openclaw") {
    throw new HarnessError(`not an openclaw build: ${distDir} (no package.json naming openclaw beside it)`);
  }
  const problems = [];
  const problem = (kind, message) => problems.push({ kind, message });
  // Sorted: directory order differs between file systems, and a region could appear twice.
  const names = fs
    .readdirSync(distDir)
    .filter((n) => n.endsWith(".js") || n.endsWith(".mjs"))
    .sort();
  const found = {};
  const scan = (candidates) => {
    for (const name of candidates) {
      if (SCANNED.every((k) => found[k])) return;
      const file = path.join(distDir, name);
      let source;
      try {
        source = readText(file);
      } catch {
        continue;
      }
      if (!source.includes("//#region ")) continue;
      for (const key of SCANNED) {
        if (!found[key] && regionRegex(REGIONS[key]).test(source)) {
          found[key] = { file, source, region: REGIONS[key] };
        }
      }
    }
  };
  // The chunks are named after their first module; try those first, then everything.
  scan(names.filter((n) => n.startsWith("diagnostic")));
  if (!REQUIRED.every((k) => found[k]) || !found.coordinator) scan(names);
  const missing = REQUIRED.filter((k) => !found[k]);
  if (missing.length) {
    const noCode = RECOVERY_CODE.some((k) => !found[k]);
    problem(
      noCode ? "no_code" : "layout",
      `not an openclaw build with the diagnostic recovery code: no chunk with ${missing
        .map((k) => `//#region ${REGIONS[k]}`)
        .join(", ")} in ${distDir}`,
    );
  }

  // The embedded runner's run-handle registry: whatever the runtime imports abortAndDrain from.
  if (found.runtime) {
    const runsImport = found.runtime.source.match(
      /import\s*\{[^}]*\babortAndDrainEmbedded(?:Agent|Pi)Run\b[^}]*\}\s*from\s*["'](\.\/[^"']+)["']/,
    );
    if (!runsImport) {
      problem("layout", "the recovery runtime does not import abortAndDrainEmbeddedAgentRun");
    } else {
      const runsFile = path.join(distDir, runsImport[1]);
      let runsSource = "";
      try {
        runsSource = readText(runsFile);
      } catch {
        runsSource = "";
      }
      const runsRegion = RUNS_REGIONS.find((r) => regionRegex(r).test(runsSource));
      if (!runsRegion) {
        problem("layout", `${runsImport[1]} has no //#region ${REGIONS.runs}`);
      } else {
        found.runs = { file: runsFile, source: runsSource, region: runsRegion };
      }
    }
  }

  // The heartbeat reaches the runtime through `recoverStuckSession`, which imports a shim.
  let shimFile = null;
  let heartbeatMs = null;
  let settleMs = null;
  let seam = false;
  let loader = null;
  let lateTick = false;
  let warnSeam = false;
  let abortSeam = false;
  let abortConfig = false;
  if (found.diagnostic) {
    const diag = found.diagnostic.source;
    const recoverFn = diag.match(/async function recoverStuckSession\(params\) \{[\s\S]*?\n\}\n/);
    const shim = recoverFn ? recoverFn[0].match(SHIM_SHAPE) : null;
    const lazy = recoverFn && !shim ? recoverFn[0].match(LAZY_SHAPE) : null;
    const lazyLoader = lazy ? diag.match(LAZY_LOADER) : null;
    const lazyFactory = lazy ? diag.match(LAZY_FACTORY_IMPORT) : null;
    if (!recoverFn) {
      problem("layout", "no recoverStuckSession in the diagnostic chunk");
    } else if (shim) {
      shimFile = path.join(distDir, shim[1]);
    } else if (lazy && lazyLoader && lazyFactory) {
      shimFile = path.join(distDir, lazyLoader[1]);
      loader = {
        kind: "lazy",
        file: path.join(path.dirname(found.diagnostic.file), lazyFactory[2]),
        export: lazyFactory[1],
      };
    } else {
      problem(
        "layout",
        "the build's recoverStuckSession is not the shape the harness replicates; cannot intercept runtime calls faithfully",
      );
    }
    seam = diag.includes(SEAM);
    if (!seam) problem("layout", "the heartbeat has no recoverStuckSession seam");
    const interval = diag.match(/\},\s*([0-9.e]+|[A-Z_$][\w$]*)\);\s*\n\s*heartbeatInterval\.unref/);
    if (interval && /^[0-9]/.test(interval[1])) heartbeatMs = Number(interval[1]);
    else if (interval) {
      const named = diag.match(new RegExp(`^const ${interval[1].replace(/\$/g, "\\$")} = ([0-9.e]+);\\s*$`, "m"));
      if (named) heartbeatMs = Number(named[1]);
    }
    lateTick = diag.includes(LATE_TICK);
    warnSeam = diag.includes(WARN_SEAM);
    abortSeam = diag.includes(ABORT_SEAM);
    abortConfig = diag.includes(ABORT_CONFIG);
  }
  if (found.runtime) {
    const settle = found.runtime.source.match(/const STUCK_SESSION_ABORT_SETTLE_MS = ([0-9.e]+);/);
    if (settle) settleMs = Number(settle[1]);
  }
  if (found.diagnostic && found.runtime && (heartbeatMs === null || settleMs === null)) {
    problem("layout", "cannot read the heartbeat interval or the settle time");
  }

  const exportsOf = {};
  const functions = FUNCTIONS.map(([key, name, ...older]) => {
    const chunk = found[key];
    exportsOf[key] ??= chunk ? exportMap(chunk.source) : new Map();
    const as = [name, ...older].find((n) => exportsOf[key].has(n)) ?? null;
    const exported = as === null ? null : exportsOf[key].get(as);
    // The runtime is loaded through its unhashed shim, which re-exports it under its own name.
    const usable = key === "runtime" ? exported === name : exported !== null;
    if (chunk && !usable) problem("layout", `the build does not export ${name}`);
    return {
      name,
      found_as: as,
      region: chunk?.region ?? REGIONS[key],
      chunk: chunk ? path.basename(chunk.file) : null,
      export: exported,
    };
  });

  const optionalFunctions = OPTIONAL_FUNCTIONS.map(([key, name]) => {
    const chunk = found[key];
    exportsOf[key] ??= chunk ? exportMap(chunk.source) : new Map();
    const exported = exportsOf[key].get(name) ?? null;
    return { name, region: chunk?.region ?? REGIONS[key], chunk: chunk ? path.basename(chunk.file) : null, export: exported };
  });

  const exported = (name) => optionalFunctions.some((f) => f.name === name && f.export !== null);
  // Timed model calls where the build can own a request and its snapshot reads the timeout
  // (8.1-beta.2 emits core requests but has neither owners nor timeouts): else a plain call.
  const requestTimeouts =
    REQUEST_OWNER_FUNCTIONS.every(exported) &&
    Boolean(found.runActivity?.source.includes("call.requestTimeoutMs > activeModelCallRequestTimeoutMs"));
  // A backend attempt's no-output allowance with outstanding work (2026.9.6), under a run
  // owner of its own. Else the backend step does nothing (9.2's attempts are not modelled).
  const backendLiveness =
    exported("createDiagnosticEmbeddedRunOwner") &&
    Boolean(found.runActivity && exportMap(found.runActivity.source).has("beginDiagnosticBackendActivity")) &&
    Boolean(found.runActivity?.source.includes("setOutstandingWork: (active) =>"));
  // A tool call's command deadline (2026.9.6): the execution's liveness reference, which the
  // runtime reads for an allowActiveAbort request too. Else a deadline tool is a plain one.
  const toolDeadlines =
    TOOL_DEADLINE_FUNCTIONS.every((name) => Boolean(found.events && exportMap(found.events.source).has(name))) &&
    Boolean(found.runtime?.source.includes("params.allowActiveAbort && activity.activeToolDeadlineAtMs === void 0"));
  // A run's model request attempts counted as repeated requests, and semantic progress that
  // forgets them (8.1-beta.3+): attempts are marked through the test seam openclaw's own
  // tests use (markDiagnosticModelStartedForTest, which resetDiagnosticRunActivityForTest
  // installs), semantic progress through the core's own emitter. Else both are plain.
  const repeatedRequests =
    exported("resetDiagnosticRunActivityForTest") &&
    Boolean(found.runActivity && exportMap(found.runActivity.source).has("emitCoreSemanticRunProgressDiagnosticEvent")) &&
    Boolean(found.runActivity?.source.includes("function markDiagnosticModelStartedForTest(")) &&
    Boolean(found.runActivity?.source.includes("function recordRepeatedRequestObservation("));
  const resetMissing = [
    ["stopDiagnosticHeartbeat"],
    ["resetDiagnosticSessionStateForTest"],
    exported("startDiagnosticRunActivityTracking")
      ? ["stopDiagnosticRunActivityTracking"]
      : ["resetDiagnosticRunActivityForTest"],
  ].flat().filter((name) => !exported(name));
  const reuse = resetMissing.length
    ? { reuse: false, reason: `cannot reset its diagnostic state between scenarios: it does not export ${resetMissing.join(", ")}` }
    : { reuse: true, reason: null };
  const progressApi = functions.find((f) => f.name === "markDiagnosticRunProgress");
  if (found.runActivity && found.coordinator && progressApi && progressApi.export === null) {
    // Builds before 2026.5.26 have an earlier recovery design, without run-activity progress
    // (and without the event bus's public emit): not the recovery code the harness drives.
    problems.unshift({
      kind: "no_code",
      message: `predates the recovery code the harness drives: no run-activity progress (markDiagnosticRunProgress) in ${path.basename(found.runActivity.file)}, an earlier recovery design`,
    });
  }
  if (problems.length && !found.coordinator && !missing.length) {
    // Older builds call the runtime straight from the heartbeat: no requests, nothing to dedup.
    // (Only named when something else fails too: a build that drives is never refused for it.)
    problems.unshift({
      kind: "no_code",
      message: `no recovery coordinator: no chunk with //#region ${REGIONS.coordinator} in ${distDir}`,
    });
  }
  const status = problems.length === 0 ? "drivable" : problems.some((p) => p.kind === "no_code") ? "no_code" : "layout";

  return {
    chunks: found,
    functions,
    optionalFunctions,
    reuse,
    problems,
    status,
    shimFile,
    seam,
    loader,
    lateTick,
    warnSeam,
    abortSeam,
    abortConfig,
    requestTimeouts,
    toolDeadlines,
    backendLiveness,
    repeatedRequests,
    version: pkg.version,
    pkg,
    heartbeatMs,
    settleMs,
  };
}

/** The survey of a build the harness can drive; throws the first problem otherwise. */
function locateChunks(distDir) {
  const survey = surveyBuild(distDir);
  if (survey.problems.length) throw new HarnessError(survey.problems[0].message);
  return survey;
}

/** --inspect: what the survey found, as data (nothing of the build is imported). */
function inspectBuild(distDir) {
  const survey = surveyBuild(distDir);
  const relative = (file) => (file ? path.relative(distDir, file) : null);
  return {
    openclaw_version: survey.version,
    regions: Object.fromEntries(
      Object.entries(REGIONS).map(([key, region]) => [
        key,
        {
          region: survey.chunks[key]?.region ?? region,
          chunk: relative(survey.chunks[key]?.file),
          required: key !== "coordinator",
        },
      ]),
    ),
    functions: survey.functions,
    shim: relative(survey.shimFile),
    seam: survey.seam,
    loader: survey.loader ? { kind: survey.loader.kind, chunk: relative(survey.loader.file), export: survey.loader.export } : null,
    late_tick_defers: survey.lateTick,
    warn_seam: survey.warnSeam,
    optional_functions: survey.optionalFunctions,
    process: survey.reuse,
    heartbeat_ms: survey.heartbeatMs,
    settle_ms: survey.settleMs,
    problems: survey.problems,
    status: survey.status,
  };
}

// ---------------------------------------------------------------------------------------------
// --list-deps: the bare packages the diagnostic chunks import, transitively
// ---------------------------------------------------------------------------------------------

const IMPORT_PATTERNS = [
  /^\s*import\s+(?:[\w$*{}\s,]+?\s+from\s+)?["']([^"']+)["']/gm,
  /^\s*export\s+(?:\*(?:\s+as\s+[\w$]+)?|\{[^}]*\})\s+from\s+["']([^"']+)["']/gm,
  // 8.x+: `createRequire(import.meta.url)("@openclaw/fs-safe/temp")` (also through a namespace)
  /\bcreateRequire\(\s*import\.meta\.url\s*\)\(\s*["']([^"']+)["']\s*\)/g,
];
const BUILTINS = new Set(builtinModules);

function packageName(specifier) {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/** The heartbeat's other lazily loaded runtime, which the harness loads up front. */
function pollBackoffFile(located) {
  return path.join(path.dirname(located.shimFile), "command-poll-backoff.runtime.js");
}

/**
 * The static import closure of the chunks the harness loads (dynamic imports are not followed:
 * in 8.x+ they reach the whole application, with packages the build does not even declare).
 */
function listDeps(distDir) {
  const located = locateChunks(distDir);
  const roots = [
    located.chunks.diagnostic.file,
    located.chunks.runtime.file,
    located.chunks.runs.file,
    located.shimFile,
    ...(located.loader ? [located.loader.file] : []),
    ...[pollBackoffFile(located)].filter((f) => fs.existsSync(f)),
  ];
  const seen = new Set();
  const queue = [...roots];
  const bare = new Set();
  let nodeSqlite = false;
  while (queue.length) {
    const file = queue.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readText(file);
    // node:sqlite exists from Node 22.5 (unflagged from 22.13); 8.1+ open it while loading.
    if (!nodeSqlite && /["']node:sqlite["']/.test(source)) nodeSqlite = true;
    for (const pattern of IMPORT_PATTERNS) {
      for (const m of source.matchAll(pattern)) {
        const spec = m[1];
        if (spec.startsWith("./") || spec.startsWith("../")) {
          // Only code is followed (a createRequire may load ../package.json).
          if (/\.(?:m|c)?js$/.test(spec)) queue.push(path.resolve(path.dirname(file), spec));
        } else if (/^[a-z]+:/.test(spec)) {
          // node:, bun: and other schemes are the runtime's, not packages
        } else if (!BUILTINS.has(spec) && !BUILTINS.has(spec.split("/")[0])) {
          bare.add(packageName(spec));
        }
      }
    }
  }
  const declared = { ...(located.pkg.optionalDependencies ?? {}), ...(located.pkg.dependencies ?? {}) };
  const packages = {};
  const undeclared = [];
  for (const name of [...bare].sort()) {
    if (declared[name]) packages[name] = declared[name];
    else undeclared.push(name);
  }
  return {
    packages,
    undeclared,
    chunks: seen.size,
    openclaw_version: located.version,
    node_sqlite: nodeSqlite,
    engines_node: typeof located.pkg.engines?.node === "string" ? located.pkg.engines.node : null,
  };
}

// ---------------------------------------------------------------------------------------------
// Sandbox: network, child processes, writes outside the sandbox folder
// ---------------------------------------------------------------------------------------------

const blocked = [];

function reportBlocked(what, api, target) {
  const entry = { kind: "blocked", what, api, target: String(target) };
  blocked.push(entry);
  out(entry);
}

function describeTarget(args) {
  const a = args[0];
  try {
    if (a === undefined) return "";
    if (typeof a === "string" || typeof a === "number") {
      return args.length > 1 && (typeof args[1] === "string" || typeof args[1] === "number")
        ? `${a} ${args[1]}`
        : String(a);
    }
    if (a instanceof URL) return a.href;
    if (typeof a === "object" && a) {
      if (typeof a.url === "string") return a.url;
      const host = a.hostname ?? a.host ?? a.path ?? "";
      return a.port !== undefined ? `${host}:${a.port}` : String(host);
    }
  } catch {
    /* fall through */
  }
  return String(a);
}

function trapFunction(owner, name, what, label) {
  if (!owner || typeof owner[name] !== "function") return;
  const trapped = function (...args) {
    const target = describeTarget(args);
    reportBlocked(what, label, target);
    const err = new Error(`probe harness sandbox: ${label} is blocked (${target})`);
    err.code = what === "network" ? "ECONNREFUSED" : "EACCES";
    throw err;
  };
  try {
    owner[name] = trapped;
  } catch {
    Object.defineProperty(owner, name, { value: trapped, configurable: true, writable: true });
  }
}

/**
 * Every JS door to a socket, a process, a worker, native code or another process, trapped: it
 * throws and is reported as a `blocked` line. Beneath, Node's permission model refuses processes,
 * workers, addons, WASI, the inspector and bindings, and probe's launcher (confine.py) refuses
 * sockets and new processes to the whole process (seccomp): the traps are there to report.
 */
async function installNetworkAndProcessTraps() {
  const require = createRequire(import.meta.url);
  const net = require("node:net");
  const tls = require("node:tls");
  const http = require("node:http");
  const https = require("node:https");
  const http2 = require("node:http2");
  const dns = require("node:dns");
  const dgram = require("node:dgram");
  const childProcess = require("node:child_process");
  const workerThreads = require("node:worker_threads");
  let inspector = null;
  try {
    inspector = require("node:inspector");
  } catch {
    inspector = null; // a Node built without the inspector has none to reach
  }
  trapFunction(net, "connect", "network", "net.connect");
  trapFunction(net, "createConnection", "network", "net.createConnection");
  trapFunction(net.Socket.prototype, "connect", "network", "net.Socket.connect");
  // Servers of every kind (http, https, http2, tls) listen through net.Server.
  trapFunction(net.Server.prototype, "listen", "network", "net.Server.listen");
  trapFunction(tls, "connect", "network", "tls.connect");
  for (const [mod, label] of [[http, "http"], [https, "https"]]) {
    trapFunction(mod, "request", "network", `${label}.request`);
    trapFunction(mod, "get", "network", `${label}.get`);
    trapFunction(mod.Agent.prototype, "createConnection", "network", `${label}.Agent.createConnection`);
  }
  trapFunction(http, "ClientRequest", "network", "http.ClientRequest");
  trapFunction(http2, "connect", "network", "http2.connect");
  for (const [owner, label] of [[dns, "dns"], [dns.promises, "dns.promises"]]) {
    for (const name of Object.keys(owner)) {
      if (name === "lookup" || name === "lookupService" || /^resolve|^reverse/.test(name)) {
        trapFunction(owner, name, "network", `${label}.${name}`);
      }
    }
  }
  // Both resolver classes (callback and promise) query whatever servers setServers named.
  for (const [Resolver, label] of [[dns.Resolver, "dns.Resolver"], [dns.promises.Resolver, "dns.promises.Resolver"]]) {
    for (const name of Object.getOwnPropertyNames(Resolver.prototype)) {
      if (/^resolve|^reverse/.test(name)) trapFunction(Resolver.prototype, name, "network", `${label}.${name}`);
    }
  }
  // A dgram.Socket made with `new` never goes through createSocket: its methods are trapped.
  trapFunction(dgram, "createSocket", "network", "dgram.createSocket");
  for (const name of ["bind", "connect", "send", "addMembership", "addSourceSpecificMembership"]) {
    trapFunction(dgram.Socket.prototype, name, "network", `dgram.Socket.${name}`);
  }
  trapFunction(globalThis, "fetch", "network", "fetch");
  for (const name of ["WebSocket", "EventSource"]) {
    if (typeof globalThis[name] === "function") trapFunction(globalThis, name, "network", name);
  }
  for (const name of ["spawn", "spawnSync", "exec", "execSync", "execFile", "execFileSync", "fork"]) {
    trapFunction(childProcess, name, "process", `child_process.${name}`);
  }
  // What every child_process function ends in, reachable with `new ChildProcess()`.
  trapFunction(childProcess.ChildProcess.prototype, "spawn", "process", "child_process.ChildProcess.spawn");
  trapFunction(workerThreads, "Worker", "process", "worker_threads.Worker");
  if (inspector) {
    trapFunction(inspector, "open", "network", "inspector.open");
    trapFunction(inspector.Session.prototype, "connect", "process", "inspector.Session.connect");
    trapFunction(inspector.Session.prototype, "connectToMainThread", "process", "inspector.Session.connectToMainThread");
  }
  // Raw bindings and native code bypass every trap above (the permission model refuses them too).
  trapFunction(process, "binding", "process", "process.binding");
  trapFunction(process, "_linkedBinding", "process", "process._linkedBinding");
  trapFunction(process, "dlopen", "process", "process.dlopen");
  trapFunction(process, "execve", "process", "process.execve");
  trapFunction(process, "_debugProcess", "process", "process._debugProcess");
  // Signals: to itself only (pid 0 or a negative pid is a process group, probe's included).
  const kill = process.kill;
  const ownKill = function (pid, signal) {
    if (Number(pid) === process.pid) return kill.call(process, pid, signal);
    reportBlocked("process", "process.kill", String(pid));
    const err = new Error(`probe harness sandbox: process.kill is blocked (${pid})`);
    err.code = "EPERM";
    throw err;
  };
  Object.defineProperty(process, "kill", { value: ownKill, configurable: true, writable: true });
  syncBuiltinESMExports();
}

const WRITE_OPS = {
  mkdir: [0], writeFile: [0], appendFile: [0], rm: [0], rmdir: [0], unlink: [0], rename: [0, 1],
  copyFile: [1], cp: [1], symlink: [1], link: [1], truncate: [0], chmod: [0], chown: [0],
  lchmod: [0], lchown: [0], utimes: [0], lutimes: [0], mkdtemp: [0],
};
const WRITE_FLAG_BITS = fs.constants.O_WRONLY | fs.constants.O_RDWR | fs.constants.O_CREAT |
  fs.constants.O_APPEND | fs.constants.O_TRUNC;

function isWriteFlag(flags) {
  if (flags === undefined || flags === null) return false;
  if (typeof flags === "number") return (flags & WRITE_FLAG_BITS) !== 0;
  return /[wa+]/.test(String(flags));
}

function installWriteGuard(sandbox) {
  const roots = [path.resolve(sandbox)];
  try {
    roots.push(fs.realpathSync(sandbox));
  } catch {
    /* the sandbox exists; realpath only fails on odd file systems */
  }
  const inside = (p) => {
    if (typeof p === "number") return true; // an fd: its open() was checked
    let resolved;
    try {
      resolved = p instanceof URL ? fileURLToPath(p) : Buffer.isBuffer(p) ? p.toString() : String(p);
    } catch {
      return false;
    }
    resolved = path.resolve(resolved);
    if (resolved === "/dev/null") return true;
    return roots.some((root) => resolved === root || resolved.startsWith(root + path.sep));
  };
  const guard = (owner, name, label, pathIndexes, flagIndex) => {
    const original = owner[name];
    if (typeof original !== "function") return;
    owner[name] = function (...args) {
      const paths = pathIndexes.map((i) => args[i]);
      const writes = flagIndex === undefined || isWriteFlag(args[flagIndex]);
      const outside = writes ? paths.find((p) => p !== undefined && !inside(p)) : undefined;
      if (outside !== undefined) {
        reportBlocked("write", label, outside instanceof URL ? outside.href : String(outside));
        const err = new Error(`EACCES: probe harness sandbox refused ${label} '${String(outside)}'`);
        err.code = "EACCES";
        err.errno = -13;
        err.syscall = name;
        err.path = String(outside);
        throw err;
      }
      return original.apply(this, args);
    };
  };
  for (const [op, indexes] of Object.entries(WRITE_OPS)) {
    guard(fs, op, `fs.${op}`, indexes);
    guard(fs, `${op}Sync`, `fs.${op}Sync`, indexes);
    guard(fs.promises, op, `fs.promises.${op}`, indexes);
  }
  guard(fs, "open", "fs.open", [0], 1);
  guard(fs, "openSync", "fs.openSync", [0], 1);
  guard(fs.promises, "open", "fs.promises.open", [0], 1);
  guard(fs, "createWriteStream", "fs.createWriteStream", [0]);
  guardSqlite(inside);
  syncBuiltinESMExports();
}

/**
 * node:sqlite opens its files itself, unseen by Node 24's permission model: a database outside
 * the sandbox (to read or to write), ATTACH, VACUUM INTO, backup() and extensions are refused
 * here and reported (Landlock refuses the writes below JS too).
 */
function guardSqlite(inside) {
  let sqlite = null;
  try {
    sqlite = createRequire(import.meta.url)("node:sqlite");
  } catch {
    return; // Node before 22.5: no node:sqlite
  }
  const refuse = (label, target) => {
    reportBlocked("write", label, target);
    const err = new Error(`EACCES: probe harness sandbox refused ${label} '${target}'`);
    err.code = "EACCES";
    throw err;
  };
  const where = (location) => {
    if (location instanceof URL) return fileURLToPath(location);
    return Buffer.isBuffer(location) ? location.toString() : String(location ?? "");
  };
  const Original = sqlite.DatabaseSync;
  const DatabaseSync = function DatabaseSync(...args) {
    const file = where(args[0]);
    if (file !== ":memory:" && file !== "" && !inside(file)) refuse("sqlite.DatabaseSync", file);
    if (args[1]?.allowExtension) refuse("sqlite.DatabaseSync allowExtension", file);
    return Reflect.construct(Original, args, new.target ?? DatabaseSync);
  };
  DatabaseSync.prototype = Original.prototype;
  Object.defineProperty(Original.prototype, "constructor", { value: DatabaseSync, writable: true, configurable: true });
  const outOfFile = /\battach\b|\bvacuum\b[\s\S]*\binto\b/i;
  for (const name of ["exec", "prepare"]) {
    const original = Original.prototype[name];
    if (typeof original !== "function") continue;
    Original.prototype[name] = function (sql, ...args) {
      if (outOfFile.test(String(sql))) refuse(`sqlite.${name}`, String(sql).slice(0, 200));
      return original.call(this, sql, ...args);
    };
  }
  if (typeof Original.prototype.loadExtension === "function") {
    Original.prototype.loadExtension = function (file) {
      refuse("sqlite.loadExtension", String(file));
    };
  }
  sqlite.DatabaseSync = DatabaseSync;
  if (typeof sqlite.backup === "function") {
    const backup = sqlite.backup;
    sqlite.backup = function (db, file, ...rest) {
      if (!inside(where(file))) refuse("sqlite.backup", where(file));
      return backup.call(this, db, file, ...rest);
    };
  }
}

function prepareSandbox() {
  let sandbox = process.env.PROBE_SANDBOX;
  let owned = false;
  if (!sandbox) {
    sandbox = fs.mkdtempSync(path.join(os.tmpdir(), "probe-harness-"));
    owned = true;
  }
  sandbox = path.resolve(sandbox);
  const dirs = { home: "home", state: "state", tmp: "tmp" };
  for (const d of Object.values(dirs)) fs.mkdirSync(path.join(sandbox, d), { recursive: true });
  process.env.HOME = path.join(sandbox, dirs.home);
  process.env.USERPROFILE = process.env.HOME;
  process.env.OPENCLAW_HOME = path.join(sandbox, dirs.home);
  process.env.OPENCLAW_STATE_DIR = path.join(sandbox, dirs.state);
  process.env.OPENCLAW_CONFIG_PATH = path.join(sandbox, dirs.state, "openclaw.json");
  process.env.TMPDIR = path.join(sandbox, dirs.tmp);
  process.env.OPENCLAW_LOG_LEVEL = "silent";
  if (owned) {
    process.on("exit", () => {
      try {
        fs.rmSync(sandbox, { recursive: true, force: true });
      } catch {
        /* best effort */
      }
    });
  }
  return sandbox;
}

function keepStdoutForProtocol() {
  // The build must not write into the JSON-lines stream: its console and stdout go to stderr.
  const toStderr = (...args) => {
    process.stderr.write(args.map((a) => (typeof a === "string" ? a : String(a))).join(" ") + "\n");
  };
  for (const level of ["log", "info", "warn", "error", "debug", "trace"]) console[level] = toStderr;
  process.stdout.write = (chunk, encoding, cb) => process.stderr.write(chunk, encoding, cb);
}

// ---------------------------------------------------------------------------------------------
// Scenario validation and what the build cannot express
// ---------------------------------------------------------------------------------------------

const SESSION_KEYS = ["ref", "state", "generation", "queue_depth", "owner", "abort", "work", "progress_age_ms", "session_id", "keyed", "session_file"];
const SETTINGS_KEYS = ["heartbeat_ms", "warn_ms", "abort_ms", "settle_ms", "drain", "tick_late_ms", "tick_jitter_ms", "jitter_seed", "runtime"];
// Lateness settings the firing instants in `heartbeats` already account for.
const LATENESS_KEYS = ["tick_late_ms", "tick_jitter_ms", "jitter_seed"];
const STEP_KEYS = {
  tick: ["do", "late_ms"],
  advance: ["do", "ms"],
  bump: ["do", "session"],
  release: ["do", "session", "outcome"],
  state: ["do", "session", "to"],
  progress: ["do", "session", "target", "reason", "ago_ms", "semantic"],
  start: ["do", "session", "work", "id", "timeout_ms", "deadline_ms", "session_id", "attempt", "delivery"],
  end: ["do", "session", "work", "id", "clear", "session_id"],
  recover: ["do", "session", "allow_active_abort", "age_ms", "queue_depth", "generation", "expected_state", "stale_abort_ms", "compaction_safety_ms"],
  enqueue: ["do", "session", "task"],
  own: ["do", "session", "abort"],
  backend: ["do", "session", "action", "allowance_ms"],
  answer: ["do", "session", "status", "action", "reason", "released", "queued_count", "work"],
  key: ["do", "session", "key"],
  reply: ["do", "session", "phase", "abort"],
  deliver: ["do"],
};
const BACKEND_ACTIONS = ["begin", "output", "model_output", "outstanding", "settled", "close"];
// A scripted answer's status and action (probe's loader checks them; here only the shape).
const ANSWER_STATUSES = ["none", "noop", "released", "aborted", "skipped", "failed"];
const REPLY_PHASES = ["queued", "running", "preflight_compacting", "memory_flushing", "completed", "waiting_for_global_lane", "waiting_for_deferred_maintenance"];
// The phases a reply operation enters through a call of its own (2026.8.1 on), not setPhase.
const REPLY_WAITS = { waiting_for_global_lane: "markWaitingForGlobalLane", waiting_for_deferred_maintenance: "markWaitingForDeferredMaintenance" };

function checkScenario(scenario, located) {
  const problems = [];
  const unsupported = [];
  const isInt = (v) => Number.isSafeInteger(v) && v >= 0;
  if (!scenario || typeof scenario !== "object") throw new HarnessError("the scenario must be a JSON object");
  const settings = scenario.settings ?? {};
  const sessions = scenario.sessions ?? [];
  const steps = scenario.steps ?? [];
  if (typeof settings !== "object" || !Array.isArray(sessions) || !Array.isArray(steps)) {
    throw new HarnessError("settings must be an object, sessions and steps arrays");
  }
  for (const key of Object.keys(settings)) {
    if (!SETTINGS_KEYS.includes(key)) {
      unsupported.push({ step: null, key: `settings.${key}`, reason: "unknown setting; the harness cannot express it" });
    }
  }
  for (const key of ["heartbeat_ms", "warn_ms", "settle_ms"]) {
    if (!isInt(settings[key])) problems.push(`settings.${key} must be a non-negative integer`);
  }
  if (isInt(settings.heartbeat_ms) && settings.heartbeat_ms < 1) problems.push("settings.heartbeat_ms must be at least 1");
  if (!["hold", "settle"].includes(settings.drain)) problems.push('settings.drain must be "hold" or "settle"');
  if (![undefined, "real", "scripted"].includes(settings.runtime)) problems.push('settings.runtime must be "real" or "scripted"');
  if (settings.abort_ms !== undefined && settings.abort_ms !== null) {
    if (!isInt(settings.abort_ms)) problems.push("settings.abort_ms must be a non-negative integer");
    else if (!located.abortSeam && !located.abortConfig) {
      unsupported.push({
        step: null,
        key: "settings.abort_ms",
        reason: `openclaw ${located.version} reads no abort threshold from config or test timings: it is always derived from warn`,
      });
    }
  }
  // Any interval and any lateness: the harness fires the build's own heartbeat callback at each
  // instant of `heartbeats` (probe's timeline), and the build's lateness logic judges it.
  const heartbeats = scenario.heartbeats;
  if (heartbeats !== undefined) {
    if (!Array.isArray(heartbeats) || !heartbeats.every((t, i) => isInt(t) && t > (i ? heartbeats[i - 1] : 0))) {
      problems.push("heartbeats must be the firing instants, increasing positive integers");
    }
  } else if (LATENESS_KEYS.some((k) => settings[k] !== undefined) || steps.some((st) => st && st.late_ms !== undefined)) {
    problems.push("late heartbeats need their firing instants in `heartbeats` (probe computes them from the scenario)");
  }
  if (settings.settle_ms !== located.settleMs) {
    unsupported.push({
      step: null,
      key: "settings.settle_ms",
      reason: `openclaw ${located.version} waits a constant STUCK_SESSION_ABORT_SETTLE_MS = ${located.settleMs} ms for an aborted run; ${settings.settle_ms} cannot be set`,
    });
  }
  const refs = new Set();
  // A keyed session's own session_id: a step may name it so to pass the id alone.
  const keyedIds = new Set(sessions.filter((s) => s && s.keyed !== false && typeof s.session_id === "string").map((s) => s.session_id));
  sessions.forEach((s, i) => {
    const where = `sessions[${i}]`;
    if (!s || typeof s !== "object") {
      problems.push(`${where} must be an object`);
      return;
    }
    for (const key of Object.keys(s)) {
      if (!SESSION_KEYS.includes(key)) {
        unsupported.push({ step: null, key: `${where}.${key}`, reason: "unknown session key; the harness cannot express it" });
      }
    }
    if (s.session_file !== undefined && (typeof s.session_file !== "string" || !s.session_file.startsWith("/tmp/"))) {
      problems.push(`${where}.session_file must be a path under /tmp/`);
    }
    // "" is an empty sessionKey, passed as it is (the build keys its record on it).
    if (typeof s.ref !== "string" || (s.ref !== "" && !s.ref.trim())) problems.push(`${where}.ref must be a string, "" or not blank`);
    else if (refs.has(s.ref)) problems.push(`${where}.ref ${JSON.stringify(s.ref)} is repeated`);
    else refs.add(s.ref);
    if (!["idle", "processing", "waiting"].includes(s.state)) problems.push(`${where}.state is not idle|processing|waiting`);
    for (const key of ["generation", "queue_depth", "progress_age_ms"]) {
      if (!isInt(s[key])) problems.push(`${where}.${key} must be a non-negative integer`);
    }
    if (!["embedded_run", "none"].includes(s.owner)) problems.push(`${where}.owner is not embedded_run|none`);
    if (!["honoured", "ignored", "refused"].includes(s.abort)) problems.push(`${where}.abort is not honoured|ignored|refused`);
    if (!["embedded_run", "tool_call", "model_call", "none"].includes(s.work)) {
      problems.push(`${where}.work is not embedded_run|tool_call|model_call|none`);
    }
  });
  steps.forEach((step, i) => {
    const where = `steps[${i}]`;
    if (!step || typeof step !== "object" || typeof step.do !== "string") {
      problems.push(`${where} must be an object with a "do" verb`);
      return;
    }
    const allowed = STEP_KEYS[step.do];
    if (!allowed) {
      unsupported.push({ step: i, key: `${where}.do`, reason: `unknown verb ${JSON.stringify(step.do)}` });
      return;
    }
    for (const key of Object.keys(step)) {
      if (!allowed.includes(key)) {
        unsupported.push({ step: i, key: `${where}.${key}`, reason: `unknown key for ${step.do}; the harness cannot express it` });
      }
    }
    const named = step.session;
    if (step.do === "key") {
      // An id-only session's key becomes known: from here on steps may name it by the key.
      if (!sessions.some((s) => s && s.keyed === false && s.ref === named)) {
        problems.push(`${where}.session names no id-only session (${JSON.stringify(named)})`);
      }
      if (typeof step.key !== "string" || !step.key.trim()) problems.push(`${where}.key must be a non-blank string`);
      else refs.add(step.key);
      return;
    }
    const needsSession = ["bump", "state", "progress", "start", "end", "recover", "enqueue", "own", "backend", "answer", "reply"].includes(step.do);
    if (step.do === "reply") {
      const registry = findReplyRegistry(located);
      if (registry.missing) {
        unsupported.push({ step: i, key: `${where}.do`, reason: `openclaw ${located.version} cannot express reply: ${registry.missing}` });
      }
      if (!REPLY_PHASES.includes(step.phase ?? "queued")) problems.push(`${where}.phase is not ${REPLY_PHASES.join("|")}`);
      const wait = REPLY_WAITS[step.phase];
      if (wait && !registry.missing && !readText(registry.file).includes(`${wait}() {`)) {
        unsupported.push({ step: i, key: `${where}.phase`, reason: `openclaw ${located.version} cannot express reply: its reply operations have no ${wait}` });
      }
      const owner = sessions.find((x) => x && x.ref === named);
      if (owner && (owner.keyed === false || owner.ref === "")) {
        problems.push(`${where}.session has no key: a reply operation needs a canonical sessionKey`);
      }
      if (!["honoured", "ignored", undefined].includes(step.abort)) problems.push(`${where}.abort is not honoured|ignored`);
    }
    if (step.do === "answer") {
      if (settings.runtime !== "scripted") problems.push(`${where}: answer needs settings.runtime "scripted"`);
      if (!ANSWER_STATUSES.includes(step.status)) problems.push(`${where}.status is not ${ANSWER_STATUSES.join("|")}`);
      for (const key of ["released", "queued_count"]) {
        if (step[key] !== undefined && !isInt(step[key])) problems.push(`${where}.${key} must be a non-negative integer`);
      }
    }
    if (step.do === "enqueue" && !["blocked", "quick", undefined].includes(step.task)) {
      problems.push(`${where}.task is not blocked|quick`);
    }
    if (step.do === "enqueue" && !runtimeImportsLanes(located)) {
      unsupported.push({
        step: i,
        key: `${where}.do`,
        reason: `openclaw ${located.version}'s recovery runtime reads no command lane (it imports no resetCommandLane / resolveEmbeddedSessionLane)`,
      });
    }
    if (needsSession || (step.do === "release" && named !== undefined && named !== null)) {
      if (!refs.has(named) && !(needsSession && keyedIds.has(named))) {
        problems.push(`${where}.session names no seeded session (${JSON.stringify(named)})`);
      }
    }
    if (step.do === "advance" && !isInt(step.ms)) problems.push(`${where}.ms must be a non-negative integer`);
    if (step.do === "backend") {
      if (!BACKEND_ACTIONS.includes(step.action)) problems.push(`${where}.action is not ${BACKEND_ACTIONS.join("|")}`);
      if ((step.action === "begin") !== (step.allowance_ms !== undefined) || (step.allowance_ms !== undefined && (!isInt(step.allowance_ms) || step.allowance_ms < 1))) {
        problems.push(`${where}.allowance_ms must be a positive integer, on begin only`);
      }
    }
    if (step.do === "own" && !["honoured", "ignored", "refused", undefined].includes(step.abort)) {
      problems.push(`${where}.abort is not honoured|ignored|refused`);
    }
    if (step.do === "start" || step.do === "end") {
      if (!["embedded_run", "tool_call", "model_call"].includes(step.work)) problems.push(`${where}.work is not embedded_run|tool_call|model_call`);
      if (step.id !== undefined && (typeof step.id !== "string" || !/^[A-Za-z0-9_.-]{1,40}$/.test(step.id))) {
        problems.push(`${where}.id must be 1..40 letters, digits, _ . or -`);
      }
      if (step.clear !== undefined && typeof step.clear !== "boolean") problems.push(`${where}.clear must be a boolean`);
      if (step.session_id !== undefined && (typeof step.session_id !== "string" || !/^[A-Za-z0-9_.-]{1,40}$/.test(step.session_id) || step.work !== "embedded_run" || step.id !== undefined)) {
        problems.push(`${where}.session_id must be 1..40 letters, digits, _ . or -, on an embedded run without id`);
      }
      if (step.timeout_ms !== undefined && (!isInt(step.timeout_ms) || step.timeout_ms < 1 || step.work !== "model_call")) {
        problems.push(`${where}.timeout_ms must be a positive integer, on a model call`);
      }
      if (step.deadline_ms !== undefined && (!isInt(step.deadline_ms) || step.deadline_ms < 1 || step.work !== "tool_call")) {
        problems.push(`${where}.deadline_ms must be a positive integer, on a tool call`);
      }
      if (step.attempt !== undefined && (typeof step.attempt !== "boolean" || (step.attempt && (step.work !== "model_call" || step.timeout_ms !== undefined)))) {
        problems.push(`${where}.attempt must be a boolean, true only on a model call without timeout_ms`);
      }
      if (step.delivery !== undefined) {
        const plain = ["tool_call", "model_call"].includes(step.work) && step.timeout_ms === undefined && step.deadline_ms === undefined && !step.attempt;
        if (!["now", "held"].includes(step.delivery) || (step.delivery === "held" && !plain)) {
          problems.push(`${where}.delivery must be now|held, held on a plain tool or model call's start only`);
        }
        const missing = step.delivery === "held" ? heldDeliveryMissing(located) : null;
        if (missing) unsupported.push({ step: i, key: `${where}.delivery`, reason: `openclaw ${located.version} cannot hold a bus event: ${missing}` });
      }
    }
    if (step.do === "progress") {
      if (!["both", "run", "record", undefined].includes(step.target)) problems.push(`${where}.target is not both|run|record`);
      if (step.reason !== undefined && (typeof step.reason !== "string" || !step.reason.trim())) {
        problems.push(`${where}.reason must be a non-empty string`);
      }
      if (step.ago_ms !== undefined && !isInt(step.ago_ms)) problems.push(`${where}.ago_ms must be a non-negative integer`);
      if (step.semantic !== undefined && (typeof step.semantic !== "boolean" || (step.semantic && (step.target === "record" || (step.ago_ms ?? 0) !== 0)))) {
        problems.push(`${where}.semantic must be a boolean, true only on run progress given now`);
      }
    }
    if (step.do === "recover") {
      for (const key of ["age_ms", "queue_depth", "generation", "stale_abort_ms", "compaction_safety_ms"]) {
        if (step[key] !== undefined && !isInt(step[key])) problems.push(`${where}.${key} must be a non-negative integer`);
      }
      if (step.allow_active_abort !== undefined && typeof step.allow_active_abort !== "boolean") {
        problems.push(`${where}.allow_active_abort must be a boolean`);
      }
      if (![undefined, "idle", "processing", "waiting"].includes(step.expected_state)) {
        problems.push(`${where}.expected_state is not idle|processing|waiting`);
      }
    }
    if (step.do === "tick" && step.late_ms !== undefined && !isInt(step.late_ms)) {
      problems.push(`${where}.late_ms must be a non-negative integer`);
    }
    if (step.do === "state" && !["idle", "processing", "waiting"].includes(step.to)) {
      problems.push(`${where}.to is not idle|processing|waiting`);
    }
    if (step.do === "release") {
      const outcome = step.outcome ?? "completed";
      if (outcome === "failed") {
        unsupported.push({
          step: i,
          key: `${where}.outcome`,
          reason: `openclaw ${located.version}'s recoverStuckDiagnosticSession catches every error and never rejects, so a failed recovery cannot be produced`,
        });
      } else if (outcome !== "completed") {
        problems.push(`${where}.outcome must be "completed" or "failed"`);
      }
    }
  });
  if (problems.length) throw new HarnessError(`invalid scenario: ${problems.join("; ")}`);
  return { settings, sessions, steps, unsupported, firings: heartbeatFirings(heartbeats, settings.heartbeat_ms) };
}

/**
 * The k-th heartbeat firing (0-based), in scenario clock. Given `listed` (every firing within the
 * scenario: the next one after them would fall past its end, at an instant only probe's
 * lateness settings know), those and no more; else every `interval` from 0.
 */
function heartbeatFirings(listed, interval) {
  if (listed === undefined) return (k) => (k + 1) * interval;
  return (k) => (k < listed.length ? listed[k] : Infinity);
}

/** The scenario clock at the end, to choose an epoch under which every instant stays exact. */
function finalClock(steps, firings) {
  let now = 0;
  let fired = 0;
  for (const step of steps) {
    if (step.do === "tick") now = firings(fired);
    else if (step.do === "advance") now += step.ms;
    while (firings(fired) <= now) fired += 1;
  }
  return now;
}

// ---------------------------------------------------------------------------------------------
// Replay
// ---------------------------------------------------------------------------------------------

function pick(mod, exports, name) {
  const alias = exports.get(name);
  const value = alias === undefined ? undefined : mod[alias];
  if (value === undefined) throw new HarnessError(`the build does not export ${name}`);
  return value;
}

async function loadBuild(located) {
  const url = (file) => pathToFileURL(file).href;
  const c = located.chunks;
  const mods = {};
  for (const key of ["events", "sessionState", "runActivity", "diagnostic", "runs", "runtime"]) {
    mods[key] = await import(url(c[key].file));
  }
  const ex = Object.fromEntries(Object.keys(mods).map((k) => [k, exportMap(c[k].source)]));
  const api = {};
  for (const [key, name, ...older] of FUNCTIONS) {
    if (key === "runtime") continue;
    const as = [name, ...older].find((n) => ex[key].has(n)) ?? name;
    api[name] = pick(mods[key], ex[key], as);
  }
  for (const { name, chunk: chunkName, export: exported } of located.optionalFunctions) {
    if (chunkName === null || exported === null) continue;
    const key = OPTIONAL_FUNCTIONS.find(([, n]) => n === name)[0];
    api[name] = pick(mods[key], ex[key], name);
  }
  if (located.backendLiveness) api.beginDiagnosticBackendActivity = pick(mods.runActivity, ex.runActivity, "beginDiagnosticBackendActivity");
  if (located.repeatedRequests) {
    api.emitCoreSemanticRunProgressDiagnosticEvent = pick(mods.runActivity, ex.runActivity, "emitCoreSemanticRunProgressDiagnosticEvent");
    // Installs the test seam on globalThis (and stops tracking, which each scenario restarts).
    pick(mods.runActivity, ex.runActivity, "resetDiagnosticRunActivityForTest")();
    const seam = globalThis[Symbol.for("openclaw.diagnosticRunActivityTestApi")];
    if (typeof seam?.markDiagnosticModelStartedForTest !== "function") {
      throw new HarnessError("resetDiagnosticRunActivityForTest installed no markDiagnosticModelStartedForTest");
    }
    api.markDiagnosticModelStartedForTest = seam.markDiagnosticModelStartedForTest;
  }
  if (located.toolDeadlines) {
    for (const name of TOOL_DEADLINE_FUNCTIONS) api[name] = pick(mods.events, ex.events, name);
  }
  let createLazyRuntimeModule = null;
  if (located.loader) {
    const factory = await import(url(located.loader.file));
    createLazyRuntimeModule = factory[located.loader.export];
    if (typeof createLazyRuntimeModule !== "function") {
      throw new HarnessError(`${path.basename(located.loader.file)} does not export createLazyRuntimeModule as ${located.loader.export}`);
    }
  }
  if (typeof mods.runtime.recoverStuckDiagnosticSession !== "function") {
    throw new HarnessError("the recovery runtime does not export recoverStuckDiagnosticSession");
  }
  // The heartbeat's own dynamic imports, loaded now so that later they resolve without I/O.
  const shimUrl = url(located.shimFile);
  const runtimeModule = import(shimUrl);
  await runtimeModule;
  const pollBackoff = pollBackoffFile(located);
  if (fs.existsSync(pollBackoff)) await import(url(pollBackoff));
  const lanes = await loadLanes(located);
  const replies = await loadReplies(located);
  return { api, runtimeModule, shimUrl, createLazyRuntimeModule, lanes, replies };
}

/**
 * Why the build's diagnostic bus cannot hold a start for a later `deliver` (null: it can). A
 * held start is emitted through the build's own bus (numbered there), taken out of its async
 * queue before the drain it scheduled runs, and put back at `deliver`, whose drain is the one
 * the emission scheduled: so the bus must queue tool and model call starts and drain them on a
 * setImmediate turn, as every build from 2026.5.30-beta.1 to 2026.9.6 does.
 */
function heldDeliveryMissing(located) {
  const source = located.chunks?.events?.source ?? "";
  if (!/\basyncQueue\b/.test(source) || !/\basyncDrainScheduled\b/.test(source)) {
    return "its diagnostic bus has no async queue";
  }
  if (!/asyncDrainScheduled = true;\s*setImmediate\(/.test(source)) return "its bus drain is not a setImmediate turn";
  const types = source.match(/ASYNC_DIAGNOSTIC_EVENT_TYPES = (?:\/\* @__PURE__ \*\/ )?new Set\(\[([^\]]*)\]/)?.[1] ?? "";
  for (const type of ["tool.execution.started", "model.call.started"]) {
    if (!types.includes(`"${type}"`)) return `its bus delivers ${type} at once`;
  }
  return null;
}

function runtimeImportsLanes(located) {
  const source = located.chunks?.runtime?.source ?? "";
  return ["resetCommandLane", "resolveEmbeddedSessionLane"].every((fn) =>
    new RegExp(`import\\s*\\{[^}]*\\b${fn}\\b[^}]*\\}\\s*from`).test(source),
  );
}

/**
 * The command queue and the session-lane naming the recovery runtime itself imports (its
 * `resetCommandLane` and `resolveEmbeddedSessionLane`), so that `enqueue` puts tasks in the very
 * lanes the runtime reads and resets. Null (with why) where the runtime imports neither.
 */
async function loadLanes(located) {
  const source = located.chunks.runtime.source;
  const importOf = (fn) =>
    source.match(new RegExp(`import\\s*\\{[^}]*\\b${fn}\\b[^}]*\\}\\s*from\\s*["'](\\./[^"']+)["']`))?.[1];
  const queueFile = importOf("resetCommandLane");
  const lanesFile = importOf("resolveEmbeddedSessionLane");
  if (!queueFile || !lanesFile) {
    return { missing: "its recovery runtime imports no command queue (resetCommandLane) or session lanes (resolveEmbeddedSessionLane)" };
  }
  const dir = path.dirname(located.chunks.runtime.file);
  const load = async (file, name) => {
    const full = path.join(dir, file);
    const alias = exportMap(readText(full)).get(name);
    const fn = alias === undefined ? undefined : (await import(pathToFileURL(full).href))[alias];
    if (typeof fn !== "function") throw new HarnessError(`${file} does not export ${name}`);
    return fn;
  };
  // Only `enqueue` needs them: a build without them still drives every other verb.
  try {
    return {
      enqueueCommandInLane: await load(queueFile, "enqueueCommandInLane"),
      clearCommandLane: await load(queueFile, "clearCommandLane"),
      resetCommandLane: await load(queueFile, "resetCommandLane"),
      resolveEmbeddedSessionLane: await load(lanesFile, "resolveEmbeddedSessionLane"),
    };
  } catch (err) {
    return { missing: err instanceof HarnessError ? err.message : `its command queue cannot be loaded (${String(err)})` };
  }
}

/**
 * The build's own reply-run registry (createReplyOperation, replyRunRegistry), the one its
 * embedded-run registry and so the recovery runtime read: the chunk that defines and exports
 * them. `missing` says why `reply` cannot be given: no such chunk, or (2026.7.2-beta.1 ..
 * 8.1-beta.3) a registry whose operations mark no embedded run in run activity, in a build
 * whose runtime has no maintenance-phase window: those probe's model does not play. Cached on
 * `located`.
 */
function findReplyRegistry(located) {
  if (located.replyRegistry) return located.replyRegistry;
  const dir = path.dirname(located.chunks.runtime.file);
  const names = fs.readdirSync(dir).filter((n) => n.endsWith(".js") || n.endsWith(".mjs")).sort();
  let found = { missing: "it has no reply-run registry (no chunk exports createReplyOperation)" };
  for (const name of names) {
    const file = path.join(dir, name);
    let source;
    try {
      source = readText(file);
    } catch {
      continue;
    }
    if (!source.includes("function createReplyOperation(")) continue;
    const exported = exportMap(source);
    const create = exported.get("createReplyOperation");
    const registry = exported.get("replyRunRegistry");
    if (create === undefined || registry === undefined) continue;
    // Up to 7.1 (and 7.33-7.35) an operation marks an embedded run; from 8.1 (switch
    // reply-own-activity) the runtime keeps its maintenance phases within the compaction
    // window, the reply operations probe's model plays again; 7.2-beta.1 .. 8.1-beta.3 neither.
    const runtimeSource = readText(located.chunks.runtime.file);
    found = source.includes("markDiagnosticEmbeddedRunStarted") || runtimeSource.includes("const activeMaintenanceProtected = ")
      ? { file, create, registry }
      : { missing: "its reply operations mark no embedded run in run activity (from 2026.7.2-beta.1): probe's model does not play them" };
    break;
  }
  located.replyRegistry = found;
  return found;
}

/** A `reply` step's phase: a wait through its own call (which ignores it from a phase it does
 * not start from), any other through setPhase. */
function enterReplyPhase(operation, phase) {
  if (REPLY_WAITS[phase]) operation[REPLY_WAITS[phase]]();
  else operation.setPhase(phase);
}

async function loadReplies(located) {
  const found = findReplyRegistry(located);
  if (found.missing) return found;
  const mod = await import(pathToFileURL(found.file).href);
  if (typeof mod[found.create] !== "function" || typeof mod[found.registry]?.get !== "function") {
    return { missing: `${path.basename(found.file)} does not export createReplyOperation and replyRunRegistry` };
  }
  return { createReplyOperation: mod[found.create], registry: mod[found.registry] };
}

function loadFakeTimers(distDir) {
  // probe pins its own copy for builds it did not install (PROBE_FAKE_TIMERS: the package folder).
  const pinned = process.env.PROBE_FAKE_TIMERS;
  const require = createRequire(pathToFileURL(path.join(distDir, "probe-harness.cjs")).href);
  try {
    return pinned ? createRequire(import.meta.url)(pinned) : require("@sinonjs/fake-timers");
  } catch {
    if (pinned) throw new HarnessError(`PROBE_FAKE_TIMERS=${pinned} is not a loadable @sinonjs/fake-timers`);
    throw new HarnessError(
      `@sinonjs/fake-timers is not resolvable from ${distDir}; install the build with "probe engines install"`,
    );
  }
}

function outcomeString(outcome) {
  if (!outcome || typeof outcome !== "object") return "none/none";
  const detail = "reason" in outcome && outcome.reason !== undefined ? outcome.reason : outcome.action;
  return `${outcome.status}/${detail}`;
}

async function replay(distDir, readScenario) {
  const located = locateChunks(distDir);
  let raw;
  try {
    raw = JSON.parse(readScenario());
  } catch (err) {
    throw new HarnessError(`stdin is not one JSON document: ${err.message}`);
  }
  const planned = planScenario(raw, located);
  if (planned.code !== undefined) return planned.code;
  const build = await prepareBuild(distDir, located);
  return (await runScenario(build, planned, { reuse: false })).code;
}

/** A scenario checked and placed in time; `code` set when it cannot run (lines written). */
function planScenario(raw, located) {
  const { settings, sessions, steps, unsupported, firings } = checkScenario(raw, located);
  if (unsupported.length) {
    for (const u of unsupported) out({ kind: "unsupported", ...u });
    return { code: EXIT_UNSUPPORTED };
  }
  // Back-dated progress sets the clock back that far: it must stay in the Date range too.
  const maxAge = Math.max(
    sessions.reduce((m, s) => Math.max(m, s.progress_age_ms), 0),
    steps.reduce((m, s) => (s.do === "progress" ? Math.max(m, s.ago_ms ?? 0) : m), 0),
  );
  const end = finalClock(steps, firings);
  let base = PREFERRED_EPOCH_BASE;
  if (base + maxAge + end > MAX_DATE_MS) base = MAX_DATE_MS - maxAge - end;
  if (base < MIN_EPOCH_BASE) {
    out({
      kind: "unsupported",
      step: null,
      key: "sessions.progress_age_ms",
      reason: `the seeding ages plus the scenario's ${end} ms do not fit in the build's Date range (${MAX_DATE_MS} ms)`,
    });
    return { code: EXIT_UNSUPPORTED };
  }
  return { settings, sessions, steps, firings, maxAge, epoch: base + maxAge };
}

/** The build loaded once, in its sandbox: what every scenario replayed on it needs. */
async function prepareBuild(distDir, located) {
  const sandbox = prepareSandbox();
  await installNetworkAndProcessTraps();
  installWriteGuard(sandbox);
  keepStdoutForProtocol();
  const FakeTimers = loadFakeTimers(distDir);
  const loaded = await loadBuild(located);
  return { located, FakeTimers, ...loaded };
}

/**
 * One scenario on a loaded build. With `reuse`, the build's diagnostic state is then put back
 * as a fresh process has it (see resetBuild); `reusable` says whether that could be done.
 */
async function runScenario(build, planned, { reuse }) {
  const { located, FakeTimers, api, runtimeModule, shimUrl, createLazyRuntimeModule, lanes, replies } = build;
  if (lanes.missing && steps.some((st) => st.do === "enqueue")) {
    throw new HarnessError(`openclaw ${located.version} cannot express enqueue: ${lanes.missing}`);
  }
  const lanesUsed = new Set();
  const { settings, sessions, steps, firings, maxAge, epoch } = planned;
  if (replies.missing && steps.some((st) => st.do === "reply")) {
    throw new HarnessError(`openclaw ${located.version} cannot express reply: ${replies.missing}`);
  }
  // The reply operation each session has begun (`reply`) and not yet completed, by ref.
  const operations = new Map();

  out({
    kind: "meta",
    protocol: PROTOCOL,
    openclaw_version: located.version,
    node: process.version,
    drain: settings.drain,
    heartbeat_ms: located.heartbeatMs,
    settle_ms: located.settleMs,
    warn_ms: settings.warn_ms,
  });

  const toFake = settings.drain === "settle"
    ? ["Date", "setTimeout", "clearTimeout", "setInterval", "clearInterval"]
    : ["Date", "setInterval", "clearInterval"];
  const clock = FakeTimers.install({ now: epoch - maxAge, toFake, shouldClearNativeTimers: false });
  const wallStart = process.hrtime.bigint();

  let currentStep = null;
  let seeding = true;
  let busCount = 0;
  // Before seeding: its listener ignores bus events numbered at or before its start (7.2-beta.3+),
  // and registered first, as earlier builds register theirs when the chunk loads.
  let recording = true;
  api.startDiagnosticRunActivityTracking?.();
  const unsubscribe = api.onInternalDiagnosticEvent((event) => {
    busCount += 1;
    if (seeding || !recording) return;
    const type = event?.type;
    if (typeof type !== "string" || !(type.startsWith("session.") || type === "message.queued")) return;
    const shaped = { type, at_ms: event.ts - epoch, ref: event.sessionKey ?? event.sessionId ?? null };
    for (const field of REPORTED_FIELDS) if (event[field] !== undefined) shaped[field] = event[field];
    out({ kind: "event", step: currentStep, event: shaped });
  });

  // Runtime calls, noted through a replica of the build's recoverStuckSession (checked in
  // locateChunks): same async function, same promise chain, so the same microtask order.
  const calls = [];
  let stuckSessionRecoveryRuntimePromise = null;
  const noteCall = (recover, params) => {
    const index = calls.length;
    const call = { index, callStep: currentStep, done: false };
    calls.push(call);
    const result = recover(params);
    Promise.resolve(result).then(
      (outcome) => {
        call.done = true;
        if (recording) out({ kind: "runtime_outcome", call: index, call_step: call.callStep, step: currentStep, outcome: outcomeString(outcome) });
      },
      () => {
        call.done = true;
        if (recording) out({ kind: "runtime_outcome", call: index, call_step: call.callStep, step: currentStep, outcome: "failed/exception" });
      },
    );
    return result;
  };
  const recoveryFailed = (params, err) => ({
    status: "failed",
    action: "none",
    reason: "exception",
    sessionId: params.sessionId,
    sessionKey: params.sessionKey,
    error: String(err),
  });
  async function recoverStuckSessionDirect(params) {
    stuckSessionRecoveryRuntimePromise ??= runtimeModule;
    return stuckSessionRecoveryRuntimePromise
      .then(({ recoverStuckDiagnosticSession }) => noteCall(recoverStuckDiagnosticSession, params))
      .catch((err) => recoveryFailed(params, err));
  }
  // The build's own lazy loader (its createLazyRuntimeModule over the same import), so the first
  // call waits exactly as many microtasks as the build's would; the chain is the build's wrapper.
  const loadStuckSessionRecoveryRuntime = createLazyRuntimeModule
    ? createLazyRuntimeModule(() => import(shimUrl))
    : null;
  async function recoverStuckSessionLazy(params) {
    return loadStuckSessionRecoveryRuntime()
      .then(({ recoverStuckDiagnosticSession }) => noteCall(recoverStuckDiagnosticSession, params))
      .catch((err) => recoveryFailed(params, err));
  }
  const recoverStuckSession = loadStuckSessionRecoveryRuntime ? recoverStuckSessionLazy : recoverStuckSessionDirect;
  // settings.runtime "scripted": the heartbeat's runtime replaced as openclaw's tests replace it
  // (startDiagnosticHeartbeat's recoverStuckSession, a vi.fn): each call returns a promise that
  // an `answer` step resolves, oldest first per session; `recover` steps still reach the build's.
  const scriptedCalls = [];
  const scriptedRuntime = (params) => noteCall(
    () => new Promise((resolve) => scriptedCalls.push({ ref: params.sessionKey ?? params.sessionId, resolve })),
    params,
  );

  // Let every promise chain and setImmediate-dispatched bus event finish before time moves on.
  const busState = () => globalThis[Symbol.for("openclaw.diagnosticEvents.state.v1")];
  const fingerprint = () => {
    const s = busState();
    return `${busCount}|${calls.length}|${calls.filter((c) => c.done).length}|${s?.asyncQueue?.length ?? 0}|${s?.asyncDrainScheduled ?? false}|${outputLines.length}`;
  };
  async function settle() {
    let last = fingerprint();
    let quiet = 0;
    for (let i = 0; i < 1000 && quiet < 3; i += 1) {
      await new Promise((resolve) => realSetImmediate(resolve));
      const now = fingerprint();
      if (now === last) quiet += 1;
      else {
        quiet = 0;
        last = now;
      }
    }
  }
  const nextTimerAt = () => {
    let first;
    const timers = clock.timers instanceof Map ? [...clock.timers.values()] : Object.values(clock.timers ?? {});
    for (const t of timers) if (first === undefined || t.callAt < first) first = t.callAt;
    return first;
  };
  async function runUntil(target) {
    for (;;) {
      const at = nextTimerAt();
      if (at === undefined || at > target) break;
      clock.next();
      await settle();
    }
    // tick, not setSystemTime: the latter shifts every pending timer along with the clock.
    if (clock.now < target) clock.tick(target - clock.now);
  }

  // Seeding: oldest first, ties in file order; each session at scenario clock -progress_age_ms.
  const seeded = sessions
    // Identity: the key (ref) and an id beside it (session_id, else the harness's own); an
    // id-only session (keyed: false) passes its ref as the sessionId and no key at all.
    .map((s, fileIndex) => ({
      ...s,
      fileIndex,
      key: s.keyed === false ? undefined : s.ref,
      sessionId: s.keyed === false ? s.ref : (s.session_id ?? `scenario-session-${fileIndex}`),
    }))
    .sort((a, b) => b.progress_age_ms - a.progress_age_ms || a.fileIndex - b.fileIndex);
  const byRef = new Map(seeded.map((s) => [s.ref, s]));
  // A step naming a keyed session by its session_id calls with that id alone (no key): the
  // build resolves it to the keyed record by the id, as openclaw's sessionId-only callers do.
  const byId = new Map(seeded.filter((s) => s.key !== undefined && s.session_id !== undefined).map((s) => [s.session_id, { ...s, key: undefined }]));
  const keyIds = (s) => (s.key === undefined ? { sessionId: s.sessionId } : { sessionId: s.sessionId, sessionKey: s.key });
  // A session file rides on every call naming the session (its record keeps it and the
  // heartbeat passes state.sessionFile on to the runtime); run handles register under it.
  const ids = (s) => (s.session_file === undefined ? keyIds(s) : { ...keyIds(s), sessionFile: s.session_file });
  for (const s of seeded) {
    await runUntil(epoch - s.progress_age_ms);
    if (s.owner === "embedded_run") {
      s.handle = {
        abort() {
          if (s.abort === "honoured") api.clearActiveEmbeddedRun(s.sessionId, s.handle, s.key);
          if (s.abort === "refused") throw new Error("scenario: the run refuses to abort");
        },
        isStreaming: () => true,
        isCompacting: () => false,
        queueMessage: async () => {},
      };
      api.setActiveEmbeddedRun(s.sessionId, s.handle, s.key, s.session_file);
    } else {
      api.getDiagnosticSessionState(ids(s));
      if (s.work === "embedded_run") api.markDiagnosticEmbeddedRunStarted(ids(s));
    }
    if (s.work === "tool_call") {
      api.emitInternalDiagnosticEvent({
        type: "tool.execution.started",
        ...ids(s),
        runId: `scenario-run-${s.fileIndex}`,
        toolName: "scenario_tool",
        toolCallId: `scenario-call-${s.fileIndex}`,
      });
    } else if (s.work === "model_call") {
      api.emitInternalDiagnosticEvent({
        type: "model.call.started",
        ...ids(s),
        runId: `scenario-run-${s.fileIndex}`,
        provider: "scenario",
        model: "scenario-model",
      });
    } else if (s.work === "none" && s.owner === "embedded_run") {
      api.markDiagnosticEmbeddedRunEnded(ids(s));
    }
    await settle();
    const record = api.peekDiagnosticSessionState(ids(s));
    if (!record) throw new HarnessError(`seeding ${s.ref} left no session record`);
    record.state = s.state;
    record.queueDepth = s.queue_depth;
    record.generation = s.generation;
    record.activeQueuedTurn = false;
    record.lastStuckWarnAgeMs = undefined;
    record.lastLongRunningWarnAgeMs = undefined;
  }
  await runUntil(epoch);
  await settle();
  seeding = false;

  currentStep = null;
  const heartbeatOpts = {
    recoverStuckSession: settings.runtime === "scripted" ? scriptedRuntime : recoverStuckSession,
    emitMemorySample: () => {},
    sampleLiveness: () => null,
  };
  // Where warn is only a test seam (7.2-beta.4+), which does not clamp: outside the range the
  // config path accepted, pass nothing, so the build uses its default as earlier builds do.
  if (located.warnSeam && settings.warn_ms >= MIN_WARN_MS && settings.warn_ms <= MAX_WARN_MS) {
    heartbeatOpts.testTimings = { stuckSessionWarnMs: settings.warn_ms };
  }
  const diagnostics = { enabled: true, stuckSessionWarnMs: settings.warn_ms };
  const abortMs = settings.abort_ms ?? null;
  // The abort threshold where the build reads it: the test seam takes it as it is, config
  // ignores 0 and raises it to at least warn (the build's own rules, not the harness's).
  if (abortMs !== null && located.abortSeam) heartbeatOpts.testTimings = { ...heartbeatOpts.testTimings, stuckSessionAbortMs: abortMs };
  else if (abortMs !== null) diagnostics.stuckSessionAbortMs = abortMs;
  const timersBefore = new Set(timerList(clock).map((t) => t.id));
  api.startDiagnosticHeartbeat({ diagnostics }, heartbeatOpts);
  const heartbeat = takeHeartbeat(clock, timersBefore, located, epoch, firings);
  await settle();

  // A timed model call where the build reads request timeouts: a run owner of its own (its
  // embedded run by workKey scenario-request-ID, a run id new at every start, so that a restart
  // is never a retry of the same run), holding one core model request; its end ends the request
  // and closes the owner. By session and id while it runs.
  const requests = new Map();
  // Tool calls that run with a command deadline, by session and id (see markWork).
  const deadlineTools = new Set();
  // Model calls started as request attempts of the session's run, by session and id.
  const attemptCalls = new Set();
  let requestSerial = 0;
  const requestKey = (s, id) => `${s.fileIndex}\u0000${id}`;
  async function markRequest(s, step, id) {
    const key = requestKey(s, id);
    if (step.do === "start") {
      requestSerial += 1;
      const runId = `scenario-run-${s.fileIndex}-request-${requestSerial}`;
      const workKey = `scenario-request-${id}`;
      const owner = api.createDiagnosticEmbeddedRunOwner({ ...ids(s), runId, workKey });
      api.markDiagnosticEmbeddedRunStarted({ ...ids(s), runId, workKey, owner });
      const call = { ...ids(s), runId, callId: `${runId}:call`, provider: "scenario", model: `scenario-request-${id}` };
      api.emitCoreModelRequestStartedDiagnosticEvent(call, owner.generation, step.timeout_ms);
      requests.set(key, { owner, call });
      return;
    }
    const { owner, call } = requests.get(key);
    requests.delete(key);
    api.emitCoreModelRequestEndedDiagnosticEvent({ type: "model.call.completed", ...call, durationMs: 1 }, owner.generation);
    await settle();
    api.closeDiagnosticEmbeddedRunOwner(owner);
  }

  // start / end: a work marker, keyed as seeding keys its own ("main"): the embedded run by
  // workKey (the sessionId for main), the tool call by its toolCallId, the model call by its model.
  async function markWork(s, step) {
    const id = step.id ?? "main";
    const suffix = id === "main" ? "" : `-${id}`;
    const starting = step.do === "start";
    if (step.work === "model_call" && located.requestTimeouts) {
      // probe's loader lets a timed call end only while it runs, and keeps a session's model
      // calls all timed or all plain.
      if (starting ? step.timeout_ms !== undefined : requests.has(requestKey(s, id))) {
        await markRequest(s, step, id);
        return;
      }
    }
    if (step.work === "model_call" && (starting ? step.attempt === true : attemptCalls.has(requestKey(s, id)))) {
      // A request attempt of the session's run, under its run id (the session's own id, as
      // every embedded run the harness starts takes it): where attempts are counted, marked
      // as openclaw's tests mark one (no event, no sequence); else a plain model call of that
      // run. probe's loader gives every start of the id attempt = true, so start and end key
      // it alike.
      const call = { ...ids(s), runId: s.sessionId, provider: "scenario", model: `scenario-model${suffix}` };
      if (!starting) {
        attemptCalls.delete(requestKey(s, id));
        api.emitInternalDiagnosticEvent({ type: "model.call.completed", ...call });
        return;
      }
      attemptCalls.add(requestKey(s, id));
      if (located.repeatedRequests) api.markDiagnosticModelStartedForTest({ ...call, observationUnit: "request" });
      else api.emitInternalDiagnosticEvent({ type: "model.call.started", ...call });
      return;
    }
    if (step.work === "embedded_run") {
      // session_id: a run under another id of the session's key (its work key is that id, as
      // openclaw's default), joining the keyed session's activity.
      const params = step.session_id !== undefined
        ? { sessionId: step.session_id, sessionKey: s.key }
        : { ...ids(s), ...(id === "main" ? {} : { workKey: `scenario-work-${id}` }) };
      if (starting) api.markDiagnosticEmbeddedRunStarted(params);
      else api.markDiagnosticEmbeddedRunEnded({ ...params, clearRunActivity: step.clear ?? true });
    } else if (step.work === "tool_call" && located.toolDeadlines && (starting ? step.deadline_ms !== undefined : deadlineTools.has(requestKey(s, id)))) {
      // A tool call with a command deadline, as an exec's wrapper runs it: a trusted start
      // carrying its execution's liveness, which then records the deadline. It runs under the
      // session's own run id (an embedded run's, where the snapshot reads its tools'
      // deadlines); probe's loader gives every start of the id a deadline, so start and end
      // key it alike.
      const event = { type: starting ? "tool.execution.started" : "tool.execution.completed", ...ids(s), runId: s.sessionId, toolName: "scenario_tool", toolCallId: `scenario-call-${s.fileIndex}${suffix}` };
      if (!starting) {
        deadlineTools.delete(requestKey(s, id));
        api.emitInternalDiagnosticEvent(event);
        return;
      }
      const liveness = api.createDiagnosticToolExecutionLiveness(undefined);
      api.emitTrustedDiagnosticEvent(api.markToolExecutionLivenessDiagnosticEvent(event, liveness.view));
      liveness.run(() => api.recordDiagnosticToolExecutionDeadline(Date.now() + step.deadline_ms));
      deadlineTools.add(requestKey(s, id));
    } else if (step.work === "tool_call") {
      emitWork(step, {
        type: starting ? "tool.execution.started" : "tool.execution.completed",
        ...ids(s),
        runId: `scenario-run-${s.fileIndex}`,
        toolName: "scenario_tool",
        toolCallId: `scenario-call-${s.fileIndex}${suffix}`,
      });
    } else {
      emitWork(step, {
        type: starting ? "model.call.started" : "model.call.completed",
        ...ids(s),
        runId: `scenario-run-${s.fileIndex}`,
        provider: "scenario",
        model: `scenario-model${suffix}`,
      });
    }
  }

  // delivery = "held": the event is emitted through the build's bus (numbered now, as the
  // recovery coordinator's cut-off reads the bus sequence) and taken out of its async queue
  // before its drain runs; `deliver` puts the held events back, in order, and runs that drain.
  // Run activity (the bus's listener) so sees the start on a later turn, as openclaw's tests'
  // asynchronous emissions reach it after a recovery has been applied.
  const heldEntries = [];
  let heldDrain = null;
  function emitWork(step, event) {
    if (step.delivery !== "held") {
      api.emitInternalDiagnosticEvent(event);
      return;
    }
    const bus = busState();
    if (!bus || !Array.isArray(bus.asyncQueue) || bus.asyncDrainScheduled) {
      throw new HarnessError("a held start needs the diagnostic bus idle, with an async queue");
    }
    const before = bus.asyncQueue.length;
    const scheduled = globalThis.setImmediate;
    let drain = null;
    // The drain the emission schedules is kept for `deliver`, not run now.
    globalThis.setImmediate = (fn) => {
      drain = fn;
      return scheduled(() => {});
    };
    try {
      api.emitInternalDiagnosticEvent(event);
    } finally {
      globalThis.setImmediate = scheduled;
    }
    const taken = bus.asyncQueue.splice(before);
    if (taken.length !== 1 || drain === null) throw new HarnessError("the bus did not queue the held start");
    heldEntries.push(...taken);
    heldDrain = drain;
    bus.asyncDrainScheduled = false;
  }
  function deliverHeld() {
    if (heldEntries.length === 0) return;
    const bus = busState();
    bus.asyncQueue.unshift(...heldEntries.splice(0));
    if (!bus.asyncDrainScheduled) {
      bus.asyncDrainScheduled = true;
      realSetImmediate(heldDrain);
    }
  }

  // backend: the session's backend, a run owner of its own (its embedded run by workKey
  // scenario-backend), whose begin (re)starts that run and binds a new attempt to it.
  const backends = new Map();
  function markBackend(s, step) {
    if (!located.backendLiveness) return;
    let b = backends.get(s.fileIndex);
    if (step.action === "begin") {
      if (!b) {
        const runId = `scenario-run-${s.fileIndex}-backend`;
        b = { runId, owner: api.createDiagnosticEmbeddedRunOwner({ ...ids(s), runId, workKey: "scenario-backend" }), attempt: null };
        backends.set(s.fileIndex, b);
      }
      api.markDiagnosticEmbeddedRunStarted({ ...ids(s), runId: b.runId, workKey: "scenario-backend", owner: b.owner });
      b.attempt = api.beginDiagnosticBackendActivity({ owner: b.owner, noOutputTimeoutMs: step.allowance_ms, assertCurrent: () => {} });
      return;
    }
    const attempt = b?.attempt;
    if (!attempt) return;
    if (step.action === "output" || step.action === "model_output") attempt.observeOutput(step.action === "model_output");
    else if (step.action === "outstanding" || step.action === "settled") attempt.setOutstandingWork(step.action === "outstanding");
    else attempt.close();
  }

  const scenarioNow = () => clock.now - epoch;
  for (let i = 0; i < steps.length; i += 1) {
    const step = steps[i];
    currentStep = i;
    const s = step.session === undefined || step.session === null ? null : (byRef.get(step.session) ?? byId.get(step.session));
    switch (step.do) {
      case "tick":
        await runUntil(epoch + heartbeat.next());
        break;
      case "advance":
        await runUntil(clock.now + step.ms);
        break;
      case "bump":
        api.logMessageQueued({ ...ids(s), source: "scenario" });
        break;
      case "state":
        api.logSessionStateChange({ ...ids(s), state: step.to, reason: "scenario" });
        break;
      case "progress": {
        // Back-dated: both calls run under a clock set back, then put forward again (the faker
        // shifts its timers with it, so none fires or moves).
        const ago = step.ago_ms ?? 0;
        const target = step.target ?? "both";
        if (ago) clock.setSystemTime(clock.now - ago);
        if (target !== "record" && step.semantic === true && located.repeatedRequests) {
          // The core's semantic progress of the session's run (its run id: the session's own).
          api.emitCoreSemanticRunProgressDiagnosticEvent({ ...ids(s), runId: s.sessionId, reason: step.reason ?? PROGRESS_REASON });
          await settle();
        } else if (target !== "record") api.markDiagnosticRunProgress({ ...ids(s), reason: step.reason ?? PROGRESS_REASON });
        if (target !== "run") api.markDiagnosticSessionProgress(ids(s));
        if (ago) clock.setSystemTime(clock.now + ago);
        break;
      }
      case "start":
      case "end":
        await markWork(s, step);
        break;
      case "enqueue": {
        // A task in the session's lane, as the runtime names it (its key, else its id): a
        // blocked one never settles; a quick one settles when it runs. Nobody awaits either.
        // (the runtime's lane key: sessionKey?.trim() || sessionId, so an empty key is the id's)
        const lane = lanes.resolveEmbeddedSessionLane((s.key ?? "").trim() || s.sessionId);
        lanesUsed.add(lane);
        const task = (step.task ?? "blocked") === "quick" ? async () => "done" : () => new Promise(() => {});
        lanes.enqueueCommandInLane(lane, task, { warnAfterMs: Number.MAX_SAFE_INTEGER }).catch(() => {});
        break;
      }
      case "recover": {
        // The build's runtime called as openclaw's tests call it (a static import, no
        // coordinator): its outcome is noted like the heartbeat's calls and applied by nobody.
        const { recoverStuckDiagnosticSession } = await runtimeModule;
        const params = { ...ids(s), ageMs: step.age_ms ?? 0, queueDepth: step.queue_depth ?? 0 };
        if (step.allow_active_abort) params.allowActiveAbort = true;
        if (step.generation !== undefined) {
          params.stateGeneration = step.generation;
          params.expectedState = step.expected_state ?? "processing";
        }
        if (step.stale_abort_ms !== undefined) params.staleActiveProgressAbortMs = step.stale_abort_ms;
        if (step.compaction_safety_ms !== undefined) params.compactionSafetyTimeoutMs = step.compaction_safety_ms;
        noteCall(recoverStuckDiagnosticSession, params);
        break;
      }
      case "backend":
        markBackend(s, step);
        break;
      case "own": {
        // A run registers on the session (setActiveEmbeddedRun), replacing its handle if it
        // has one: the build logs run_started / run_replaced and starts its embedded run. The
        // replaced handle is forgotten here: `release` ends the session's current run.
        const abort = step.abort ?? "ignored";
        const handle = {
          abort() {
            if (abort === "honoured") api.clearActiveEmbeddedRun(s.sessionId, handle, s.key);
            if (abort === "refused") throw new Error("scenario: the run refuses to abort");
          },
          isStreaming: () => true,
          isCompacting: () => false,
          queueMessage: async () => {},
        };
        s.handle = handle;
        api.setActiveEmbeddedRun(s.sessionId, handle, s.key, s.session_file);
        break;
      }
      case "answer": {
        // The session's oldest pending call resolves: with nothing (status none, a mock
        // returning undefined) or with the outcome the step scripts, as the runtime shapes it.
        const at = scriptedCalls.findIndex((c) => c.ref === s.ref);
        if (at < 0) break;
        const [call] = scriptedCalls.splice(at, 1);
        if (step.status === "none") {
          call.resolve(undefined);
          break;
        }
        const outcome = { status: step.status, action: step.action, ...ids(s) };
        if (step.reason !== undefined) outcome.reason = step.reason;
        if (step.released) outcome.released = step.released;
        if (step.queued_count !== undefined) outcome.queuedCount = step.queued_count;
        if (step.work !== undefined) outcome.activeWorkKind = step.work;
        call.resolve(outcome);
        break;
      }
      case "deliver":
        deliverHeld();
        break;
      case "key": {
        // The lookup every call naming both makes first (openclaw's store tests call it
        // alone): the id-only record is re-keyed, or merged into the key's own record.
        api.getDiagnosticSessionState({ sessionId: s.sessionId, sessionKey: step.key });
        const target = byRef.get(step.key);
        // Merged: the keyed session's record now holds this id, and its calls pass it.
        if (target) target.sessionId = s.sessionId;
        else byRef.set(step.key, { ...s, ref: step.key, key: step.key, keyed: true });
        break;
      }
      case "reply": {
        // A reply operation of the session's key and id (createReplyOperation): begun by the
        // first `reply`, its phase set by each (setPhase), completed by phase "completed". With
        // abort = "honoured" its owner completes it when its abort signal fires, as the lane
        // tasks of openclaw's tests do; ignored, it stays until completed or force-cleared.
        const phase = step.phase ?? "queued";
        let operation = operations.get(s.ref);
        // Open while the registry holds it (an aborted one stays until it is cleared).
        if (!operation || replies.registry.get(s.key) !== operation) {
          operation = replies.createReplyOperation({ sessionKey: s.key, sessionId: s.sessionId, resetTriggered: false });
          if ((step.abort ?? "ignored") === "honoured") {
            const begun = operation;
            begun.abortSignal.addEventListener("abort", () => begun.complete(), { once: true });
          }
          operations.set(s.ref, operation);
          if (phase !== "queued" && phase !== "completed") enterReplyPhase(operation, phase);
        } else if (phase !== "completed") {
          enterReplyPhase(operation, phase);
        }
        if (phase === "completed") {
          operation.complete();
          operations.delete(s.ref);
        }
        break;
      }
      case "release": {
        const targets = s ? [s] : seeded;
        for (const t of targets) {
          if (t.handle && api.isEmbeddedAgentRunHandleActive(t.sessionId)) {
            api.clearActiveEmbeddedRun(t.sessionId, t.handle, t.key);
            await settle();
          }
        }
        break;
      }
      default:
        throw new HarnessError(`unknown verb ${step.do}`);
    }
    await settle();
  }

  for (const call of calls) {
    if (!call.done) {
      out({ kind: "runtime_outcome", call: call.index, call_step: call.callStep, step: null, outcome: "pending" });
    }
  }
  if (settings.drain === "hold") {
    const wallMs = Number(process.hrtime.bigint() - wallStart) / 1e6;
    if (wallMs >= located.settleMs * 0.8) {
      throw new HarnessError(
        `hold mode relies on the real ${located.settleMs} ms settle timer not firing, but the replay took ${Math.round(wallMs)} ms`,
      );
    }
  }
  out({ kind: "done", clock_ms: scenarioNow() });
  heartbeat.stop();
  if (!reuse) return { code: 0, reusable: false };
  // Lane tasks live in the build's global command queue: each used lane is emptied (queued tasks
  // rejected, unawaited) and reset (active ones forgotten, a blocked one never ends), which
  // leaves it as an unused lane reads: idle, nothing queued.
  recording = false;
  for (const lane of lanesUsed) {
    lanes.clearCommandLane(lane);
    lanes.resetCommandLane(lane);
  }
  // Reply operations live in the build's global registry: each left open is completed.
  for (const [ref, operation] of operations) {
    if (replies.registry.get(byRef.get(ref).key) === operation) operation.complete();
  }
  await settle();
  const reusable = await resetBuild(build, { clock, seeded, calls, settle, nextTimerAt, unsubscribe, scriptedCalls });
  return { code: 0, reusable };
}

function timerList(clock) {
  return clock.timers instanceof Map ? [...clock.timers.values()] : Object.values(clock.timers ?? {});
}

/**
 * The build's heartbeat, re-timed: startDiagnosticHeartbeat's own setInterval (found among the
 * fake timers it armed) is cleared, and its callback is fired from a fake timeout at each
 * firing instant instead, the next one armed before the callback runs (as an interval re-arms).
 * So a firing can come late, or at an interval other than the build's constant, and the build's
 * own lateness logic (7.2-beta.2+: overdue since its previous tick) judges it.
 */
function takeHeartbeat(clock, before, located, epoch, firings) {
  const armed = timerList(clock).filter((t) => !before.has(t.id) && t.interval === located.heartbeatMs);
  if (armed.length !== 1) {
    throw new HarnessError(`startDiagnosticHeartbeat armed ${armed.length} intervals of ${located.heartbeatMs} ms, expected 1`);
  }
  const callback = armed[0].func;
  clock.clearInterval(armed[0].id);
  let fired = 0;
  let pending = null;
  // Node's (and fake-timers') longest timeout; a longer gap is bridged by a wake-up that fires nothing.
  const MAX_TIMEOUT = 2 ** 31 - 1;
  const arm = (at) => {
    pending = null;
    if (!Number.isFinite(at)) return;
    pending = clock.setTimeout(() => {
      if (clock.now < at) return arm(at);
      fired += 1;
      arm(epoch + firings(fired));
      callback();
    }, Math.min(at - clock.now, MAX_TIMEOUT));
  };
  arm(epoch + firings(0));
  return {
    /** When the next firing comes, in scenario clock. */
    next: () => firings(fired),
    stop: () => {
      if (pending !== null) clock.clearTimeout(pending);
      pending = null;
    },
  };
}

/**
 * Put the build's diagnostic state back as a fresh process has it, with the build's own stop and
 * *ForTest reset functions: heartbeat, run handles, the coordinator's in-flight set (emptied by
 * letting every recovery finish: no export clears it in every era), session store (and its prune
 * stamp), run activity (and its listener), the timer faker. Nothing of this is recorded. Returns
 * false when something could not be undone (a recovery still pending, a real timer left): the
 * caller then replaces the process rather than replay on a build in another state.
 */
async function resetBuild(build, { clock, seeded, calls, settle, nextTimerAt, unsubscribe, scriptedCalls }) {
  const { api } = build;
  api.stopDiagnosticHeartbeat();
  // Scripted calls never answered resolve with nothing: the coordinator forgets them.
  for (const call of scriptedCalls?.splice(0) ?? []) call.resolve(undefined);
  for (const t of seeded) {
    if (t.handle && api.isEmbeddedAgentRunHandleActive(t.sessionId)) {
      api.clearActiveEmbeddedRun(t.sessionId, t.handle, t.key);
      await settle();
    }
  }
  await settle();
  // In settle drain, a recovery waits on faked timers: run them out (a bounded number).
  for (let i = 0; i < 1000 && calls.some((c) => !c.done) && nextTimerAt() !== undefined; i += 1) {
    clock.next();
    await settle();
  }
  const drained = calls.every((c) => c.done);
  unsubscribe?.();
  clock.uninstall();
  api.resetDiagnosticSessionStateForTest();
  if (api.startDiagnosticRunActivityTracking) api.stopDiagnosticRunActivityTracking();
  else api.resetDiagnosticRunActivityForTest();
  await settle();
  return drained && typeof unsubscribe === "function" && realTimerCount() <= build.realTimers;
}

function realTimerCount() {
  return process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
}

// ---------------------------------------------------------------------------------------------
// Other modes
// ---------------------------------------------------------------------------------------------

/**
 * --serve: load the build once, then replay one scenario per stdin line ({"scenario": {...}}),
 * answering each with its output lines and {"kind":"end","code","reusable"}; the process ends on
 * EOF, or after a scenario that left the build in a state it could not reset (reusable false).
 */
async function serve(distDir) {
  const located = locateChunks(distDir);
  if (!located.reuse.reuse) throw new HarnessError(`openclaw ${located.version} ${located.reuse.reason}`);
  const build = await prepareBuild(distDir, located);
  build.realTimers = realTimerCount();
  out({ kind: "ready", protocol: PROTOCOL, openclaw_version: located.version, node: process.version });
  flushOut();
  const readline = await import("node:readline");
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    let code = 0;
    let reusable = false;
    try {
      let request;
      try {
        request = JSON.parse(line);
      } catch (err) {
        throw new HarnessError(`a request line is not JSON: ${err.message}`);
      }
      const planned = planScenario(request?.scenario, located);
      if (planned.code !== undefined) {
        code = planned.code;
        reusable = true;
      } else {
        ({ code, reusable } = await runScenario(build, planned, { reuse: true }));
      }
    } catch (err) {
      out({ kind: "error", message: err instanceof HarnessError ? err.message : err?.stack ?? String(err) });
      code = EXIT_ERROR;
      reusable = false;
    }
    out({ kind: "end", code, reusable });
    flushOut();
    if (!reusable) break;
  }
  lines.close();
  return 0;
}

function flushOut() {
  if (!outputLines.length) return;
  const text = outputLines.join("\n") + "\n";
  outputLines.length = 0;
  realStdoutWrite(text);
}

async function check(distDir) {
  const located = locateChunks(distDir);
  const sandbox = prepareSandbox();
  await installNetworkAndProcessTraps();
  installWriteGuard(sandbox);
  keepStdoutForProtocol();
  loadFakeTimers(distDir);
  await loadBuild(located);
  out({
    kind: "ok",
    openclaw_version: located.version,
    heartbeat_ms: located.heartbeatMs,
    settle_ms: located.settleMs,
    node: process.version,
  });
  return 0;
}

async function selfTestNetwork() {
  // Every attempt targets the loopback discard port and is refused before a socket exists.
  await installNetworkAndProcessTraps();
  const require = createRequire(import.meta.url);
  const attempts = [
    ["net.connect", () => require("node:net").connect(9, "127.0.0.1")],
    ["net.Socket.connect", () => new (require("node:net").Socket)().connect(9, "127.0.0.1")],
    ["http.request", () => require("node:http").request("http://127.0.0.1:9/")],
    ["https.request", () => require("node:https").request("https://127.0.0.1:9/")],
    ["tls.connect", () => require("node:tls").connect(9, "127.0.0.1")],
    ["dns.lookup", () => require("node:dns").lookup("localhost", () => {})],
    ["fetch", () => globalThis.fetch("http://127.0.0.1:9/")],
    ["child_process.spawn", () => require("node:child_process").spawn("true")],
  ];
  for (const [label, attempt] of attempts) {
    let threw = false;
    try {
      const r = attempt();
      if (r && typeof r.catch === "function") r.catch(() => {});
      if (r && typeof r.destroy === "function") r.destroy();
    } catch {
      threw = true;
    }
    out({ kind: "self_test", api: label, trapped: threw });
  }
  out({ kind: "done" });
  return 0;
}

/**
 * --self-test-sandbox OUTSIDE [--no-traps] [--port N]: each escape a build could try, run in the
 * build process's sandbox, one `self_test` line each: `refused_by` is "permission" (Node's
 * permission model), "trap" (the harness's JS traps), "os" (refused below JS: the launcher's
 * seccomp filter, EACCES/EPERM) or null (it went through as far as this process can tell; the
 * caller then checks OUTSIDE and its listeners). OUTSIDE holds a file `secret` to read; N is a
 * port on 127.0.0.1 where the caller listens for TCP and UDP (DNS queries go there too).
 */
async function selfTestSandbox(outside, traps, port) {
  const sandbox = prepareSandbox();
  if (traps) {
    await installNetworkAndProcessTraps();
    installWriteGuard(sandbox);
  }
  const require = createRequire(import.meta.url);
  const fsp = require("node:fs/promises");
  const net = require("node:net");
  const dgram = require("node:dgram");
  const dns = require("node:dns");
  const cp = require("node:child_process");
  const target = (name) => path.join(outside, name);
  const secret = target("secret");
  const host = "127.0.0.1";
  const url = `http://${host}:${port}/`;
  // Resolves with what happened: an `ok` event (it went through) or the error (refused).
  const settle = (emitter, ok) =>
    new Promise((resolve, reject) => {
      emitter.once("error", reject);
      emitter.once(ok, () => resolve(emitter));
    });
  const sent = (socket, ...args) =>
    new Promise((resolve, reject) => {
      socket.once("error", reject);
      socket.send(...args, (err) => (err ? reject(err) : resolve()));
    });
  const sqlite = (file, sql = "") => {
    let mod;
    try {
      mod = require("node:sqlite");
    } catch {
      return absent("node:sqlite");
    }
    const db = new mod.DatabaseSync(file);
    db.exec(`${sql}${sql ? ";" : ""} CREATE TABLE ${sql ? "probe." : ""}t(x)`);
    db.close();
    return undefined;
  };
  // An API this Node does not have: nothing to refuse (reported as error ABSENT).
  const absent = (name) => Promise.reject(Object.assign(new Error(`no ${name} in this Node`), { code: "ABSENT" }));
  const callback = (fn) => new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));
  const read = (v) => {
    if (String(v).includes("probe-secret")) throw Object.assign(new Error("read the secret"), { escaped: true });
    return v;
  };
  const attempts = [
    // writes outside the sandbox, every route
    ["fs.writeFileSync", () => fs.writeFileSync(target("writeFileSync"), "x")],
    ["fs.promises.writeFile", () => fsp.writeFile(target("promises.writeFile"), "x")],
    ["fs.promises.FileHandle", () => fsp.open(target("FileHandle"), "w").then((h) => h.write("x").then(() => h.close()))],
    ["fs.createWriteStream", () => settle(fs.createWriteStream(target("createWriteStream")), "open")
      .then((stream) => stream.end("x"))],
    ["fs.openSync+writeSync", () => fs.writeSync(fs.openSync(target("openSync"), "w"), "x")],
    ["fs.appendFileSync", () => fs.appendFileSync(target("appendFileSync"), "x")],
    ["fs.cpSync", () => fs.cpSync(fileURLToPath(import.meta.url), target("cpSync"))],
    ["fs.copyFileSync", () => fs.copyFileSync(fileURLToPath(import.meta.url), target("copyFileSync"))],
    ["fs.mkdirSync", () => fs.mkdirSync(target("mkdirSync"))],
    ["fs.renameSync", () => fs.renameSync(secret, target("renamed"))],
    ["fs.symlinkSync", () => fs.symlinkSync(outside, path.join(sandbox, "tmp", "link-out"))],
    ["fs.linkSync", () => fs.linkSync(secret, path.join(sandbox, "tmp", "hard-link"))],
    // node:sqlite (Node 22.5+) opens its files itself: Node 24's permission model does not see it.
    ["sqlite.DatabaseSync", () => sqlite(target("open.db"))],
    ["sqlite ATTACH", () => sqlite(":memory:", `ATTACH DATABASE '${target("attach.db")}' AS probe`)],
    // reads outside the build
    ["fs.readFileSync", () => read(fs.readFileSync(secret, "utf8"))],
    ["fs.promises.readFile", () => fsp.readFile(secret, "utf8").then(read)],
    ["fs.readFileSync /proc/self/root", () => read(fs.readFileSync(`/proc/self/root${secret}`, "utf8"))],
    ["fs.readFileSync /proc/self/environ", () => fs.readFileSync("/proc/self/environ")],
    ["fs.readdirSync /", () => fs.readdirSync("/")],
    // processes, workers, native code, the inspector
    ["child_process.spawn", () => settle(cp.spawn("/bin/sh", ["-c", `echo x > ${target("spawn")}`]), "spawn")],
    ["child_process.exec", () => settle(cp.exec(`echo x > ${target("exec")}`), "spawn")],
    ["child_process.execFileSync", () => cp.execFileSync("/bin/sh", ["-c", `echo x > ${target("execFileSync")}`])],
    ["child_process.ChildProcess.spawn", () => {
      const child = new cp.ChildProcess();
      child.spawn({ file: "/bin/sh", args: ["/bin/sh", "-c", `echo x > ${target("ChildProcess")}`], stdio: "ignore" });
      return settle(child, "spawn");
    }],
    ["process.execve", () => (typeof process.execve === "function"
      ? process.execve("/bin/sh", ["/bin/sh", "-c", `echo x > ${target("execve")}`])
      : absent("process.execve"))],
    ["worker_threads.Worker", () => settle(
      new (require("node:worker_threads").Worker)("", { eval: true }), "online")],
    ["process.binding", () => process.binding("fs")],
    ["process.dlopen", () => process.dlopen({ exports: {} }, target("addon.node"))],
    ["inspector.Session.connect", () => new (require("node:inspector").Session)().connect()],
    ["inspector.open", () => require("node:inspector").open(0, host)],
    ["wasi.WASI", () => new (require("node:wasi").WASI)({ version: "preview1" })],
    ["process.kill(parent)", () => process.kill(process.ppid, 0)],
    ["process._debugProcess(parent)", () => process._debugProcess(process.ppid)],
    // sockets, every kind
    ["net.connect", () => settle(net.connect(port, host), "connect")],
    ["net.Socket.connect", () => settle(new net.Socket().connect(port, host), "connect")],
    ["net.Server.listen", () => settle(net.createServer().listen(0, host), "listening")
      .then((server) => server.close())],
    ["net.connect unix", () => settle(net.connect(target("unix.sock")), "connect")],
    ["tls.connect", () => settle(require("node:tls").connect(port, host), "secureConnect")],
    ["http.request", () => settle(require("node:http").request(url).end(), "response")],
    ["http.ClientRequest", () => settle(new (require("node:http").ClientRequest)(url).end(), "response")],
    ["https.request", () => settle(require("node:https").request(`https://${host}:${port}/`).end(), "response")],
    ["http2.connect", () => settle(require("node:http2").connect(url), "connect")],
    ["fetch", () => globalThis.fetch(url)],
    ["WebSocket", () => (typeof globalThis.WebSocket === "function"
      ? new Promise((resolve, reject) => {
        const ws = new globalThis.WebSocket(`ws://${host}:${port}/`);
        ws.addEventListener("open", resolve);
        ws.addEventListener("error", (event) => reject(event.error ?? new Error("WebSocket error")));
      })
      : absent("WebSocket"))],
    ["dgram.createSocket.send", () => sent(dgram.createSocket("udp4"), "probe-udp", port, host)],
    ["dgram.Socket.send", () => sent(new dgram.Socket({ type: "udp4", lookup: dns.lookup }), "probe-udp", port, host)],
    ["dns.lookup", () => callback((cb) => dns.lookup("example.com", cb))],
    ["dns.Resolver", () => {
      const resolver = new dns.Resolver({ timeout: 300, tries: 1 });
      resolver.setServers([`${host}:${port}`]);
      return callback((cb) => resolver.resolve4("example.com", cb));
    }],
    ["dns.promises.Resolver", () => {
      const resolver = new dns.promises.Resolver({ timeout: 300, tries: 1 });
      resolver.setServers([`${host}:${port}`]);
      return resolver.resolve4("example.com");
    }],
  ];
  const timeout = (ms) => new Promise((resolve) => realSetTimeout(() => resolve("timeout"), ms));
  for (const [label, attempt] of attempts) {
    let refusedBy = null;
    let error = null;
    try {
      const outcome = await Promise.race([Promise.resolve().then(attempt), timeout(2000)]);
      if (outcome === "timeout") error = "timeout";
    } catch (err) {
      error = err?.escaped ? "escaped" : err?.code ?? err?.cause?.code ?? String(err);
      const message = `${err?.message} ${err?.cause?.message ?? ""}`;
      const code = err?.code ?? err?.cause?.code;
      if (err?.escaped) refusedBy = null;
      else if (message.includes("probe harness sandbox")) refusedBy = "trap";
      else if (code === "ERR_ACCESS_DENIED" || code === "ERR_DLOPEN_DISABLED") refusedBy = "permission";
      // A socket() refused by the filter surfaces as EACCES, or as what c-ares and getaddrinfo
      // make of it (ECONNREFUSED, EAI_AGAIN); the caller's listeners confirm nothing arrived.
      else if (["EACCES", "EPERM", "ECONNREFUSED", "EAI_AGAIN"].includes(code)) refusedBy = "os";
      // node:sqlite reports a refused open() as "unable to open database"
      else if (code === "ERR_SQLITE_ERROR" && /unable to open/.test(message)) refusedBy = "os";
    }
    out({ kind: "self_test", api: label, refused_by: refusedBy, error });
  }
  out({ kind: "done", permission: typeof process.permission === "object" && process.permission !== null });
  return 0;
}

async function main() {
  const args = process.argv.slice(2);
  try {
    if (args[0] === "--self-test-network") return finish(await selfTestNetwork());
    if (args[0] === "--self-test-sandbox" && args[1]) {
      const port = args.includes("--port") ? Number(args[args.indexOf("--port") + 1]) : 9;
      return finish(await selfTestSandbox(path.resolve(args[1]), !args.includes("--no-traps"), port));
    }
    if (args[0] === "--list-deps" && args[1]) {
      out({ kind: "deps", ...listDeps(path.resolve(args[1])) });
      return finish(0);
    }
    if (args[0] === "--check" && args[1]) return finish(await check(path.resolve(args[1])));
    if (args[0] === "--serve" && args[1]) return finish(await serve(path.resolve(args[1])));
    if (args[0] === "--inspect" && args[1]) {
      out({ kind: "inspect", ...inspectBuild(path.resolve(args[1])) });
      return finish(0);
    }
    if (args.length !== 1 || args[0].startsWith("--")) {
      return fail("usage: node harness.mjs <dist-dir> < scenario.json (or --list-deps|--check|--inspect <dist-dir>)");
    }
    return finish(await replay(path.resolve(args[0]), () => fs.readFileSync(0, "utf8")));
  } catch (err) {
    const message = err instanceof HarnessError ? err.message : err?.stack ?? String(err);
    return fail(message);
  }
}

process.on("unhandledRejection", (err) => fail(`unhandled rejection: ${err?.stack ?? String(err)}`));
await main();
