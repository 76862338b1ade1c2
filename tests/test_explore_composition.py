"""Composition: proving several sessions one at a time (probe.explore.composition).

The projection lemma held to the model: every state (world and judge) a bounded search of
two sessions reaches, projected onto one session, is a state the composed one-session search
(with its environment) reaches within as many steps. A world whose steps leak into another
session's part fails it. And the composed answer agrees with the sessions searched together:
verified where together no violation is found, inconclusive (so searched together) where
together finds one.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from probe.explore.abstraction import narrowed
from probe.explore.composition import Composition, premises, project, project_checker
from probe.explore.search import explore
from probe.explore.steps import step_plan
from probe.explore.values import ISSUE_SEED, ExploreConfig
from probe.model.world import World
from probe.properties.judge import Judge
from probe.scenario.dump import dump_scenario
from probe.scenario.values import Scenario, Settings, Step
from probe.strategies import REGISTRY, AtVersion, DedupStrategy
from tests.helpers import invoke

SEED = ISSUE_SEED.sessions[0]
TWO = replace(
    ISSUE_SEED,
    name="two sessions",
    sessions=(SEED, replace(SEED, ref="agent:main:b", progress_age_ms=360_000, queue_depth=0)),
)
# Alike but for their ref: one search covers both.
TWINS = replace(ISSUE_SEED, name="twins", sessions=(SEED, replace(SEED, ref="agent:main:b")))
# Records idle, empty and quiet near the TTL, prunes due between late firings.
QUIET = replace(
    ISSUE_SEED,
    name="quiet",
    sessions=(
        replace(SEED, queue_depth=0, owner="none", work="none", progress_age_ms=1_770_000),
        replace(SEED, ref="agent:main:b", progress_age_ms=1_760_000),
    ),
    settings=Settings(drain="hold", tick_late_ms=45_000),
)

# (now, state key, judge key): the judge's key holds absolute instants, so states are told
# apart by the clock too (two arrivals at one relative state, at two instants, differ there).
Key = tuple[int, tuple[object, ...], object]


def reachable(
    scenario: Scenario, strategy: DedupStrategy, depth: int, environment: bool
) -> tuple[list[set[Key]], World]:
    """Concrete (state key, judge key) pairs per depth, as a search steps and judges them."""
    scenario = narrowed(scenario)[0]
    config = ExploreConfig(depth=depth)
    judge = Judge.of(scenario)
    world = World(scenario, strategy, keep_events=judge.event_types)
    plan: list[Step | None] = [s for s, _ in step_plan(scenario, config)]
    if environment:
        plan.append(None)
    frontier = [(world.snapshot(), judge)]
    layers = [{(world.clock.now, world.state_key(), judge.key())}]
    seen = set(layers[0])
    for d in range(1, depth + 1):
        nxt = []
        layer: set[Key] = set()
        for state, node in frontier:
            for step in plan:
                world.restore(state)
                checker = node.clone()
                if step is None:
                    world.environment_prune()
                else:
                    world.apply(d, step)
                    checker.step(d, step, world.bus.events)
                if checker.truth.pairing.open_requests and not world.in_flight():
                    checker.finish(settled=True, step=d)
                k = (world.clock.now, world.state_key(), checker.key())
                layer.add(k)
                if k not in seen:
                    seen.add(k)
                    nxt.append((world.snapshot(), checker))
        layers.append(layer)
        frontier = nxt
    return layers, world


def projection_misses(scenario: Scenario, strategy: DedupStrategy, depth: int) -> list[str]:
    plan = premises(scenario, strategy, ExploreConfig())
    assert isinstance(plan, Composition), plan
    together, _ = reachable(scenario, strategy, depth, False)
    misses = []
    for seed in scenario.sessions:
        ref = seed.ref
        alone_seed = replace(scenario, sessions=(seed,))
        alone, _ = reachable(alone_seed, strategy, depth, plan.environment)
        within = set().union(*alone)
        for d, layer in enumerate(together):
            for now, key, checker in layer:
                mine = (now, project(key, ref), project_checker(checker, ref))
                if mine not in within:
                    misses.append(f"{ref} at depth {d}: {mine}")
    return misses


CASES = [
    (TWO, "fixed"),
    (TWO, "buggy"),
    (TWO, "fixed@2026.9.6"),
    (TWO, "fixed@2026.7.2-beta.5"),
    (QUIET, "fixed"),
    (QUIET, "fixed@2026.9.6"),
]


def strategy_of(name: str) -> DedupStrategy:
    design, _, version = name.partition("@")
    return AtVersion(REGISTRY[design], version) if version else REGISTRY[design]


@pytest.mark.parametrize(("scenario", "name"), CASES, ids=[f"{s.name}-{n}" for s, n in CASES])
def test_every_state_of_two_sessions_projects_onto_one_session_alone(
    scenario: Scenario, name: str
) -> None:
    assert projection_misses(scenario, strategy_of(name), 4) == []


class Leaky(World):
    """A deliberately interfering world: a message queued for one session touches the
    other's record too (the premise composition rests on, broken)."""

    __slots__ = ()

    def message_queued(self, ref: str) -> None:
        super().message_queued(ref)
        for other in list(self.store.records):
            if other != ref:
                self.store.lookup(other, self.clock.now).touch(self.clock.now)


