"""Model request attempts and semantic progress: `start` with `attempt`, `progress` with
`semantic` (switch repeated-requests, F43)."""

from __future__ import annotations

from pathlib import Path

import pytest

from probe.engines.engine import model_engine, normalized
from probe.errors import ScenarioError
from probe.scenario.dump import dump_scenario
from probe.scenario.generate import GenerateOptions, generate_many
from probe.scenario.loader import parse_scenario
from probe.scenario.values import Progress, Scenario, Start
from probe.strategies import REGISTRY
from tests.helpers import validate_in_a_process

HEAD = """\
name = "attempts"
[settings]
warn_ms = 30000
abort_ms = 90000
[[session]]
ref = "a"
state = "processing"
work = "embedded_run"
"""
STALL = "repeated_model_requests_without_progress"


def _load(steps: str, head: str = HEAD) -> Scenario:
    return parse_scenario(head + steps, "attempts.toml", REGISTRY.keys())


def attempt(marker: str = "t", extra: str = "") -> str:
    return (
        f'[[step]]\ndo = "start"\nsession = "a"\nwork = "model_call"\nid = "{marker}"\n'
        f"attempt = true\n{extra}"
    )


def semantic(extra: str = 'target = "run"\n') -> str:
    return f'[[step]]\ndo = "progress"\nsession = "a"\nsemantic = true\n{extra}'


def advance(ms: int) -> str:
    return f'[[step]]\ndo = "advance"\nms = {ms}\n'


def _stalls(scenario: Scenario, version: str) -> list[tuple[int, object]]:
    run = model_engine(f"fixed@{version}").replay(scenario)
    return [
        (e.at_ms, dict(e.fields).get("repeatedRequestNoProgressAgeMs"))
        for e in run.events
        if dict(e.fields).get("reason") == STALL and e.type == "session.stalled"
    ]


def test_attempt_and_semantic_load_dump_back_and_reach_the_harness() -> None:
    scenario = _load(attempt() + semantic('target = "both"\nreason = "assistant:progress"\n'))
    assert scenario.steps == (
        Start("a", "model_call", "t", attempt=True),
        Progress("a", "both", "assistant:progress", semantic=True),
    )
    again = parse_scenario(dump_scenario(scenario), "again.toml", REGISTRY.keys())
    assert again.steps == scenario.steps
    assert normalized(scenario)["steps"] == [
        {"do": "start", "session": "a", "work": "model_call", "id": "t", "attempt": True},
        {"do": "progress", "session": "a", "reason": "assistant:progress", "semantic": True},
    ]


KEYED_LATER = 'name = "k"\n[[session]]\nsession_id = "s1"\nstate = "processing"\n'


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (attempt(extra="timeout_ms = 1000\n"), "step[1].attempt", "declares no timeout"),
        (attempt().replace("model_call", "tool_call"), "step[1].attempt", "only a model call"),
        (attempt(extra="attempt = 1\n").replace("attempt = true\n", ""), "step[1].attempt",
         "must be a boolean"),
        (
            attempt() + '[[step]]\ndo = "start"\nsession = "a"\nwork = "model_call"\nid = "t"\n',
            "step[1].attempt",
            "also starts as a plain call (step[2])",
        ),
        (
            '[[step]]\ndo = "start"\nsession = "a"\nwork = "model_call"\nid = "r"\n'
            "timeout_ms = 5000\n" + attempt(),
            "step[2].attempt",
            "has timed model calls (step[1])",
        ),
        (
            '[[step]]\ndo = "start"\nsession = "a"\nwork = "embedded_run"\nsession_id = "o"\n'
            + attempt(),
            "step[2].attempt",
            "runs under other session ids (step[1])",
        ),
        (semantic('target = "record"\n'), "step[1].semantic", 'not "record"'),
        (semantic("ago_ms = 5\n"), "step[1].semantic", "cannot be back-dated"),
    ],
)
def test_bad_attempts_and_semantic_progress_are_located_errors(
    text: str, where: str, message: str
) -> None:
    with pytest.raises(ScenarioError) as err:
        _load(text)
    problems = [p for p in err.value.problems if p.where == where]
    assert problems, err.value.problems
    assert any(message in p.message and p.line is not None for p in problems), problems


def test_seedings_own_model_call_is_no_attempt() -> None:
    with pytest.raises(ScenarioError) as err:
        _load(attempt("main"), HEAD.replace("embedded_run", "model_call"))
    (problem,) = err.value.problems
    assert problem.where == "step[1].attempt" and "seeded with a plain model call" in (
        problem.message
    )


def test_attempts_of_a_session_named_by_a_key_step_are_refused() -> None:
    steps = '[[step]]\ndo = "key"\nsession = "s1"\nkey = "k1"\n' + attempt().replace(
        'session = "a"', 'session = "k1"'
    )
    with pytest.raises(ScenarioError) as err:
        _load(steps, KEYED_LATER)
    assert any(
        p.where == "step[2].attempt" and "named by a key step (step[1])" in p.message
        for p in err.value.problems
    ), err.value.problems


