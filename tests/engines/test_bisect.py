"""probe bisect: the search over fake version lists, the step-over path, the real registry."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from probe.bisect import (
    CANNOT_EXPRESS,
    LAYOUT,
    NO_CODE,
    VERDICT,
    BuildProber,
    Probe,
    _order_near,
    search,
    select_range,
)
from probe.cli import app
from probe.engines.cache import is_installed
from tests.conftest import ROOT
from tests.engines.support import BUILDS, broken_layout, needs_real_builds, without_code
from tests.helpers import load

ENV = {"COLUMNS": "140", "NO_COLOR": "1", "TERM": "dumb"}
SCENARIO = ROOT / "scenarios" / "issue-bump-hold.toml"


class Registry:
    """A fake registry: each version's status and verdict, and which ones were probed."""

    def __init__(self, statuses: list[str]) -> None:
        # "A"/"B": verdicts; "-": no code; "L": layout; "X": cannot express
        self.versions = [f"1.{i}.0" for i in range(len(statuses))]
        self.statuses = dict(zip(self.versions, statuses, strict=True))
        self.probed: list[str] = []

    def __call__(self, version: str) -> Probe:
        assert version not in self.probed, f"{version} probed twice"
        self.probed.append(version)
        status = self.statuses[version]
        if status in ("A", "B"):
            return Probe(version, VERDICT, verdict=json.dumps(status))
        kind = {"-": NO_CODE, "L": LAYOUT, "X": CANNOT_EXPRESS}[status]
        return Probe(version, kind, reason=f"{kind} in {version}")

    def index(self, probe: Probe | None) -> int | None:
        return None if probe is None else self.versions.index(probe.version)


def bound(n: int) -> int:
    return math.ceil(math.log2(n)) + 3


@pytest.mark.parametrize("n", [2, 3, 5, 16, 33, 100])
def test_every_boundary_position_is_found_within_the_bound(n: int) -> None:
    for first_b in range(1, n):
        registry = Registry(["A"] * first_b + ["B"] * (n - first_b))
        result = search(registry.versions, registry)
        assert registry.index(result.before) == first_b - 1
        assert registry.index(result.after) == first_b
        assert result.between == ()
        assert len(registry.probed) <= bound(n), (first_b, registry.probed)


def test_the_published_landscape() -> None:
    # As on the registry: no code, then code the harness cannot drive, four buggy builds, fixed
    # ones, and a long tail in a layout the harness cannot drive.
    statuses = ["-"] * 60 + ["L"] * 15 + ["A"] * 4 + ["B"] * 20 + ["L"] * 30
    registry = Registry(statuses)
    result = search(registry.versions, registry)
    assert result.baseline is not None and registry.index(result.baseline) == 75
    assert (registry.index(result.before), registry.index(result.after)) == (78, 79)
    assert sum(1 for v in registry.probed if registry.statuses[v] == "-") <= 7
    # Installed (drivable) builds stay within the bound for the versions that have the code;
    # the undrivable ones are downloaded only to be told apart, and a few of them suffice.
    installed = [v for v in registry.probed if registry.statuses[v] in "AB"]
    assert len(installed) <= bound(len(statuses) - 60)
    assert len(registry.probed) <= 30
    assert len(result.unprobed_before_baseline) == 75 - sum(
        1 for v in registry.probed if registry.versions.index(v) < 75
    )


def test_undrivable_versions_between_are_stepped_over_not_judged() -> None:
    registry = Registry(["A", "A", "L", "X", "L", "B", "B"])
    result = search(registry.versions, registry)
    assert (registry.index(result.before), registry.index(result.after)) == (1, 5)
    assert [p.status for p in result.between] == [LAYOUT, CANNOT_EXPRESS, LAYOUT]


def test_an_undrivable_first_version_moves_the_baseline() -> None:
    registry = Registry(["-"] * 40 + ["L", "L", "A", "A", "B"])
    result = search(registry.versions, registry)
    assert result.baseline is not None and registry.index(result.baseline) == 42
    assert registry.index(result.after) == 44
    # The versions without the code are bisected (the code is added once), not walked.
    without = [v for v in registry.probed if registry.statuses[v] == "-"]
    assert len(without) <= math.ceil(math.log2(45))


def test_no_boundary_and_no_baseline() -> None:
    same = Registry(["A", "L", "A", "A"])
    result = search(same.versions, same)
    assert not result.found and result.note and "baseline verdict" in result.note
    nothing = Registry(["-", "-", "-"])
    result = search(nothing.versions, nothing)
    assert result.baseline is None and "recovery code" in str(result.note)
    undrivable = Registry(["L", "L"])
    result = search(undrivable.versions, undrivable)
    assert result.baseline is None and "can be driven" in str(result.note)
    inexpressible = Registry(["X", "A", "B"])
    result = search(inexpressible.versions, inexpressible)
    assert result.baseline is None and "cannot express" in str(result.note)
    assert inexpressible.probed == ["1.0.0"]


def test_order_near_doubles_outwards_within_the_range() -> None:
    assert _order_near(10, 0, 30) == [10, 9, 11, 8, 12, 6, 14, 2, 18, 26]
    assert _order_near(3, 2, 5) == [3, 4]