def test_a_world_that_leaks_into_another_session_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import probe.explore.composition as composition

    monkeypatch.setattr(composition, "World", Leaky)
    monkeypatch.setitem(globals(), "World", Leaky)
    assert projection_misses(TWO, REGISTRY["fixed"], 3) != []


def test_premises_refuse_what_the_argument_does_not_cover() -> None:
    fixed = REGISTRY["fixed"]
    config = ExploreConfig()
    assert premises(replace(TWO, sessions=TWO.sessions[:1]), fixed, config) == "one session"
    with_id = replace(TWO, sessions=(SEED, replace(SEED, ref="agent:main:b", session_id="x")))
    assert "id" in str(premises(with_id, fixed, config))
    settle = replace(TWO, settings=replace(TWO.settings, drain="settle"))
    assert "settle" in str(premises(settle, fixed, config))  # pinned: prunes on create
    own = replace(config, actions=(*config.actions, "own"))
    assert "own" in str(premises(TWO, fixed, own))
    # From 2026.8.2 with on-time firings no settle timer's lookup can prune: settle is covered.
    at_96 = premises(settle, strategy_of("fixed@2026.9.6"), config)
    assert isinstance(at_96, Composition)
    late = replace(settle, settings=replace(settle.settings, tick_late_ms=45_000))
    assert "settle" in str(premises(late, strategy_of("fixed@2026.9.6"), config))
    twins = premises(TWINS, fixed, config)
    assert isinstance(twins, Composition) and len(twins.seeds) == 1 and twins.environment


@pytest.mark.parametrize("name", ["fixed", "buggy", "fixed@2026.9.6"])
def test_composed_verdict_agrees_with_the_sessions_together(name: str) -> None:
    """Composed verified => together finds nothing to a bound; together finds a violation =>
    composed is inconclusive."""
    strategy = strategy_of(name)
    plan = premises(TWO, strategy, ExploreConfig())
    assert isinstance(plan, Composition)
    scenario = narrowed(TWO)[0]
    actions = ("tick", "bump", "release", "state")
    alone = [
        explore(
            seed,
            strategy,
            ExploreConfig(fixpoint=True, environment=plan.environment, actions=actions),
        )
        for seed in plan.seeds
    ]
    together = explore(scenario, strategy, ExploreConfig(depth=5, abstract=True, actions=actions))
    if all(r.verified for r in alone):
        assert not together.counterexamples
    if together.counterexamples:
        assert not all(r.verified for r in alone)
    assert (name == "buggy") == bool(together.counterexamples)


def test_cli_proves_two_sessions_one_at_a_time(tmp_path: Path) -> None:
    seed = tmp_path / "twins.toml"
    seed.write_text(dump_scenario(TWINS), encoding="utf-8")
    code, out, err = invoke("explore", str(seed), "--fixpoint", "--strategy", "fixed",
                            "--workers", "1", "-f", "json", "--no-write",
                            "--actions", "tick,bump,release")
    assert code == 0, err
    doc = json.loads(out)["strategies"]["fixed"]
    assert doc["verified"] and doc["fixpoint"]
    assert doc["composed"] == {
        "sessions": 2, "searched_alone": ["agent:main:direct"], "environment_prunes": True
    }
    _, table, _ = invoke("explore", str(seed), "--fixpoint", "--strategy", "fixed",
                         "--workers", "1", "--no-write", "--actions", "tick,bump,release")
    assert "verified: no interleaving of these 2 sessions" in table
    assert "proved one session at a time: agent:main:direct" in table


