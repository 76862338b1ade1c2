"""The trace a property reads: the world's own steps and heartbeats, and what the system reported.

A trace is a sequence of moments: the outside world acting (a step of the scenario, at its
instant), a heartbeat firing (due and fired times from probe.scenario.timeline), an event the
system reported, and the end of a heartbeat's instant (what it asked for). `Truth` is what the
world knows about each session at that point, kept from the seeds, the steps and the events: it
is never read from the model's World or a build's flags, so a build that misjudges a session
is still judged by what the session really was.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, TypeAlias

from probe.invariants import InvariantChecker, Violation
from probe.model.events import (
    COMPLETED,
    LONG_RUNNING,
    QUEUED,
    REQUESTED,
    STALLED,
    STATE,
    STUCK,
    Event,
)
from probe.scenario.timeline import Clock, HeartbeatFiring
from probe.scenario.values import (
    Advance,
    Bump,
    End,
    Own,
    Progress,
    Release,
    Reply,
    Scenario,
    SessionSeed,
    Settings,
    Start,
    StateChange,
    Step,
    Tick,
)

ATTENTION = frozenset({STUCK, STALLED, LONG_RUNNING})
# What a monitor reads; the rest (heartbeat, log events) never reaches it.
TRACE_EVENTS = frozenset({REQUESTED, COMPLETED, STATE, QUEUED}) | ATTENTION
# Outcomes that change the record when applied (and clear the run's evidence with them).
MUTATING = frozenset({"aborted", "released", "noop"})
# State-change reasons of a registered run's end: clearActiveEmbeddedRun, forceClear.
RUN_ENDED = frozenset({"run_completed", "stuck_recovery"})


class Acted(NamedTuple):
    """The outside world's step (bump, progress, state, release) at its instant."""

    step: int
    verb: Step
    at_ms: int


class Fired(NamedTuple):
    """A heartbeat fires; the events of its instant follow, then `Passed`."""

    firing: HeartbeatFiring


class Reported(NamedTuple):
    event: Event


class Passed(NamedTuple):
    """A heartbeat's instant is over: the refs it asked recovery for, and those it warned about."""

    firing: HeartbeatFiring
    requested: frozenset[str]
    warned: frozenset[str]


Moment: TypeAlias = Acted | Fired | Reported | Passed


class Facts(NamedTuple):
    """One session as the world knows it."""

    state: str
    queue: int
    touched_ms: int  # the record's last activity
    progress_ms: int  # the run's last progress mark
    owner: bool  # a registered run handle (ends with a release or an abort)
    work: str  # the active work run activity holds, "none" once ended
    abort: str  # how the run answers an abort (the seed's)
    # The running timed model calls (`start` with timeout_ms), by id: each holds an active
    # abort back until its progress passes max(abort threshold, the longest timeout).
    requests: tuple[tuple[str, int], ...] = ()

    @property
    def request_timeout_ms(self) -> int:
        return max((t for _, t in self.requests), default=0)

    @property
    def live_work(self) -> bool:
        return self.work != "none"


def seeded(seed: SessionSeed) -> Facts:
    work = seed.work
    return Facts(
        seed.state,
        seed.queue_depth,
        -seed.progress_age_ms,
        -seed.progress_age_ms,
        seed.owner == "embedded_run",
        work,
        seed.abort,
    )


