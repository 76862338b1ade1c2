"""--baseline: what changed against a saved JSON report, per scenario, strategy and key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from probe.baseline import Change, diff_reports, parse_baseline, render_changes
from probe.errors import UsageError
from tests.conftest import SCENARIOS
from tests.helpers import CLI_ENV, invoke

ENV = CLI_ENV


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PROBE_FORMAT", raising=False)
    (tmp_path / "s.toml").write_text((SCENARIOS / "issue-bump-hold.toml").read_text())
    return tmp_path


def drop_the_bump(path: Path) -> None:
    text = path.read_text()
    path.write_text(text.replace('[[step]]\ndo = "bump"\nsession = "agent:main:direct"\n\n', "", 1))


def test_update_writes_the_json_report_then_an_unchanged_run_passes(here: Path) -> None:
    code, out, err = invoke(
        "run", "s.toml", "-f", "github", "--baseline", "b.json", "--update-baseline"
    )
    assert (code, err) == (0, "baseline b.json: updated (new file)\n")
    assert out == "probe: 1 scenario(s), 2 strategy run(s): PASS\n"
    saved = (here / "b.json").read_text()
    assert saved == invoke("run", "s.toml", "-f", "json")[1]
    code, _, err = invoke("run", "s.toml", "--baseline", "b.json")
    assert (code, err) == (0, "baseline b.json: no change\n")
    assert sorted(p.name for p in here.iterdir()) == ["b.json", "s.toml"]


def test_a_change_is_listed_per_scenario_strategy_and_key_and_exits_1(here: Path) -> None:
    assert invoke("run", "s.toml", "--baseline", "b.json", "--update-baseline")[0] == 0
    text = (here / "s.toml").read_text()
    (here / "s.toml").write_text(text.replace('drain = "hold"', 'drain = "hold"\nsettle_ms = 1'))
    code, out, err = invoke("run", "s.toml", "-f", "json", "--baseline", "b.json")
    assert code == 0 and json.loads(out)["ok"] is True
    assert err == "baseline b.json: no change\n"  # settle_ms is unused under hold: no change
    drop_the_bump(here / "s.toml")
    code, _, err = invoke("run", "s.toml", "-f", "json", "--baseline", "b.json")
    assert code == 1
    lines = err.splitlines()
    assert lines[0] == "baseline b.json: 26 change(s)"
    assert lines[1:4] == [
        "  s.toml: ok: true -> false",
        '  s.toml: variant: "bump" -> "control"',
        "  s.toml: divergence_step: 3 -> null",
    ]
    assert "  s.toml: buggy: requested: 2 -> 1" in lines
    assert "  s.toml: buggy: absorbed_by.runtime: 1 -> 0" in lines
    assert "  s.toml: buggy: violations: [phantom-request at step 3] -> []" in lines
    assert "  s.toml: buggy: expectations.requested.actual: 2 -> 1" in lines
    assert (
        "  s.toml: fixed: events: 7 events, #3 message.queued agent:main:direct (step 2, "
        "30000 ms) -> 7 events, #3 session.stalled agent:main:direct (step 2, 60000 ms)"
    ) in lines


def test_update_baseline_rewrites_it_and_exits_on_the_verdict(here: Path) -> None:
    assert invoke("run", "s.toml", "--baseline", "b.json", "--update-baseline")[0] == 0
    drop_the_bump(here / "s.toml")
    code, _, err = invoke("run", "s.toml", "--baseline", "b.json", "--update-baseline")
    assert code == 1  # the scenario's own expectations now fail
    assert err == "baseline b.json: updated (26 change(s))\n"
    assert invoke("run", "s.toml", "--strategy", "fixed", "--baseline", "b.json")[2] == (
        "baseline b.json: 2 change(s)\n"
        "  s.toml: ok: false -> true\n"
        "  s.toml: buggy: in the baseline only (not run now)\n"
    )


def test_only_a_change_fails_a_passing_run(here: Path) -> None:
    invoke("run", "s.toml", "--strategy", "fixed", "--baseline", "b.json", "--update-baseline")
    code, _, err = invoke("run", "s.toml", "--baseline", "b.json")
    assert code == 1
    assert err == (
        "baseline b.json: 2 change(s)\n"
        "  s.toml: divergence_step: null -> 3\n"
        "  s.toml: buggy: new (not in the baseline)\n"
    )


def test_compare_takes_a_baseline_too(here: Path) -> None:
    assert invoke("compare", "--baseline", "lib.json", "--update-baseline")[0] == 0
    code, out, err = invoke("compare", "--baseline", "lib.json")
    assert (code, out) == (0, invoke("compare")[1])
    assert err.splitlines()[-1] == "baseline lib.json: no change"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "b.json: no such file (write it with --update-baseline)\n"),
        (
            "{nope",
            "b.json:1: not a JSON report: Expecting property name enclosed in double quotes\n",
        ),
        (
            '{"scenarios": [{"path": 3}]}',
            "b.json: not a probe JSON report (expected an object "
            "with `scenarios`, each with `path` and `strategies`; write one with --update-baseline)\n",
        ),
    ],
)
def test_a_bad_baseline_is_bad_input(here: Path, content: str | None, message: str) -> None:
    if content is not None:
        (here / "b.json").write_text(content)
    assert invoke("run", "s.toml", "--baseline", "b.json") == (2, "", message)


def test_update_baseline_needs_baseline(here: Path) -> None:
    assert invoke("run", "s.toml", "--update-baseline") == (
        2,
        "",
        "--update-baseline needs --baseline FILE\n",
    )


def test_diff_of_reports_keys_scenarios_by_path() -> None:
    base = {
        "scenarios": [
            {"path": "a.toml", "name": "A", "strategies": {"x": {"requested": 1}}},
            {"path": "gone.toml", "strategies": {}},
        ]
    }
    now = {
        "scenarios": [
            {"path": "a.toml", "name": "A2", "strategies": {"x": {"requested": 2, "new": True}}},
            {"path": "b.toml", "strategies": {}},
        ]
    }
    assert [c.render() for c in diff_reports(base, now)] == [
        'a.toml: name: "A" -> "A2"',
        "a.toml: x: new: (absent) -> true",
        "a.toml: x: requested: 1 -> 2",
        "gone.toml: in the baseline only (not run now)",
        "b.toml: new (not in the baseline)",
    ]
    assert diff_reports(now, now) == []
    assert render_changes("f", []) == "baseline f: no change\n"
    assert Change("p", None, None, "", "new").render() == "p: new"


def test_parse_baseline_refuses_other_json() -> None:
    for text in ("[]", '{"scenarios": {}}', '{"scenarios": [{"path": "a", "strategies": []}]}'):
        with pytest.raises(UsageError):
            parse_baseline(text, "f")
