"""`start`/`end` with `session_id`: an embedded run under another session id of a session's key."""

from __future__ import annotations

from pathlib import Path

import pytest

from probe.engines.engine import model_engine, normalized
from probe.errors import ScenarioError
from probe.scenario.dump import dump_scenario
from probe.scenario.loader import parse_scenario
from probe.scenario.values import End, Scenario, Start
from probe.strategies import REGISTRY
from tests.helpers import validate_in_a_process

HEAD = """name = "other ids"
[settings]
drain = "hold"
warn_ms = 30000
abort_ms = 60000
[[session]]
ref = "{ref}"
session_id = "s1"
state = "idle"
queue_depth = 2
owner = "embedded_run"
progress_age_ms = 400000
[[session]]
ref = "agent:main:b"
"""
KEY = "agent:main:a"

# A run started under another id while the recovery waits on the session's own run (drain hold),
# then the own run's end completes the recovery.
DURING = """
[[step]]
do = "tick"
[[step]]
do = "start"
session = "{name}"
work = "embedded_run"
{marker}
[[step]]
do = "release"
session = "agent:main:a"
[[step]]
do = "bump"
session = "agent:main:a"
[[step]]
do = "advance"
ms = 61000
"""


def _load(steps: str, ref: str = KEY) -> Scenario:
    return parse_scenario(HEAD.format(ref=ref) + steps, "ids.toml", REGISTRY.keys())


def _during(marker: str = 'session_id = "reply-run-1"', name: str = KEY) -> Scenario:
    return _load(DURING.format(marker=marker, name=name))


def test_the_step_is_a_marker_of_its_own_that_the_harness_and_the_dump_name_by_the_id() -> None:
    scenario = _during()
    start = scenario.steps[1]
    assert start == Start(KEY, "embedded_run", "@reply-run-1")
    assert normalized(scenario)["steps"][1] == {
        "do": "start",
        "session": KEY,
        "work": "embedded_run",
        "session_id": "reply-run-1",
    }
    again = parse_scenario(dump_scenario(scenario), "again.toml", REGISTRY.keys())
    assert again.steps == scenario.steps
    end = parse_scenario(
        HEAD.format(ref=KEY) + f'[[step]]\ndo = "end"\nsession = "{KEY}"\nwork = "embedded_run"\n'
        'session_id = "x"\nclear = false\n',
        "end.toml",
        REGISTRY.keys(),
    ).steps[0]
    assert end == End(KEY, "embedded_run", "@x", False)


def test_a_run_under_another_id_started_during_the_recovery_blocks_its_clear() -> None:
    # From 5.31-beta.4 the run started after the recovery keeps the session: the outcome is
    # stale, and the kept run is reported once its progress is older than warn.
    run = model_engine("fixed@2026.9.6").replay(_during())
    completed = [dict(e.fields) for e in run.events if e.type == "session.recovery.completed"]
    assert completed[0]["status"] == "aborted" and completed[0].get("stale") is True
    late = [e for e in run.events if e.type == "session.stalled" and e.at_ms == 90_000]
    assert [dict(e.fields)["activeWorkKind"] for e in late] == ["embedded_run"]
    # Before the clear existed (5.31-beta.1) the outcome is applied whatever runs.
    old = model_engine("fixed@2026.5.31-beta.1").replay(_during())
    first = next(e for e in old.events if e.type == "session.recovery.completed")
    assert "stale" not in dict(first.fields)


BEFORE = """
[[step]]
do = "start"
session = "agent:main:a"
work = "embedded_run"
session_id = "older-run-1"
[[step]]
do = "progress"
session = "agent:main:a"
target = "run"
ago_ms = 400000
[[step]]
do = "tick"
[[step]]
do = "release"
session = "agent:main:a"
[[step]]
do = "bump"
session = "agent:main:a"
[[step]]
do = "advance"
ms = 61000
"""


