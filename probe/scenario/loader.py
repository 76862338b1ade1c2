"""Turn scenario TOML into a Scenario, collecting every located problem in the file."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeVar, cast

from probe.errors import Problem, ScenarioError
from probe.properties.names import unknown_property
from probe.properties.selection import Choice
from probe.scenario.aliases import ID_STEPS, KeyNames, by_id, forgettable, keyed_session_misuse
from probe.scenario.attempts import check_attempts
from probe.scenario.deliveries import DELIVERIES, held_misuse
from probe.scenario.limits import LIMITS, static_clock
from probe.scenario.run_ids import marker_of, misnamed, other_session_id
from probe.scenario.session_files import session_file_of, shared_file_misuse
from probe.scenario.toml_lines import index_lines, line_of, nesting_past
from probe.scenario.values import (
    ABORT_ANSWERS,
    ANSWER_ACTIONS,
    ANSWER_STATUSES,
    BACKEND_ACTIONS,
    DEFAULT_ANSWER_ACTION,
    DEFAULT_PROGRESS_REASON,
    DRAINS,
    LANE_TASK_KINDS,
    MAIN_MARKER,
    MARKER_KINDS,
    MAX_WARN_MS,
    MIN_WARN_MS,
    OWNERS,
    PROGRESS_TARGETS,
    REPLY_ABORTS,
    REPLY_PHASES,
    RUNTIME_KINDS,
    SESSION_STATES,
    WORK_KINDS,
    Advance,
    Answer,
    Backend,
    Bump,
    Deliver,
    End,
    Enqueue,
    Expectation,
    Key,
    Own,
    Progress,
    Recover,
    Release,
    Reply,
    Scenario,
    SessionSeed,
    Settings,
    Start,
    StateChange,
    Step,
    Tick,
    WorkKind,
)
from probe.versions import VERSIONS, known_range

if TYPE_CHECKING:
    from probe.properties.base import Property

MAX_SAFE_INTEGER = 2**53 - 1
MAX_COUNTER = 2**32 - 1
TOP_KEYS = ("name", "description", "settings", "session", "step", "expect", "properties")
SETTINGS_KEYS = (
    "heartbeat_ms",
    "warn_ms",
    "abort_ms",
    "settle_ms",
    "drain",
    "tick_late_ms",
    "tick_jitter_ms",
    "jitter_seed",
    "runtime",
)
SESSION_KEYS = (
    "ref",
    "session_id",
    "state",
    "generation",
    "queue_depth",
    "owner",
    "abort",
    "work",
    "progress_age_ms",
    "session_file",
)
STEP_KEYS: dict[str, tuple[str, ...]] = {
    "tick": ("do", "late_ms"),
    "bump": ("do", "session"),
    "advance": ("do", "ms"),
    "release": ("do", "session", "outcome"),
    "state": ("do", "session", "to"),
    "progress": ("do", "session", "target", "reason", "ago_ms", "semantic"),
    "start": (
        "do",
        "session",
        "work",
        "id",
        "timeout_ms",
        "deadline_ms",
        "session_id",
        "attempt",
        "delivery",
    ),
    "end": ("do", "session", "work", "id", "clear", "session_id"),
    "recover": (
        "do",
        "session",
        "allow_active_abort",
        "age_ms",
        "queue_depth",
        "generation",
        "expected_state",
        "stale_abort_ms",
        "compaction_safety_ms",
    ),
    "enqueue": ("do", "session", "task"),
    "own": ("do", "session", "abort"),
    "backend": ("do", "session", "action", "allowance_ms"),
    "answer": ("do", "session", "status", "action", "reason", "released", "queued_count", "work"),
    "key": ("do", "session", "key"),
    "reply": ("do", "session", "phase", "abort"),
    "deliver": ("do",),
}
EXPECT_KEYS = (
    "requested",
    "requested_generations",
    "completed",
    "runtime_outcomes",
    "violations",
    "absorbed_by",
)
RELEASE_OUTCOMES = ("completed", "failed")
_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")

T = TypeVar("T")


@dataclass
class _Collector:
    path: str
    lines: dict[str, int]
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, where: str, message: str) -> None:
        self.problems.append(Problem(self.path, where, line_of(self.lines, where), message))


class _Table:
    """A TOML table read key by key; leftover keys are reported as unknown."""

    def __init__(self, out: _Collector, where: str, data: dict[str, Any], allowed: Iterable[str]):
        self.out = out
        self.where = where
        self.data = data
        allowed = tuple(allowed)
        for key in data:
            if key not in allowed:
                out.add(self._at(key), f"unknown key (expected one of: {', '.join(allowed)})")

    def _at(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def has(self, key: str) -> bool:
        return key in self.data

    def _missing(self, key: str, required: bool) -> bool:
        if key in self.data:
            return False
        if required:
            self.out.add(self._at(key), "required key is missing")
        return True

    def integer(
        self,
        key: str,
        default: int | None = None,
        *,
        required: bool = False,
        high: int = MAX_SAFE_INTEGER,
        low: int = 0,
    ) -> int | None:
        if self._missing(key, required):
            return default
        value = self.data[key]
        if isinstance(value, bool) or not isinstance(value, int):
            self.out.add(self._at(key), f"must be an integer, not {_type_name(value)}")
            return default
        if value < low or value > high:
            self.out.add(self._at(key), f"{value} is out of range ({low}..{high})")
            return default
        return value

    def string(self, key: str, default: str | None = None, *, required: bool = False) -> str | None:
        if self._missing(key, required):
            return default
        value = self.data[key]
        if not isinstance(value, str):
            self.out.add(self._at(key), f"must be a string, not {_type_name(value)}")
            return default
        return value

    def choice(
        self, key: str, default: T | None, choices: Collection[T], *, required: bool = False
    ) -> T | None:
        value = self.string(key, cast(str | None, default), required=required)
        if value is None:
            return default
        if value not in choices:
            self.out.add(self._at(key), f"{value!r} is not one of: {', '.join(map(str, choices))}")
            return default
        return cast(T, value)

    def boolean(self, key: str, default: bool) -> bool:
        if key not in self.data:
            return default
        value = self.data[key]
        if not isinstance(value, bool):
            self.out.add(self._at(key), f"must be a boolean, not {_type_name(value)}")
            return default
        return value

    def array(self, key: str, item: Callable[[Any], bool], what: str) -> list[Any] | None:
        if key not in self.data:
            return None
        value = self.data[key]
        if not isinstance(value, list) or not all(item(v) for v in value):
            self.out.add(self._at(key), f"must be an array of {what}")
            return None
        return value

    def table(self, key: str) -> dict[str, Any] | None:
        if key not in self.data:
            return None
        value = self.data[key]
        if not isinstance(value, dict):
            self.out.add(self._at(key), f"must be a table, not {_type_name(value)}")
            return None
        return value


def _type_name(value: object) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a float", str: "a string"}
    for kind, name in names.items():
        if type(value) is kind:
            return name
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"


def _is_counter(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_SAFE_INTEGER


def parse_scenario(
    text: str,
    path: str,
    strategies: Collection[str],
    properties: Mapping[str, Property] | None = None,
) -> Scenario:
    """Parse and validate; raise ScenarioError listing every problem found.

    `properties`: the catalogue the file may name (default: the built-in one; --plugin adds).
    """
    from probe.properties.catalogue import CATALOGUE

    catalogue = CATALOGUE if properties is None else properties
    if not text.strip():
        raise ScenarioError([Problem(path, "", 1, "the file is empty")])
    deep = nesting_past(text, LIMITS.nesting)
    if deep is not None:
        what = (
            f"arrays and inline tables nest deeper than {LIMITS.nesting} levels here"
            if deep.kind == "nesting"
            else f"a dotted key has more than {LIMITS.nesting} parts here"
        )
        raise ScenarioError(
            [
                Problem(
                    path,
                    f"column {deep.column}",
                    deep.line,
                    f"{what}, the limit of a scenario file",
                )
            ]
        )
    try:
        data = tomllib.loads(text)
    except RecursionError:  # nesting_past should have caught it: never a traceback regardless
        raise ScenarioError(
            [Problem(path, "", None, "malformed TOML: nested too deeply to parse")]
        ) from None
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        pos = _TOML_POSITION.search(message)
        line = int(pos.group(1)) if pos else None
        message = _TOML_POSITION.sub("", message).strip()
        where = f"column {pos.group(2)}" if pos else ""
        raise ScenarioError([Problem(path, where, line, f"malformed TOML: {message}")]) from None
    out = _Collector(path, index_lines(text))
    top = _Table(out, "", data, TOP_KEYS)
    name = top.string("name", required=True)
    if name is not None and ("\n" in name or not name.strip()):
        out.add("name", "must be one non-empty line")
    description = top.string("description", "") or ""
    settings = _settings(out, top.table("settings") or {})
    sessions = _sessions(out, data.get("session"))
    refs = {s.ref for s in sessions}
    steps, step_lines = _steps(out, data.get("step"), refs, by_id(sessions), sessions)
    _check_answers(out, settings, steps)
    if not out.problems:
        _timed_model_calls(out, sessions, steps)
        _tool_deadlines(out, sessions, steps)
        _backends(out, sessions, steps)
        check_attempts(out.add, sessions, steps)
    expect = _expectations(out, top.table("expect") or {}, strategies, catalogue)
    choice = _properties(out, top.table("properties") or {}, catalogue)
    if not out.problems:
        _check_limits(out, settings, sessions, steps)
    if not out.problems:
        for number, key, why in keyed_session_misuse(sessions, steps):
            out.add(f"step[{number}].{key}", why)
    if not out.problems:
        _check_id_steps(out, settings, sessions, steps)
        for number, why in misnamed(sessions, steps):
            out.add(f"step[{number}].session_id", why)
        _check_replies(out, sessions, steps)
        for where, why in held_misuse(sessions, steps):
            out.add(where, why)
        for where, why in shared_file_misuse(sessions, steps):
            out.add(where, why)
    if out.problems:
        raise ScenarioError(sorted(out.problems, key=lambda p: p.line or 0))
    return Scenario(
        name=name or "",
        description=description,
        settings=settings,
        sessions=tuple(sessions),
        steps=tuple(steps),
        expect=tuple(expect),
        step_lines=tuple(step_lines),
        notes=tuple(out.notes),
        properties=choice,
    )


def _settings(out: _Collector, data: dict[str, Any]) -> Settings:
    t = _Table(out, "settings", data, SETTINGS_KEYS)
    d = Settings()
    heartbeat = t.integer("heartbeat_ms", d.heartbeat_ms, low=1)
    warn = t.integer("warn_ms", d.warn_ms)
    abort = t.integer("abort_ms", low=1)
    settle = t.integer("settle_ms", d.settle_ms)
    drain = t.choice("drain", d.drain, DRAINS)
    late = t.integer("tick_late_ms", d.tick_late_ms)
    jitter = _jitter(out, t)
    seed = t.integer("jitter_seed", d.jitter_seed)
    runtime = t.choice("runtime", d.runtime, RUNTIME_KINDS) or d.runtime
    settings = Settings(
        heartbeat_ms=heartbeat if heartbeat is not None else d.heartbeat_ms,
        warn_ms=warn if warn is not None else d.warn_ms,
        abort_ms=abort,
        settle_ms=settle if settle is not None else d.settle_ms,
        drain=drain or d.drain,
        tick_late_ms=late if late is not None else d.tick_late_ms,
        tick_jitter_ms=jitter,
        jitter_seed=seed if seed is not None else d.jitter_seed,
        runtime=runtime,
    )
    if t.has("jitter_seed") and not t.has("tick_jitter_ms"):
        out.notes.append("settings.jitter_seed has no effect without settings.tick_jitter_ms")
    if not MIN_WARN_MS <= settings.warn_ms <= MAX_WARN_MS:
        out.notes.append(
            f"settings.warn_ms = {settings.warn_ms} is outside {MIN_WARN_MS}..{MAX_WARN_MS}: "
            f"openclaw ignores it and uses {settings.effective_warn_ms}"
        )
    if abort is not None:
        config, seam = settings.abort_threshold_ms(False), settings.abort_threshold_ms(True)
        if config != seam:
            out.notes.append(
                f"settings.abort_ms = {abort}: openclaw up to 2026.7.2-beta.3 reads it from config "
                f"and uses {config} (below warn it is raised to warn); "
                f"later versions take {seam} as it is"
            )
    return settings


def _jitter(out: _Collector, t: _Table) -> tuple[int, int] | None:
    """`tick_jitter_ms = [lo, hi]`: each firing is late by an extra draw in lo..hi."""
    pair = t.array("tick_jitter_ms", _is_counter, "non-negative integers")
    if pair is None:
        return None
    if len(pair) != 2 or pair[0] > pair[1]:
        out.add(
            "settings.tick_jitter_ms",
            "must be two integers [lo, hi] with lo <= hi (each firing is late by a draw in lo..hi)",
        )
        return None
    return (pair[0], pair[1])


def _array_of_tables(out: _Collector, key: str, value: object) -> list[dict[str, Any]]:
    if value is None:
        out.add(key, f"at least one [[{key}]] table is required")
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        out.add(key, f"must be an array of tables ([[{key}]])")
        return []
    if not value:
        out.add(key, f"at least one [[{key}]] table is required")
    return cast(list[dict[str, Any]], value)


def _sessions(out: _Collector, value: object) -> list[SessionSeed]:
    seeds: list[SessionSeed] = []
    seen: dict[str, tuple[int, str]] = {}
    tables = _array_of_tables(out, "session", value)
    if len(tables) > LIMITS.sessions:
        out.add("session", f"{len(tables)} sessions exceed the limit of {LIMITS.sessions}")
        return []
    for number, data in enumerate(tables, start=1):
        where = f"session[{number}]"
        t = _Table(out, where, data, SESSION_KEYS)
        # A session is named by its key (ref), or, with no key, by its session_id alone.
        keyed = t.has("ref") or not t.has("session_id")
        session_id = t.string("session_id")
        ref = t.string("ref", required=True) if keyed else session_id
        for key, name in (("ref", ref if keyed else None), ("session_id", session_id)):
            if name is None:
                continue
            # An empty key is allowed: openclaw keeps it as the record's key (see EMPTY_KEY).
            checked = name != EMPTY_KEY or key != "ref"
            if checked and (not name.strip() or name != name.strip()):
                message = "must be non-empty with no surrounding white space"
                if key == "ref":
                    message = 'must be "" (an empty key) or a name with no surrounding white space'
                out.add(f"{where}.{key}", message)
            elif name in seen:
                first, kind = seen[name]
                out.add(f"{where}.{key}", f"{name!r} is already the {kind} of session[{first}]")
            else:
                seen[name] = (number, key)
        owner = t.choice("owner", "none", OWNERS) or "none"
        default_work: WorkKind = "embedded_run" if owner == "embedded_run" else "none"
        seed = SessionSeed(
            ref=ref or "",
            state=t.choice("state", "idle", SESSION_STATES) or "idle",
            generation=t.integer("generation", 0, high=MAX_COUNTER) or 0,
            queue_depth=t.integer("queue_depth", 0, high=MAX_COUNTER) or 0,
            owner=owner,
            abort=t.choice("abort", "ignored", ABORT_ANSWERS) or "ignored",
            work=t.choice("work", default_work, WORK_KINDS) or default_work,
            progress_age_ms=t.integer("progress_age_ms", 0) or 0,
            session_id=session_id if keyed else None,
            keyed=keyed,
            session_file=session_file_of(t.string("session_file"), where, out.add),
        )
        if t.has("abort") and owner != "embedded_run":
            out.notes.append(f'{where}.abort has no effect without owner = "embedded_run"')
        seeds.append(seed)
    return seeds


# openclaw keys a record by `sessionKey ?? sessionId`, so an empty key ("") is a key like any
# other for the session store and the events (ref ""), while the coordinator and the runtime
# take `sessionKey?.trim() || sessionId` as their dedup ref, the session's id: a one-to-one
# renaming of the ref within a scenario (names are unique across refs and ids), so the model
# keys everything on "" and needs no switch; every published version does the same.
EMPTY_KEY = ""


def _steps(
    out: _Collector,
    value: object,
    refs: set[str],
    aliases: Mapping[str, str] | None = None,
    sessions: list[SessionSeed] | None = None,
) -> tuple[list[Step], list[int | None]]:
    """`aliases`: each keyed session's own session_id -> its ref (see `_by_id`).

    A `key` step adds names as it goes: its key (a new one) from that step on, and the
    id-only session's id as an alias of that key.
    """
    aliases = dict(aliases or {})
    refs = set(refs)
    keys = KeyNames(sessions or [])
    steps: list[Step] = []
    lines: list[int | None] = []
    tables = _array_of_tables(out, "step", value)
    if len(tables) > LIMITS.steps:
        out.add("step", f"{len(tables)} steps exceed the limit of {LIMITS.steps}")
        return [], []
    for number, data in enumerate(tables, start=1):
        where = f"step[{number}]"
        lines.append(line_of(out.lines, where))
        verb_table = _Table(out, where, {"do": data.get("do")} if "do" in data else {}, ("do",))
        verb = verb_table.choice("do", None, tuple(STEP_KEYS), required=True)
        if verb is None:
            continue
        t = _Table(out, where, data, STEP_KEYS[verb])

        def session(required: bool, t: _Table = t, where: str = where) -> str | None:
            ref = t.string("session", required=required)
            if ref is not None and ref in aliases:
                return aliases[ref]  # named by its session_id (see probe/scenario/aliases.py)
            if ref is not None and ref not in refs:
                out.add(f"{where}.session", f"no [[session]] has ref {ref!r}")
                return None
            return ref

        step: Step | None = None
        match verb:
            case "tick":
                step = Tick(t.integer("late_ms"))
            case "bump":
                ref = session(True)
                step = Bump(ref) if ref is not None else None
            case "advance":
                ms = t.integer("ms", required=True)
                step = Advance(ms) if ms is not None else None
            case "release":
                ref = session(False)
                failed = t.choice("outcome", "completed", RELEASE_OUTCOMES) == "failed"
                step = Release(ref, failed)
            case "state":
                ref = session(True)
                to = t.choice("to", None, SESSION_STATES, required=True)
                step = StateChange(ref, to) if ref is not None and to else None
            case "progress":
                ref = session(True)
                target = t.choice("target", "both", PROGRESS_TARGETS) or "both"
                reason = _reason(out, t, where)
                ago = t.integer("ago_ms", 0) or 0
                if target == "record" and t.has("reason"):
                    out.notes.append(f'{where}.reason has no effect with target = "record"')
                semantic = _semantic(out, t, where, target, ago)
                if ref is not None:
                    step = Progress(ref, target, reason, ago, semantic=semantic)
            case "start" | "end":
                ref = session(True)
                kind = t.choice("work", None, MARKER_KINDS, required=True)
                marker = _marker_id(out, t, where)
                marker = _other_run_id(out, t, where, kind, marker)
                clear = t.boolean("clear", True)
                timeout = _request_timeout(out, t, where, kind)
                deadline = _tool_deadline(out, t, where, kind)
                attempt = _attempt(out, t, where, kind, timeout)
                held = _held(out, t, where, kind, timeout, deadline)
                if held and attempt:
                    out.add(
                        f"{where}.delivery",
                        "a model request's attempt cannot be held (only a plain call's start)",
                    )
                    held = False
                if ref is not None and kind:
                    step = (
                        Start(ref, kind, marker, timeout, deadline, attempt=attempt, held=held)
                        if verb == "start"
                        else End(ref, kind, marker, clear)
                    )
            case "recover":
                step = _recover(out, t, session(True))
            case "enqueue":
                ref = session(True)
                task = t.choice("task", "blocked", LANE_TASK_KINDS) or "blocked"
                step = Enqueue(ref, task) if ref is not None else None
            case "backend":
                step = _backend(out, t, where, session(True))
            case "own":
                ref = session(True)
                abort = t.choice("abort", "ignored", ABORT_ANSWERS) or "ignored"
                step = Own(ref, abort) if ref is not None else None
            case "answer":
                step = _answer(out, t, session(True))
            case "key":
                named_id = t.string("session", required=True)
                new_key = t.string("key", required=True)
                if named_id is not None and new_key is not None:
                    for key, why in keys.refuse(named_id, new_key, aliases):
                        out.add(f"{where}.{key}", why)
                    if not any(p.where.startswith(f"{where}.") for p in out.problems):
                        step = Key(named_id, new_key)
                        refs.add(new_key)
                        aliases[named_id] = new_key
            case "reply":
                step = _reply(t, session(True))
            case "deliver":
                step = Deliver()
        named = data.get("session")
        if isinstance(step, ID_STEPS) and isinstance(named, str) and named in aliases:
            step = replace(step, via=named)  # the call passes that id alone
        if step is not None:
            steps.append(step)
    return steps, lines


def _backend(out: _Collector, t: _Table, where: str, ref: str | None) -> Backend | None:
    """A backend attempt's step: `allowance_ms` with `begin` and only there."""
    action = t.choice("action", None, BACKEND_ACTIONS, required=True)
    allowance = t.integer("allowance_ms", low=1, high=MAX_TOOL_DEADLINE_MS)
    if action == "begin" and allowance is None and "allowance_ms" not in t.data:
        out.add(f"{where}.allowance_ms", "required: the attempt's no-output allowance")
        return None
    if action is not None and action != "begin" and allowance is not None:
        out.add(f"{where}.allowance_ms", f"only `begin` takes an allowance (action = {action!r})")
        return None
    if ref is None or action is None or (action == "begin" and allowance is None):
        return None
    return Backend(ref, action, allowance)


