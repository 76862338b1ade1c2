"""scenarios/failures: each failure class beside a healthy control, held on every version."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from probe.engines.engine import model_engine
from probe.expectations import strategy_ok
from probe.scenario.files import read_scenario
from probe.strategies import REGISTRY
from probe.versions import VERSIONS, design_of
from tests.conftest import SCENARIOS

FOLDER = SCENARIOS / "failures"
FILES = sorted(FOLDER.glob("*.toml"))
FAILURES = [p for p in FILES if not p.stem.endswith("-control")]
CONTROLS = [p for p in FILES if p.stem.endswith("-control")]


def test_one_scenario_per_class_each_beside_a_healthy_control() -> None:
    classes = {int(p.stem[1]) for p in FAILURES}
    assert classes == set(range(1, 10))
    assert {int(p.stem[1]) for p in CONTROLS} == set(range(1, 10))
    for failure in FAILURES:
        assert failure.with_name(f"{failure.stem}-control.toml") in CONTROLS, failure.stem
    # Class 9's second control (a run starting during the drain) has no failure beside it:
    # every version keeps such a run.
    assert len(CONTROLS) == len(FAILURES) + 1


@pytest.mark.parametrize("path", FAILURES, ids=lambda p: p.stem)
def test_each_failure_names_what_it_reproduces_and_the_versions_it_tells_apart(
    path: Path,
) -> None:
    scenario = read_scenario(path, REGISTRY.keys())
    text = scenario.description or ""
    assert re.search(r"issue \d{5,6}|ERAS\.md F\d\d|every version", text), path.stem
    assert "2026." in text and "Properties:" in text
    listed = (FOLDER / "README.md").read_text()
    assert f"`{path.stem}`" in listed


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_version_meets_its_table(path: Path) -> None:
    scenario = read_scenario(path, REGISTRY.keys())
    for version in VERSIONS:
        design = design_of(version)
        run = model_engine(f"{design}@{version}").replay(scenario)
        exp = scenario.expectation(design, version)
        assert exp is not None and strategy_ok(exp, run), (version, run.runtime_outcomes)
        if path in CONTROLS:
            assert run.violation_names == [], version


@pytest.mark.parametrize("path", FAILURES, ids=lambda p: p.stem)
def test_each_failure_tells_versions_apart_unless_it_is_open_everywhere(path: Path) -> None:
    scenario = read_scenario(path, REGISTRY.keys())
    streams = {model_engine(f"{design_of(v)}@{v}").replay(scenario).events for v in VERSIONS}
    everywhere = "every version" in (scenario.description or "")
    assert (len(streams) == 1) == everywhere, path.stem


def test_the_open_9_6_failures_show_on_9_6() -> None:
    def on_96(name: str) -> tuple[int, tuple[str, ...]]:
        run = model_engine("fixed@2026.9.6").replay(read_scenario(FOLDER / name, REGISTRY.keys()))
        return run.requested, run.runtime_outcomes

    assert on_96("c2-late-ticks-never-asked.toml") == (0, ())  # issue 142200
    requested, outcomes = on_96("c6-observe-only-loop.toml")  # issue 119454
    assert requested == 36 and set(outcomes) == {"skipped/active_embedded_run"}
    assert on_96("c8-force-clear-reported-aborted.toml") == (  # issue 145152
        1,
        ("aborted/abort_embedded_run",),
    )
    assert on_96("c4-idle-owned-stale-run.toml") == (0, ())


def test_the_readme_headline_says_what_9_6_does() -> None:
    from tests.conftest import ROOT

    text = (ROOT / "README.md").read_text()
    table = text.split("<!-- failures-headline -->\n", 1)[1].split("\n\n", 1)[0]
    rows = [line for line in table.splitlines()[2:] if line.startswith("|")]
    assert len(rows) == 4
    model = model_engine("fixed@2026.9.6")
    for row in rows:
        name = re.search(r"`(c\d-[a-z0-9-]+)`", row)
        assert name is not None, row
        run = model.replay(read_scenario(FOLDER / f"{name.group(1)}.toml", REGISTRY.keys()))
        ticks = sum(1 for line in (FOLDER / f"{name.group(1)}.toml").read_text().splitlines()
                    if line == 'do = "tick"')
        if "requests" in row:
            assert f"{run.requested} requests in {ticks} heartbeats" in row or (
                run.requested == 0 and "0 requests and no event" in row and not run.events
            ), row
        for outcome in set(run.runtime_outcomes):
            assert f"`{outcome}`" in row, row
        # The last column: the properties the run violates, as probe names them.
        assert row.split("|")[-2].strip() == ", ".join(f"`{n}`" for n in run.violation_names)
