"""probe diff groups its differences by the property one side alone violates."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from typer.testing import CliRunner

from probe.cli import app
from probe.diff import EnginePair, compare_engines, property_split
from probe.engines.base import ModelEngine
from probe.engines.engine import model_engine
from probe.replay import replay
from probe.run import Run
from probe.scenario.files import read_scenario
from probe.scenario.generate import generate_many
from probe.scenario.values import Scenario
from probe.strategies import REGISTRY
from tests.conftest import SCENARIOS

BUGGY, FIXED = ModelEngine(REGISTRY["buggy"]), ModelEngine(REGISTRY["fixed"])
HOLD = read_scenario(SCENARIOS / "issue-bump-hold.toml", REGISTRY.keys())
CONTROL = read_scenario(SCENARIOS / "issue-control-hold.toml", REGISTRY.keys())
FAILURES = SCENARIOS / "failures"


def test_the_split_names_the_side_that_alone_violates() -> None:
    buggy, fixed = replay(HOLD, REGISTRY["buggy"]), replay(HOLD, REGISTRY["fixed"])
    assert property_split(buggy, fixed) == (("phantom-request", "a"),)
    assert property_split(fixed, buggy) == (("phantom-request", "b"),)
    assert property_split(buggy, buggy) == ()
    control = replay(CONTROL, REGISTRY["buggy"]), replay(CONTROL, REGISTRY["fixed"])
    assert property_split(*control) == ()


def test_random_differences_group_by_the_phantom_and_the_rest_stays_apart() -> None:
    result = compare_engines(EnginePair(BUGGY, FIXED), generate_many(3, 200))
    groups = result.by_property()
    assert groups and groups[0][:2] == ("phantom-request", "a")
    # Every difference sits in exactly the groups of its split, and shrinking kept the split:
    # the minimal scenario still shows buggy alone violating the property.
    for name, side, found in groups:
        for d in found:
            assert (name, side) in d.properties or (name is None and not d.properties)
            assert property_split(*d.runs) == d.properties
    assert sum(len(f) for _, _, f in groups) >= len(result.differences)
    phantom = groups[0][2]
    assert all("phantom-request" in d.runs[0].violation_names for d in phantom)
    assert all("phantom-request" not in d.runs[1].violation_names for d in phantom)


@dataclass(frozen=True)
class Unjudged:
    """A model engine whose runs violate nothing (as if every property were left out)."""

    version: str

    @property
    def name(self) -> str:
        return f"model:fixed@{self.version}"

    @property
    def design(self) -> str:
        return "fixed"

    def replay(self, scenario: Scenario) -> Run:
        run = model_engine(f"fixed@{self.version}").replay(scenario)
        return replace(run, violations=())


def test_differences_where_no_side_alone_violates_anything_are_one_group() -> None:
    files = [(p.name, read_scenario(p, REGISTRY.keys())) for p in sorted(FAILURES.glob("c5*"))]
    pair = EnginePair(Unjudged("2026.5.31-beta.3"), Unjudged("2026.5.31-beta.4"))
    result = compare_engines(pair, files)
    assert result.differences
    assert [(n, s) for n, s, _ in result.by_property()] == [(None, None)]
    assert all(d.properties == () for d in result.differences)


def test_the_cli_prints_the_groups_in_every_format(tmp_path: Path) -> None:
    runner = CliRunner()
    hold = str(SCENARIOS / "issue-bump-hold.toml")
    ctrl = str(SCENARIOS / "issue-control-hold.toml")
    args = ["diff", "model:fixed", "model:buggy", hold, ctrl, "--no-write"]
    table = runner.invoke(app, args)
    assert table.exit_code == 1
    assert (
        "differences by property (1 group(s)):\n"
        "  [1] phantom-request: violated by model:buggy only\n"
        "      [1] model:buggy emits session.recovery.requested where model:fixed emits nothing\n"
    ) in table.stdout
    doc = json.loads(runner.invoke(app, [*args, "-f", "json"]).stdout)
    assert doc["properties"] == [
        {
            "count": 1,
            "kinds": [
                {
                    "count": 1,
                    "kind": "model:buggy emits session.recovery.requested where model:fixed "
                    "emits nothing",
                }
            ],
            "property": "phantom-request",
            "sources": [hold],
            "violated_by": "model:buggy",
        }
    ]
    assert doc["differences"][0]["properties"] == [
        {"property": "phantom-request", "violated_by": "model:buggy"}
    ]
    assert doc["kinds"][0]["example"]["properties"] == doc["differences"][0]["properties"]
    md = runner.invoke(app, [*args, "-f", "markdown"]).stdout
    assert "| 1 | phantom-request: violated by model:buggy only | model:buggy emits" in md
