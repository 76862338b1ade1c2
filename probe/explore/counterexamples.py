"""Counterexamples checked, shrunk and written out as scenarios that `probe run` replays."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from probe.explore.values import Counterexample
from probe.properties.catalogue import CATALOGUE
from probe.properties.selection import Choice
from probe.replay import replay
from probe.scenario.values import Expectation, Scenario, Step
from probe.strategies import DedupStrategy


def violates(
    scenario: Scenario, strategy: DedupStrategy, steps: Iterable[Step], invariant: str
) -> bool:
    run = replay(_with_steps(scenario, tuple(steps)), strategy)
    return invariant in run.violation_names


def shrink(
    scenario: Scenario, strategy: DedupStrategy, trace: tuple[Step, ...], invariant: str
) -> tuple[Step, ...]:
    """Drop steps one at a time while the violation persists (greedy delta debugging)."""
    current = list(trace)
    changed = True
    while changed:
        changed = False
        for i in range(len(current)):
            candidate = current[:i] + current[i + 1 :]
            if candidate and violates(scenario, strategy, candidate, invariant):
                current = candidate
                changed = True
                break
    return tuple(current)


def _with_steps(scenario: Scenario, steps: tuple[Step, ...]) -> Scenario:
    return Scenario(
        name=scenario.name,
        description=scenario.description,
        sessions=scenario.sessions,
        steps=steps,
        settings=scenario.settings,
        properties=scenario.properties,
    )


def counterexample_scenario(
    seed: Scenario,
    example: Counterexample,
    found_by: str,
    strategies: Iterable[DedupStrategy],
) -> Scenario:
    """The trace as a scenario whose [expect.*] record what each strategy did with it.

    Its [properties] name the one property it violates, with the parameters the search judged
    it by, so `probe run FILE` judges the file as the search did whatever its flags were.
    """
    chosen = judged_by(seed, example.invariant)
    base = replace(_with_steps(seed, example.trace), properties=chosen)
    expect: list[tuple[str, Expectation]] = []
    for strategy in strategies:
        run = replay(base, strategy)
        expect.append(
            (
                strategy.name,
                Expectation(
                    requested=run.requested,
                    requested_generations=tuple(run.requested_generations),
                    completed=run.completed,
                    runtime_outcomes=run.runtime_outcomes,
                    violations=tuple(run.violation_names),
                ),
            )
        )
    return Scenario(
        name=f"shortest {example.invariant} counterexample for {found_by}",
        description=(
            f"Found by probe explore from {seed.name!r}: a shortest sequence of steps "
            f"({len(example.trace)}) that makes the {found_by} strategy violate "
            f"{example.invariant} ({_meaning(seed, example.invariant)}). {example.message}"
        ),
        sessions=seed.sessions,
        steps=example.trace,
        settings=seed.settings,
        expect=tuple(expect),
        properties=chosen,
    )


def judged_by(seed: Scenario, name: str) -> Choice:
    """Only `name`, with its parameters where the seed's choice sets them off their defaults."""
    known = {p.name: p for p in seed.properties.extra} | dict(CATALOGUE)
    prop = known.get(name)
    extra = tuple(p for p in seed.properties.extra if p.name == name)
    if prop is None:
        return Choice(only=(name,), extra=extra)
    defaults = {p.name: p.default for p in prop.params}
    given = seed.properties.params_of(prop)
    changed = tuple((k, v) for k, v in given.items() if v != defaults[k])
    return Choice(only=(name,), params=((name, changed),) if changed else (), extra=extra)


def _meaning(seed: Scenario, name: str) -> str:
    """The property's one line, from the catalogue or the plugin that registered it."""
    known = {p.name: p for p in seed.properties.extra} | dict(CATALOGUE)
    prop = known.get(name)
    return prop.meaning if prop is not None else name