def _backends(out: _Collector, sessions: list[SessionSeed], steps: list[Step]) -> None:
    """A session with a backend takes no model calls and no deadline tool calls.

    Its backend is a run owner of its own, the newest run in its run activity: openclaw then
    ignores a plain model call's start, counts a request under its owner, and reads tool
    deadlines only of its tools, none of which probe models; refused rather than modelled
    wrongly.
    """
    first: dict[str, int] = {}
    for number, step in enumerate(steps, start=1):
        if isinstance(step, Backend):
            first.setdefault(step.session, number)
    if not first:
        return
    seeded = {s.ref for s in sessions if s.work == "model_call"}
    for number, step in enumerate(steps, start=1):
        if not isinstance(step, Start | End) or step.session not in first:
            continue
        if step.work == "model_call" or (isinstance(step, Start) and step.deadline_ms is not None):
            what = "a model call" if step.work == "model_call" else "a deadline tool call"
            out.add(
                f"step[{number}]",
                f"{what} in session {step.session!r}, which has a backend "
                f"(step[{first[step.session]}]): a session's backend runs alone",
            )
    for ref in first:
        if ref in seeded:
            out.add(
                f"step[{first[ref]}]",
                f'session {ref!r} is seeded with a model call (work = "model_call"): '
                "a session's backend runs alone",
            )


