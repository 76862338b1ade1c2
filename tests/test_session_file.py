"""session.session_file: a session's file, and the runtime finding a run by it."""

from __future__ import annotations

import pytest

from probe.engines.engine import model_engine, normalized
from probe.errors import ScenarioError
from probe.scenario.dump import dump_scenario
from probe.scenario.generate import generate_many
from probe.scenario.loader import parse_scenario
from probe.scenario.session_files import shared_file_misuse
from probe.scenario.values import Scenario
from probe.strategies import REGISTRY

FILE = "/tmp/openclaw-shared-session.jsonl"
HEAD = f"""\
name = "session file"
[[session]]
ref = "agent:main:visible"
owner = "embedded_run"
session_file = "{FILE}"

[[session]]
ref = "agent:main:fallback"
session_file = "{FILE}"
"""
TICK = '[[step]]\ndo = "tick"\n'
RECOVER = '[[step]]\ndo = "recover"\nsession = "agent:main:fallback"\nqueue_depth = 1\n'


def _load(text: str) -> Scenario:
    return parse_scenario(text, "sf.toml", REGISTRY.keys())


def _outcomes(text: str, engine: str = "fixed@2026.9.6") -> tuple[str, ...]:
    return model_engine(engine).replay(_load(text)).runtime_outcomes


def test_session_file_loads_dumps_back_and_reaches_the_harness() -> None:
    scenario = _load(HEAD + RECOVER)
    assert [s.session_file for s in scenario.sessions] == [FILE, FILE]
    again = _load(dump_scenario(scenario))
    assert again.sessions == scenario.sessions
    sessions = normalized(scenario)["sessions"]
    assert [s.get("session_file") for s in sessions] == [FILE, FILE]
    plain = _load(HEAD.replace(f'session_file = "{FILE}"\n', "") + RECOVER)
    assert all("session_file" not in s for s in normalized(plain)["sessions"])


@pytest.mark.parametrize("engine", ["buggy@2026.5.30-beta.1", "fixed@2026.7.1", "fixed@2026.9.6"])
def test_a_sibling_key_sharing_the_runs_file_is_left_alone(engine: str) -> None:
    assert _outcomes(HEAD + RECOVER, engine) == ("skipped/active_embedded_run",)
    # The same sessions without the shared file: the sibling has no run, so it is released.
    apart = HEAD.replace(FILE, "/tmp/openclaw-other.jsonl", 1)
    assert _outcomes(apart + RECOVER, engine) != ("skipped/active_embedded_run",)


def test_once_the_run_ends_the_file_finds_nothing() -> None:
    release = '[[step]]\ndo = "release"\nsession = "agent:main:visible"\n'
    outcomes = _outcomes(HEAD + RECOVER + release + RECOVER)
    assert outcomes[0] == "skipped/active_embedded_run"
    assert outcomes[1] != "skipped/active_embedded_run"


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        (HEAD.replace(FILE, "relative.jsonl", 1) + TICK, "session[1].session_file", "under /tmp/"),
        (HEAD.replace(FILE, "/tmp/a/../b.jsonl", 1) + TICK, "session[1].session_file", "normal"),
        (HEAD.replace(FILE, "/tmp/", 1) + TICK, "session[1].session_file", "normalized"),
        (
            HEAD + 'owner = "embedded_run"\n' + TICK,
            "session[2].session_file",
            "both register runs",
        ),
        (
            HEAD + '[[step]]\ndo = "own"\nsession = "agent:main:fallback"\n',
            "session[2].session_file",
            "both register runs",
        ),
        (
            HEAD + 'work = "tool_call"\n' + TICK,
            "session[2].work",
            "shares session file",
        ),
        (
            HEAD + '[[step]]\ndo = "start"\nsession = "agent:main:fallback"\nwork = "model_call"\n',
            "step[1].session",
            "shares session file",
        ),
        (
            HEAD + '[[step]]\ndo = "progress"\nsession = "agent:main:fallback"\n',
            "step[1].session",
            "shares session file",
        ),
        (
            HEAD + RECOVER + "allow_active_abort = true\n",
            "step[1].session",
            "allow_active_abort",
        ),
        (
            HEAD + '[[step]]\ndo = "reply"\nsession = "agent:main:visible"\n',
            "step[1].session",
            "reply work",
        ),
    ],
)
def test_what_the_model_does_not_say_is_a_located_error(
    text: str, where: str, message: str
) -> None:
    with pytest.raises(ScenarioError) as err:
        _load(text)
    (problem,) = err.value.problems
    assert problem.where == where and message in problem.message and problem.line is not None


def test_a_key_step_on_a_session_with_a_file_is_refused() -> None:
    text = (
        f'name = "k"\n[[session]]\nsession_id = "s1"\nsession_file = "{FILE}"\n'
        '[[step]]\ndo = "key"\nsession = "s1"\nkey = "agent:main:c1"\n'
    )
    with pytest.raises(ScenarioError) as err:
        _load(text)
    (problem,) = err.value.problems
    assert problem.where == "step[1].key" and "session_file" in problem.message


def test_a_record_only_progress_of_the_sibling_is_allowed() -> None:
    text = HEAD + '[[step]]\ndo = "progress"\nsession = "agent:main:fallback"\ntarget = "record"\n'
    assert _load(text).sessions[1].session_file == FILE


def test_the_generator_draws_shared_and_single_files_the_loader_takes() -> None:
    scenarios = [s for _, s in generate_many(1, 300)]
    counts = [sum(1 for x in s.sessions if x.session_file) for s in scenarios]
    assert 0 in counts and 1 in counts and 2 in counts
    # Each came through the loader (generate parses its own dump), so every pair is one it takes.
    shared = [s for s, n in zip(scenarios, counts, strict=True) if n == 2]
    assert all(not list(shared_file_misuse(s.sessions, s.steps)) for s in shared)
    owners = [x for s in shared for x in s.sessions if x.owner == "embedded_run" and x.session_file]
    assert owners
