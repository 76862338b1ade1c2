"""Late heartbeats in the scenario language and the model: keys, round trip, per-firing judging."""

from __future__ import annotations

from probe.engines.engine import model_engine
from probe.model.world import World
from probe.scenario.dump import dump_scenario
from probe.scenario.loader import parse_scenario
from probe.scenario.skeleton import skeleton
from probe.scenario.timeline import timeline
from probe.scenario.values import Advance, Scenario, SessionSeed, Settings, Tick, jitter_draw
from probe.strategies import REGISTRY, get_strategy

LATE = """\
name = "late"
[settings]
tick_late_ms = 200
tick_jitter_ms = [1100, 1700]
jitter_seed = 42
[[session]]
ref = "a"
state = "processing"
progress_age_ms = 200000
[[step]]
do = "tick"
late_ms = 1500
[[step]]
do = "tick"
[[step]]
do = "advance"
ms = 90000
"""


def _load(text: str) -> Scenario:
    return parse_scenario(text, "late.toml", REGISTRY.keys())


def test_the_lateness_keys_load_and_dump_back_to_the_same_scenario() -> None:
    scenario = _load(LATE)
    assert scenario.settings.tick_late_ms == 200
    assert scenario.settings.tick_jitter_ms == (1100, 1700)
    assert scenario.settings.jitter_seed == 42
    assert scenario.steps[:2] == (Tick(1500), Tick())
    again = _load(dump_scenario(scenario))
    assert (again.settings, again.steps) == (scenario.settings, scenario.steps)
    # On-time scenarios dump as they did before the keys existed.
    plain = dump_scenario(Scenario("on time", PROCESSING, (Tick(), Advance(90_000))))
    assert "late" not in plain and "jitter" not in plain


def test_a_jitter_seed_without_jitter_is_noted() -> None:
    text = LATE.replace("tick_jitter_ms = [1100, 1700]\n", "")
    assert _load(text).notes == (
        "settings.jitter_seed has no effect without settings.tick_jitter_ms",
    )
    assert _load(LATE).notes == ()


def test_jitter_draws_cover_the_range_and_depend_on_seed_and_firing_only() -> None:
    draws = [jitter_draw(9, n, 0, 3) for n in range(1, 400)]
    assert set(draws) == {0, 1, 2, 3}
    assert draws == [jitter_draw(9, n, 0, 3) for n in range(1, 400)]
    assert jitter_draw(5, 1, 7, 7) == 7


def test_the_skeleton_documents_the_lateness_keys_and_loads_with_them_on() -> None:
    text = skeleton("demo")
    for key in ("late_ms", "tick_late_ms", "tick_jitter_ms", "jitter_seed"):
        assert key in text
    on = text.replace("# tick_late_ms", "tick_late_ms").replace(
        "# tick_jitter_ms", "tick_jitter_ms"
    ).replace("# jitter_seed", "jitter_seed")
    settings = _load(on).settings
    assert (settings.tick_late_ms, settings.tick_jitter_ms, settings.jitter_seed) == (
        1200,
        (0, 2000),
        1,
    )


def _requested_at(version: str, scenario: Scenario) -> list[int]:
    run = model_engine(f"fixed@{version}").replay(scenario)
    return [e.at_ms for e in run.events if e.type == "session.recovery.requested"]


PROCESSING = (SessionSeed("a", state="processing", progress_age_ms=200_000),)


def test_each_firing_is_judged_by_its_own_lateness() -> None:
    # 1 s overdue defers; 999 ms does not; the on-time firing after a late one requests.
    deferred = Scenario("d", PROCESSING, (Tick(1_000), Tick()))
    assert _requested_at("2026.9.6", deferred) == [61_000]
    assert _requested_at("2026.7.1", deferred) == [31_000]
    almost = Scenario("a", PROCESSING, (Tick(999), Tick()))
    assert _requested_at("2026.9.6", almost) == [30_999]


def test_a_slow_interval_and_a_late_tick_add_up() -> None:
    # heartbeat_ms 30 500 is 500 ms overdue: not deferred; with late_ms 500 more it is.
    slow = Settings(heartbeat_ms=30_500)
    assert _requested_at("2026.9.6", Scenario("s", PROCESSING, (Tick(),), slow)) == [30_500]
    assert _requested_at("2026.9.6", Scenario("s", PROCESSING, (Tick(500), Tick()), slow)) == [
        61_500
    ]


def test_a_fast_interval_is_never_overdue_even_when_late() -> None:
    fast = Settings(heartbeat_ms=10_000)
    scenario = Scenario("f", PROCESSING, (Tick(15_000),), fast)
    assert _requested_at("2026.9.6", scenario) == [25_000]


def test_skip_slow_tick_counts_the_time_since_the_previous_firing() -> None:
    # 7.2-beta.1 requests nothing after more than 90 s without a firing, whatever makes it so.
    scenario = Scenario("k", PROCESSING, (Tick(60_001), Tick()))
    assert _requested_at("2026.7.2-beta.1", scenario) == [120_001]
    assert _requested_at("2026.7.2-beta.1", Scenario("k", PROCESSING, (Tick(60_000),))) == [
        90_000
    ]


def test_the_state_key_tells_jittered_firings_apart_and_nothing_else() -> None:
    # No sessions: after one tick and after two the worlds differ only in which firing is
    # next. Equally late firings behave alike from there (one state for a search); under
    # jitter the next firings are drawn differently, so the key keeps them apart.
    def key(settings: Settings, ticks: int) -> tuple[object, ...]:
        world = World(Scenario("k", (), (Tick(),) * ticks, settings), get_strategy("fixed"))
        for number in range(1, ticks + 1):
            world.apply(number, Tick())
        return world.state_key()

    even = Settings(tick_late_ms=1_000)
    assert key(even, 1) == key(even, 2)
    jittered = Settings(tick_jitter_ms=(0, 2_000), jitter_seed=3)
    assert key(jittered, 1) != key(jittered, 2)


def test_a_clone_keeps_when_the_heartbeat_last_fired() -> None:
    world = World(Scenario("c", PROCESSING, (Tick(1_500),)), get_strategy("fixed"))
    world.apply(1, Tick(1_500))
    twin = world.clone()
    assert (twin.last_heartbeat_at, twin.firing) == (31_500, 2)
    assert twin.state_key() == world.state_key()
    assert twin.heartbeat.due == 61_500


def test_the_harness_gets_every_firing_instant_when_the_heartbeat_is_not_the_builds() -> None:
    from probe.engines.engine import normalized

    late = normalized(_load(LATE))
    assert late["heartbeats"] == [h.fired_ms for h in timeline(_load(LATE)).heartbeats]
    assert late["steps"][0] == {"do": "tick", "late_ms": 1500}
    assert late["settings"]["tick_jitter_ms"] == [1100, 1700]
    slow = Scenario("s", PROCESSING, (Tick(), Tick()), Settings(heartbeat_ms=40_000))
    assert normalized(slow)["heartbeats"] == [40_000, 80_000]
    # On time at the builds' own interval: the harness's input is as it always was.
    assert "heartbeats" not in normalized(Scenario("o", PROCESSING, (Tick(),)))