def _recover(out: _Collector, t: _Table, ref: str | None) -> Recover | None:
    """A direct runtime call: its arguments as openclaw's tests pass them (see Recover)."""
    allow = t.boolean("allow_active_abort", False)
    age = t.integer("age_ms", 0)
    depth = t.integer("queue_depth", 0, high=MAX_COUNTER)
    generation = t.integer("generation", high=MAX_COUNTER)
    expected = t.choice("expected_state", "processing", SESSION_STATES) or "processing"
    stale = t.integer("stale_abort_ms")
    compaction = t.integer("compaction_safety_ms")
    if t.has("expected_state") and not t.has("generation"):
        out.notes.append(
            f"{t.where}.expected_state has no effect without generation (the runtime checks "
            "the state only against a generation)"
        )
    if ref is None:
        return None
    return Recover(ref, allow, age or 0, depth or 0, generation, expected, stale, compaction)


def _reply(t: _Table, ref: str | None) -> Reply | None:
    """A reply operation's step (see Reply); where it cannot be given, see _check_replies."""
    phase = t.choice("phase", "queued", REPLY_PHASES) or "queued"
    abort = t.choice("abort", "ignored", REPLY_ABORTS) or "ignored"
    return Reply(ref, phase, abort) if ref is not None else None


def _check_replies(out: _Collector, sessions: list[SessionSeed], steps: list[Step]) -> None:
    """Refuse a reply operation of a session with no key: openclaw's createReplyOperation
    throws without a canonical sessionKey (an id-only session, or the empty key)."""
    keyless = {s.ref for s in sessions if not s.keyed or s.ref == ""}
    for number, step in enumerate(steps, start=1):
        if isinstance(step, Reply) and step.session in keyless:
            out.add(
                f"step[{number}].session",
                "a reply operation needs the session's key (openclaw's createReplyOperation "
                "requires a canonical sessionKey); this session has none",
            )


