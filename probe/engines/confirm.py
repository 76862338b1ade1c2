"""Replaying a counterexample the model found on a real build: confirmed, disagreeing, or not."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from probe.engines.base import CannotExpress, Engine, ModelEngine
from probe.engines.engine import diff_runs
from probe.scenario.values import Scenario
from probe.strategies import REGISTRY, get_strategy

CONFIRMED = "confirmed"  # the build shows the same violation, event for event as the model
AGREES = "agrees"  # the build's design does not violate it, and the model says so too
DISAGREES = "disagrees"  # the build's events differ from the model's for its design
CANNOT_EXPRESS = "cannot_express"  # the build cannot express the counterexample


@dataclass(frozen=True, slots=True)
class Confirmation:
    engine: str
    design: str | None  # read from the build's coordinator key
    model: str  # the model engine the build was compared with
    status: str
    detail: tuple[str, ...]  # the diff (- model, + build), or why it cannot be expressed
    violations: tuple[str, ...]  # what the build's run violated
    seconds: float

    @property
    def failed(self) -> bool:
        return self.status == DISAGREES

    def as_dict(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "design": self.design,
            "model": self.model,
            "status": self.status,
            "detail": list(self.detail),
            "violations": list(self.violations),
            "seconds": round(self.seconds, 3),
        }


def confirm(scenario: Scenario, found_by: str, invariant: str, build: Engine) -> Confirmation:
    """Replay `scenario` (a counterexample `found_by` a strategy) on `build` and judge it.

    The build is compared with the model of its own design (read from its code): a buggy build
    should show the counterexample's violation, a fixed one should not, and either way its
    events should be the model's. A build whose design cannot be read is compared with the
    strategy that found the counterexample.
    """
    start = time.perf_counter()
    design = build.design
    # The model of the build's own version too, when probe knows that version.
    version = getattr(build, "model_version", None)
    model = ModelEngine(get_strategy(design if design in REGISTRY else found_by), version)
    try:
        real_run = build.replay(scenario)
    except CannotExpress as exc:
        reasons = tuple(f"{i.key}: {i.reason}" for i in exc.items)
        return Confirmation(
            build.name, design, model.name, CANNOT_EXPRESS, reasons, (), time.perf_counter() - start
        )
    diff = diff_runs(model.replay(scenario), real_run)
    violated = tuple(real_run.violation_names)
    if diff:
        status = DISAGREES
    elif invariant in violated:
        status = CONFIRMED
    else:
        status = AGREES
    return Confirmation(
        build.name, design, model.name, status, tuple(diff), violated, time.perf_counter() - start
    )
