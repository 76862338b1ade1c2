"""progress with a target (run / record / both), a reason and a back-dated instant."""

from __future__ import annotations

import pytest

from probe.engines.engine import model_engine, normalized
from probe.errors import ScenarioError
from probe.model.world import World
from probe.scenario.dump import dump_scenario
from probe.scenario.loader import parse_scenario
from probe.scenario.values import Progress, Scenario
from probe.strategies import REGISTRY, get_strategy

HEAD = """\
name = "progress"
[[session]]
ref = "a"
state = "processing"
owner = "embedded_run"
progress_age_ms = 200000
"""


def _load(steps: str) -> Scenario:
    return parse_scenario(HEAD + steps, "progress.toml", REGISTRY.keys())


def _world(scenario: Scenario) -> World:
    world = World(scenario, get_strategy("fixed"))
    for index, step in enumerate(scenario.steps, start=1):
        world.apply(index, step)
    return world


def test_the_new_keys_load_dump_back_and_reach_the_harness() -> None:
    scenario = _load(
        '[[step]]\ndo = "progress"\nsession = "a"\ntarget = "run"\n'
        'reason = "run:completed"\nago_ms = 5000\n'
    )
    assert scenario.steps == (Progress("a", "run", "run:completed", 5000),)
    again = parse_scenario(dump_scenario(scenario), "again.toml", REGISTRY.keys())
    assert again.steps == scenario.steps
    assert normalized(scenario)["steps"] == [
        {
            "do": "progress",
            "session": "a",
            "target": "run",
            "reason": "run:completed",
            "ago_ms": 5000,
        }
    ]
    plain = _load('[[step]]\ndo = "progress"\nsession = "a"\n')
    assert normalized(plain)["steps"] == [{"do": "progress", "session": "a"}]


@pytest.mark.parametrize(
    ("line", "where", "message"),
    [
        ('target = "session"', "step[1].target", "'session' is not one of: both, run, record"),
        ('reason = ""', "step[1].reason", "must be one non-empty line"),
        ("ago_ms = -1", "step[1].ago_ms", "-1 is out of range"),
    ],
)
def test_bad_progress_keys_are_located_errors(line: str, where: str, message: str) -> None:
    with pytest.raises(ScenarioError) as err:
        _load(f'[[step]]\ndo = "progress"\nsession = "a"\n{line}\n')
    (problem,) = err.value.problems
    assert problem.where == where and message in problem.message
    assert problem.line == 10  # the key's own line


def test_a_reason_on_record_only_progress_is_noted() -> None:
    scenario = _load('[[step]]\ndo = "progress"\nsession = "a"\ntarget = "record"\nreason = "x"\n')
    assert scenario.notes == ('step[1].reason has no effect with target = "record"',)


def test_run_only_progress_leaves_the_record_and_record_only_leaves_the_run() -> None:
    base = _world(_load('[[step]]\ndo = "advance"\nms = 1000\n'))
    run = _world(
        _load(
            '[[step]]\ndo = "advance"\nms = 1000\n[[step]]\ndo = "progress"\n'
            'session = "a"\ntarget = "run"\nreason = "r"\nago_ms = 400\n'
        )
    )
    rec = _world(
        _load(
            '[[step]]\ndo = "advance"\nms = 1000\n[[step]]\ndo = "progress"\n'
            'session = "a"\ntarget = "record"\nago_ms = 400\n'
        )
    )
    record_of = lambda w: w.store.records["a"]  # noqa: E731
    assert (record_of(run).generation, record_of(run).last_activity) == (0, -200_000)
    assert (run.activity["a"].last_progress_at, run.activity["a"].last_progress_reason) == (
        600,
        "r",
    )
    assert (record_of(rec).generation, record_of(rec).last_activity) == (1, 600)
    assert rec.activity["a"] == base.activity["a"]


def _attention(scenario: Scenario, version: str) -> list[tuple[str, object]]:
    run = model_engine(f"fixed@{version}").replay(scenario)
    return [(e.type, dict(e.fields).get("reason")) for e in run.events]


def test_run_only_progress_reaches_long_running_active_work_on_every_version() -> None:
    scenario = _load(
        '[[step]]\ndo = "progress"\nsession = "a"\ntarget = "run"\n[[step]]\ndo = "tick"\n'
    )
    for version in ("2026.5.31-beta.1", "2026.7.1", "2026.9.6"):
        assert _attention(scenario, version) == [("session.long_running", "active_work")]
    both = _load('[[step]]\ndo = "progress"\nsession = "a"\n[[step]]\ndo = "tick"\n')
    assert _attention(both, "2026.9.6") == []


def test_record_only_progress_hides_a_stale_run_until_owned_work_attention_age() -> None:
    scenario = _load(
        '[[step]]\ndo = "progress"\nsession = "a"\ntarget = "record"\n[[step]]\ndo = "tick"\n'
    )
    assert _attention(scenario, "2026.7.1") == []
    # From 8.1 (F20) the record's fresh activity no longer hides the run's stale progress.
    for version in ("2026.8.1", "2026.9.6"):
        assert _attention(scenario, version) == [
            ("session.stalled", "active_work_without_progress")
        ]


def test_a_terminal_reason_behind_queued_work_is_queued_behind_terminal_work() -> None:
    text = HEAD.replace("progress_age_ms", "queue_depth = 1\nprogress_age_ms")
    scenario = parse_scenario(
        text + '[[step]]\ndo = "progress"\nsession = "a"\ntarget = "run"\n'
        'reason = "run:completed"\nago_ms = 150000\n[[step]]\ndo = "tick"\n',
        "t.toml",
        REGISTRY.keys(),
    )
    assert _attention(scenario, "2026.9.6") == [
        ("session.stalled", "queued_behind_terminal_active_work")
    ]