def _check_id_steps(
    out: _Collector, settings: Settings, sessions: list[SessionSeed], steps: list[Step]
) -> None:
    """Refuse an id-only step on a keyed session whose record may be forgotten by then."""
    for number, why in forgettable(settings, sessions, steps):
        out.add(f"step[{number}].session", why)


def _properties(
    out: _Collector, data: dict[str, Any], catalogue: Mapping[str, Property]
) -> Choice:
    """[properties]: `only`, `skip` (property names) and a table of parameters per property."""
    known = list(catalogue)
    t = _Table(out, "properties", data, ("only", "skip", *known))
    names: dict[str, list[str] | None] = {}
    for key in ("only", "skip"):
        chosen = names[key] = t.array(key, lambda v: isinstance(v, str), "property names")
        for name in chosen or []:
            if name not in catalogue:
                out.add(f"properties.{key}", unknown_property(name, known))
    params: list[tuple[str, tuple[tuple[str, int], ...]]] = []
    for name in known:
        table = t.table(name)
        if table is None:
            continue
        where = f"properties.{name}"
        declared = catalogue[name].params
        if not declared:
            for key in table:
                out.add(f"{where}.{key}", f"unknown key ({name} takes no parameters)")
            continue
        p = _Table(out, where, table, [d.name for d in declared])
        given = []
        for d in declared:
            value = p.integer(d.name, low=d.minimum)
            if value is not None:
                given.append((d.name, value))
        params.append((name, tuple(given)))
    only = names["only"]
    return Choice(None if only is None else tuple(only), tuple(names["skip"] or ()), tuple(params))


