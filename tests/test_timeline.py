"""The scenario's clock read off its steps agrees with the model's own clock, step by step."""

from __future__ import annotations

import random

import pytest

from probe.model.world import World
from probe.scenario.generate import GenerateOptions, build
from probe.scenario.timeline import BUILD_HEARTBEAT_MS, HeartbeatFiring, timeline
from probe.scenario.values import Advance, Bump, Scenario, SessionSeed, Settings, Tick
from probe.strategies import get_strategy


def _scenario(*steps: object, heartbeat_ms: int = 30_000) -> Scenario:
    return Scenario(
        name="t",
        sessions=(SessionSeed("a"),),
        steps=tuple(steps),  # type: ignore[arg-type]
        settings=Settings(heartbeat_ms=heartbeat_ms),
    )


def test_ticks_fire_every_interval_and_advance_fires_what_falls_due() -> None:
    line = timeline(_scenario(Tick(), Bump("a"), Advance(70_000), Tick()))
    assert line.step_ms == (30_000, 30_000, 100_000, 120_000)
    assert [(h.step, h.fired_ms) for h in line.heartbeats] == [
        (1, 30_000),
        (3, 60_000),
        (3, 90_000),
        (4, 120_000),
    ]
    assert all(h.late_ms == 0 for h in line.heartbeats)


def test_a_slow_interval_is_late_against_openclaws_own() -> None:
    line = timeline(_scenario(Tick(), Tick(), heartbeat_ms=31_200))
    assert line.heartbeats == (
        HeartbeatFiring(1, BUILD_HEARTBEAT_MS, 31_200),
        HeartbeatFiring(2, 31_200 + BUILD_HEARTBEAT_MS, 62_400),
    )
    assert [h.late_ms for h in line.heartbeats] == [1_200, 1_200]


def test_a_fast_interval_is_never_late() -> None:
    line = timeline(_scenario(Tick(), Tick(), heartbeat_ms=10_000))
    assert [h.late_ms for h in line.heartbeats] == [0, 0]


@pytest.mark.parametrize("seed", range(40))
def test_the_model_keeps_the_same_clock(seed: int) -> None:
    scenario = build(random.Random(seed), GenerateOptions())
    line = timeline(scenario)
    world = World(scenario, get_strategy("fixed"))
    for number, step in enumerate(scenario.steps, start=1):
        world.apply(number, step)
        assert world.clock.now == line.at_step(number)
    # The next heartbeat the model has scheduled is the one after the last firing.
    last = line.heartbeats[-1].fired_ms if line.heartbeats else 0
    assert world.heartbeat.due == last + scenario.settings.heartbeat_ms
