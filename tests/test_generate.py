"""The random scenario generator: valid by construction, deterministic, covering what it claims."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from probe.cli import app
from probe.engines.base import ModelEngine
from probe.engines.engine import resolve
from probe.replay import replay
from probe.scenario.dump import dump_scenario
from probe.scenario.generate import NEW_KEY, GenerateOptions, build, generate, generate_many
from probe.scenario.limits import static_clock
from probe.scenario.loader import parse_scenario
from probe.scenario.values import (
    DEFAULT_HEARTBEAT_MS,
    DEFAULT_SETTLE_MS,
    Key,
    Own,
    Recover,
    Release,
    Scenario,
    step_verb,
)
from probe.strategies import REGISTRY
from probe.versions import VERSIONS, design_of

MANY = [s for _, s in generate_many(2026, 400)]


def _same(a: Scenario, b: Scenario) -> bool:
    return (a.settings, a.sessions, a.steps) == (b.settings, b.sessions, b.steps)


def test_the_same_seed_gives_the_same_scenario() -> None:
    one = dump_scenario(generate(random.Random(11)))
    two = dump_scenario(generate(random.Random(11)))
    assert one == two
    assert one != dump_scenario(generate(random.Random(12)))


def test_generated_scenarios_round_trip_through_dump_and_the_loader() -> None:
    for seed in range(50):
        raw = build(random.Random(seed))
        loaded = generate(random.Random(seed))
        assert _same(raw, loaded)
        again = parse_scenario(dump_scenario(loaded), "again.toml", REGISTRY.keys())
        assert _same(loaded, again)
        assert len(loaded.step_lines) == len(loaded.steps)


def test_every_verb_field_value_and_drain_appears() -> None:
    verbs = Counter(step_verb(step) for s in MANY for step in s.steps)
    assert set(verbs) == {
        "tick",
        "advance",
        "bump",
        "release",
        "state",
        "progress",
        "start",
        "end",
        "own",
        "recover",
        "enqueue",
        "backend",
        "answer",
        "key",
        "deliver",
    }
    # The scripted runtime, and every status its answers draw.
    assert {s.settings.runtime for s in MANY} == {"real", "scripted"}
    answers = [step for s in MANY for step in s.steps if step_verb(step) == "answer"]
    assert {getattr(a, "status", None) for a in answers} == {
        "none",
        "noop",
        "released",
        "aborted",
        "skipped",
    }
    keys = [step for s in MANY for step in s.steps if isinstance(step, Key)]
    # Both: a new key (re-key) and a keyed session's ref (merge).
    assert any(k.key == NEW_KEY for k in keys) and any(k.key != NEW_KEY for k in keys)
    owns = [step for s in MANY for step in s.steps if isinstance(step, Own)]
    assert {o.abort for o in owns} == {"honoured", "ignored", "refused"}
    releases = [step for s in MANY for step in s.steps if isinstance(step, Release)]
    assert any(r.session is None for r in releases) and any(r.session for r in releases)
    assert {len(s.sessions) for s in MANY} == {1, 2, 3}
    assert {s.settings.drain for s in MANY} == {"settle", "hold"}
    seeds = [seed for s in MANY for seed in s.sessions]
    assert {x.state for x in seeds} == {"idle", "processing", "waiting"}
    assert {x.owner for x in seeds} == {"embedded_run", "none"}
    assert {x.abort for x in seeds if x.owner == "embedded_run"} == {
        "honoured",
        "ignored",
        "refused",
    }
    assert {x.work for x in seeds if x.owner == "embedded_run"} == {
        "embedded_run",
        "tool_call",
        "model_call",
        "none",
    }
    assert {x.work for x in seeds if x.owner == "none"} == {
        "embedded_run",
        "tool_call",
        "model_call",
        "none",
    }
    assert {x.generation > 0 for x in seeds} == {True, False}
    assert {x.queue_depth for x in seeds} >= {0, 1, 2**32 - 1}
    assert any(s.settings.warn_ms != 120_000 for s in MANY)
    assert any(s.notes for s in MANY)  # a warn_ms openclaw ignores, said so by the loader
    for threshold in (120_000, 360_000, 900_000):
        ages = [x.progress_age_ms for x in seeds]
        assert any(a in (threshold - 1, threshold) for a in ages)
        assert any(a == threshold + 1 for a in ages)


def test_generated_scenarios_reach_the_race() -> None:
    coverage = Counter[str]()
    differ = 0
    for s in MANY:
        buggy, fixed = replay(s, REGISTRY["buggy"]), replay(s, REGISTRY["fixed"])
        coverage.update({k: v for k, v in buggy.coverage if v})
        differ += buggy.events != fixed.events
    assert coverage["bump_while_in_flight"] and coverage["heartbeat_while_in_flight"]
    assert coverage["runtime_absorbed"] and coverage["stale_outcomes"]
    assert coverage["settle_force_clears"]
    assert differ >= 5  # the phantom request of the buggy key, many times over


def test_expressible_on_real_builds_unless_asked() -> None:
    for s in MANY:
        assert s.settings.heartbeat_ms == DEFAULT_HEARTBEAT_MS
        assert s.settings.settle_ms == DEFAULT_SETTLE_MS
        assert not any(isinstance(step, Release) and step.failed for step in s.steps)
    wide = GenerateOptions(timer_settings=True, failed_releases=True)
    other = [generate(random.Random(seed), wide) for seed in range(300)]
    assert any(s.settings.heartbeat_ms != DEFAULT_HEARTBEAT_MS for s in other)
    assert any(s.settings.settle_ms != DEFAULT_SETTLE_MS for s in other)
    assert any(isinstance(step, Release) and step.failed for s in other for step in s.steps)


def test_options_bound_the_size() -> None:
    small = GenerateOptions(max_sessions=1, max_steps=3)
    for seed in range(100):
        s = generate(random.Random(seed), small)
        assert len(s.sessions) == 1 and 1 <= len(s.steps) <= 3


@settings(max_examples=300, deadline=None, database=None)
@given(
    seed=st.integers(min_value=0, max_value=2**64),
    timers=st.booleans(),
    failed=st.booleans(),
    version=st.sampled_from(sorted(VERSIONS)),
)
def test_every_generated_scenario_validates_and_replays_on_every_strategy(
    seed: int, timers: bool, failed: bool, version: str
) -> None:
    options = GenerateOptions(timer_settings=timers, failed_releases=failed)
    s = generate(random.Random(seed), options)
    assert static_clock(s.settings, list(s.sessions), list(s.steps)) == []
    engines = [ModelEngine(strategy) for strategy in REGISTRY.values()]
    engines += [resolve(f"model:{design_of(version)}@{version}")]  # and one version's model
    for engine in engines:
        run = engine.replay(s)
        # Every request reaches the runtime once, and so does every direct `recover` step:
        # the replay ran the whole scenario.
        direct = sum(isinstance(step, Recover) for step in s.steps)
        assert len(run.runtime_outcomes) == run.requested + direct


def test_probe_new_random_writes_a_scenario_that_runs(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["new", "--random", "7", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    target = tmp_path / "random-7.toml"
    text = target.read_text()
    assert text.startswith("# probe new --random 7\n")
    assert _same(parse_scenario(text, "x", REGISTRY.keys()), generate(random.Random(7)))
    again = runner.invoke(app, ["new", "--random", "7", "--dir", str(tmp_path)])
    assert again.exit_code == 2 and "already exists" in again.stderr
    other = runner.invoke(app, ["new", "mine", "--random", "8", "--dir", str(tmp_path)])
    assert other.exit_code == 0
    assert (tmp_path / "mine.toml").read_text() != text
    forced = runner.invoke(app, ["new", "--random", "9", "mine", "--dir", str(tmp_path), "--force"])
    assert forced.exit_code == 0
    checked = runner.invoke(app, ["validate", str(target), str(tmp_path / "mine.toml")])
    assert checked.exit_code == 0, checked.output
    missing = runner.invoke(app, ["new", "--dir", str(tmp_path)])
    assert missing.exit_code == 2 and "--random SEED" in missing.stderr


def test_every_combination_of_the_seed_fields_appears() -> None:
    seeds = [x for _, s in generate_many(7, 1500) for x in s.sessions]
    combos = {(x.state, x.owner, x.abort, x.work) for x in seeds}
    wanted = {
        (state, owner, abort, work)
        for state in ("idle", "processing", "waiting")
        for owner, aborts in (
            ("embedded_run", ("honoured", "ignored", "refused")),
            ("none", ("ignored",)),
        )
        for abort in aborts
        for work in ("embedded_run", "tool_call", "model_call", "none")
    }
    assert combos == wanted
