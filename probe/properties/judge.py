"""The judge: the selected properties' monitors fed one trace, the world's truth beside them."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import NamedTuple

from probe.invariants import Violation
from probe.model.events import Event
from probe.properties.base import Monitor
from probe.properties.catalogue import CATALOGUE
from probe.properties.trace import Moment, Truth, trace
from probe.scenario.values import Scenario


class Judge:
    """Feed it moments in order; a search clones it where it branches and keys on `key()`."""

    __slots__ = ("monitors", "names", "truth")

    def __init__(self, truth: Truth, monitors: list[Monitor], names: tuple[str, ...]) -> None:
        self.truth = truth
        self.monitors = monitors
        self.names = names  # the properties judging, in catalogue order

    @classmethod
    def of(cls, scenario: Scenario) -> Judge:
        choice = scenario.properties
        chosen = choice.selected(CATALOGUE)
        return cls(
            Truth.of(scenario),
            [p.monitor(choice.params_of(p)) for p in chosen],
            tuple(p.name for p in chosen),
        )

    @property
    def coordinator_absorbed(self) -> int:
        return self.truth.pairing.coordinator_absorbed

    def feed(self, moment: Moment) -> list[Violation]:
        self.truth.apply(moment)
        found: list[Violation] = []
        for monitor in self.monitors:
            found += monitor.observe(moment, self.truth)
        return found

    def feed_all(self, moments: Iterable[Moment]) -> list[Violation]:
        return [v for m in moments for v in self.feed(m)]

    def finish(self, *, settled: bool, step: int) -> list[Violation]:
        return [v for m in self.monitors for v in m.finish(self.truth, settled=settled, step=step)]

    def clone(self) -> Judge:
        return Judge(self.truth.clone(), [m.clone() for m in self.monitors], self.names)

    def key(self) -> Hashable:
        return (self.truth.key(), tuple(m.key() for m in self.monitors))


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
