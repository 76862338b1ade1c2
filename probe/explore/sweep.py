"""Sweeps: one search per value of a setting, the shortest violations at each."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from probe.explore.search import explore
from probe.explore.values import ExploreConfig
from probe.scenario.values import Scenario
from probe.strategies import DedupStrategy

# The integer settings a sweep varies.
SWEEPABLE = ("heartbeat_ms", "warn_ms", "settle_ms", "tick_late_ms")


def column(strategy: DedupStrategy) -> str:
    """A strategy's column: its name, with the version whose behaviour it has (two versions of
    one design are two columns, not one overwritten)."""
    version = getattr(strategy, "version", None)
    return strategy.name if version is None else f"{strategy.name}@{version}"


def sweep(
    seed: Scenario,
    strategies: Iterable[DedupStrategy],
    config: ExploreConfig,
    key: str,
    values: Iterable[int],
    *,
    stop: Callable[[], bool] = lambda: False,
) -> list[dict[str, Any]]:
    """A search per value of a setting (heartbeat_ms, warn_ms, settle_ms or tick_late_ms, how
    late every heartbeat fires): for each value, the shortest trace length of every violation
    each strategy can reach. `stop` bounds them all (a time limit): a search it stops is marked
    `bound_hit` in its row."""
    if key not in SWEEPABLE:
        raise ValueError(f"{key!r} is not a setting a sweep can vary")
    picked = list(strategies)
    rows: list[dict[str, Any]] = []
    for value in values:
        settings = seed.settings
        match key:
            case "heartbeat_ms":
                settings = replace(settings, heartbeat_ms=value)
            case "warn_ms":
                settings = replace(settings, warn_ms=value)
            case "settle_ms":
                settings = replace(settings, settle_ms=value)
            case _:
                settings = replace(settings, tick_late_ms=value)
        varied = replace(seed, settings=settings)
        row: dict[str, Any] = {key: value}
        for s in picked:
            result = explore(varied, s, config, stop=stop)
            row[column(s)] = {c.invariant: len(c.trace) for c in result.counterexamples}
            if result.bound_hit is not None:
                row.setdefault("bound_hit", {})[column(s)] = result.bound_hit
        rows.append(row)
    return rows
