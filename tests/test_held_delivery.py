"""Held bus deliveries: `start` with `delivery = "held"` and the `deliver` step.

A held start is numbered on the bus at its step and reaches run activity at the next
`deliver`; from 2026.5.31-beta.4 a recovery applied in between fences the starts emitted
before its request (recoveredOwnerStartEventCutoffs), before that version nothing does.
"""

from __future__ import annotations

import pytest

from probe.engines.engine import model_engine
from probe.errors import ScenarioError
from probe.scenario.dump import dump_scenario
from probe.scenario.loader import parse_scenario
from probe.scenario.values import Deliver, Scenario, Start
from probe.strategies import REGISTRY
from probe.versions import design_of

HEAD = """name = "held"
[settings]
warn_ms = 30000
abort_ms = 60000
runtime = "scripted"
[[session]]
ref = "agent:main:a"
session_id = "a1"
state = "processing"
queue_depth = 2
work = "embedded_run"
progress_age_ms = 400000
"""
START = """
[[step]]
do = "start"
session = "agent:main:a"
work = "{work}"
id = "{id}"
delivery = "held"
"""
TICK = '\n[[step]]\ndo = "tick"\n'
ANSWER = (
    '\n[[step]]\ndo = "answer"\nsession = "agent:main:a"\nstatus = "aborted"\n'
    'work = "embedded_run"\n'
)
DELIVER = '\n[[step]]\ndo = "deliver"\n'
# A queued message, then the heartbeats that tell which work the idle session kept.
AFTER = '\n[[step]]\ndo = "bump"\nsession = "agent:main:a"\n[[step]]\ndo = "advance"\nms = 61000\n'


def _load(text: str) -> Scenario:
    return parse_scenario(text, "held.toml", REGISTRY.keys())


def _problems(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        _load(text)
    return [p.render() for p in info.value.problems]


def _late(version: str, text: str) -> list[tuple[str, object]]:
    """The attention events after the 30 s heartbeat's recovery, with their work kind."""
    run = model_engine(f"{design_of(version)}@{version}").replay(_load(text))
    return [
        (e.type, dict(e.fields).get("activeWorkKind"))
        for e in run.events
        if e.at_ms > 30_000 and e.type in ("session.stalled", "session.stuck")
    ]


def test_a_held_start_loads_and_dumps_back_to_the_same_scenario() -> None:
    text = HEAD + START.format(work="tool_call", id="late") + TICK + DELIVER
    scenario = _load(text)
    assert scenario.steps[0] == Start("agent:main:a", "tool_call", "late", held=True)
    assert scenario.steps[-1] == Deliver()
    dumped = dump_scenario(scenario)
    assert 'delivery = "held"' in dumped and 'do = "deliver"' in dumped
    again = _load(dumped)
    assert (again.sessions, again.steps) == (scenario.sessions, scenario.steps)


@pytest.mark.parametrize(
    ("steps", "where", "why"),
    [
        (START.format(work="tool_call", id="x") + TICK, "step[1].delivery", "no later `deliver`"),
        (START.format(work="embedded_run", id="x") + DELIVER, "step[1].delivery", "tool or model"),
        (
            START.format(work="model_call", id="x") + "timeout_ms = 5000\n" + DELIVER,
            "step[1].delivery",
            "timeout_ms cannot be held",
        ),
        (
            START.format(work="model_call", id="x") + "attempt = true\n" + DELIVER,
            "step[1].delivery",
            "attempt cannot be held",
        ),
        (
            START.format(work="tool_call", id="x").replace('"held"', '"later"') + DELIVER,
            "step[1].delivery",
            "'later' is not one of: now, held",
        ),
        (
            START.format(work="tool_call", id="x")
            + '\n[[step]]\ndo = "backend"\nsession = "agent:main:a"\naction = "begin"\n'
            + "allowance_ms = 1000\n"
            + DELIVER,
            "step[1].delivery",
            "run owner of its own (step[2]",
        ),
    ],
)
def test_misused_holds_are_refused_where_they_are(steps: str, where: str, why: str) -> None:
    problems = _problems(HEAD + steps)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"held.toml:{HEAD.count(chr(10)) + 1}") or ":" in problems[0]
    assert f": {where}: " in problems[0] and why in problems[0], problems


STALE = (
    HEAD
    + START.format(work="tool_call", id="late-tool")
    + START.format(work="model_call", id="late-model")
    + TICK
    + ANSWER
    + DELIVER
    + AFTER
)


@pytest.mark.parametrize("version", ["2026.5.31-beta.4", "2026.7.1", "2026.9.6"])
def test_starts_emitted_before_the_request_are_fenced_once_it_is_applied(version: str) -> None:
    assert _late(version, STALE) == []


@pytest.mark.parametrize("version", ["2026.5.30-beta.1", "2026.5.31-beta.3"])
def test_before_the_fence_the_late_starts_come_back_as_work(version: str) -> None:
    assert _late(version, STALE) == [("session.stalled", "tool_call")]


def test_a_start_emitted_after_the_request_survives_it() -> None:
    # Emitted while the scripted call waits: numbered after the cut-off, it runs on.
    text = HEAD + TICK + START.format(work="tool_call", id="fresh") + ANSWER + DELIVER + AFTER
    assert _late("2026.9.6", text) == [("session.stuck", None)]
    fenced = HEAD + START.format(work="tool_call", id="fresh") + TICK + ANSWER + DELIVER + AFTER
    assert _late("2026.9.6", fenced) == []


def test_a_start_delivered_while_the_request_waits_is_cleared_with_the_rest() -> None:
    # Delivered before the answer, it is in run activity when the recovery clears it.
    text = HEAD + START.format(work="tool_call", id="t") + TICK + DELIVER + ANSWER + AFTER
    assert _late("2026.9.6", text) == []
    assert _late("2026.5.30-beta.1", text) == [("session.stalled", "tool_call")]


def test_the_generator_draws_held_starts_each_delivered_later() -> None:
    from probe.scenario.generate import GenerateOptions, generate_many

    scenarios = [s for _, s in generate_many(3, 200)]
    held = [s for s in scenarios if any(isinstance(x, Start) and x.held for x in s.steps)]
    assert held, "no held start drawn in 200 scenarios"
    for scenario in held:
        first = next(i for i, x in enumerate(scenario.steps) if isinstance(x, Start) and x.held)
        assert any(isinstance(x, Deliver) for x in scenario.steps[first:])
    # Off: the same seed draws the same scenarios without them.
    off = [s for _, s in generate_many(3, 200, GenerateOptions(held=False))]
    assert not any(isinstance(x, Deliver) for s in off for x in s.steps)
