"""probe diff: differences between engines found, grouped, shrunk to minimal scenarios, written."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from probe.cli import app
from probe.diff import (
    Differs,
    EnginePair,
    Kind,
    Same,
    compare_engines,
    first_difference,
    shrink,
    simpler,
)
from probe.report.diff_report import file_text
from probe.engines.base import CannotExpress, ModelEngine, Unexpressible
from probe.explore.values import ISSUE_SEED
from probe.replay import replay
from probe.run import Run
from probe.scenario.files import read_scenario
from probe.scenario.generate import generate_many
from probe.scenario.loader import parse_scenario
from probe.scenario.values import (
    Advance,
    Bump,
    Progress,
    Release,
    Scenario,
    SessionSeed,
    StateChange,
    Tick,
)
from probe.strategies import REGISTRY
from tests.conftest import SCENARIOS

REF = "agent:main:direct"
BUGGY, FIXED = ModelEngine(REGISTRY["buggy"]), ModelEngine(REGISTRY["fixed"])
PHANTOM = Kind("events", "session.recovery.requested", None)
HOLD = read_scenario(SCENARIOS / "issue-bump-hold.toml", REGISTRY.keys())
# The issue's probe buried in noise: two more sessions, settings and steps that change nothing
# about the race.
NOISY = replace(
    HOLD,
    sessions=(
        replace(HOLD.sessions[0], generation=3, progress_age_ms=500_000),
        SessionSeed("agent:other:direct", state="processing", queue_depth=2, progress_age_ms=10),
        SessionSeed("agent:third", state="waiting", owner="embedded_run", work="tool_call"),
    ),
    steps=(
        Progress("agent:other:direct"),
        Advance(1000),
        Tick(),
        StateChange("agent:third", "processing"),
        Bump("agent:other:direct"),
        Bump(REF),
        Tick(),
        Bump("agent:third"),
        Release(),
    ),
    settings=replace(HOLD.settings, warn_ms=100_000),
)


def _pair() -> EnginePair:
    return EnginePair(BUGGY, FIXED)


def test_the_phantom_request_is_the_difference_between_buggy_and_fixed() -> None:
    verdict = _pair().judge(HOLD)
    assert isinstance(verdict, Differs)
    assert verdict.kind == PHANTOM
    assert (
        verdict.kind.describe("A", "B")
        == "A emits session.recovery.requested where B emits nothing"
    )
    assert any(
        line.startswith("-") and "session.recovery.requested" in line for line in verdict.diff
    )


def test_the_control_does_not_differ() -> None:
    control = read_scenario(SCENARIOS / "issue-control-hold.toml", REGISTRY.keys())
    assert isinstance(_pair().judge(control), Same)


def test_outcome_differences_are_their_own_kind() -> None:
    a = replay(HOLD, REGISTRY["fixed"])
    b = replace(a, runtime_outcomes=("released/release_lane",))
    assert first_difference(a, b) == Kind(
        "outcomes", "aborted/abort_embedded_run", "released/release_lane"
    )
    assert first_difference(a, a) is None
    assert Kind("outcomes", "noop/no_active_work", "released/release_lane").describe("A", "B") == (
        "runtime outcome noop/no_active_work vs released/release_lane"
    )


def test_a_payload_difference_names_the_field() -> None:
    a = replay(HOLD, REGISTRY["fixed"])
    moved = replace(a.events[0], at_ms=a.events[0].at_ms + 1)
    b = replace(a, events=(moved, *a.events[1:]))
    kind = first_difference(a, b)
    assert kind is not None and kind.field == "at_ms" and kind.a == kind.b


def test_shrinking_finds_the_known_minimal_difference() -> None:
    pair = _pair()

    def still(s: Scenario) -> bool:
        found = pair.judge(s)
        return isinstance(found, Differs) and found.kind == PHANTOM

    assert still(NOISY)
    minimal = shrink(NOISY, still)
    assert minimal.steps == (Tick(), Bump(REF), Tick())
    [seed] = minimal.sessions
    assert (seed.ref, seed.state, seed.owner, seed.abort, seed.work, seed.queue_depth) == (
        REF,
        "idle",
        "embedded_run",
        "ignored",
        "embedded_run",
        1,
    )
    assert seed.generation == 0 and minimal.settings.drain == "hold"
    assert minimal.settings.warn_ms == 120_000
    # 1-minimal: no single simplification still shows the difference.
    assert not any(still(candidate) for candidate in simpler(minimal))
    # Deterministic: the same answer from a fresh pair.
    again = EnginePair(BUGGY, FIXED)
    assert (
        shrink(
            NOISY, lambda s: isinstance(again.judge(s), Differs) and again.judge(s).kind == PHANTOM
        )
        == minimal
    )  # type: ignore[union-attr]


def test_compare_engines_groups_random_differences_and_none_between_equals() -> None:
    scenarios = generate_many(3, 200)
    result = compare_engines(_pair(), scenarios)
    assert result.compared == 200 and result.differences
    kinds = {kind for kind, _ in result.groups()}
    assert PHANTOM in kinds
    for d in result.differences:
        assert len(d.minimal.steps) <= len(dict(scenarios)[d.source].steps)
    same = compare_engines(EnginePair(FIXED, ModelEngine(REGISTRY["fixed"])), scenarios)
    assert same.compared == 200 and not same.differences


@dataclass(frozen=True)
class Picky:
    """An engine that cannot express a scenario with a bump (as a build cannot a failed release)."""

    name: str = "openclaw@0.0.1"
    design: str | None = "fixed"

    def replay(self, scenario: Scenario) -> Run:
        if scenario.has_bump:
            raise CannotExpress(self.name, [Unexpressible(2, "step[2].do", "no bumps here")])
        return replace(replay(scenario, REGISTRY["fixed"]), engine=self.name)


def test_what_an_engine_cannot_express_is_not_comparable_never_a_difference() -> None:
    control = read_scenario(SCENARIOS / "issue-control-hold.toml", REGISTRY.keys())
    result = compare_engines(EnginePair(BUGGY, Picky()), [("hold", HOLD), ("control", control)])
    assert result.compared == 1 and not result.differences
    [nc] = result.not_comparable
    assert (nc.source, nc.engine, nc.reasons) == (
        "hold",
        "openclaw@0.0.1",
        ("step[2].do: no bumps here",),
    )


@dataclass(frozen=True)
class LooksFixed:
    """A build that says it is of the fixed design but keys like the buggy one."""

    name: str = "openclaw@9.9.9"
    design: str | None = "fixed"

    def replay(self, scenario: Scenario) -> Run:
        return replace(replay(scenario, REGISTRY["buggy"]), strategy="fixed", engine=self.name)


def test_a_side_whose_table_name_is_taken_is_recorded_in_a_comment(tmp_path: Path) -> None:
    result = compare_engines(EnginePair(FIXED, LooksFixed()), [("hold", HOLD)])
    [d] = result.differences
    text = file_text(d, FIXED, LooksFixed())
    loaded = parse_scenario(text, "x.toml", REGISTRY.keys())
    assert [name for name, _ in loaded.expect] == ["fixed"]
    assert "# What openclaw@9.9.9 (design fixed) did" in text
    assert "#   requested = 2" in text
    (tmp_path / "x.toml").write_text(text)
    run = CliRunner().invoke(app, ["run", "--strategy", "fixed", str(tmp_path / "x.toml")])
    assert run.exit_code == 0, run.output


def test_cli_finds_writes_and_the_files_replay(tmp_path: Path) -> None:
    runner = CliRunner()
    hold = str(SCENARIOS / "issue-bump-hold.toml")
    control = str(SCENARIOS / "issue-control-hold.toml")
    out = tmp_path / "out"
    args = [
        "diff",
        "model:buggy",
        "model:fixed",
        hold,
        control,
        "--random",
        "50",
        "--out",
        str(out),
    ]
    first = runner.invoke(app, [*args, "-f", "json"])
    assert first.exit_code == 1, first.output
    doc = json.loads(first.stdout)
    assert doc["ok"] is False and doc["counts"]["compared"] == 52
    assert doc["kinds"][0]["kind"] == (
        "model:buggy emits session.recovery.requested where model:fixed emits nothing"
    )
    assert hold in doc["kinds"][0]["sources"] and control not in doc["kinds"][0]["sources"]
    files = sorted(out.glob("*.toml"))
    assert files and {d["file"] for d in doc["differences"]} == {str(f) for f in files}
    for f in files:
        replayed = runner.invoke(
            app, ["run", "--engine", "model:buggy", "--engine", "model:fixed", str(f)]
        )
        assert replayed.exit_code == 0, replayed.output
        assert runner.invoke(app, ["run", str(f)]).exit_code == 0
    # Again: the same report byte for byte, the same files, which are not a conflict.
    before = {f: f.read_text() for f in files}
    second = runner.invoke(app, [*args, "-f", "json"])
    assert second.exit_code == 1 and second.stdout == first.stdout
    assert "wrote" not in second.stderr
    assert {f: f.read_text() for f in sorted(out.glob("*.toml"))} == before
    # A file changed by hand is a conflict: nothing is written, unless --force.
    files[0].write_text("# mine\n")
    third = runner.invoke(app, args)
    assert third.exit_code == 2 and "already exists with other content" in third.stderr
    assert files[0].read_text() == "# mine\n"
    forced = runner.invoke(app, [*args, "--force"])
    assert forced.exit_code == 1 and files[0].read_text() == before[files[0]]


def test_cli_table_groups_by_kind_and_equal_engines_exit_0(tmp_path: Path) -> None:
    runner = CliRunner()
    hold = str(SCENARIOS / "issue-bump-hold.toml")
    shown = runner.invoke(app, ["diff", "model:buggy", "model:fixed", hold, "--no-write"])
    assert shown.exit_code == 1
    assert (
        "[1] model:buggy emits session.recovery.requested where model:fixed emits nothing"
        in shown.stdout
    )
    assert "1. tick\n" in shown.stdout and '2. bump (session = "agent:main:direct")' in shown.stdout
    same = runner.invoke(
        app,
        [
            "diff",
            "model:fixed",
            "model:fixed",
            "--random",
            "30",
            "--depth",
            "2",
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert same.exit_code == 0, same.output
    assert "0 differ" in same.stdout and not (tmp_path / "o").exists()
    md = runner.invoke(
        app, ["diff", "model:buggy", "model:fixed", hold, "--no-write", "-f", "markdown"]
    )
    assert md.exit_code == 1 and md.stdout.startswith("## probe diff: DIFFER")
    out = tmp_path / "report.json"
    written = runner.invoke(
        app,
        ["diff", "model:buggy", "model:fixed", hold, "--no-write", "-f", "json", "-o", str(out)],
    )
    assert (
        written.exit_code == 1
        and written.stdout == ""
        and json.loads(out.read_text())["ok"] is False
    )


def test_cli_explore_traces_find_the_phantom() -> None:
    runner = CliRunner()
    result = runner.invoke(
        app, ["diff", "model:buggy", "model:fixed", "--depth", "3", "--no-write", "-f", "json"]
    )
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["sources"]["traces"] > 100
    assert "explore trace" in doc["kinds"][0]["example"]["source"]
    assert [s["do"] for s in doc["kinds"][0]["example"]["steps"]] == ["tick", "bump", "tick"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["model:buggy", "model:nope"], "unknown strategy 'nope'"),
        (["nonsense", "model:fixed"], "unknown engine 'nonsense'"),
        (["model:buggy", "model:fixed", "missing.toml"], "missing.toml: no such file"),
        (["model:buggy", "model:fixed", "-f", "svg"], "diff writes table, json, markdown"),
    ],
)
def test_cli_bad_input_exits_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["diff", *args])
    assert result.exit_code == 2 and message in result.stderr, result.output


def test_seed_of_the_search_is_the_first_file(tmp_path: Path) -> None:
    from probe.cli.diff import _scenarios

    two = SCENARIOS / "two-sessions-one-bumped.toml"
    seed = read_scenario(two, REGISTRY.keys())
    scenarios, sources = _scenarios([two], 0, 0, 1, False)
    assert sources.files == 1 and sources.traces == len(scenarios) - 1
    traces = scenarios[1:]
    for ref in (s.ref for s in seed.sessions):
        assert any(label.endswith(f"(bump {ref})") for label, _ in traces)
    assert all(s.sessions == seed.sessions and s.settings == seed.settings for _, s in traces)
    default, _ = _scenarios(None, 0, 0, 1, False)
    assert all(s.sessions == ISSUE_SEED.sessions for _, s in default)


def test_model_versions_with_the_same_recovery_code_do_not_differ() -> None:
    from probe.engines.engine import resolve

    pair = EnginePair(resolve("model:fixed@2026.7.1"), resolve("model:fixed@2026.7.35"))
    result = compare_engines(pair, generate_many(5, 150))
    assert result.compared == 150 and not result.differences


def test_model_versions_that_differ_are_written_with_per_version_tables(tmp_path: Path) -> None:
    runner = CliRunner()
    a, b = "model:fixed@2026.5.31-beta.1", "model:fixed@2026.9.6"
    out = tmp_path / "out"
    result = runner.invoke(app, ["diff", a, b, "--random", "40", "--out", str(out)])
    assert result.exit_code == 1, result.output
    files = sorted(out.glob("*.toml"))
    assert files
    for f in files:
        text = f.read_text()
        assert '[expect."fixed@2026.5.31-beta.1"]' in text and '[expect."fixed@2026.9.6"]' in text
    replayed = runner.invoke(app, ["run", "--engine", a, "--engine", b, *map(str, files)])
    assert replayed.exit_code == 0, replayed.output


def test_shrinking_names_sessions_plainly() -> None:
    renamed = replace(
        HOLD,
        sessions=(replace(HOLD.sessions[0], ref="zz"),),
        steps=(Tick(), Bump("zz"), Tick(), Release("zz")),
    )
    pair = _pair()
    minimal = shrink(renamed, lambda s: isinstance(pair.judge(s), Differs))
    assert [s.ref for s in minimal.sessions] == [REF]
    assert minimal.steps == (Tick(), Bump(REF), Tick())


def test_junit_and_github_formats(tmp_path: Path) -> None:
    import xmlschema

    from tests.conftest import ROOT

    runner = CliRunner()
    hold, control = (str(SCENARIOS / f"issue-{n}-hold.toml") for n in ("bump", "control"))
    fails = str(SCENARIOS / "recovery-fails.toml")
    junit = runner.invoke(
        app,
        ["diff", "model:buggy", "model:fixed", hold, control, fails, "--no-write", "-f", "junit"],
    )
    assert junit.exit_code == 1
    xmlschema.XMLSchema(str(ROOT / "tests" / "schemas" / "junit.xsd")).validate(junit.stdout)
    assert junit.stdout.count("<testcase ") == 3 and junit.stdout.count("<failure ") == 1
    out = tmp_path / "o"
    github = runner.invoke(
        app, ["diff", "model:buggy", "model:fixed", hold, "--out", str(out), "-f", "github"]
    )
    [written] = out.glob("*.toml")
    first, last = github.stdout.splitlines()[0], github.stdout.splitlines()[-1]
    assert first.startswith(f"::error file={written},line=1,title=probe diff model%3Abuggy")
    assert last == "probe diff model:buggy model:fixed: DIFFER: 0 same, 1 differ, 0 not comparable"


def test_engines_are_made_once_per_command_and_closed_after_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from probe.engines import engine as engine_module

    made: list[str] = []
    closed: list[str] = []

    class Kept:
        """A model engine standing in for a build process that must be closed."""

        def __init__(self, spec: str, _progress: object = None) -> None:
            self.inner = ModelEngine(REGISTRY[spec.removeprefix("model:")])
            made.append(spec)

        @property
        def name(self) -> str:
            return self.inner.name

        @property
        def design(self) -> str | None:
            return self.inner.design

        def replay(self, scenario: Scenario) -> Run:
            assert not closed
            return self.inner.replay(scenario)

        def close(self) -> None:
            closed.append(self.name)

    monkeypatch.setattr(engine_module, "resolve", Kept)
    hold = str(SCENARIOS / "issue-bump-hold.toml")
    args = ["diff", "model:buggy", "model:fixed", hold, "--random", "20", "--no-write"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    assert made == ["model:buggy", "model:fixed"] and closed == ["model:buggy", "model:fixed"][::-1]


def test_without_paths_it_replays_what_compare_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        app, ["diff", "model:buggy", "model:fixed", "--no-write", "-f", "json"]
    )
    doc = json.loads(result.stdout)
    assert doc["sources"]["files"] == len(list(SCENARIOS.rglob("*.toml")))
    assert "bundled scenario(s)" in result.stderr
    assert result.exit_code == 1  # the library's bump scenarios show the phantom