def test_cli_searches_together_when_composition_is_inconclusive(tmp_path: Path) -> None:
    seed = tmp_path / "twins.toml"
    seed.write_text(dump_scenario(TWINS), encoding="utf-8")
    _, out, err = invoke("explore", str(seed), "--fixpoint", "--strategy", "buggy",
                         "--workers", "1", "-f", "json", "--no-write", "--time-limit", "20",
                         "--actions", "tick,bump,release")
    doc = json.loads(out)["strategies"]["buggy"]
    assert doc["composed"] is None
    assert [v["invariant"] for v in doc["violations"]] == ["phantom-request"]
    assert len(doc["violations"][0]["trace"]) == 3
    assert "composition inconclusive" in err


def test_no_composition_searches_together(tmp_path: Path) -> None:
    seed = tmp_path / "twins.toml"
    seed.write_text(dump_scenario(TWINS), encoding="utf-8")
    _, out, _ = invoke("explore", str(seed), "--fixpoint", "--strategy", "fixed",
                       "--workers", "1", "-f", "json", "--no-write", "--no-composition",
                       "--max-states", "2000")
    doc = json.loads(out)["strategies"]["fixed"]
    assert doc["composed"] is None and not doc["verified"]
    assert doc["bound_hit"] == "max_states"



@pytest.mark.parametrize("name", ["fixed", "buggy", "fixed@2026.9.6"])
@pytest.mark.parametrize("scenario", [TWO, QUIET], ids=["two", "quiet"])
def test_the_abstraction_stays_exact_with_the_environment(scenario: Scenario, name: str) -> None:
    """Abstract and concrete searches of a session alone with its environment: the same
    violations at the same shortest lengths (the environment's prune respects every class:
    ages past the idle cap are all prunable, a quiet prune clock is restarted alike, a
    forgotten record is as good as pruned)."""
    strategy = strategy_of(name)
    for seed in scenario.sessions:
        alone = narrowed(replace(scenario, sessions=(seed,)))[0]
        config = ExploreConfig(depth=6, environment=True)
        concrete = explore(alone, strategy, config)
        abstract = explore(alone, strategy, replace(config, abstract=True))
        assert {c.invariant: len(c.trace) for c in concrete.counterexamples} == {
            c.invariant: len(c.trace) for c in abstract.counterexamples
        }
        assert abstract.distinct_states <= concrete.distinct_states


def test_liveness_one_session_at_a_time_finds_a_lasso_that_starves_among_the_others() -> None:
    """Class 4 (an idle, empty record hides a stale run), two sessions: found alone with its
    environment, and the lasso replayed among both sessions keeps starving its session."""
    from probe.explore.liveness import composed_starvation, needs_coverage
    from probe.model.events import REQUESTED

    seed = replace(
        SEED, queue_depth=0, owner="embedded_run", abort="honoured", progress_age_ms=400_000
    )
    two = replace(
        ISSUE_SEED,
        name="class 4, two sessions",
        sessions=(seed, replace(seed, ref="agent:main:other")),
        settings=Settings(),
    )
    strategy = strategy_of("fixed@2026.9.6")
    plan = premises(two, strategy, ExploreConfig())
    assert isinstance(plan, Composition) and len(plan.seeds) == 1
    found = composed_starvation(plan.seeds, strategy, ExploreConfig(), plan.environment)
    assert found is not None and found.complete and found.composed == ("agent:main:direct",)
    (lasso,) = [x for x in found.lassos if x.need == "coverage"]
    world = World(two, strategy)
    for number, step in enumerate(lasso.prefix + lasso.loop * 6, start=1):
        world.apply(number, step)
        assert not [e for e in world.bus.events if e.type == REQUESTED and e.ref == lasso.session]
    assert needs_coverage(world, lasso.session)