MAX_REASON_CHARS = 200
MAX_MARKER_ID_CHARS = 40
_MARKER_ID = re.compile(r"^[A-Za-z0-9_.-]+$")


def _marker_id(out: _Collector, t: _Table, where: str) -> str:
    """A marker's id: letters, digits, `_.-` (the harness builds its tool and model keys)."""
    marker = t.string("id", MAIN_MARKER)
    if marker is None:
        return MAIN_MARKER
    if not _MARKER_ID.match(marker) or len(marker) > MAX_MARKER_ID_CHARS:
        out.add(
            f"{where}.id",
            f"must be 1..{MAX_MARKER_ID_CHARS} letters, digits, '_', '.' or '-'",
        )
        return MAIN_MARKER
    return marker


def _other_run_id(
    out: _Collector, t: _Table, where: str, kind: str | None, marker: str
) -> str:
    """`session_id` of a `start`/`end`: an embedded run under another id of the session's key
    (see probe/scenario/run_ids.py); its marker is `@ID`, the step's `id` left out."""
    other = t.string("session_id")
    if other is None:
        return marker
    if not _MARKER_ID.match(other) or len(other) > MAX_MARKER_ID_CHARS:
        out.add(
            f"{where}.session_id",
            f"must be 1..{MAX_MARKER_ID_CHARS} letters, digits, '_', '.' or '-'",
        )
    elif kind is not None and kind != "embedded_run":
        out.add(
            f"{where}.session_id",
            f'only an embedded run starts under another session id (work = "embedded_run", '
            f"not {kind!r})",
        )
    elif t.has("id"):
        out.add(
            f"{where}.session_id",
            "an embedded run under another session id is named by that id: leave `id` out",
        )
    else:
        return marker_of(other)
    return marker


