"""A model call's request timeout: `start` of a model call with `timeout_ms` (switch F39/F40)."""

from __future__ import annotations

from pathlib import Path

import pytest

from probe.engines.engine import model_engine, normalized
from probe.errors import ScenarioError
from probe.model.world import World
from probe.scenario.dump import dump_scenario
from probe.scenario.generate import GenerateOptions, generate_many
from probe.scenario.loader import parse_scenario
from probe.scenario.values import End, Scenario, Start
from probe.strategies import REGISTRY
from probe.versions import behaviour_of
from tests.helpers import validate_in_a_process

ROOT = Path(__file__).resolve().parents[1]
HEAD = """\
name = "requests"
[settings]
warn_ms = 30000
abort_ms = 60000
drain = "hold"
[[session]]
ref = "a"
state = "processing"
owner = "embedded_run"
"""


def _load(steps: str, head: str = HEAD) -> Scenario:
    return parse_scenario(head + steps, "requests.toml", REGISTRY.keys())


def step(verb: str, extra: str = "", work: str = "model_call") -> str:
    return f'[[step]]\ndo = "{verb}"\nsession = "a"\nwork = "{work}"\n{extra}'


TIMED = step("start", 'id = "r"\ntimeout_ms = 300000\n')
LATER = '[[step]]\ndo = "advance"\nms = 330000\n'


def _requests(scenario: Scenario, version: str) -> list[tuple[int, bool]]:
    run = model_engine(f"fixed@{version}").replay(scenario)
    return [
        (e.at_ms, bool(e.get("allowActiveAbort")))
        for e in run.events
        if e.type == "session.recovery.requested"
    ]


def test_timeout_ms_loads_dumps_back_and_reaches_the_harness() -> None:
    scenario = _load(TIMED)
    assert scenario.steps == (Start("a", "model_call", "r", 300_000),)
    again = parse_scenario(dump_scenario(scenario), "again.toml", REGISTRY.keys())
    assert again.steps == scenario.steps
    assert normalized(scenario)["steps"] == [
        {"do": "start", "session": "a", "work": "model_call", "id": "r", "timeout_ms": 300_000}
    ]


def test_a_version_without_request_timeouts_notes_that_the_call_ran_plain() -> None:
    scenario = _load(TIMED + LATER)
    (note,) = [
        n for n in model_engine("fixed@2026.7.1").replay(scenario).notes if "timeout_ms" in n
    ]
    assert note.startswith("step[1].timeout_ms: this version reads no model request timeout")
    assert not [n for n in model_engine("fixed@2026.9.6").replay(scenario).notes if "timeout" in n]
    # A scenario whose table records the run says it already: no note.
    recorded = _load(TIMED + LATER + "[expect.fixed]\nrequested = 1\n")
    assert not [n for n in model_engine("fixed").replay(recorded).notes if "timeout_ms" in n]


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (step("start", "timeout_ms = 0\n"), "step[1].timeout_ms", "out of range"),
        (step("start", 'timeout_ms = "1s"\n'), "step[1].timeout_ms", "must be an integer"),
        (step("start", "timeout_ms = 1000\n", "tool_call"), "step[1].timeout_ms", "only a model"),
        (step("end", "timeout_ms = 1000\n"), "step[1].timeout_ms", "unknown key"),
        (TIMED + step("start", 'id = "p"\n'), "step[2]", "a plain model call in session 'a'"),
        (TIMED + TIMED, "step[2].timeout_ms", "is still running (started at step[1])"),
        (step("end", 'id = "r"\n') + TIMED, "step[1]", "is not running here"),
        (TIMED + step("end", 'id = "r"\n') * 2, "step[3]", "is not running here"),
    ],
)
def test_bad_timed_model_calls_are_located_errors(text: str, where: str, message: str) -> None:
    with pytest.raises(ScenarioError) as err:
        _load(text)
    (problem,) = err.value.problems
    assert problem.where == where and message in problem.message and problem.line is not None


def test_a_session_seeded_with_a_plain_model_call_takes_no_timed_one() -> None:
    with pytest.raises(ScenarioError) as err:
        _load(TIMED, HEAD + 'work = "model_call"\n')
    (problem,) = err.value.problems
    assert problem.where == "step[1].timeout_ms" and "seeded with a plain model call" in (
        problem.message
    )


