"""Conformance: a scenario replayed on the model and on a real build, and their verdict."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from probe.errors import UsageError
from probe.strategies import REGISTRY

if TYPE_CHECKING:  # the engine modules are imported where used: they are slow to import
    from probe.engines.base import Engine
    from probe.scenario.values import Scenario
    from probe.strategies import DedupStrategy


@dataclass(frozen=True, slots=True)
class PairResult:
    """One model/build pair on one scenario: whether their event streams agree."""

    model: str
    real: str
    status: str  # agree | differ | not_comparable | failed (the build crashed or hung)
    detail: tuple[str, ...]  # the diff, or why it could not be compared
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "real": self.real,
            "status": self.status,
            "detail": list(self.detail),
            "seconds": round(self.seconds, 3),
        }


def conform_one(scenario: Scenario, model: Engine, build: Engine) -> PairResult:
    """Replay the scenario on the build, then on the model, and diff the two event streams."""
    from probe.engines.base import CannotExpress
    from probe.engines.engine import diff_runs
    from probe.engines.errors import ReplayFailed

    start = time.perf_counter()
    try:
        real_run = build.replay(scenario)
    except ReplayFailed as exc:  # this scenario fails; the next gets a new process
        return PairResult(
            model.name, build.name, "failed", (exc.message,), time.perf_counter() - start
        )
    except CannotExpress as exc:
        reasons = tuple(f"{i.key}: {i.reason}" for i in exc.items)
        return PairResult(
            model.name, build.name, "not_comparable", reasons, time.perf_counter() - start
        )
    try:
        model_run = model.replay(scenario)
    except CannotExpress as exc:  # what the model of the version leaves out (switch notes)
        reasons = tuple(f"{i.key}: {i.reason}" for i in exc.items)
        return PairResult(
            model.name, build.name, "not_comparable", reasons, time.perf_counter() - start
        )
    diff = diff_runs(model_run, real_run)
    return PairResult(
        model.name,
        build.name,
        "differ" if diff else "agree",
        tuple(diff),
        time.perf_counter() - start,
    )


def own_model(strategy: DedupStrategy, version: str | None, engine: Engine) -> Engine:
    """The model to hold a build against: its version's, or for a build of your own, the
    switches read from its code (all off where some cannot be read)."""
    from probe.engines.base import ModelEngine
    from probe.engines.local import LocalEngine
    from probe.engines.switches import switches_in_dist

    if version is not None or not isinstance(engine, LocalEngine):
        return ModelEngine(strategy, version)
    read = switches_in_dist(engine.local.dist)
    if any(v is None for v in read.values()):
        return ModelEngine(strategy)
    named = engine.package_version
    return ModelEngine(strategy, named, tuple(n for n, on in read.items() if on))


def _resolve(spec: str, progress: Callable[[str, str], None] | None) -> Engine:
    from probe.engines.engine import resolve

    return resolve(spec, partial(progress, spec) if progress is not None else None)


def pairs_to_compare(
    specs: list[str] | None,
    builds: list[str] | None = None,
    progress: Callable[[str, str], None] | None = None,
) -> list[tuple[Engine, Engine]]:
    """The (model, build) pairs: --pair model:NAME=ENGINE as given; --engine ENGINE against
    the model of its own design. `progress(spec, message)` hears a build's first use."""
    from probe.engines.base import ModelEngine
    from probe.engines.engine import DEFAULT_PAIRS

    resolve_engine = partial(_resolve, progress=progress)

    if not specs and not builds:
        return [(resolve_engine(m), resolve_engine(r)) for m, r in DEFAULT_PAIRS]
    found: list[tuple[Engine, Engine]] = []
    for spec in specs or []:
        model, sep, build = spec.partition("=")
        if not sep or not model.startswith("model:"):
            raise UsageError(
                f"--pair {spec!r}: expected model:NAME=openclaw@VERSION or model:NAME=PATH "
                "(a dist/ folder, a package folder holding one, or a .tgz made by npm pack)"
            )
        found.append((resolve_engine(model), resolve_engine(build)))
    for spec in builds or []:
        engine = resolve_engine(spec)
        if isinstance(engine, ModelEngine):
            raise UsageError(f"--engine {spec}: conform compares a real build with the model")
        design = engine.design
        if design not in REGISTRY:
            raise UsageError(
                f"--engine {spec}: its coordinator key shape cannot be read (see probe engines "
                f"inspect {spec}); name the model to compare with: --pair model:NAME={spec}"
            )
        # The model of its own design and, when probe knows it, of its own version; a build of
        # a version probe does not know (your own) gets the switches read from its code.
        version = getattr(engine, "model_version", None)
        found.append((own_model(REGISTRY[design], version, engine), engine))
    return found
