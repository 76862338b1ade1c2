"""explore's `own` action: a run registering mid-search, which class 9's identity failure needs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from probe.explore.search import explore
from probe.explore.values import DEFAULT_ACTIONS, ExploreConfig
from probe.properties.identity import FRESH_RUN_UNTOUCHED
from probe.properties.selection import Choice
from probe.scenario.files import read_scenario
from probe.scenario.values import Own
from probe.strategies import REGISTRY, AtVersion
from tests.conftest import SCENARIOS
from tests.helpers import invoke

# The c9 failure's session, with no steps: the search chooses them.
SEED = replace(
    read_scenario(SCENARIOS / "failures" / "c9-replacement-run-force-cleared.toml", REGISTRY),
    steps=(),
    step_lines=(),
    expect=(),
    properties=Choice(only=(FRESH_RUN_UNTOUCHED,)),
)
OWN = ExploreConfig(depth=4, actions=("tick", "own", "advance"))


def _found(version: str) -> list[str]:
    result = explore(SEED, AtVersion(REGISTRY["fixed"], version), OWN)
    return [
        " ".join(type(step).__name__ for step in c.trace)
        for c in result.counterexamples
        if c.invariant == FRESH_RUN_UNTOUCHED
    ]


def test_own_finds_the_replacement_run_force_cleared_where_the_failure_is_and_only_there() -> None:
    # tick (the request), own (a run registers during the drain), tick (the drain's settle
    # timer force-clears the new run on its way): 7.1 has issue 104589, 7.2-beta.5 fixed it.
    assert _found("2026.7.1") == ["Tick Own Tick"]
    assert _found("2026.7.2-beta.5") == []
    assert _found("2026.9.6") == []


def test_own_is_searched_only_when_named() -> None:
    assert "own" not in DEFAULT_ACTIONS
    result = explore(SEED, AtVersion(REGISTRY["fixed"], "2026.7.1"), ExploreConfig(depth=4))
    assert not any(isinstance(s, Own) for c in result.counterexamples for s in c.trace)


def test_the_fixpoint_refuses_own_and_a_search_refuses_two_versions_of_one_design(
    tmp_path: Path,
) -> None:
    code, _, err = invoke("explore", "--fixpoint", "--actions", "tick,own", "--no-write")
    assert code == 2 and "does not cover the own action" in err
    code, _, err = invoke(
        "explore", "-e", "model:fixed@2026.7.1", "-e", "model:fixed@2026.9.6", "--no-write"
    )
    assert code == 2 and "one engine per design" in err