def _request_timeout(out: _Collector, t: _Table, where: str, kind: str | None) -> int | None:
    """`timeout_ms` of a `start`: the model request timeout, a model call's only."""
    timeout = t.integer("timeout_ms", low=1)
    if timeout is not None and kind is not None and kind != "model_call":
        out.add(
            f"{where}.timeout_ms",
            f'only a model call declares a request timeout (work = "model_call", not {kind!r})',
        )
        return None
    return timeout


def _held(
    out: _Collector,
    t: _Table,
    where: str,
    kind: str | None,
    timeout: int | None,
    deadline: int | None,
) -> bool:
    """`delivery` of a `start`: "held" for a plain tool or model call's start only (the
    starts openclaw's bus delivers on a later turn; see probe/scenario/deliveries.py)."""
    if t.choice("delivery", "now", DELIVERIES) != "held":
        return False
    if kind is not None and kind not in ("tool_call", "model_call"):
        out.add(
            f"{where}.delivery",
            f"only a tool or model call's start is a bus event that can be held (not {kind!r})",
        )
        return False
    if timeout is not None or deadline is not None:
        key = "timeout_ms" if timeout is not None else "deadline_ms"
        out.add(f"{where}.delivery", f"a start with {key} cannot be held (only a plain call's)")
        return False
    return True


