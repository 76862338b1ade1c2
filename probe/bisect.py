"""Bisect published builds: the first version whose verdict on a scenario differs from --from's.

The search is pure: it gets the version list and a prober (version -> Probe) and never prints,
installs or reads the clock. `BuildProber` is the prober over real builds (installing on demand);
tests inject their own version lists and installers.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from probe.engines.base import CannotExpress
from probe.engines.cache import PACKAGE, is_installed
from probe.engines.engine import comparable, diff_runs
from probe.engines.errors import EngineError, UndrivableBuild
from probe.engines.harness import inspect_dist
from probe.engines.install import install
from probe.engines.layout import KeyShape, key_shape
from probe.engines.real import RealEngine
from probe.engines.undrivable import undrivable_key, undrivable_problem
from probe.report.json_report import strategy_dict
from probe.report.results import judge
from probe.run import Run
from probe.scenario.values import Scenario

VERDICT = "verdict"  # the build ran the scenario: `verdict` holds the judged value
NO_CODE = "no_code"  # the build predates the stuck-session recovery code
LAYOUT = "layout"  # the code is there in a shape the harness cannot drive faithfully
CANNOT_EXPRESS = "cannot_express"  # the build cannot express some feature of the scenario
FAILED = "failed"  # the harness failed on this build

# What --on can judge by: keys of a strategy in the JSON report.
VERDICT_KEYS = (
    "violations",
    "ok",
    "requested",
    "requested_generations",
    "completed",
    "runtime_outcomes",
    "absorbed_by",
    "expectations",
    "events",
)
DEFAULT_ON = "violations"
# `--on violation:NAME`: the verdict is whether the run violates that one property, so the
# boundary is where a failure class appeared or went away, whatever else changed beside it.
VIOLATION_PREFIX = "violation:"


def check_on(on: str) -> str | None:
    """Why `on` is not something bisect can judge by (None: it is)."""
    if on in VERDICT_KEYS:
        return None
    if on.startswith(VIOLATION_PREFIX):
        name = on.removeprefix(VIOLATION_PREFIX)
        if name and name == name.strip() and all(c.isalnum() or c == "-" for c in name):
            return None
        return f"--on {on!r}: name a property after 'violation:' (e.g. violation:phantom-request)"
    return (
        f"--on {on!r}: choose one of {', '.join(VERDICT_KEYS)}, or violation:NAME for one "
        "property"
    )


@dataclass(frozen=True, slots=True)
class Probe:
    """What one version gave. `verdict` is canonical JSON, comparable across versions."""

    version: str
    status: str
    verdict: str | None = None
    reason: str | None = None
    key: KeyShape = field(default_factory=lambda: KeyShape("unknown"))
    run: Run | None = None
    downloaded: bool = False  # fetched from the registry by this probe (else from the cache)
    seconds: float = 0.0

    @property
    def usable(self) -> bool:
        return self.status == VERDICT


@dataclass(frozen=True, slots=True)
class BisectResult:
    versions: tuple[str, ...]  # the range, in the registry's order
    probes: tuple[Probe, ...]  # in the order they were made
    baseline: Probe | None  # the verdict every other is compared with
    before: Probe | None  # the last version found with the baseline verdict
    after: Probe | None  # the first version found whose verdict differs (None: none does)
    between: tuple[Probe, ...]  # every version between before and after, stepped over
    note: str | None = None  # why there is no baseline or no boundary
    models: bool = False  # the versions' models were probed (`bisect --models`), not builds

    def name(self, version: str) -> str:
        """How a probed version is named: its build, or its model."""
        if not self.models:
            return f"{PACKAGE}@{version}"
        from probe.versions import design_of

        return f"model:{design_of(version)}@{version}"

    @property
    def found(self) -> bool:
        return self.after is not None

    @property
    def unprobed_before_baseline(self) -> tuple[str, ...]:
        """Versions before the baseline that the search left out (see `search`)."""
        if self.baseline is None:
            return ()
        probed = {p.version for p in self.probes}
        first = self.versions.index(self.baseline.version)
        return tuple(v for v in self.versions[:first] if v not in probed)


def verdict_of(run: Run, scenario: Scenario, on: str = DEFAULT_ON) -> str:
    """The value bisect compares, as canonical JSON: a key of the run's JSON report entry."""
    if on == "violations":
        value: Any = run.violation_names
    elif on.startswith(VIOLATION_PREFIX):
        value = on.removeprefix(VIOLATION_PREFIX) in run.violation_names
    elif on == "events":
        value = [json.loads(comparable(e.as_dict())) for e in run.events]
    else:
        result = judge(scenario, "", [run]).strategies[0][1]
        value = strategy_dict(result)[on]
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _order_near(mid: int, low: int, high: int) -> list[int]:
    """mid, then outwards in doubling steps, lower side first (mid-1, mid+1, mid-2, mid+2,
    mid-4, ...), within (low, high).

    Doubling gets out of a run of builds the harness cannot drive in a few probes instead of one
    probe per build; a version it jumps over is never judged, only left out. The lower side
    first: the search is for the first version that differs.
    """
    order = [mid]
    step = 1
    while mid + step < high or mid - step > low:
        order += [mid - step, mid + step]
        step *= 2
    return [i for i in order if low < i < high]


