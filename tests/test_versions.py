"""Versions and their behaviour switches: the table, the expect rule, the code patterns, the
version scenarios against the model of every version, and against the recorded real builds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from probe.engines.base import ModelEngine
from probe.engines.engine import model_engine
from probe.engines.switches import read_switches
from probe.errors import ProbeError, ScenarioError
from probe.expectations import strategy_ok
from probe.model.behaviour import PINNED, SWITCHES, Behaviour
from probe.replay import replay
from probe.scenario.files import read_scenario
from probe.scenario.loader import parse_scenario
from probe.strategies import REGISTRY
from probe.versions import ERAS, VERSIONS, behaviour_of, design_of, switches_of
from tests.conftest import ROOT
from tests.test_realdata import _scenario
from tests.test_reference import PROBE_KEYS

SCENARIOS = sorted((ROOT / "scenarios").rglob("*.toml"))
VERSION_SCENARIOS = sorted((ROOT / "scenarios" / "versions").glob("*.toml"))
RECORDINGS = sorted((ROOT / "tests" / "realdata" / "versions").glob("*.json"))


def test_the_table_holds_every_published_version_once_with_known_switches() -> None:
    assert len(VERSIONS) == 52
    assert sorted(v for era in ERAS.values() for v in era) == sorted(VERSIONS)
    names = {s.name for s in SWITCHES}
    for version, switches in VERSIONS.items():
        assert set(switches) <= names, version
        assert Behaviour.of(switches).names == tuple(s for s in names_in_order() if s in switches)


def names_in_order() -> list[str]:
    return [s.name for s in SWITCHES]


def test_branches_are_sets_not_a_line() -> None:
    # 6.33-6.35 have the blocked-tool floor, the 7.1 line after them does not.
    assert "blocked-tool-floor" in switches_of("2026.6.35")
    assert "blocked-tool-floor" not in switches_of("2026.7.1")
    assert switches_of("2026.7.35") == switches_of("2026.7.1") == switches_of("2026.7.1-1")
    # 9.1-beta.1 lacks what 8.2 added.
    assert "no-prune-on-create" in switches_of("2026.8.2")
    assert "no-prune-on-create" not in switches_of("2026.9.1-beta.1")


def test_the_pinned_builds_have_no_switch_and_their_design() -> None:
    assert behaviour_of("2026.5.30-beta.1") == PINNED == behaviour_of("2026.5.31-beta.1")
    assert design_of("2026.5.30-beta.1") == "buggy"
    assert design_of("2026.5.31-beta.1") == design_of("2026.9.6") == "fixed"


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_a_version_without_switches_replays_as_the_pinned_model(path: Path) -> None:
    scenario = read_scenario(path, REGISTRY.keys())
    for design, version in (("buggy", "2026.5.30-beta.1"), ("fixed", "2026.5.31-beta.1")):
        pinned = replay(scenario, REGISTRY[design])
        at = model_engine(f"{design}@{version}").replay(scenario)
        assert at.events == pinned.events and at.runtime_outcomes == pinned.runtime_outcomes


def test_model_engine_names_and_unknown_versions() -> None:
    engine = model_engine("fixed@2026.9.6")
    assert isinstance(engine, ModelEngine)
    assert engine.name == "model:fixed@2026.9.6" and engine.design == "fixed"
    assert engine.behaviour == behaviour_of("2026.9.6")
    with pytest.raises(ProbeError, match=r"known 2026\.5\.26 \.\. 2026\.9\.6"):
        model_engine("fixed@2027.1.1")


EXPECT_RULE = """
name = "x"
[[session]]
ref = "a"
state = "processing"
progress_age_ms = 200000
[[step]]
do = "tick"
[expect.fixed]
requested = 10
[expect."fixed@2026.6.8"]
requested = 68
[expect."fixed@2026.8.1"]
requested = 81
[expect."fixed@2026.7.1"]
requested = 71
"""


def test_the_most_specific_applicable_table_wins() -> None:
    scenario = parse_scenario(EXPECT_RULE, "x.toml", REGISTRY.keys())

    def chosen(version: str | None) -> int | None:
        exp = scenario.expectation("fixed", version)
        return None if exp is None else exp.requested

    assert chosen(None) == 10  # the pinned model
    assert chosen("2026.6.6") == 10  # holds neither 6.8's nor later switches
    assert chosen("2026.6.35") == 68  # 6.8's switches, not 7.1's (no F35)
    assert chosen("2026.7.33") == 71  # a maintenance release of 7.1
    assert chosen("2026.9.1-beta.1") == 81
    assert chosen("2026.9.6") == 81
    assert scenario.expectation("buggy", "2026.9.6") is None


def test_an_expect_table_of_an_unknown_version_is_refused_with_its_line() -> None:
    text = EXPECT_RULE + '[expect."fixed@2026.13.1"]\nrequested = 1\n'
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, "x.toml", REGISTRY.keys())
    problem = info.value.problems[0]
    assert "unknown openclaw version '2026.13.1'" in problem.message
    assert problem.line == text.splitlines().index('[expect."fixed@2026.13.1"]') + 1


@pytest.mark.parametrize("path", VERSION_SCENARIOS, ids=lambda p: p.stem)
def test_every_version_meets_its_table_in_the_version_scenarios(path: Path) -> None:
    scenario = read_scenario(path, REGISTRY.keys())
    for version in VERSIONS:
        design = design_of(version)
        run = model_engine(f"{design}@{version}").replay(scenario)
        exp = scenario.expectation(design, version)
        assert exp is not None and strategy_ok(exp, run), (version, run.runtime_outcomes)


@pytest.mark.parametrize("path", VERSION_SCENARIOS, ids=lambda p: p.stem)
def test_each_version_scenario_tells_the_versions_it_names_apart(path: Path) -> None:
    scenario = read_scenario(path, REGISTRY.keys())
    runs = {v: model_engine(f"{design_of(v)}@{v}").replay(scenario) for v in VERSIONS}
    streams = {tuple(e.as_dict().items()) for r in runs.values() for e in r.events}
    assert len({r.events for r in runs.values()}) >= 2 and streams


# -- the code patterns ------------------------------------------------------------------------

SNIPPETS: dict[str, tuple[str, str, str]] = {
    # switch: (anchor, pattern present, pattern absent)
    "recover-when-throttled": (
        "function logSessionAttention(params) {",
        "if (!recoveryEligible) return;\n\t\t\tsuppressWarning = true;",
        "if (params.ageMs < nextWarnAgeMs) return;",
    ),
    "defer-late-tick": (
        "function startDiagnosticHeartbeat(config, opts) {",
        "const recoveryObservationNow = now - heartbeatOverdueMs;",
        "const ageMs = now - state.lastActivity;",
    ),
    "released-no-active-work": (
        "async function recoverStuckDiagnosticSession(params) {",
        '...clearStaleSession ? { reason: "no_active_work" } : {}',
        'status: "noop",\n\t\t\taction: "none",\n\t\t\treason: "no_active_work",',
    ),
    "no-prune-on-create": (
        "function getDiagnosticSessionState(ref) {",
        "diagnosticSessionStates.set(key, created);\n\tpruneDiagnosticSessionStates();",
        "diagnosticSessionStates.set(key, created);\n"
        "\tpruneDiagnosticSessionStates(Date.now(), true);",
    ),
    "abort-test-timing": (
        "function startDiagnosticHeartbeat(config, opts) {",
        "const stuckSessionAbortMs = opts?.testTimings?.stuckSessionAbortMs ?? "
        "resolveStuckSessionAbortMs(stuckSessionWarnMs);",
        "const stuckSessionAbortMs = resolveStuckSessionAbortMs(heartbeatConfig, "
        "stuckSessionWarnMs);",
    ),
    "stale-run-threshold": (
        "function isActiveRunProgressStale(params) {",
        "return evidenceAgeMs >= resolveRunStaleThresholdMs(activity, evidenceAgeMs, "
        "params.staleAbortMs);",
        'return typeof lastProgressAgeMs === "number" ? lastProgressAgeMs >= params.staleAbortMs',
    ),
    "tool-deadline": (
        "function isActiveRunProgressStale(params) {",
        "if (params.allowActiveAbort && activity.activeToolDeadlineAtMs === void 0) return",
        "if (params.allowActiveAbort) return activity.activeWorkKind === \"tool_call\"",
    ),
    "backend-liveness": (
        "function getDiagnosticSessionActivitySnapshot(params, now = Date.now()) {",
        "setOutstandingWork: (active) => {",
        "observeOutput: (modelProgress) => {",
    ),
    "blocked-tool-floor": (
        "function isActiveAbortRecoveryEligible(params) {",
        "const abortMs = Math.max(params.stuckSessionAbortMs, BLOCKED_TOOL_CALL_ABORT_FLOOR_MS);",
        "toolAgeMs >= params.stuckSessionAbortMs && "
        "lastProgressAgeMs >= params.stuckSessionAbortMs",
    ),
}


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_a_switch_pattern_reads_presence_absence_and_cannot_tell(name: str) -> None:
    anchor, present, absent = SNIPPETS[name]
    assert read_switches([anchor + "\n" + present])[name] is True
    assert read_switches([anchor + "\n" + absent])[name] is False
    assert read_switches([present])[name] is None  # no anchor: the code cannot tell
    # The anchor may sit in another chunk than the change.
    assert read_switches([anchor, present])[name] is True


# -- recorded real builds ---------------------------------------------------------------------


def _recorded() -> list[tuple[Path, str]]:
    cases = []
    for path in RECORDINGS:
        doc = json.loads(path.read_text())
        cases += [(path, v) for v, b in doc["builds"].items() if "events" in b]
    return cases


def test_the_version_scenarios_are_recorded_on_several_eras() -> None:
    eras = {next(e for e, vs in ERAS.items() if v in vs) for _, v in _recorded()}
    assert len(RECORDINGS) >= 10 and {"E0", "E1", "E2", "E3", "E4", "E5"} <= eras


@pytest.mark.parametrize(("path", "version"), _recorded(), ids=lambda x: getattr(x, "stem", x))
def test_the_model_of_each_version_matches_its_recorded_build(path: Path, version: str) -> None:
    doc: dict[str, Any] = json.loads(path.read_text())
    real = doc["builds"][version]
    run = replay(_scenario(doc["scenario"]), REGISTRY[real["design"]], behaviour_of(version))
    events = [{k: v for k, v in e.as_dict().items() if k not in PROBE_KEYS} for e in run.events]
    assert events == real["events"]
    assert list(run.runtime_outcomes) == real["runtime_outcomes"]
    assert run.absorbed_by == real["absorbed_by"]


def test_the_versioned_heartbeat_with_every_switch_off_is_the_pinned_one() -> None:
    """_heartbeat_as(all off) must be _heartbeat: the pinned models keep their own path."""
    import random

    from probe.model.world import World
    from probe.scenario.generate import generate

    rng = random.Random(11)
    library = [read_scenario(p, REGISTRY.keys()) for p in SCENARIOS]
    generated = [generate(rng, name=f"g{i}") for i in range(150)]
    for scenario in library + generated:
        for strategy in REGISTRY.values():
            pinned = World(scenario, strategy)
            versioned = World(scenario, strategy)
            versioned.behaviour = Behaviour(clear_run_activity=False)  # equal, not identical
            assert versioned.behaviour is not PINNED
            for number, step in enumerate(scenario.steps, start=1):
                pinned.apply(number, step)
                versioned.apply(number, step)
            assert versioned.bus.events == pinned.bus.events, scenario.name
            assert versioned.runtime_outcomes() == pinned.runtime_outcomes()