def _tool_deadline(out: _Collector, t: _Table, where: str, kind: str | None) -> int | None:
    """`deadline_ms` of a `start`: the command deadline a tool call's execution records."""
    deadline = t.integer("deadline_ms", low=1, high=MAX_TOOL_DEADLINE_MS)
    if deadline is not None and kind is not None and kind != "tool_call":
        out.add(
            f"{where}.deadline_ms",
            f'only a tool call records a command deadline (work = "tool_call", not {kind!r})',
        )
        return None
    return deadline


def _attempt(
    out: _Collector, t: _Table, where: str, kind: str | None, timeout: int | None
) -> bool:
    """`attempt` of a `start`: a model call that is an attempt of the run's model request."""
    attempt = bool(t.boolean("attempt", False))
    if not attempt:
        return False
    if kind is not None and kind != "model_call":
        out.add(
            f"{where}.attempt",
            f'only a model call is a request attempt (work = "model_call", not {kind!r})',
        )
        return False
    if timeout is not None:
        out.add(
            f"{where}.attempt",
            "a request attempt declares no timeout (a timed model call is a run owner of its "
            "own): leave timeout_ms out",
        )
        return False
    return True


def _semantic(out: _Collector, t: _Table, where: str, target: str, ago: int) -> bool:
    """`semantic` of a `progress`: run progress from a validated model result, given now."""
    semantic = bool(t.boolean("semantic", False))
    if not semantic:
        return False
    if target == "record":
        out.add(
            f"{where}.semantic",
            'semantic progress is the run\'s: give target = "run" or "both", not "record"',
        )
        return False
    if ago:
        out.add(
            f"{where}.semantic",
            "semantic progress is delivered as it happens: it cannot be back-dated (ago_ms)",
        )
        return False
    return True


# A day: far beyond any exec timeout, and the clock's sums stay exact.
MAX_TOOL_DEADLINE_MS = 86_400_000


def _tool_deadlines(out: _Collector, sessions: list[SessionSeed], steps: list[Step]) -> None:
    """A tool call with a deadline is one of the run's own executions, every time it starts.

    openclaw keys a tool call by its run and call id and reads deadlines only of the current
    run's tools (the harness gives such a call the session's own run id): so a call id is
    started with a deadline every time or never, is not seeding's plain tool call, and shares
    no session with timed model calls (whose owners are runs of their own).
    """
    with_deadline: dict[tuple[str, str], int] = {}
    without: dict[tuple[str, str], int] = {}
    timed: set[str] = set()
    other_runs: set[str] = set()
    for number, step in enumerate(steps, start=1):
        if not isinstance(step, Start):
            continue
        if step.timeout_ms is not None:
            timed.add(step.session)
        if other_session_id(step.id) is not None:
            other_runs.add(step.session)
        if step.work == "tool_call":
            side = without if step.deadline_ms is None else with_deadline
            side.setdefault((step.session, step.id), number)
    if not with_deadline:
        return
    seeded_tools = {s.ref for s in sessions if s.work == "tool_call"}
    for (ref, marker), number in with_deadline.items():
        where = f"step[{number}].deadline_ms"
        if (ref, marker) in without:
            out.add(
                where,
                f"tool call {marker!r} of session {ref!r} also starts without a deadline "
                f"(step[{without[(ref, marker)]}]): give every start of it deadline_ms, or none",
            )
        elif marker == MAIN_MARKER and ref in seeded_tools:
            out.add(
                where,
                f"session {ref!r} is seeded with a plain tool call {marker!r} "
                '(work = "tool_call"): give this one another id',
            )
        elif ref in timed:
            out.add(
                where,
                f"session {ref!r} has timed model calls (timeout_ms), whose owners are runs of "
                "their own: a tool call's deadline counts only under the session's own run",
            )
        elif ref in other_runs:
            out.add(
                where,
                f"session {ref!r} has runs under other session ids (session_id): a tool call's "
                "deadline counts only under the session's own run",
            )


def _timed_model_calls(out: _Collector, sessions: list[SessionSeed], steps: list[Step]) -> None:
    """A session's model calls are all timed or all plain, and a timed one runs once at a time.

    openclaw ignores a plain model call's start in run activity that a request owner holds, and
    restarting a request of the same run counts as a retry: neither is in the language, so a
    scenario that would need them is refused rather than modelled wrongly.
    """
    timed: dict[str, int] = {}  # session -> the number of its first timed start
    for number, step in enumerate(steps, start=1):
        if isinstance(step, Start) and step.timeout_ms is not None:
            timed.setdefault(step.session, number)
    if not timed:
        return
    seeded = {s.ref: s.work for s in sessions}
    for ref, number in timed.items():
        if seeded.get(ref) == "model_call":
            out.add(
                f"step[{number}].timeout_ms",
                f'session {ref!r} is seeded with a plain model call (work = "model_call"): '
                "a session's model calls are all timed or all plain",
            )
    running: dict[tuple[str, str], int] = {}
    for number, step in enumerate(steps, start=1):
        if not isinstance(step, Start | End) or step.work != "model_call":
            continue
        if step.session not in timed:
            continue
        key = (step.session, step.id)
        if isinstance(step, End):
            if running.pop(key, None) is None:
                out.add(
                    f"step[{number}]",
                    f"model call {step.id!r} of session {step.session!r} is not running here: "
                    "a session whose model calls are timed ends only a running one",
                )
        elif step.timeout_ms is None:
            out.add(
                f"step[{number}]",
                f"a plain model call in session {step.session!r}, whose model calls are timed "
                f"(step[{timed[step.session]}]): give it timeout_ms too",
            )
        elif key in running:
            out.add(
                f"step[{number}].timeout_ms",
                f"model call {step.id!r} of session {step.session!r} is still running "
                f"(started at step[{running[key]}]): end it first",
            )
        else:
            running[key] = number


