"""A quiet scenario says why nothing was asked; a step that cannot do anything is a note."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from probe.cli import app
from probe.replay import replay
from probe.scenario.values import Release, Tick
from probe.strategies import REGISTRY
from tests.helpers import CLI_ENV, issue_session, scenario

QUIET = """\
name = "quiet"

[[session]]
ref = "s"
owner = "embedded_run"
queue_depth = 1
progress_age_ms = 10000

[[step]]
do = "tick"
"""


def test_nothing_asked_names_the_nearest_threshold_and_its_time() -> None:
    run = replay(
        scenario(Tick(), sessions=(issue_session(progress_age_ms=10_000),)), REGISTRY["buggy"]
    )
    assert run.requested == 0
    (note,) = run.notes
    assert note.startswith(
        "nothing was asked: no session needed attention at a heartbeat up to t=30000 ms"
    )
    # Last progress at -10 s, warn 120 s: due after 110 s, so the heartbeat of 120 s.
    assert "'agent:main:direct' (idle, no progress since t=-10000 ms)" in note
    assert "after more than warn_ms = 120000 ms, at the heartbeat of t=120000 ms" in note


def test_a_scenario_that_asks_has_no_such_note() -> None:
    run = replay(scenario(Tick(), Tick()), REGISTRY["buggy"])
    assert run.requested > 0 and run.notes == ()


def test_a_release_without_a_run_is_a_note() -> None:
    run = replay(
        scenario(Tick(), Release(), Release("agent:main:direct"), Release(failed=True)),
        REGISTRY["fixed"],
    )
    assert "step[3]: release does nothing: session 'agent:main:direct' has no run at this point" in run.notes
    assert any(n.startswith('step[4]: release with outcome = "failed" does nothing') for n in run.notes)
    assert not any(n.startswith("step[2]") for n in run.notes)  # that one ended the run


def test_the_notes_reach_every_output(tmp_path: Path) -> None:
    target = tmp_path / "quiet.toml"
    target.write_text(QUIET)
    result = CliRunner().invoke(app, ["compare", str(target)], env=CLI_ENV)
    assert result.exit_code == 0
    notes = [line for line in result.stderr.splitlines() if ": note: " in line]
    assert notes == [f"{target}: note: " + line.split(": note: ", 1)[1] for line in notes]
    assert len(notes) == 1 and "at the heartbeat of t=120000 ms" in notes[0]
    table = CliRunner().invoke(app, ["run", str(target)], env=CLI_ENV).stdout
    assert "note: nothing was asked" in table
    github = CliRunner().invoke(app, ["run", "-f", "github", str(target)], env=CLI_ENV).stdout
    assert github.startswith(f"::warning file={target},title=probe note::nothing was asked")


def test_a_table_that_expects_no_request_gets_no_nothing_asked_note() -> None:
    """The shipped library run plainly prints no note: each 'nothing asked' there is expected."""
    from tests.conftest import SCENARIOS
    from tests.helpers import invoke

    for engine in ([], ["--engine", "model:fixed@2026.9.6"], ["--engine", "model:fixed@2026.6.1"]):
        code, _, err = invoke("compare", *engine, str(SCENARIOS))
        assert code == 0 and "note:" not in err, err


def test_without_such_a_table_nothing_asked_is_still_explained(tmp_path: Path) -> None:
    from tests.conftest import SCENARIOS
    from tests.helpers import invoke

    text = (SCENARIOS / "versions" / "f08-blocked-tool-floor.toml").read_text()
    bare = tmp_path / "bare.toml"
    bare.write_text(text.split("\n[expect")[0] + "\n")
    code, _, err = invoke("run", "--engine", "model:fixed@2026.9.6", str(bare))
    assert code == 0 and "note: nothing was asked" in err
