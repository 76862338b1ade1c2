"""What made a strategy fail, one item per broken expectation or violated invariant."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from probe.report.results import ScenarioResult, StrategyResult
from probe.scenario.values import Scenario


@dataclass(frozen=True, slots=True)
class Failure:
    """One reason a strategy's run failed; `step` is 1-based where the failure has one."""

    kind: Literal["expectation", "invariant"]
    key: str
    message: str
    step: int | None = None

    def render(self) -> str:
        if self.kind == "expectation":
            return f"expect {self.key}: {self.message}"
        at = f" at step {self.step}" if self.step is not None else ""
        return f"{self.key}{at}: {self.message}"


def show(value: object) -> str:
    """An expectation value as the scenario file writes it."""
    return json.dumps(value, ensure_ascii=False)


def failures(sr: ScenarioResult, name: str, result: StrategyResult) -> list[Failure]:
    """Why `result` is not ok: nothing when it is.

    With expectations, each broken one (and, for `violations`, every violation nobody
    expected, at its step); without, every violated invariant.
    """
    if result.ok:
        return []
    run = result.run
    if sr.scenario.expectation(run.strategy, run.version) is None:
        return [Failure("invariant", v.invariant, v.message, v.step) for v in run.violations]
    found: list[Failure] = []
    unexpected: list[Failure] = []
    for e in result.expectations:
        if e.ok:
            continue
        found.append(
            Failure("expectation", e.key, f"expected {show(e.expected)}, got {show(e.actual)}")
        )
        if e.key == "violations" and isinstance(e.expected, list):
            unexpected += [
                Failure("invariant", v.invariant, f"{v.message} (not expected)", v.step)
                for v in run.violations
                if v.invariant not in e.expected
            ]
    return found + unexpected


def step_line(scenario: Scenario, step: int | None) -> int | None:
    """The line of the step's [[step]] header in the scenario file, when known."""
    if step is None or not 1 <= step <= len(scenario.step_lines):
        return None
    return scenario.step_lines[step - 1]