def _reason(out: _Collector, t: _Table, where: str) -> str:
    """A progress reason: one non-empty line, as openclaw's callers pass (terminal ones too)."""
    reason = t.string("reason", DEFAULT_PROGRESS_REASON)
    if reason is None:
        return DEFAULT_PROGRESS_REASON
    if not reason.strip() or "\n" in reason or len(reason) > MAX_REASON_CHARS:
        out.add(
            f"{where}.reason",
            f"must be one non-empty line of at most {MAX_REASON_CHARS} characters",
        )
        return DEFAULT_PROGRESS_REASON
    return reason


def _expectations(
    out: _Collector,
    data: dict[str, Any],
    strategies: Collection[str],
    catalogue: Mapping[str, Property],
) -> list[tuple[str, Expectation]]:
    result: list[tuple[str, Expectation]] = []
    for name, value in data.items():
        where = f"expect.{name}"
        design, at, version = name.partition("@")
        if design not in strategies:
            out.add(where, f"unknown strategy {design!r} (known: {', '.join(sorted(strategies))})")
            continue
        if at and version not in VERSIONS:
            out.add(where, f"unknown openclaw version {version!r}: known {known_range()}")
            continue
        if not isinstance(value, dict):
            out.add(where, f"must be a table, not {_type_name(value)}")
            continue
        t = _Table(out, where, value, EXPECT_KEYS)
        gens = t.array("requested_generations", _is_counter, "non-negative integers")
        outcomes = t.array("runtime_outcomes", lambda v: isinstance(v, str), "strings")
        violations = t.array("violations", lambda v: isinstance(v, str), "property names")
        for v in violations or []:
            if v not in catalogue:
                out.add(f"{where}.violations", unknown_property(v, list(catalogue)))
        absorbed = t.table("absorbed_by")
        by_coord = by_runtime = None
        if absorbed is not None:
            a = _Table(out, f"{where}.absorbed_by", absorbed, ("coordinator", "runtime"))
            by_coord = a.integer("coordinator")
            by_runtime = a.integer("runtime")
        result.append(
            (
                name,
                Expectation(
                    requested=t.integer("requested"),
                    requested_generations=None if gens is None else tuple(gens),
                    completed=t.integer("completed"),
                    runtime_outcomes=None if outcomes is None else tuple(outcomes),
                    violations=None if violations is None else tuple(violations),
                    absorbed_by_coordinator=by_coord,
                    absorbed_by_runtime=by_runtime,
                ),
            )
        )
    return result


def _check_limits(
    out: _Collector, settings: Settings, sessions: list[SessionSeed], steps: list[Step]
) -> None:
    for problem in static_clock(settings, sessions, steps):
        out.add(problem.where, problem.message)


def _answer(out: _Collector, t: _Table, ref: str | None) -> Answer | None:
    """A scripted runtime's answer: an outcome as openclaw's tests mock it (see Answer)."""
    status = t.choice("status", None, ANSWER_STATUSES, required=True)
    if status == "none":
        for key in ("action", "reason", "released", "queued_count", "work"):
            if t.has(key):
                out.add(f"{t.where}.{key}", 'has no effect with status = "none" (no outcome)')
    action = t.choice("action", None, ANSWER_ACTIONS)
    reason = t.string("reason")
    if reason is not None and (not reason.strip() or any(c.isspace() for c in reason)):
        out.add(f"{t.where}.reason", "must be one word (an outcome reason such as no_active_work)")
        reason = None
    released = t.integer("released", 0, high=MAX_COUNTER) or 0
    queued = t.integer("queued_count", high=MAX_COUNTER)
    work = t.choice("work", None, MARKER_KINDS)
    if ref is None or status is None:
        return None
    return Answer(
        ref, status, action or DEFAULT_ANSWER_ACTION[status], reason, released, queued, work
    )


def _check_answers(out: _Collector, settings: Settings, steps: list[Step]) -> None:
    """An answer needs the scripted runtime: the real one answers by itself."""
    if settings.runtime == "scripted" or out.problems:  # (numbering needs every step read)
        return
    for number, step in enumerate(steps, start=1):
        if isinstance(step, Answer):
            out.add(
                f"step[{number}].do",
                'answer needs settings.runtime = "scripted" (the real runtime answers by itself)',
            )