def test_a_run_under_another_id_started_before_the_recovery_does_not_block_it() -> None:
    # Started first (its progress back-dated with the session's, so the heartbeat still asks):
    # the clear ends it with the rest, and the outcome is applied.
    run = model_engine("fixed@2026.9.6").replay(_load(BEFORE))
    states = [dict(e.fields)["reason"] for e in run.events if e.type == "session.state"]
    assert "stuck_recovery:aborted" in states
    assert not [e for e in run.events if e.type == "session.stalled" and e.at_ms > 30_000]
    # 5.31-beta.1 clears nothing: the older run is still there, reported once stale.
    old = model_engine("fixed@2026.5.31-beta.1").replay(_load(BEFORE))
    assert [e for e in old.events if e.type == "session.stalled" and e.at_ms == 90_000]


@pytest.mark.parametrize(
    ("steps", "ref", "where", "says"),
    [
        (
            DURING.format(marker='session_id = "x"\nid = "2"', name=KEY),
            KEY,
            "step[2].session_id",
            "leave `id` out",
        ),
        (
            DURING.format(marker='session_id = "x y"', name=KEY),
            KEY,
            "step[2].session_id",
            "letters, digits",
        ),
        (
            DURING.format(marker='session_id = "x"', name=KEY).replace(
                'work = "embedded_run"', 'work = "tool_call"'
            ),
            KEY,
            "step[2].session_id",
            "only an embedded run",
        ),
        (
            DURING.format(marker='session_id = "agent:main:b"', name=KEY),
            KEY,
            "step[2].session_id",
            "letters, digits",
        ),
        (
            DURING.format(marker='session_id = "s1"', name=KEY),
            KEY,
            "step[2].session_id",
            "already a session's ref or session_id",
        ),
        (
            DURING.format(marker='session_id = "scenario-session-1"', name=KEY),
            KEY,
            "step[2].session_id",
            "the harness's own",
        ),
        (
            DURING.format(marker='session_id = "x"', name="s1"),
            KEY,
            "step[2].session_id",
            "name it by its ref",
        ),
        (DURING.format(marker='session_id = "x"', name=""), "", "step[2].session_id", "has no key"),
    ],
)
def test_a_session_id_openclaw_would_file_elsewhere_is_refused_at_its_line(
    steps: str, ref: str, where: str, says: str
) -> None:
    if ref == "":
        steps = steps.replace('session = "agent:main:a"', 'session = ""')
    with pytest.raises(ScenarioError) as err:
        _load(steps, ref=ref)
    (problem,) = err.value.problems
    assert problem.where == where and says in problem.message, problem
    assert problem.line is not None


def test_one_other_id_under_two_keys_is_refused_at_the_second() -> None:
    # openclaw links activity by `id:ID` too: the two keys' activities would merge.
    steps = (
        '\n[[step]]\ndo = "start"\nsession = "agent:main:a"\nwork = "embedded_run"\n'
        'session_id = "shared"\n[[step]]\ndo = "start"\nsession = "agent:main:b"\n'
        'work = "embedded_run"\nsession_id = "shared"\n'
    )
    with pytest.raises(ScenarioError) as err:
        _load(steps)
    (problem,) = err.value.problems
    assert problem.where == "step[2].session_id"
    assert "already runs under session 'agent:main:a'" in problem.message


def test_the_cli_refuses_it_with_the_file_and_line_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(HEAD.format(ref=KEY) + DURING.format(marker='session_id = "s1"', name=KEY))
    done = validate_in_a_process(path)
    assert done.returncode == 2, done.stderr
    assert f"{path}:" in done.stderr and "step[2].session_id" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_generator_draws_runs_under_other_ids_that_the_loader_takes() -> None:
    from probe.scenario.generate import GenerateOptions, generate_many

    scenarios = generate_many(3, 200)
    other = [
        s
        for _, sc in scenarios
        for s in sc.steps
        if isinstance(s, Start | End) and s.id.startswith("@")
    ]
    assert len(other) >= 20
    assert {type(s).__name__ for s in other} == {"Start", "End"}
    none = generate_many(3, 50, GenerateOptions(other_ids=False))
    assert not [s for _, sc in none for s in sc.steps if isinstance(s, Start) and "@" in s.id]
