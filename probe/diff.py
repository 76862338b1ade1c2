"""Differential replay: where two engines disagree, each disagreement shrunk to a minimal scenario.

No printing, no files, no wall clock: the engines do the replaying (a real build's engine runs
Node), the caller renders and writes. Two runs differ as `probe conform` judges them
(`diff_runs`: openclaw's own event payloads, in order, and the runtime outcomes). A scenario
either engine cannot express is not comparable, never a difference.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from probe.engines.base import CannotExpress, Engine
from probe.engines.engine import PROBE_ONLY_KEYS, diff_runs
from probe.expectations import expectation_of
from probe.explore.steps import candidate_steps
from probe.explore.values import ExploreConfig
from probe.model.events import COMPLETED, LONG_RUNNING, STALLED, STATE, STUCK, Event
from probe.model.world import World, WorldState
from probe.run import Run
from probe.scenario.generate import REFS
from probe.scenario.values import (
    DEFAULT_HEARTBEAT_MS,
    DEFAULT_SETTLE_MS,
    DEFAULT_WARN_MS,
    Advance,
    Answer,
    Backend,
    Bump,
    End,
    Enqueue,
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
from probe.strategies import DedupStrategy

# How many candidate scenarios one shrink may try (each is a replay on both engines).
SHRINK_BUDGET = 400
_ATTENTION = (STUCK, STALLED, LONG_RUNNING)


@dataclass(frozen=True, slots=True)
class Kind:
    """The first place two runs part, without the values that vary from scenario to scenario.

    `what` is "events" (A's event label `a` where B's is `b`, None meaning that side emits
    nothing there; `field` set when both emit the same kind of event and that payload field
    differs) or "outcomes" (the event streams agree; A's first differing runtime outcome `a`,
    B's `b`, None when that side made fewer calls).
    """

    what: str
    a: str | None
    b: str | None
    field: str | None = None

    def describe(self, a_name: str, b_name: str) -> str:
        if self.what == "outcomes":
            return f"runtime outcome {self.a or 'none'} vs {self.b or 'none'}"
        if self.field is not None:
            return f"{self.a}: {self.field} differs"
        if self.a is None:
            return f"{b_name} emits {self.b} where {a_name} emits nothing"
        if self.b is None:
            return f"{a_name} emits {self.a} where {b_name} emits nothing"
        return f"{b_name} emits {self.b} where {a_name} emits {self.a}"

    def slug(self) -> str:
        """A short file-name stem."""
        parts = [self.what, self.a or "nothing", self.b or "nothing"]
        if self.field is not None:
            parts = [self.what, self.a or "", self.field]
        text = "-".join(parts).replace("session.recovery.", "").replace("session.", "")
        out = "".join(c if c.isalnum() or c in "._" else "-" for c in text.lower())
        while "--" in out:
            out = out.replace("--", "-")
        return out.strip("-")[:72]

    def as_dict(self) -> dict[str, str | None]:
        return {"what": self.what, "a": self.a, "b": self.b, "field": self.field}


def event_label(event: dict[str, Any]) -> str:
    """An event's type with what tells its kind apart: a reason or an outcome."""
    kind = str(event.get("type"))
    if kind == COMPLETED:
        why = event.get("outcomeReason") or event.get("action")
        return f"{kind} ({event.get('status')}/{why})"
    if kind in _ATTENTION or kind == STATE:
        return f"{kind} ({event.get('reason')})"
    return kind


def _payload(event: Event) -> dict[str, Any]:
    return {k: v for k, v in event.as_dict().items() if k not in PROBE_ONLY_KEYS}


def first_difference(a: Run, b: Run) -> Kind | None:
    """Where `a` and `b` first part (None: they agree as `diff_runs` judges)."""
    left = [_payload(e) for e in a.events]
    right = [_payload(e) for e in b.events]
    left_labels = [event_label(e) for e in left]
    right_labels = [event_label(e) for e in right]
    matcher = difflib.SequenceMatcher(None, left_labels, right_labels, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for ours, theirs in zip(left[i1:i2], right[j1:j2], strict=True):
                if ours != theirs:
                    keys = sorted(set(ours) | set(theirs))
                    field = next(k for k in keys if ours.get(k) != theirs.get(k))
                    return Kind("events", event_label(ours), event_label(theirs), field)
            continue
        return Kind(
            "events",
            left_labels[i1] if i1 < i2 else None,
            right_labels[j1] if j1 < j2 else None,
        )
    ao, bo = a.runtime_outcomes, b.runtime_outcomes
    for i in range(max(len(ao), len(bo))):
        x = ao[i] if i < len(ao) else None
        y = bo[i] if i < len(bo) else None
        if x != y:
            return Kind("outcomes", x, y)
    return None


# The properties one side violates and the other does not: (name, "a" or "b"), sorted. A
# difference is grouped by these, and shrinking keeps them, so a minimal example still shows
# the failure class that sets the two engines apart.
PropertySplit = tuple[tuple[str, str], ...]


def property_split(a: Run, b: Run) -> PropertySplit:
    """Which side alone violates which property (empty: both violate the same ones)."""
    va, vb = set(a.violation_names), set(b.violation_names)
    return tuple(sorted([(n, "a") for n in va - vb] + [(n, "b") for n in vb - va]))


@dataclass(frozen=True, slots=True)
class Same:
    runs: tuple[Run, Run]


@dataclass(frozen=True, slots=True)
class Differs:
    kind: Kind
    runs: tuple[Run, Run]
    diff: tuple[str, ...]
    properties: PropertySplit = ()


@dataclass(frozen=True, slots=True)
class Unexpressed:
    engine: str
    reasons: tuple[str, ...]


Verdict = Same | Differs | Unexpressed


def _content(scenario: Scenario) -> tuple[object, ...]:
    return (scenario.settings, scenario.sessions, scenario.steps)


class EnginePair:
    """A and B, each replay judged once per distinct scenario (shrinking asks again and again)."""

    def __init__(self, a: Engine, b: Engine) -> None:
        self.a, self.b = a, b
        self._seen: dict[tuple[object, ...], Verdict] = {}
        self.replays = 0

    def judge(self, scenario: Scenario) -> Verdict:
        key = _content(scenario)
        found = self._seen.get(key)
        if found is None:
            found = self._seen[key] = self._judge(scenario)
        return found

    def _judge(self, scenario: Scenario) -> Verdict:
        runs: list[Run] = []
        for engine in (self.a, self.b):
            self.replays += 1
            try:
                runs.append(engine.replay(scenario))
            except CannotExpress as exc:
                return Unexpressed(engine.name, tuple(f"{i.key}: {i.reason}" for i in exc.items))
        a, b = runs
        kind = first_difference(a, b)
        if kind is None:
            return Same((a, b))
        return Differs(kind, (a, b), tuple(diff_runs(a, b)), property_split(a, b))


# ---------------------------------------------------------------------------------------------
# Shrinking
# ---------------------------------------------------------------------------------------------


def _names(step: Step) -> str | None:
    match step:
        case (
            Bump(session=ref)
            | StateChange(session=ref)
            | Progress(session=ref)
            | Start(session=ref)
            | End(session=ref)
            | Recover(session=ref)
            | Enqueue(session=ref)
            | Own(session=ref)
            | Backend(session=ref)
            | Answer(session=ref)
            | Key(session=ref)
            | Reply(session=ref)
        ):
            return ref
        case Release(session=ref):
            return ref
        case _:
            return None


def _smaller_ages(age: int, settings: Settings) -> list[int]:
    warn, abort = settings.effective_warn_ms, settings.abort_threshold_ms()
    round_ones = (0, warn + 1, warn + 30_000, abort + 1, abort + 30_000, 900_001, 930_000)
    values = sorted({v for v in round_ones if v < age} | {age // 2 // 1000 * 1000})
    return [v for v in values if v < age]


def _simpler_steps(step: Step, settings: Settings) -> Iterator[Step]:
    match step:
        case Release(session=ref, failed=True):
            yield Release(ref, False)
        case StateChange(session=ref, to=to) if to != "idle":
            yield StateChange(ref, "idle")
        case Advance(ms=ms):
            marks = (1, settings.heartbeat_ms, settings.settle_ms, ms // 2)
            for value in sorted({m for m in marks if 0 < m < ms}):
                yield Advance(value)
        case Tick(late_ms=late) if late is not None:
            yield Tick()
        case _:
            return


def _simpler_seed(seed: SessionSeed, settings: Settings) -> Iterator[SessionSeed]:
    if seed.state != "idle":
        yield replace(seed, state="idle")
    if seed.owner != "none":
        yield replace(seed, owner="none", abort="ignored", work="none")
        yield replace(seed, owner="none", abort="ignored")
    default_work: WorkKind = "embedded_run" if seed.owner == "embedded_run" else "none"
    if seed.work != default_work:
        yield replace(seed, work=default_work)
    if seed.abort != "ignored":
        yield replace(seed, abort="ignored")
    if seed.generation:
        yield replace(seed, generation=0)
    for depth in (0, 1):
        if seed.queue_depth > depth:
            yield replace(seed, queue_depth=depth)
    for age in _smaller_ages(seed.progress_age_ms, settings):
        yield replace(seed, progress_age_ms=age)


def _renamed(step: Step, names: dict[str, str]) -> Step:
    match step:
        # replace keeps the rest, an id-only step's `via` included.
        case (
            Bump(session=ref)
            | StateChange(session=ref)
            | Progress(session=ref)
            | Start(session=ref)
            | End(session=ref)
            | Own(session=ref)
            | Recover(session=ref)
            | Enqueue(session=ref)
            | Backend(session=ref)
            | Answer(session=ref)
            | Reply(session=ref)
        ):
            # A key a key step gave is no seeded session's ref: it stays as it is.
            return replace(step, session=names.get(ref, ref))
        case Release(session=ref, failed=failed) if ref is not None:
            return Release(names.get(ref, ref), failed)
        case Key(session=ref, key=key):
            return Key(names[ref], names.get(key, key))
        case _:
            return step


def _plain_refs(scenario: Scenario) -> Scenario | None:
    """The sessions named as the generator names them, in order (None: they already are), so
    that minimal scenarios found from different sessions come out alike."""
    refs = [s.ref for s in scenario.sessions]
    plain = list(REFS[: len(refs)])
    if len(refs) > len(REFS) or refs == plain:
        return None
    names = dict(zip(refs, plain, strict=True))
    return replace(
        scenario,
        sessions=tuple(replace(s, ref=names[s.ref]) for s in scenario.sessions),
        steps=tuple(_renamed(step, names) for step in scenario.steps),
    )


def simpler(scenario: Scenario) -> Iterator[Scenario]:
    """Every one-move simplification of `scenario`, biggest moves first (a fixed order).

    With a key step, only those the loader takes: dropping the step, or the session it keys,
    leaves steps naming a key that no longer exists."""
    if not any(isinstance(step, Key) for step in scenario.steps):
        yield from _simpler(scenario)
        return
    for candidate in _simpler(scenario):
        if _loads(candidate):
            yield candidate


def _loads(scenario: Scenario) -> bool:
    from probe.errors import ScenarioError
    from probe.scenario.dump import dump_scenario
    from probe.scenario.loader import parse_scenario
    from probe.strategies import REGISTRY

    try:
        parse_scenario(dump_scenario(scenario), "candidate.toml", REGISTRY.keys())
    except ScenarioError:
        return False
    return True


def _simpler(scenario: Scenario) -> Iterator[Scenario]:
    steps, sessions, settings = scenario.steps, scenario.sessions, scenario.settings
    size = len(steps) // 2
    while size >= 1:
        for start in range(0, len(steps), size):
            kept = steps[:start] + steps[start + size :]
            if kept:
                yield replace(scenario, steps=kept)
        size //= 2
    if len(sessions) > 1:
        for seed in sessions:
            kept_steps = tuple(s for s in steps if _names(s) != seed.ref)
            if kept_steps:
                others = tuple(x for x in sessions if x is not seed)
                yield replace(scenario, sessions=others, steps=kept_steps)
    plain = _plain_refs(scenario)
    if plain is not None:
        yield plain
    defaults = Settings()
    for simple_settings in (
        replace(settings, drain=defaults.drain),
        replace(settings, warn_ms=DEFAULT_WARN_MS),
        replace(settings, heartbeat_ms=DEFAULT_HEARTBEAT_MS),
        replace(settings, settle_ms=DEFAULT_SETTLE_MS),
        replace(settings, tick_late_ms=0, tick_jitter_ms=None, jitter_seed=0),
    ):
        if simple_settings != settings:
            yield replace(scenario, settings=simple_settings)
    for i, seed in enumerate(sessions):
        for simple in _simpler_seed(seed, settings):
            yield replace(scenario, sessions=(*sessions[:i], simple, *sessions[i + 1 :]))
    for i, step in enumerate(steps):
        for simple_step in _simpler_steps(step, settings):
            yield replace(scenario, steps=(*steps[:i], simple_step, *steps[i + 1 :]))


def shrink(
    scenario: Scenario, still: Callable[[Scenario], bool], budget: int = SHRINK_BUDGET
) -> Scenario:
    """Greedy delta debugging: take the first simplification that `still` holds for, again,
    until none does (or `budget` candidates were tried). Deterministic for a deterministic
    `still`; the result is 1-minimal for the moves of `simpler`."""
    current = _bare(scenario)
    rejected: set[tuple[object, ...]] = set()
    progress = True
    while progress and len(rejected) < budget:
        progress = False
        for candidate in simpler(current):
            key = _content(candidate)
            if key in rejected:
                continue
            if still(candidate):
                current, progress = candidate, True
                break
            rejected.add(key)
            if len(rejected) >= budget:
                break
    return current


def _bare(scenario: Scenario) -> Scenario:
    """The scenario without what belongs to its file: expectations, lines, notes."""
    return replace(scenario, expect=(), step_lines=(), notes=())


# ---------------------------------------------------------------------------------------------
# The search's traces, as scenarios
# ---------------------------------------------------------------------------------------------


def explore_traces(
    seed: Scenario, strategies: Iterable[DedupStrategy], config: ExploreConfig
) -> list[tuple[Step, ...]]:
    """Every distinct model state's first trace, breadth-first to `config.depth`, each model's
    states in turn (a trace new to a later model is added after the earlier ones')."""
    traces: list[tuple[Step, ...]] = []
    known: set[tuple[Step, ...]] = set()
    for strategy in strategies:
        world = World(seed, strategy)
        seen = {world.state_key()}
        start: tuple[Step, ...] = ()
        frontier = [(world.snapshot(), start)]
        for _ in range(config.depth):
            next_frontier: list[tuple[WorldState, tuple[Step, ...]]] = []
            for state, trace in frontier:
                world.restore(state)
                for step in candidate_steps(seed, world, config):
                    world.restore(state)
                    world.apply(len(trace) + 1, step)
                    key = world.state_key()
                    if key in seen:
                        continue
                    seen.add(key)
                    reached: tuple[Step, ...] = (*trace, step)
                    if reached not in known:
                        known.add(reached)
                        traces.append(reached)
                    next_frontier.append((world.snapshot(), reached))
            frontier = next_frontier
    return traces


# ---------------------------------------------------------------------------------------------
# The whole comparison
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Difference:
    source: str  # where the scenario came from: a file, a random number, a trace
    kind: Kind
    minimal: Scenario  # shrunk; the same kind of difference
    runs: tuple[Run, Run]  # on the minimal scenario
    diff: tuple[str, ...]  # diff_runs of those runs
    properties: PropertySplit = ()  # what one side alone violates (kept by shrinking)


@dataclass(frozen=True, slots=True)
class NotComparable:
    source: str
    engine: str
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DiffResult:
    a: str
    b: str
    compared: int  # scenarios both engines could replay
    differences: tuple[Difference, ...]
    not_comparable: tuple[NotComparable, ...]
    replays: int  # every replay, shrinking included
    # Every scenario replayed, in order, with its verdict: same | differ | not_comparable.
    verdicts: tuple[tuple[str, str], ...] = ()

    @property
    def same(self) -> int:
        return self.compared - len(self.differences)

    def groups(self) -> list[tuple[Kind, list[Difference]]]:
        """By kind, the most frequent first (ties in order of first appearance); in each
        group the smallest minimal scenario first."""
        grouped: dict[Kind, list[Difference]] = {}
        for d in self.differences:
            grouped.setdefault(d.kind, []).append(d)
        order = list(grouped)
        for found in grouped.values():
            found.sort(key=lambda d: (_size(d.minimal), self.differences.index(d)))
        return sorted(grouped.items(), key=lambda kv: (-len(kv[1]), order.index(kv[0])))

    def by_property(self) -> list[tuple[str | None, str | None, list[Difference]]]:
        """(property, side "a"/"b", its differences) for each property one side alone
        violates, the most frequent first (ties by name, then side); last, (None, None, ...)
        for the differences where neither side alone violates anything. A difference where
        each side violates its own property is in both groups."""
        grouped: dict[tuple[str, str], list[Difference]] = {}
        plain: list[Difference] = []
        for d in self.differences:
            for split in d.properties:
                grouped.setdefault(split, []).append(d)
            if not d.properties:
                plain.append(d)
        ordered: list[tuple[str | None, str | None, list[Difference]]] = [
            (name, side, found)
            for (name, side), found in sorted(
                grouped.items(), key=lambda kv: (-len(kv[1]), kv[0][0], kv[0][1])
            )
        ]
        if plain:
            ordered.append((None, None, plain))
        return ordered


def _size(s: Scenario) -> tuple[int, int, int]:
    return (len(s.steps), len(s.sessions), sum(x.progress_age_ms for x in s.sessions))


def compare_engines(
    pair: EnginePair,
    scenarios: Iterable[tuple[str, Scenario]],
    *,
    shrinking: bool = True,
    progress: Callable[[int, str], None] | None = None,
) -> DiffResult:
    """Replay every scenario on both engines; shrink each difference, keeping its kind."""
    differences: list[Difference] = []
    unexpressed: list[NotComparable] = []
    compared = 0
    verdicts: list[tuple[str, str]] = []
    for number, (source, scenario) in enumerate(scenarios, start=1):
        if progress is not None:
            progress(number, source)
        verdict = pair.judge(scenario)
        if isinstance(verdict, Unexpressed):
            unexpressed.append(NotComparable(source, verdict.engine, verdict.reasons))
            verdicts.append((source, "not_comparable"))
            continue
        compared += 1
        if isinstance(verdict, Same):
            verdicts.append((source, "same"))
            continue
        verdicts.append((source, "differ"))
        kind, split = verdict.kind, verdict.properties

        def still(candidate: Scenario, kind: Kind = kind, split: PropertySplit = split) -> bool:
            found = pair.judge(candidate)
            return isinstance(found, Differs) and (found.kind, found.properties) == (kind, split)

        minimal = shrink(scenario, still) if shrinking else _bare(scenario)
        small = pair.judge(minimal)
        assert isinstance(small, Differs)
        differences.append(
            Difference(source, kind, minimal, small.runs, small.diff, small.properties)
        )
    return DiffResult(
        pair.a.name,
        pair.b.name,
        compared,
        tuple(differences),
        tuple(unexpressed),
        pair.replays,
        tuple(verdicts),
    )


def expectation_lines(run: Run) -> list[str]:
    """The same record as TOML lines (for a side whose table name is taken)."""
    e = expectation_of(run)
    return [
        f"requested = {e.requested}",
        f"requested_generations = {json.dumps(list(e.requested_generations or ()))}",
        f"completed = {e.completed}",
        f"runtime_outcomes = {json.dumps(list(e.runtime_outcomes or ()))}",
        f"violations = {json.dumps(list(e.violations or ()))}",
        f"absorbed_by = {{ coordinator = {e.absorbed_by_coordinator}, "
        f"runtime = {e.absorbed_by_runtime} }}",
    ]