def search(
    versions: Sequence[str],
    probe: Callable[[str], Probe],
) -> BisectResult:
    """The first version after the baseline whose verdict differs from the baseline's.

    The baseline is the first version of the range the harness can drive. When the first version
    has no recovery code, the first that has it is found by bisection (the code was added once);
    if that one cannot be driven, the first that can is found by galloping and bisecting back.
    Then the last version is probed and the range bisected; versions that cannot be driven are
    reported and stepped over, never judged. Like any bisection this finds one boundary: it
    assumes the verdict changes once in the range.
    """
    n = len(versions)
    probed: dict[int, Probe] = {}
    order: list[Probe] = []

    def at(i: int) -> Probe:
        if i not in probed:
            found = probe(versions[i])
            probed[i] = found
            order.append(found)
        return probed[i]

    def done(
        baseline: Probe | None,
        before: Probe | None = None,
        after: Probe | None = None,
        between: tuple[Probe, ...] = (),
        note: str | None = None,
    ) -> BisectResult:
        return BisectResult(tuple(versions), tuple(order), baseline, before, after, between, note)

    if n == 0:
        return done(None, note="no version in the range")
    start = 0
    if at(0).status == NO_CODE and n > 1:
        if at(n - 1).status == NO_CODE:
            return done(None, note="no version in the range has the stuck-session recovery code")
        low, high = 0, n - 1  # low: no code; high: has it (drivable or not)
        while high - low > 1:
            mid = (low + high) // 2
            if at(mid).status == NO_CODE:
                low = mid
            else:
                high = mid
        start = high

    def inexpressible(i: int) -> BisectResult:
        # The scenario asks for something the builds cannot do: stepping on would install
        # every version to hear the same.
        return done(
            None, note=f"openclaw@{versions[i]} cannot express the scenario: {at(i).reason}"
        )

    if not at(start).usable:
        # The first drivable version: gallop (start+1, +2, +4, ...) to one, then bisect back,
        # taking the versions that cannot be driven as one run (as layouts change, they come
        # in runs); if galloping finds none, walk everything it jumped over.
        if at(start).status == CANNOT_EXPRESS:
            return inexpressible(start)
        undrivable, drivable, step = start, None, 1
        while drivable is None and undrivable + step < n:
            i = undrivable + step
            if at(i).usable:
                drivable = i
            elif at(i).status == CANNOT_EXPRESS:
                return inexpressible(i)
            else:
                undrivable, step = i, step * 2
        if drivable is None:
            for i in range(start + 1, n):
                if at(i).usable:
                    drivable, undrivable = i, i - 1
                    break
                if at(i).status == CANNOT_EXPRESS:
                    return inexpressible(i)
        if drivable is None:
            return done(None, note="no version in the range can be driven by the harness")
        while drivable - undrivable > 1:
            mid = (undrivable + drivable) // 2
            if at(mid).usable:
                drivable = mid
            elif at(mid).status == CANNOT_EXPRESS:
                return inexpressible(mid)
            else:
                undrivable = mid
        start = drivable
    baseline = at(start)

    low, high = start, n  # low: baseline verdict; high: differs (n: none found yet)
    if n - 1 > start:
        last = at(n - 1)
        if last.usable:
            high = n - 1 if last.verdict != baseline.verdict else n
            if high == n:
                return done(
                    baseline,
                    before=last,
                    note=f"the last version, {last.version}, gives the baseline verdict",
                )
    while True:
        candidates = [i for i in range(low + 1, high) if i not in probed]
        if not candidates:
            break
        mid = (low + high) // 2
        pick = next((i for i in _order_near(mid, low, high) if i not in probed), None)
        if pick is None:
            pick = min(candidates, key=lambda i: (abs(i - mid), i))
        result = at(pick)
        if not result.usable:
            continue
        if result.verdict == baseline.verdict:
            low = pick
        else:
            high = pick
    if high == n:
        return done(
            baseline,
            before=probed[low],
            note="no version after the baseline that the harness can drive gives another verdict",
        )
    between = tuple(probed[i] for i in range(low + 1, high))
    return done(baseline, probed[low], probed[high], between)