def test_select_range() -> None:
    versions = ["1.0.0", "1.1.0-beta.1", "1.1.0", "1.2.0-beta.1", "1.2.0", "2.0.0"]
    assert select_range(versions, "1.1.0", "1.2.0", stable=False) == versions[2:5]
    assert select_range(versions, None, None, stable=True) == ["1.0.0", "1.1.0", "1.2.0", "2.0.0"]
    assert select_range(versions, "1.1.0-beta.1", None, stable=True)[0] == "1.1.0-beta.1"
    with pytest.raises(ValueError, match="not a published version"):
        select_range(versions, "9.9.9", None, stable=False)
    with pytest.raises(ValueError, match="comes after"):
        select_range(versions, "2.0.0", "1.0.0", stable=False)


@needs_real_builds
def test_a_build_without_the_code_and_a_broken_layout_are_stepped_over(
    builds: dict[str, Path], tmp_path: Path
) -> None:
    dists = {
        "0.1.0": without_code(tmp_path / "old"),
        "0.2.0": builds["buggy"],
        "0.3.0": broken_layout(builds["buggy"], tmp_path / "broken"),
        "0.4.0": builds["fixed"],
    }
    installed: list[str] = []

    def installer(version: str) -> tuple[Path, bool]:
        installed.append(version)
        return dists[version], False

    prober = BuildProber(load(SCENARIO), "violations", installer)
    result = search(list(dists), prober)
    by_version = {p.version: p for p in result.probes}
    assert set(by_version) == set(dists)
    assert by_version["0.1.0"].status == NO_CODE and by_version["0.1.0"].key.shape == "unknown"
    assert by_version["0.3.0"].status == LAYOUT
    assert "not the shape the harness replicates" in str(by_version["0.3.0"].reason)
    assert by_version["0.3.0"].key.shape == "ref:generation"
    assert result.baseline is by_version["0.2.0"]
    assert by_version["0.2.0"].verdict == '["phantom-request"]'
    assert by_version["0.4.0"].verdict == "[]" and by_version["0.4.0"].key.shape == "ref"
    assert (result.before, result.after) == (by_version["0.2.0"], by_version["0.4.0"])
    assert result.between == (by_version["0.3.0"],)
    assert sorted(installed) == sorted(dists)


@needs_real_builds
def test_bisect_finds_the_fix_on_the_real_registry(
    builds: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    args = ["bisect", "scenarios/issue-bump-hold.toml", "--from", BUILDS["buggy"]]
    args += ["--to", "2026.5.31-beta.2", "-f", "json"]
    result = CliRunner().invoke(app, args, env=ENV)
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["boundary"]["before"] == BUILDS["buggy"]
    assert doc["boundary"]["after"] == BUILDS["fixed"]
    assert doc["versions"] == [BUILDS["buggy"], BUILDS["fixed"], "2026.5.31-beta.2"]
    assert len(doc["probes"]) <= bound(3)
    keys = {p["version"]: p["key"]["shape"] for p in doc["probes"]}
    assert keys[BUILDS["buggy"]] == "ref:generation" and keys[BUILDS["fixed"]] == "ref"
    assert any('"session.recovery.requested"' in line for line in doc["boundary"]["diff"])
    assert "probing openclaw@" in result.stderr  # progress goes to stderr
    # Judged by another key, over the now cached builds: the same boundary, as a table.
    args = ["bisect", "scenarios/issue-bump-hold.toml", "--on", "requested"]
    args += ["--from", BUILDS["buggy"], "--to", "2026.5.31-beta.2"]
    result = CliRunner().invoke(app, args, env=ENV)
    assert result.exit_code == 0, result.stderr
    assert f"boundary: openclaw@{BUILDS['buggy']} -> openclaw@{BUILDS['fixed']}" in result.stdout
    assert "-runtime_outcomes" in result.stdout and "ref:generation" in result.stdout
    assert is_installed("2026.5.31-beta.2")


def test_bisect_bad_input_is_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    for args, message in [
        (["--on", "colour"], "--on 'colour'"),
        (["-f", "xml"], "bisect writes table, json, junit, github"),
        (["--from", "not a version!"], "not a version"),
    ]:
        result = CliRunner().invoke(app, ["bisect", str(SCENARIO), *args], env=ENV)
        assert result.exit_code == 2 and message in result.stderr, result.stderr
    result = CliRunner().invoke(app, ["bisect", "scenarios/nope.toml"], env=ENV)
    assert result.exit_code == 2 and "no such file" in result.stderr


@needs_real_builds
def test_bisect_on_one_violation_over_real_builds(builds: dict[str, Path]) -> None:
    dists = {BUILDS["buggy"]: builds["buggy"], BUILDS["fixed"]: builds["fixed"]}
    prober = BuildProber(load(SCENARIO), "violation:phantom-request", lambda v: (dists[v], False))
    result = search(list(dists), prober)
    assert result.before is not None and result.after is not None
    assert (result.before.version, result.before.verdict) == (BUILDS["buggy"], "true")
    assert (result.after.version, result.after.verdict) == (BUILDS["fixed"], "false")
