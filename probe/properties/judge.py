"""The judge: the selected properties' monitors fed one trace, the world's truth beside them."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import NamedTuple

from probe.invariants import OBSERVED_EVENTS, Violation
from probe.model.events import Event
from probe.properties.base import Monitor
from probe.properties.catalogue import CATALOGUE
from probe.properties.pairing import PairingMonitor
from probe.properties.trace import (
    TRACE_EVENTS,
    Acted,
    Fired,
    Moment,
    Passed,
    Reported,
    Truth,
    moments,
    trace,
)
from probe.scenario.timeline import Clock
from probe.scenario.values import Scenario, Settings, Step

MOMENTS: tuple[type, ...] = (Acted, Fired, Reported, Passed)


class Judge:
    """Feed it moments in order; a search clones it where it branches and keys on `key()`."""

    __slots__ = ("clock", "monitors", "names", "pairing_only", "readers", "settings", "truth")

    def __init__(
        self,
        truth: Truth,
        monitors: list[Monitor],
        names: tuple[str, ...],
        settings: Settings = Settings(),
        clock: Clock = Clock(),
        readers: dict[type, tuple[int, ...]] | None = None,
    ) -> None:
        self.truth = truth
        self.monitors = monitors
        self.names = names  # the properties judging, in catalogue order
        self.settings = settings  # the scenario's heartbeat timing, for `step`
        self.clock = clock
        if readers is None:
            # Which monitors read which kind of moment (a monitor's optional `reads`): most
            # moments concern two or three of them, and a search feeds millions.
            readers = {
                kind: tuple(
                    i for i, m in enumerate(monitors) if kind in getattr(m, "reads", MOMENTS)
                )
                for kind in MOMENTS
            }
        self.readers = readers
        # Only class 1 chosen: only requested/completed events matter, and the key is the
        # pairing checker's alone (which a search's symmetry reduction knows how to read).
        self.pairing_only = all(isinstance(m, PairingMonitor) for m in monitors)

    @classmethod
    def of(cls, scenario: Scenario) -> Judge:
        choice = scenario.properties
        chosen = choice.selected(CATALOGUE)
        return cls(
            Truth.of(scenario),
            [p.monitor(choice.params_of(p)) for p in chosen],
            tuple(p.name for p in chosen),
            scenario.settings,
        )

    @property
    def event_types(self) -> frozenset[str]:
        """The event types the chosen properties read: a search's world may drop the rest."""
        return OBSERVED_EVENTS if self.pairing_only else TRACE_EVENTS

    def step(self, number: int, verb: Step, events: Sequence[Event]) -> list[Violation]:
        """One step of a search: its action, the heartbeats it fired, the events it made."""
        after, fired = self.clock.step(self.settings, number, verb)
        kept = [e for e in events if e.type in TRACE_EVENTS]
        found = self.feed_all(moments(number, verb, self.clock, fired, kept))
        self.clock = after
        return found

    @property
    def coordinator_absorbed(self) -> int:
        return self.truth.pairing.coordinator_absorbed

    def feed(self, moment: Moment) -> list[Violation]:
        truth = self.truth
        truth.apply(moment)
        monitors = self.monitors
        found: list[Violation] = []
        for i in self.readers[type(moment)]:
            seen = monitors[i].observe(moment, truth)
            if seen:
                found += seen
        return found

    def feed_all(self, moments: Iterable[Moment]) -> list[Violation]:
        return [v for m in moments for v in self.feed(m)]

    def finish(self, *, settled: bool, step: int) -> list[Violation]:
        return [v for m in self.monitors for v in m.finish(self.truth, settled=settled, step=step)]

    def clone(self) -> Judge:
        return Judge(
            self.truth.clone(),
            [m.clone() for m in self.monitors],
            self.names,
            self.settings,
            self.clock,
            self.readers,
        )

    def key(self) -> Hashable:
        """Per ref, like the pairing checker's key alone: (ref, (item, ...)), each item a tuple
        opening with the ref, so a search's symmetry reduction reads it the same way."""
        pairing = self.truth.pairing.key()
        if self.pairing_only:
            return pairing
        items: dict[str, list[tuple[object, ...]]] = {
            ref: [(ref, "t", *facts)] for ref, facts in self.truth.sessions.items()
        }
        for ref, identities in pairing:
            items.setdefault(ref, []).extend((ref, "o", *i[1:]) for i in identities)
        per_ref: dict[str, set[tuple[int, Hashable]]] = {}
        for index, monitor in enumerate(self.monitors):
            for ref, value in monitor.key():
                per_ref.setdefault(ref, set()).add((index, value))
        for ref, values in per_ref.items():
            items.setdefault(ref, []).append((ref, "m", frozenset(values)))
        return frozenset((ref, tuple(found)) for ref, found in items.items())


class Verdict(NamedTuple):
    violations: tuple[Violation, ...]
    coordinator_absorbed: int  # asks the coordinator answered itself (pairing's count)
    judged: tuple[str, ...]  # the properties that judged


def judge(scenario: Scenario, events: Sequence[Event], *, settled: bool) -> Verdict:
    """A finished run judged by the scenario's chosen properties."""
    judged = Judge.of(scenario)
    found = judged.feed_all(trace(scenario, events))
    found += judged.finish(settled=settled, step=len(scenario.steps))
    return Verdict(tuple(found), judged.coordinator_absorbed, judged.names)