Installer = Callable[[str], tuple[Path, bool]]
"""version -> (its dist/ folder, whether it was downloaded now); raises UndrivableBuild."""


def install_on_demand(progress: Callable[[str], None] | None = None) -> Installer:
    """The real installer: the cache, else the npm registry."""

    def installer(version: str) -> tuple[Path, bool]:
        was = is_installed(version)
        return install(version, progress), not was

    return installer


class BuildProber:
    """Probes a version: install it (or not), check the harness can drive it, replay, judge."""

    def __init__(self, scenario: Scenario, on: str, installer: Installer) -> None:
        self.scenario = scenario
        self.on = on
        self.installer = installer

    def __call__(self, version: str) -> Probe:
        start = time.perf_counter()

        def took() -> float:
            return time.perf_counter() - start

        name = f"{PACKAGE}@{version}"
        try:
            dist, downloaded = self.installer(version)
        except UndrivableBuild as exc:
            known = undrivable_key(version) or {}
            key = KeyShape(
                str(known.get("shape", "unknown")),
                known.get("line"),
                known.get("chunk"),
                known.get("lineno"),
            )
            return Probe(
                version,
                exc.status,
                reason=exc.problems[0] if exc.problems else str(exc),
                key=key,
                downloaded=not exc.remembered,
                seconds=took(),
            )
        key = key_shape(dist)
        problem = undrivable_problem(inspect_dist(dist), name)
        if problem is not None:
            reason = problem.problems[0] if problem.problems else problem.message
            return Probe(version, problem.status, None, reason, key, None, downloaded, took())
        engine = RealEngine(version, dist)
        try:
            run = engine.replay(self.scenario)
        except CannotExpress as exc:
            reason = "; ".join(f"{i.key}: {i.reason}" for i in exc.items)
            return Probe(version, CANNOT_EXPRESS, None, reason, key, None, downloaded, took())
        except EngineError as exc:
            return Probe(version, FAILED, None, exc.message, key, None, downloaded, took())
        finally:
            engine.close()  # each version is probed once: its process is not needed again
        verdict = verdict_of(run, self.scenario, self.on)
        return Probe(version, VERDICT, verdict, None, key, run, downloaded, took())


class ModelProber:
    """Probes the model of a version (`model:DESIGN@VERSION`, DESIGN the version's own):
    nothing to install, every known version drivable. For `bisect --models`, and for asking
    where the models place a boundary before downloading a build."""

    def __init__(self, scenario: Scenario, on: str) -> None:
        self.scenario = scenario
        self.on = on

    def __call__(self, version: str) -> Probe:
        from probe.engines.engine import model_engine
        from probe.versions import design_of

        start = time.perf_counter()
        design = design_of(version)
        shape = KeyShape("ref:generation" if design == "buggy" else "ref")
        run = model_engine(f"{design}@{version}").replay(self.scenario)
        verdict = verdict_of(run, self.scenario, self.on)
        took = time.perf_counter() - start
        return Probe(version, VERDICT, verdict, None, shape, run, False, took)


def first_with_code(known: Sequence[str]) -> str | None:
    """Where a bisect of published builds starts unless told: the first version with the
    stuck-session recovery code (probe's table), when the registry lists it. Older builds
    have none: downloading them only to step over them costs hundreds of MB."""
    from probe.versions import VERSIONS

    first = next(iter(VERSIONS))
    return first if first in known else None


def select_range(
    versions: Sequence[str], first: str | None, last: str | None, *, stable: bool
) -> list[str]:
    """The versions from `first` to `last` inclusive, in the given order; ValueError if unknown.

    `stable` leaves out prereleases (a `-` in the version), except `first` and `last` themselves.
    """
    index = {v: i for i, v in enumerate(versions)}
    for label, value in (("--from", first), ("--to", last)):
        if value is not None and value not in index:
            raise ValueError(f"{label} {value}: not a published version of {PACKAGE}")
    lo = index[first] if first is not None else 0
    hi = index[last] if last is not None else len(versions) - 1
    if lo > hi:
        raise ValueError(f"--from {first} comes after --to {last} in the registry's order")
    chosen = list(versions[lo : hi + 1])
    if stable:
        keep = {first, last}
        chosen = [v for v in chosen if "-" not in v or v in keep]
    return chosen


def boundary_diff(result: BisectResult) -> list[str]:
    """How the event streams on either side of the boundary differ (none without one)."""
    if result.before is None or result.after is None:
        return []
    if result.before.run is None or result.after.run is None:
        return []
    return diff_runs(result.before.run, result.after.run)
