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


def _late(*steps: object, **settings: object) -> Scenario:
    return Scenario(
        name="t",
        sessions=(SessionSeed("a"),),
        steps=tuple(steps),  # type: ignore[arg-type]
        settings=Settings(**settings),  # type: ignore[arg-type]
    )


def _model_agrees(scenario: Scenario) -> None:
    line = timeline(scenario)
    world = World(scenario, get_strategy("fixed"))
    for number, step in enumerate(scenario.steps, start=1):
        world.apply(number, step)
        fired = [h for h in line.heartbeats if h.step <= number]
        assert world.clock.now == line.at_step(number)
        assert world.last_heartbeat_at == (fired[-1].fired_ms if fired else 0)


def test_a_late_tick_fires_late_and_the_next_is_due_an_interval_after_it() -> None:
    # Node re-arms an interval from when its callback ran: one late firing pushes the rest.
    scenario = _late(Tick(), Tick(1_200), Tick(), Advance(60_000))
    line = timeline(scenario)
    assert [(h.step, h.due_ms, h.fired_ms, h.late_ms) for h in line.heartbeats] == [
        (1, 30_000, 30_000, 0),
        (2, 60_000, 61_200, 1_200),
        (3, 91_200, 91_200, 0),
        (4, 121_200, 121_200, 0),
        (4, 151_200, 151_200, 0),
    ]
    assert line.step_ms == (30_000, 61_200, 91_200, 151_200)
    _model_agrees(scenario)


def test_every_firing_late_by_the_settings_and_a_ticks_own_late_ms_replaces_it() -> None:
    scenario = _late(Tick(), Tick(), Tick(0), Advance(31_200), tick_late_ms=1_200)
    line = timeline(scenario)
    assert [(h.fired_ms, h.late_ms) for h in line.heartbeats] == [
        (31_200, 1_200),
        (62_400, 1_200),
        (92_400, 0),
        (123_600, 1_200),
    ]
    _model_agrees(scenario)


def test_jitter_is_drawn_per_firing_from_the_seed_and_stays_in_range() -> None:
    steps = [Tick()] * 30
    one = timeline(_late(*steps, tick_jitter_ms=(1_100, 1_700), jitter_seed=7))
    again = timeline(_late(*steps, tick_jitter_ms=(1_100, 1_700), jitter_seed=7))
    other = timeline(_late(*steps, tick_jitter_ms=(1_100, 1_700), jitter_seed=8))
    assert one == again and one != other
    lates = [h.late_ms for h in one.heartbeats]
    assert all(1_100 <= x <= 1_700 for x in lates) and len(set(lates)) > 10
    # tick_late_ms adds to the draw.
    shifted = timeline(
        _late(*steps, tick_late_ms=100, tick_jitter_ms=(1_100, 1_700), jitter_seed=7)
    )
    assert [h.late_ms for h in shifted.heartbeats] == [x + 100 for x in lates]


def test_a_tick_never_moves_the_clock_back() -> None:
    # Every firing 5 s late; at 32 s the pending one is due at 30 s, to fire at 35 s: a tick
    # asking for it on time fires it now.
    scenario = _late(Advance(32_000), Tick(0), tick_late_ms=5_000)
    line = timeline(scenario)
    assert [(h.fired_ms, h.late_ms) for h in line.heartbeats] == [(32_000, 2_000)]
    assert line.step_ms == (32_000, 32_000)
    _model_agrees(scenario)


@pytest.mark.parametrize("seed", range(80))
def test_the_model_keeps_the_same_clock(seed: int) -> None:
    scenario = build(random.Random(seed), GenerateOptions(late_chance=0.6))
    line = timeline(scenario)
    world = World(scenario, get_strategy("fixed"))
    for number, step in enumerate(scenario.steps, start=1):
        world.apply(number, step)
        assert world.clock.now == line.at_step(number)
        fired = [h for h in line.heartbeats if h.step <= number]
        # The same firings, late ones included: as many, the last at the same instant.
        assert world.firing == len(fired) + 1
        assert world.last_heartbeat_at == (fired[-1].fired_ms if fired else 0)
    # The next heartbeat the model has scheduled is due an interval after the last firing,
    # late as the settings say.
    settings = scenario.settings
    last = line.heartbeats[-1].fired_ms if line.heartbeats else 0
    late = settings.firing_late_ms(len(line.heartbeats) + 1)
    assert world.heartbeat.due == last + settings.heartbeat_ms + late


def test_random_scenarios_have_late_heartbeats_of_every_kind() -> None:
    scenarios = [build(random.Random(seed)) for seed in range(300)]
    late = [s for s in scenarios if any(h.late_ms for h in timeline(s).heartbeats)]
    assert 0.15 < len(late) / len(scenarios) < 0.45
    assert any(s.settings.tick_late_ms for s in late)
    assert any(s.settings.tick_jitter_ms for s in late)
    assert any(isinstance(t, Tick) and t.late_ms for s in late for t in s.steps)
    on_time = GenerateOptions(late_ticks=False)
    for seed in range(100):
        assert not any(h.late_ms for h in timeline(build(random.Random(seed), on_time)).heartbeats)
