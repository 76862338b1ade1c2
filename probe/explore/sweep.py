"""Sweeps: one search per value of a setting, the shortest violations at each."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from probe.explore.search import explore
from probe.explore.values import ExploreConfig
from probe.scenario.values import Scenario
from probe.strategies import DedupStrategy


def sweep(
    seed: Scenario,
    strategies: Iterable[DedupStrategy],
    config: ExploreConfig,
    key: str,
    values: Iterable[int],
    *,
    stop: Callable[[], bool] = lambda: False,
) -> list[dict[str, Any]]:
    """A search per value of a setting (heartbeat_ms, warn_ms or settle_ms): for each value, the
    shortest trace length of every violation each strategy can reach. `stop` bounds them all
    (a time limit): a search it stops is marked `bound_hit` in its row."""
    picked = list(strategies)
    rows: list[dict[str, Any]] = []
    for value in values:
        settings = seed.settings
        if key == "heartbeat_ms":
            settings = replace(settings, heartbeat_ms=value)
        elif key == "warn_ms":
            settings = replace(settings, warn_ms=value)
        else:
            settings = replace(settings, settle_ms=value)
        varied = replace(seed, settings=settings)
        row: dict[str, Any] = {key: value}
        for s in picked:
            result = explore(varied, s, config, stop=stop)
            row[s.name] = {c.invariant: len(c.trace) for c in result.counterexamples}
            if result.bound_hit is not None:
                row.setdefault("bound_hit", {})[s.name] = result.bound_hit
        rows.append(row)
    return rows
