"""--svg: the strategies' timelines side by side; deterministic, well-formed, phantom in red."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from probe.cli import app
from probe.replay import replay
from probe.report.results import Report, judge
from probe.report.svg import MAX_SLOTS, RED, render_svg
from probe.scenario.values import Advance, Bump, Release, Tick
from probe.strategies import REGISTRY
from tests.conftest import ROOT, SCENARIOS
from tests.helpers import REF, load, scenario

NS = "{http://www.w3.org/2000/svg}"
DOC = ROOT / "docs" / "issue-bump-hold.svg"


def svg_of(*paths: Path) -> str:
    results = []
    for path in paths:
        sc = load(path)
        runs = [replay(sc, REGISTRY[n]) for n in sorted(REGISTRY)]
        results.append(judge(sc, f"scenarios/{path.name}", runs))
    return render_svg(Report(tuple(results)))


def test_the_readme_picture_is_the_current_drawing(update_golden: bool) -> None:
    text = svg_of(SCENARIOS / "issue-bump-hold.toml")
    if update_golden:
        DOC.write_text(text)
    assert text == DOC.read_text()


def test_drawing_is_deterministic_and_well_formed() -> None:
    every = sorted(SCENARIOS.glob("*.toml"))
    first = svg_of(*every)
    assert first == svg_of(*every)
    root = ET.fromstring(first)
    assert root.tag == f"{NS}svg"
    assert int(root.get("width", "0")) >= 900


def test_the_phantom_is_red_in_buggy_only() -> None:
    root = ET.fromstring(svg_of(SCENARIOS / "issue-bump-hold.toml"))
    panels = [g for g in root.iter(f"{NS}g") if g.get("transform")]
    assert len(panels) == 2

    def red_titles(panel: ET.Element) -> list[str]:
        return [
            (el.findtext(f"{NS}title") or "")
            for el in panel.iter()
            if RED in (el.get("fill"), el.get("stroke")) and el.find(f"{NS}title") is not None
        ]

    buggy, fixed = (red_titles(p) for p in panels)
    assert any("phantom" in t and "session.recovery.requested" in t for t in buggy)
    assert any("skipped/already_in_flight" in t for t in buggy)
    assert fixed == []
    labels = [t.text for t in panels[0].iter(f"{NS}text")]
    for lane in ("heartbeat", "coordinator", "runtime", "session state"):
        assert lane in labels


def test_user_text_is_escaped() -> None:
    sc = scenario(Tick(), Bump('a<b>&"c'), Tick(), Release())
    from dataclasses import replace

    from tests.helpers import issue_session

    sc = replace(sc, name="<x> & \x01", sessions=(issue_session(ref='a<b>&"c'),))
    runs = [replay(sc, REGISTRY[n]) for n in sorted(REGISTRY)]
    text = render_svg(Report((judge(sc, "odd.toml", runs),)))
    ET.fromstring(text)
    assert "&lt;x&gt; &amp; \\u0001" in text


def test_a_long_run_is_cut_with_a_note() -> None:
    sc = scenario(Tick(), *[Bump(REF)] * 400, Advance(30_000 * 60), Release())
    runs = [replay(sc, REGISTRY["buggy"])]
    text = render_svg(Report((judge(sc, "long.toml", runs),)))
    root = ET.fromstring(text)
    assert f"(first {MAX_SLOTS} slots drawn;" in text
    assert sum(1 for _ in root.iter(f"{NS}title")) <= 3 * MAX_SLOTS


def test_cli_svg_writes_the_file_and_refuses_to_overwrite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    target = tmp_path / "t.svg"
    env = {"NO_COLOR": "1", "COLUMNS": "140"}
    args = ["compare", "-f", "json", "--with-bump", "--svg", str(target)]
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 0
    assert target.read_text().startswith("<svg ")
    again = CliRunner().invoke(app, args, env=env)
    assert (again.exit_code, again.stdout) == (2, "")
    assert again.stderr == f"{target}: already exists (use --force to replace it)\n"
    assert CliRunner().invoke(app, [*args, "--force"], env=env).exit_code == 0
    missing = CliRunner().invoke(
        app,
        ["run", "scenarios/issue-bump-hold.toml", "--svg", str(tmp_path / "no" / "t.svg")],
        env=env,
    )
    assert missing.exit_code == 2 and "does not exist" in missing.stderr
