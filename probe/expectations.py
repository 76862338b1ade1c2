"""Compare a run with what its scenario expects of that strategy."""

from __future__ import annotations

from dataclasses import dataclass

from probe.run import Run
from probe.scenario.values import Expectation

Value = int | list[int] | list[str] | dict[str, int]


@dataclass(frozen=True, slots=True)
class ExpectationResult:
    key: str
    expected: Value
    actual: Value

    @property
    def ok(self) -> bool:
        return self.expected == self.actual

    def as_dict(self) -> dict[str, Value | bool | str]:
        return {"key": self.key, "expected": self.expected, "actual": self.actual, "ok": self.ok}


def expectation_of(run: Run) -> Expectation:
    """What a run did, as an [expect.*] table that holds it to exactly that."""
    absorbed = run.absorbed_by
    return Expectation(
        requested=run.requested,
        requested_generations=tuple(run.requested_generations),
        completed=run.completed,
        runtime_outcomes=run.runtime_outcomes,
        violations=tuple(run.violation_names),
        absorbed_by_coordinator=absorbed["coordinator"],
        absorbed_by_runtime=absorbed["runtime"],
    )


def evaluate(exp: Expectation, run: Run) -> list[ExpectationResult]:
    out: list[ExpectationResult] = []
    if exp.requested is not None:
        out.append(ExpectationResult("requested", exp.requested, run.requested))
    if exp.requested_generations is not None:
        out.append(
            ExpectationResult(
                "requested_generations", list(exp.requested_generations), run.requested_generations
            )
        )
    if exp.completed is not None:
        out.append(ExpectationResult("completed", exp.completed, run.completed))
    if exp.runtime_outcomes is not None:
        out.append(
            ExpectationResult(
                "runtime_outcomes", list(exp.runtime_outcomes), list(run.runtime_outcomes)
            )
        )
    if exp.absorbed_by_coordinator is not None:
        out.append(
            ExpectationResult(
                "absorbed_by.coordinator",
                exp.absorbed_by_coordinator,
                run.absorbed_by["coordinator"],
            )
        )
    if exp.absorbed_by_runtime is not None:
        out.append(
            ExpectationResult(
                "absorbed_by.runtime", exp.absorbed_by_runtime, run.absorbed_by["runtime"]
            )
        )
    if exp.violations is not None:
        # A property left out (--skip-invariant, [properties]) can neither hold nor fail.
        expected = {v for v in exp.violations if run.judged is None or v in run.judged}
        out.append(ExpectationResult("violations", sorted(expected), run.violation_names))
    return out


def strategy_ok(exp: Expectation | None, run: Run) -> bool:
    """With expectations: all hold. Without: no invariant is violated."""
    if exp is None:
        return not run.violations
    return all(r.ok for r in evaluate(exp, run))
