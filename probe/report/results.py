"""Report values: per scenario, per strategy, what ran and how it was judged."""

from __future__ import annotations

from dataclasses import dataclass, replace

from probe.expectations import ExpectationResult, evaluate, strategy_ok
from probe.replay import first_divergence
from probe.run import Run
from probe.scenario.values import Scenario


@dataclass(frozen=True, slots=True)
class StrategyResult:
    run: Run
    expectations: tuple[ExpectationResult, ...]
    ok: bool


@dataclass(frozen=True, slots=True)
class Unexpressed:
    """One feature an engine cannot express: where it is in the file, and why."""

    key: str
    line: int | None
    reason: str


@dataclass(frozen=True, slots=True)
class NotComparable:
    """An engine that could not replay the scenario at all; nothing was approximated."""

    engine: str
    items: tuple[Unexpressed, ...]


@dataclass(frozen=True, slots=True)
class EngineFailed:
    """An engine whose build crashed, hung or broke the protocol on this scenario: a failure
    of the scenario, with the reason; the other scenarios still run."""

    engine: str
    reason: str


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    scenario: Scenario
    path: str
    strategies: tuple[tuple[str, StrategyResult], ...]
    divergence: int | None
    not_comparable: tuple[NotComparable, ...] = ()
    failed: tuple[EngineFailed, ...] = ()

    @property
    def ok(self) -> bool:
        return all(r.ok for _, r in self.strategies) and not self.failed


@dataclass(frozen=True, slots=True)
class Report:
    scenarios: tuple[ScenarioResult, ...]

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.scenarios)

    @property
    def compared(self) -> int:
        """How many runs there are to judge (not-comparable engines have none)."""
        return sum(len(s.strategies) for s in self.scenarios)

    @property
    def not_comparable(self) -> int:
        return sum(len(s.not_comparable) for s in self.scenarios)

    @property
    def failed_engines(self) -> int:
        return sum(len(s.failed) for s in self.scenarios)


def judge(
    scenario: Scenario,
    path: str,
    runs: list[Run],
    *,
    key_by_engine: bool = False,
    not_comparable: tuple[NotComparable, ...] = (),
    failed: tuple[EngineFailed, ...] = (),
) -> ScenarioResult:
    """Each run is held to the [expect.*] table of its strategy (a real build's: its design)."""
    results = []
    for run in runs:
        exp = scenario.expectation(run.strategy, run.version)
        checks = tuple(evaluate(exp, run)) if exp is not None else ()
        key = run.engine if key_by_engine else run.strategy
        results.append((key, StrategyResult(run, checks, strategy_ok(exp, run))))
    # A run's notes (probe.notes) are the scenario's: every strategy sees the same steps.
    notes = list(scenario.notes)
    notes += [n for run in runs for n in run.notes if n not in notes]
    if len(notes) > len(scenario.notes):
        scenario = replace(scenario, notes=tuple(dict.fromkeys(notes)))
    return ScenarioResult(
        scenario, path, tuple(results), first_divergence(runs), not_comparable, failed
    )
