"""reply: a session's reply operation (createReplyOperation), its phases, and recovery of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from probe.engines.base import CannotExpress
from probe.engines.engine import model_engine, normalized
from probe.errors import ScenarioError
from probe.model.replies import REPLY_MARKER
from probe.model.world import World
from probe.scenario.dump import dump_scenario
from probe.scenario.generate import GenerateOptions, generate_many
from probe.scenario.loader import parse_scenario
from probe.scenario.values import Key, Reply, Scenario
from probe.strategies import REGISTRY, get_strategy
from probe.versions import behaviour_of
from tests.helpers import invoke

HEAD = """\
name = "reply"
[[session]]
ref = "a"
state = "processing"
queue_depth = 1
"""
REPLY = '[[step]]\ndo = "reply"\nsession = "a"\n'
ABORT = (
    'do = "recover"\nsession = "a"\nage_ms = 720000\nqueue_depth = 1\nallow_active_abort = true\n'
)
KEEP = 'do = "recover"\nsession = "a"\nage_ms = 180000\nqueue_depth = 1\n'


def _load(steps: str, head: str = HEAD) -> Scenario:
    return parse_scenario(head + steps, "reply.toml", REGISTRY.keys())


def _outcomes(steps: str, version: str = "2026.7.1", head: str = HEAD) -> tuple[str, ...]:
    return model_engine(f"fixed@{version}").replay(_load(steps, head)).runtime_outcomes


def _world(scenario: Scenario, version: str = "2026.7.1") -> World:
    world = World(scenario, get_strategy("fixed"), behaviour=behaviour_of(version))
    for index, step in enumerate(scenario.steps, start=1):
        world.apply(index, step)
    return world


def test_reply_loads_dumps_back_and_reaches_the_harness() -> None:
    scenario = _load(REPLY + REPLY + 'phase = "running"\nabort = "honoured"\n')
    assert scenario.steps == (Reply("a"), Reply("a", "running", "honoured"))
    again = parse_scenario(dump_scenario(scenario), "again.toml", REGISTRY.keys())
    assert again.steps == scenario.steps
    assert normalized(scenario)["steps"] == [
        {"do": "reply", "session": "a", "phase": "queued"},
        {"do": "reply", "session": "a", "phase": "running", "abort": "honoured"},
    ]


@pytest.mark.parametrize(
    ("head", "text", "where", "message"),
    [
        (HEAD, REPLY + 'phase = "compacting"\n', "step[1].phase", "'compacting' is not one of"),
        (HEAD, REPLY + 'abort = "refused"\n', "step[1].abort", "'refused' is not one of"),
        (HEAD, '[[step]]\ndo = "reply"\n', "step[1].session", "required key is missing"),
        (
            '[[session]]\nsession_id = "only-id"\n',
            '[[step]]\ndo = "reply"\nsession = "only-id"\n',
            "step[1].session",
            "needs the session's key",
        ),
        (
            '[[session]]\nref = ""\nsession_id = "sid"\n',
            '[[step]]\ndo = "reply"\nsession = ""\n',
            "step[1].session",
            "needs the session's key",
        ),
    ],
)
def test_bad_reply_steps_are_located_errors(head: str, text: str, where: str, message: str) -> None:
    with pytest.raises(ScenarioError) as err:
        _load(text, head if head.startswith("name") else 'name = "bad"\n' + head)
    (problem,) = err.value.problems
    assert problem.where == where and message in problem.message and problem.line is not None


def test_a_bad_reply_file_exits_2_naming_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(HEAD + REPLY + 'phase = "done"\n')
    code, out, err = invoke("run", str(path))
    assert code == 2
    assert f"{path}:9: step[1].phase" in out + err and "Traceback" not in out + err


def test_fresh_reply_work_is_kept_and_its_embedded_run_is_active_work() -> None:
    world = _world(_load(REPLY + "[[step]]\n" + KEEP))
    assert world.runtime_outcomes() == ["skipped/active_reply_work"]
    assert world.activity["a"].embedded_runs == (REPLY_MARKER,)
    assert world.store.records["a"].state == "processing"  # a direct call applies nothing


def test_stale_reply_work_behind_queued_work_is_reclaimed_but_not_without_queue() -> None:
    steps = REPLY + 'abort = "honoured"\n[[step]]\ndo = "advance"\nms = 300000\n'
    no_queue = 'do = "recover"\nsession = "a"\nage_ms = 300000\n'
    assert _outcomes(steps + "[[step]]\n" + no_queue + "[[step]]\n" + KEEP) == (
        "skipped/active_reply_work",
        "aborted/abort_embedded_run",
    )


def test_an_abort_clears_a_queued_operation_at_once_and_waits_on_a_running_one() -> None:
    queued = _world(_load(REPLY + "[[step]]\n" + ABORT))
    assert queued.runtime_outcomes() == ["aborted/abort_embedded_run"]
    assert "a" not in queued.replies
    running = _world(_load(REPLY + 'phase = "running"\n[[step]]\n' + ABORT))
    assert running.runtime_outcomes() == ["pending"] and running.replies["a"].phase == "aborted"
    # The settle timer force-clears it: the operation goes, its embedded run ends.
    settled = _world(
        _load(
            REPLY
            + 'phase = "running"\n[[step]]\n'
            + ABORT
            + '[[step]]\ndo = "advance"\nms = 15000\n'
        )
    )
    assert settled.runtime_outcomes() == ["aborted/abort_embedded_run"]
    assert "a" not in settled.replies and settled.activity["a"].embedded_runs == ()


def test_an_aborted_operation_keeps_no_phase_and_completing_it_ends_the_wait() -> None:
    steps = (
        REPLY
        + 'phase = "running"\n[[step]]\n'
        + ABORT
        + REPLY
        + 'phase = "queued"\n'
        + REPLY
        + 'phase = "completed"\n'
        + REPLY
    )
    world = _world(_load(steps, HEAD + '[settings]\ndrain = "hold"\n'))
    assert world.runtime_outcomes() == ["aborted/abort_embedded_run"]
    # The last `reply` began a new operation, queued.
    assert world.replies["a"].phase == "queued"


def test_a_refused_handle_abort_force_clears_the_reply_operation_too() -> None:
    steps = REPLY + 'phase = "running"\n[[step]]\ndo = "own"\nsession = "a"\nabort = "refused"\n'
    world = _world(_load(steps + "[[step]]\n" + ABORT))
    assert world.runtime_outcomes() == ["aborted/abort_embedded_run"]
    assert "a" not in world.replies and "a" not in world.handles


def test_the_drain_of_an_honoured_handle_abort_waits_on_the_reply_operation() -> None:
    steps = REPLY + 'phase = "running"\n[[step]]\ndo = "own"\nsession = "a"\nabort = "honoured"\n'
    world = _world(_load(steps + "[[step]]\n" + ABORT))
    assert world.runtime_outcomes() == ["pending"] and "a" not in world.handles
    assert world.runtime.waiters["a"].reply


def test_the_model_of_a_version_from_7_2_beta_1_refuses_reply_naming_each_step() -> None:
    scenario = _load(REPLY + "[[step]]\n" + KEEP + REPLY + 'phase = "completed"\n')
    # 8.1 and 9.6 (switch reply-own-activity) play it: tests/test_reply_own_activity.py.
    for version in ("2026.7.2-beta.1", "2026.7.2-beta.5", "2026.8.1-beta.3"):
        with pytest.raises(CannotExpress) as err:
            model_engine(f"fixed@{version}").replay(scenario)
        assert [i.key for i in err.value.items] == ["step[1].do", "step[3].do"]
    # 7.35, of the 7.1 maintenance line, still marks reply work: the model plays it.
    assert model_engine("fixed@2026.7.35").replay(scenario).runtime_outcomes == (
        "skipped/active_reply_work",
    )


def test_the_generator_draws_reply_only_when_asked_and_leaves_the_rest_as_it_was() -> None:
    # Without session files and held starts (drawn after the replies, and seeded by the steps
    # before them).
    plain = generate_many(5, 40, GenerateOptions(session_files=False, held=False))
    asked = generate_many(
        5, 40, GenerateOptions(replies_chance=1.0, session_files=False, held=False)
    )
    assert not any(isinstance(s, Reply) for _, sc in plain for s in sc.steps)
    with_reply = [sc for _, sc in asked if any(isinstance(s, Reply) for s in sc.steps)]
    assert len(with_reply) >= 10
    # The key step is drawn after the replies, from a stream seeded by the steps before it, so
    # a scenario given a key step may draw it elsewhere; every other draw stays as it was.
    compared = 0
    for (_, a), (_, b) in zip(plain, asked, strict=True):
        if any(isinstance(s, Key) for s in (*a.steps, *b.steps)):
            continue
        assert tuple(s for s in b.steps if not isinstance(s, Reply)) == a.steps
        compared += 1
    assert compared >= 20
    for scenario in with_reply:  # every one replays on the model of a version that plays it
        model_engine("fixed@2026.7.1").replay(scenario)