def test_a_bad_timeout_exits_2_with_file_line_and_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(HEAD + step("start", "timeout_ms = 1000\n", "tool_call"))
    done = validate_in_a_process(path)
    assert done.returncode == 2, done.stderr
    assert f"{path}:14: step[1].timeout_ms: only a model call" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_request_timeout_holds_a_model_calls_abort_back_from_8_1_beta_3() -> None:
    scenario = _load(TIMED + LATER)
    # Plain model call before: active abort once its progress passes abort (60 s).
    assert _requests(scenario, "2026.8.1-beta.2")[0] == (60_000, True)
    for version in ("2026.8.1-beta.3", "2026.9.1-beta.1", "2026.9.6"):
        assert _requests(scenario, version)[0] == (300_000, True), version


def test_a_timeout_under_abort_changes_nothing() -> None:
    scenario = _load(step("start", 'id = "r"\ntimeout_ms = 1000\n') + LATER)
    assert _requests(scenario, "2026.9.6")[0] == (60_000, True)


def test_the_longest_running_timeout_counts_and_an_ended_one_no_longer() -> None:
    two = TIMED + step("start", 'id = "r2"\ntimeout_ms = 120000\n')
    assert _requests(_load(two + LATER), "2026.9.6")[0] == (300_000, True)
    # r ends at t=10 s (progress marked then): only r2's 120 s is left, counted from there,
    # so the first heartbeat past t=130 s asks (t=120 s is 10 s short).
    ended = two + '[[step]]\ndo = "advance"\nms = 10000\n' + step("end", 'id = "r"\n')
    assert _requests(_load(ended + LATER), "2026.9.6")[0] == (150_000, True)


def _world(scenario: Scenario, version: str) -> World:
    world = World(scenario, REGISTRY["fixed"], behaviour=behaviour_of(version))
    for index, one in enumerate(scenario.steps):
        world.apply(index, one)
    return world


def test_a_timed_call_is_a_run_owner_of_its_own_until_its_end_closes_it() -> None:
    scenario = _load(TIMED + '[[step]]\ndo = "release"\nsession = "a"\n')
    snap = _world(scenario, "2026.9.6").activity["a"].snapshot(0)
    # The main run is gone and the request with it; the owner's run stays.
    assert (snap.work_kind, snap.has_active_embedded_run, snap.request_timeout_ms) == (
        "embedded_run",
        True,
        None,
    )
    closed = _load(TIMED + step("start", "", "tool_call") + step("end", 'id = "r"\n'))
    activity = _world(closed, "2026.9.6").activity["a"]
    # The close drops the session's tool calls (they carry its session id).
    assert activity.requests == () and activity.tools == ()
    assert activity.last_progress_reason == "embedded_run:ended"
    plain = _world(closed, "2026.7.1").activity["a"]
    assert plain.tools and plain.last_progress_reason == "model_call:ended"


def test_the_generator_draws_timed_model_calls_and_can_leave_them_out() -> None:
    def timed(options: GenerateOptions) -> int:
        return sum(
            any(isinstance(s, Start) and s.timeout_ms is not None for s in scenario.steps)
            for _, scenario in generate_many(7, 200, options)
        )

    assert timed(GenerateOptions()) >= 20
    assert timed(GenerateOptions(requests=False)) == 0


def test_the_version_scenarios_tell_the_switches_apart() -> None:
    f39 = ROOT / "scenarios" / "versions" / "f39-model-request-timeout.toml"
    f40 = ROOT / "scenarios" / "versions" / "f40-request-close-after-recovery.toml"
    for path, before, after in (
        (f39, "2026.8.1-beta.2", "2026.8.1-beta.3"),
        (f40, "2026.9.1", "2026.9.2"),
    ):
        scenario = parse_scenario(path.read_text(), str(path), REGISTRY.keys())
        runs = [model_engine(f"fixed@{v}").replay(scenario) for v in (before, after)]
        assert runs[0].events != runs[1].events, path