@dataclass(slots=True)
class Truth:
    """The world's facts per session, the thresholds, and the recoveries open per ref.

    The open recoveries are the pairing checker's (probe.invariants): one pass over the
    events serves the class-1 properties and every property that asks "is one in flight?".
    """

    warn_ms: int
    abort_ms: int
    sessions: dict[str, Facts]
    pairing: InvariantChecker = field(default_factory=InvariantChecker)
    found: list[Violation] = field(default_factory=list)  # the pairing checks at this moment
    _shared: bool = False

    @classmethod
    def of(cls, scenario: Scenario) -> Truth:
        return cls.seeded(scenario.settings, scenario.sessions)

    @classmethod
    def seeded(cls, settings: Settings, seeds: Iterable[SessionSeed]) -> Truth:
        return cls(
            settings.effective_warn_ms,
            settings.abort_threshold_ms(),
            {s.ref: seeded(s) for s in seeds},
        )

    def clone(self) -> Truth:
        twin = Truth(self.warn_ms, self.abort_ms, self.sessions, self.pairing.clone())
        twin._shared = self._shared = True
        return twin

    def key(self) -> tuple[object, ...]:
        return (tuple(self.sessions.items()), self.pairing.key())

    def in_flight(self, ref: str) -> bool:
        return bool(self.pairing.open_requests.get(ref))

    def _set(self, ref: str, facts: Facts) -> None:
        if self._shared:
            self.sessions = dict(self.sessions)
            self._shared = False
        self.sessions[ref] = facts

    def apply(self, moment: Moment) -> None:
        self.found = []
        match moment:
            case Acted(verb=verb, at_ms=at):
                self._acted(verb, at)
            case Reported(event=event):
                self._reported(event)
            case _:
                pass

    def _acted(self, verb: Step, at: int) -> None:
        match verb:
            case Bump(session=ref) | StateChange(session=ref) if ref in self.sessions:
                self._set(ref, self.sessions[ref]._replace(touched_ms=at))
            case Progress(session=ref, target=target, ago_ms=ago) if ref in self.sessions:
                facts = self.sessions[ref]
                when = at - ago
                # The mark is set to the instant the step reports, back-dated or not.
                if target in ("run", "both"):
                    facts = facts._replace(progress_ms=when)
                if target in ("record", "both"):
                    facts = facts._replace(touched_ms=when)
                self._set(ref, facts)
            case Start(session=ref, work=kind, id=marker, timeout_ms=timeout) if (
                ref in self.sessions
            ):
                facts = self.sessions[ref]
                if timeout is not None:
                    kept = tuple(r for r in facts.requests if r[0] != marker)
                    facts = facts._replace(requests=(*kept, (marker, timeout)))
                # The heartbeat reads tool_call, else model_call, else embedded_run.
                rank = ("none", "embedded_run", "model_call", "tool_call")
                if rank.index(kind) > rank.index(facts.work):
                    facts = facts._replace(work=kind)
                self._set(ref, facts)
            case End(session=ref, work=kind, id=marker, clear=clear) if ref in self.sessions:
                facts = self.sessions[ref]
                if kind == "model_call":
                    facts = facts._replace(
                        requests=tuple(r for r in facts.requests if r[0] != marker)
                    )
                if facts.work == kind or (kind == "embedded_run" and clear):
                    facts = facts._replace(work="none", requests=())
                self._set(ref, facts)
            case Own(session=ref, abort=abort) if ref in self.sessions:
                # A run registers: the record goes processing (the state event follows), and
                # its embedded run starts, progress now; it answers aborts its own way.
                facts = self.sessions[ref]
                work = "embedded_run" if facts.work == "none" else facts.work
                self._set(ref, facts._replace(owner=True, work=work, progress_ms=at, abort=abort))
            case Reply(session=ref, phase=phase) if ref in self.sessions:
                # A reply operation's embedded run: it starts with the operation and ends
                # with it (its end leaves the run's other work, clearRunActivity false).
                facts = self.sessions[ref]
                if phase == "completed":
                    if facts.work == "embedded_run":
                        facts = facts._replace(work="none")
                elif facts.work == "none":
                    facts = facts._replace(work="embedded_run")
                self._set(ref, facts)
            case Release(session=one, failed=False):
                for ref, facts in list(self.sessions.items()):
                    if facts.owner and one in (None, ref):
                        self._set(ref, facts._replace(owner=False, work="none", requests=()))
            case _:
                pass

    def _reported(self, event: Event) -> None:
        facts = self.sessions.get(event.ref)
        if event.type in (REQUESTED, COMPLETED):
            self.found = self.pairing.observe(event)
        if facts is None:
            return
        if event.type == STATE:
            queue = event.get("queueDepth")
            facts = facts._replace(
                state=str(event.get("state")),
                queue=queue if isinstance(queue, int) else facts.queue,
                touched_ms=event.at_ms,
            )
            if event.get("reason") in RUN_ENDED:
                # The registered run ended: honoured its abort, was released or force-cleared.
                facts = facts._replace(owner=False, work="none")
            self._set(event.ref, facts)
        elif event.type == QUEUED:
            queue = event.get("queueDepth")
            self._set(
                event.ref,
                facts._replace(
                    queue=queue if isinstance(queue, int) else facts.queue + 1,
                    touched_ms=event.at_ms,
                ),
            )
        elif event.type == COMPLETED:
            status = event.get("status")
            # An aborted run is gone by its own state change (RUN_ENDED) just before, not by the
            # outcome: a run that replaced the aborted one (step own) may outlive the drain.
            if status in MUTATING and event.get("stale") is not True and not facts.owner:
                # An applied outcome on a session with no run: what run activity still held
                # was evidence of nothing (an orphan marker), whatever the build kept of it.
                self._set(event.ref, facts._replace(work="none", requests=()))


def moments(
    number: int,
    verb: Step,
    before: Clock,
    firings: Sequence[HeartbeatFiring],
    events: Sequence[Event],
) -> Iterator[Moment]:
    """One step's moments in time order: its action, then heartbeats and events as they came."""
    if not isinstance(verb, Tick | Advance):
        yield Acted(number, verb, before.now)
    i = 0
    for firing in firings:
        while i < len(events) and events[i].at_ms < firing.fired_ms:
            yield Reported(events[i])
            i += 1
        yield Fired(firing)
        requested: set[str] = set()
        warned: set[str] = set()
        while i < len(events) and events[i].at_ms == firing.fired_ms:
            event = events[i]
            if event.type == REQUESTED:
                requested.add(event.ref)
            elif event.type in ATTENTION:
                warned.add(event.ref)
            yield Reported(event)
            i += 1
        yield Passed(firing, frozenset(requested), frozenset(warned))
    for event in events[i:]:
        yield Reported(event)


def trace(scenario: Scenario, events: Sequence[Event]) -> Iterator[Moment]:
    """The whole trace of a finished run: the scenario's steps and clock, and its events."""
    by_step: dict[int, list[Event]] = {}
    for event in events:
        if event.type in TRACE_EVENTS:
            by_step.setdefault(event.step or 0, []).append(event)
    yield from (Reported(e) for e in by_step.get(0, ()))
    clock = Clock()
    for number, verb in enumerate(scenario.steps, start=1):
        after, fired = clock.step(scenario.settings, number, verb)
        yield from moments(number, verb, clock, fired, by_step.get(number, ()))
        clock = after