def test_a_bad_attempt_exits_2_with_file_line_and_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(HEAD + attempt(extra="timeout_ms = 1000\n"))
    done = validate_in_a_process(path)
    assert done.returncode == 2, done.stderr
    assert f"{path}:14: step[1].attempt: a request attempt declares no timeout" in done.stderr
    assert "Traceback" not in done.stderr


RETRIES = attempt() + advance(30_000) + attempt() + advance(30_000) + attempt() + advance(30_000)


def test_two_attempts_or_more_stall_the_run_at_the_abort_threshold_from_8_1_beta_3() -> None:
    scenario = _load(RETRIES)
    # The first attempt at 0: its age reaches abort (90 s) at the third heartbeat.
    assert _stalls(scenario, "2026.8.1-beta.3")[:1] == [(90_000, 90_000)]
    assert _stalls(scenario, "2026.9.6")[:1] == [(90_000, 90_000)]
    run = model_engine("fixed@2026.9.6").replay(scenario)
    (request,) = [e for e in run.events if e.type == "session.recovery.requested"]
    assert dict(request.fields)["allowActiveAbort"] is True and request.at_ms == 90_000
    # Before it, nothing is counted: plain model calls, and a note says so.
    before = model_engine("fixed@2026.7.35").replay(scenario)
    assert not _stalls(scenario, "2026.7.35")
    assert any(n.startswith("step[1].attempt: this version counts no") for n in before.notes)


def test_one_attempt_is_no_repetition() -> None:
    scenario = _load(attempt() + advance(120_000))
    run = model_engine("fixed@2026.9.6").replay(scenario)
    assert not any("repeatedRequestNoProgressAgeMs" in dict(e.fields) for e in run.events)


def test_semantic_progress_forgets_the_attempts_and_plain_progress_does_not() -> None:
    plain = '[[step]]\ndo = "progress"\nsession = "a"\ntarget = "run"\n'
    forgotten = _load(attempt() + advance(30_000) + attempt() + semantic() + advance(90_000))
    kept = _load(attempt() + advance(30_000) + attempt() + plain + advance(90_000))
    assert _stalls(forgotten, "2026.9.6") == []
    assert _stalls(kept, "2026.9.6")[:1] == [(90_000, 90_000)]


def test_attempts_count_only_while_the_sessions_run_is_active() -> None:
    no_run = HEAD.replace('work = "embedded_run"\n', "")
    scenario = _load(RETRIES, no_run)
    run = model_engine("fixed@2026.9.6").replay(scenario)
    assert not any("repeatedRequestNoProgressAgeMs" in dict(e.fields) for e in run.events)


def test_an_applied_clear_forgets_the_attempts_and_a_stale_outcome_does_not() -> None:
    # The scripted runtime answers aborted while the record is as the request saw it: the
    # coordinator applies it, and its clear of the run's activity forgets the attempts; a new
    # run's attempts then count afresh (first at 90 s: stalled at 180 s, not at once).
    head = HEAD.replace("[[session]]", 'runtime = "scripted"\n[[session]]')
    answer = '[[step]]\ndo = "answer"\nsession = "a"\nstatus = "aborted"\nwork = "embedded_run"\n'
    restart = (
        '[[step]]\ndo = "state"\nsession = "a"\nto = "processing"\n'
        '[[step]]\ndo = "start"\nsession = "a"\nwork = "embedded_run"\n'
    )
    again = restart + attempt() + advance(30_000) + attempt() + advance(90_000)
    cleared = _load(RETRIES + answer + again, head)
    assert [at for at, _ in _stalls(cleared, "2026.9.6")] == [90_000, 180_000, 210_000]
    # An owned run that ignores the abort: the settle timer force-clears it, which moves the
    # record on, so the aborted outcome lands stale and clears nothing: a new run (own) under
    # the same run id inherits the count, stalled again as soon as it is asked about.
    owned = HEAD.replace('work = "embedded_run"\n', 'owner = "embedded_run"\n')
    replaced = '[[step]]\ndo = "own"\nsession = "a"\n' + attempt() + advance(60_000)
    stale = _load(RETRIES + advance(30_000) + replaced, owned)
    assert _stalls(stale, "2026.9.6") == [(90_000, 90_000), (150_000, 150_000)]


def test_the_generator_draws_attempts_and_can_leave_them_out() -> None:
    def drawn(options: GenerateOptions) -> int:
        return sum(
            any(isinstance(s, Start) and s.attempt for s in scenario.steps)
            for _, scenario in generate_many(7, 200, options)
        )

    roomy = GenerateOptions(max_steps=24)
    assert drawn(roomy) >= 15
    assert drawn(GenerateOptions()) >= 1
    assert drawn(GenerateOptions(max_steps=24, attempts=False)) == 0