def test_the_properties_count_a_running_requests_timeout_as_openclaw_does() -> None:
    from probe.properties.liveness import needs_recovery
    from probe.properties.trace import Acted, Truth

    scenario = _load(TIMED + '[[step]]\ndo = "advance"\nms = 200000\n')
    truth = Truth.of(scenario)
    truth.apply(Acted(1, scenario.steps[0], 0))
    facts = truth.sessions["a"]
    assert facts.request_timeout_ms == 300_000
    # Past abort (60 s), inside the request's 300 s: not yet in need of recovery.
    assert needs_recovery(facts, 200_000, truth, 900_000) is None
    assert needs_recovery(facts, 300_000, truth, 900_000) is not None
    # The model of 9.6 asks nothing within the 200 s, and no property calls that a failure.
    run = model_engine("fixed@2026.9.6").replay(scenario)
    assert not [e for e in run.events if e.type == "session.recovery.requested"]
    assert run.violations == ()
    truth.apply(Acted(2, End("a", "model_call", "r"), 10))
    assert truth.sessions["a"].requests == ()


def test_a_search_tells_a_timed_call_from_a_plain_one_and_one_timeout_from_another() -> None:
    def key(extra: str) -> tuple[object, ...]:
        return _world(_load(step("start", extra)), "2026.9.6").state_key()

    plain, timed, longer = (
        key('id = "r"\n'),
        key(TIMED[TIMED.index("id") :]),
        key('id = "r"\ntimeout_ms = 400000\n'),
    )
    assert len({plain, timed, longer}) == 3
    assert len(plain) == len(timed)  # the activity entry keeps its width


HELD = """\
name = "held"
[settings]
drain = "hold"
[[session]]
ref = "a"
state = "idle"
queue_depth = 2
owner = "embedded_run"
progress_age_ms = 400000
[[step]]
do = "tick"
[[step]]
do = "start"
session = "a"
"""


@pytest.mark.parametrize(
    ("late", "stale"),
    [
        # A second embedded run: after the cut-off from 5.31-beta.4 (clear-run-activity) on.
        ('work = "embedded_run"\nid = "2"\n', {"2026.5.31-beta.1": None, "2026.7.1": True}),
        # A timed call's owner run from 8.1-beta.3 on; before, a plain model call blocks nothing.
        (
            'work = "model_call"\nid = "r"\ntimeout_ms = 300000\n',
            {"2026.7.1": None, "2026.8.1-beta.3": True, "2026.9.6": True},
        ),
    ],
)
def test_a_run_started_while_a_recovery_waits_makes_its_outcome_stale(
    late: str, stale: dict[str, bool | None]
) -> None:
    text = HELD + late + '[[step]]\ndo = "release"\nsession = "a"\n'
    scenario = parse_scenario(text, "held.toml", REGISTRY.keys())
    for version, expected in stale.items():
        run = model_engine(f"fixed@{version}").replay(scenario)
        (done,) = [e for e in run.events if e.type == "session.recovery.completed"]
        assert (done.get("status"), done.get("stale")) == ("aborted", expected), version
    world = _world(scenario, "2026.9.6")
    activity = world.activity["a"]
    # Only what started after the cut-off is kept, and the recovery is over.
    assert activity.last_progress_reason == "embedded_run:recovery_skipped_active_owner"
    assert not world.runtime.waiters and activity.snapshot(0).has_active_embedded_run


def test_a_direct_stale_reclaim_counts_the_request_timeout_from_9_2() -> None:
    recover = '[[step]]\ndo = "recover"\nsession = "a"\nqueue_depth = 1\nstale_abort_ms = 1000\n'
    head = HEAD.replace('drain = "hold"', "heartbeat_ms = 2000000").replace(
        'owner = "embedded_run"\n', 'owner = "embedded_run"\nabort = "honoured"\nqueue_depth = 1\n'
    )
    steps = TIMED + '[[step]]\ndo = "advance"\nms = 200000\n' + recover
    steps += '[[step]]\ndo = "advance"\nms = 110000\n' + recover
    scenario = _load(steps, head)

    def outcomes(version: str) -> tuple[str, ...]:
        return model_engine(f"fixed@{version}").replay(scenario).runtime_outcomes

    # Its progress is 200 s old, past the 1 s threshold but not the 300 s timeout.
    assert outcomes("2026.9.6")[:2] == ("skipped/active_embedded_run", "aborted/abort_embedded_run")
    assert outcomes("2026.9.1")[0] == "aborted/abort_embedded_run"

