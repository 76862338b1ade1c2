"""`probe run` and `probe compare`, and the pipeline they share: load, replay, render, exit."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from probe.cli.exits import EXIT_FAILED, EXIT_OK, guarded
from probe.cli.options import (
    BaselineOpt,
    EngineOpt,
    ForceOpt,
    Format,
    FormatOpt,
    InvariantOpt,
    Judging,
    NodeOpt,
    OutputOpt,
    PluginOpt,
    SkipInvariantOpt,
    StrategyOpt,
    SvgOpt,
    UpdateBaselineOpt,
    registry_for,
    use_node,
)
from probe.cli.output import check_distinct, check_output, emit, say_for, table_layout
from probe.errors import Problem, ScenarioError, UsageError
from probe.report.escape import terminal
from probe.strategies import REGISTRY, DedupStrategy, get_strategy

# The rest is imported where used, so that each command loads only what it runs: a module's
# import is mostly the creation of its dataclasses, ~0.6 ms each, and start-up is a figure.
if TYPE_CHECKING:
    from probe.engines.base import Engine
    from probe.report.results import EngineFailed, NotComparable, Report
    from probe.report.timing import Timing
    from probe.run import Run
    from probe.scenario.values import Scenario

Registry = Mapping[str, DedupStrategy]


def _strategies(names: list[str] | None, registry: Registry = REGISTRY) -> list[DedupStrategy]:
    if not names:
        return list(registry.values())
    picked: list[DedupStrategy] = []
    for name in names:
        strategy = get_strategy(name, dict(registry))
        if strategy not in picked:
            picked.append(strategy)
    return picked


def _load(
    files: list[tuple[Path, str]], registry: Registry = REGISTRY, judging: Judging | None = None
) -> list[tuple[Scenario, str]]:
    from probe.scenario.files import read_all

    if judging is None:
        return read_all(files, registry.keys())
    return judging.apply_all(read_all(files, registry.keys(), judging.catalogue))


def _engines(
    strategies: list[str] | None, specs: list[str] | None, registry: Registry = REGISTRY
) -> list[Engine]:
    """--engine specs in order, plus --strategy picks as model engines; default: every strategy."""
    from probe.engines.base import ModelEngine

    engines: list[Engine] = (
        [ModelEngine(s) for s in _strategies(strategies, registry)] if strategies else []
    )
    if specs:  # the real-build machinery is slow to import; a model-only run never needs it
        from probe.engines.engine import resolve as resolve_engine

        for spec in specs:
            engine = resolve_engine(spec, partial(say_for, spec))
            if all(e.name != engine.name for e in engines):
                engines.append(engine)
    return engines or [ModelEngine(s) for s in registry.values()]


def _replay(
    engine: Engine, scenario: Scenario, shown: str
) -> Run | NotComparable | EngineFailed:
    """The engine's run, why it could not replay the scenario (as conform reports it), or
    how its build failed on this scenario (the next scenario still runs)."""
    from probe.engines.base import CannotExpress
    from probe.engines.errors import ReplayFailed
    from probe.report.results import EngineFailed, NotComparable, Unexpressed
    from probe.scenario.limits import TooManyEvents

    try:
        return engine.replay(scenario)
    except ReplayFailed as exc:
        return EngineFailed(engine.name, exc.message)
    except CannotExpress as exc:
        return NotComparable(
            engine.name,
            tuple(
                Unexpressed(
                    item.key,
                    scenario.step_lines[item.step - 1] if item.step else None,
                    f"{exc.engine} cannot express this: {item.reason}",
                )
                for item in exc.items
            ),
        )
    except TooManyEvents as exc:
        where = f"step[{exc.step}]" if exc.step else ""
        line = scenario.step_lines[exc.step - 1] if exc.step else None
        raise ScenarioError([Problem(shown, where, line, str(exc))]) from None


def _progress(text: str, *, done: bool) -> None:
    """One line per scenario and engine on stderr: on a terminal the pending line is replaced
    by its result; piped, only the result is written (a log keeps one line for each)."""
    if sys.stderr.isatty():
        sys.stderr.write("\r\x1b[2K" + terminal(text) + ("\n" if done else ""))
        sys.stderr.flush()
    elif done:
        sys.stderr.write(terminal(text) + "\n")


def _report(
    loaded: list[tuple[Scenario, str]], engines: list[Engine], *, key_by_engine: bool = False
) -> tuple[Report, tuple[tuple[float, ...], ...]]:
    """The report, and how long each replay took (wall clock, for JUnit's `time`).

    A scenario an engine cannot express is reported as not comparable and the rest judged;
    when nothing at all could be replayed that is bad input, with every reason located."""
    from probe.engines.base import ModelEngine
    from probe.report.results import EngineFailed, NotComparable, Report, ScenarioResult, judge

    slow = [e for e in engines if not isinstance(e, ModelEngine)]
    results: list[ScenarioResult] = []
    durations: list[tuple[float, ...]] = []
    for scenario, shown in loaded:
        runs: list[Run] = []
        missing: list[NotComparable] = []
        failed: list[EngineFailed] = []
        took: list[float] = []
        for e in engines:
            start = time.perf_counter()
            if slow:
                _progress(f"{shown}: {e.name} ...", done=False)
            outcome = _replay(e, scenario, shown)
            if isinstance(outcome, EngineFailed):
                failed.append(outcome)
                _progress(f"{shown}: {e.name}: failed: {outcome.reason}", done=True)
                continue
            if isinstance(outcome, NotComparable):
                missing.append(outcome)
                if slow:
                    _progress(f"{shown}: {e.name}: not comparable", done=True)
                continue
            runs.append(outcome)
            took.append(time.perf_counter() - start)
            if slow:
                _progress(f"{shown}: {e.name}: {took[-1]:.2f} s", done=True)
        results.append(
            judge(
                scenario,
                shown,
                runs,
                key_by_engine=key_by_engine,
                not_comparable=tuple(missing),
                failed=tuple(failed),
            )
        )
        durations.append(tuple(took))
    report = Report(tuple(results))
    if report.compared == 0 and report.not_comparable and not report.failed_engines:
        raise ScenarioError(
            [
                Problem(sr.path, item.key, item.line, item.reason)
                for sr in results
                for nc in sr.not_comparable
                for item in nc.items
            ]
        )
    return report, tuple(durations)


def _key_lines(chosen: list[tuple[Path, str]]) -> dict[str, dict[str, int]]:
    """Where each key stands in each scenario file, for annotations on expectation lines."""
    from probe.scenario.files import read_text
    from probe.scenario.toml_lines import index_lines

    lines: dict[str, dict[str, int]] = {}
    for path, shown in chosen:
        text = read_text(path)
        if text is not None:  # read fine a moment ago; without lines the annotation names the file
            lines[shown] = index_lines(text)
    return lines


def _render(
    report: Report,
    format: Format,
    *,
    table: str,
    timing: Timing,
    chosen: list[tuple[Path, str]],
    layout: tuple[int | None, bool],
) -> str:
    # Renderers are imported on demand: Rich's import is most of probe's start-up time.
    match format:
        case Format.json:
            from probe.report.json_report import render_json

            return render_json(report)
        case Format.junit:
            from probe.report.junit import render_junit

            return render_junit(report, timing)
        case Format.markdown:
            from probe.report.markdown import render_markdown

            return render_markdown(report, timing)
        case Format.github:
            from probe.report.github import render_github

            return render_github(report, _key_lines(chosen))
        case Format.table:
            from probe.report.table import render_compare, render_run

            render = render_run if table == "run" else render_compare
            return render(report, width=layout[0], color=layout[1])


@dataclass(frozen=True, slots=True)
class _Outputs:
    """What `run` and `compare` share: where the report goes, and what else to do with it."""

    format: Format
    output: Path | None
    force: bool
    svg: Path | None
    baseline: Path | None
    update_baseline: bool

    def check(self) -> None:
        """Refuse a bad destination before anything runs, so nothing is half done."""
        if self.update_baseline and self.baseline is None:
            raise UsageError("--update-baseline needs --baseline FILE")
        check_output(self.output, self.force)
        if self.svg is not None:
            check_output(self.svg, self.force, option="--svg")
        if self.baseline is not None and self.baseline.is_dir():
            shown = terminal(str(self.baseline))
            raise UsageError(f"{shown}: is a directory; --baseline takes a file")
        if self.update_baseline and self.baseline is not None:
            folder = self.baseline.parent
            if not folder.is_dir():
                shown = terminal(str(self.baseline))
                raise UsageError(f"{shown}: the folder {terminal(str(folder))} does not exist")
        check_distinct(
            [
                ("--output", self.output),
                ("--svg", self.svg),
                ("--baseline", self.baseline if self.update_baseline else None),
            ]
        )

    def read_baseline(self) -> dict[str, object] | None:
        if self.baseline is None or (self.update_baseline and not self.baseline.exists()):
            return None
        from probe.baseline import parse_baseline
        from probe.scenario.files import Unreadable, read_limited
        from probe.scenario.limits import LIMITS

        shown = terminal(str(self.baseline))
        try:
            raw = read_limited(self.baseline, LIMITS.baseline_bytes, "baseline report")
        except Unreadable as exc:
            hint = " (write it with --update-baseline)" if exc.missing else ""
            raise UsageError(f"{shown}: {exc.reason}{hint}") from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UsageError(f"{shown}: cannot read: {exc}") from None
        return parse_baseline(text, str(self.baseline))


def _produce(
    chosen: list[tuple[Path, str]],
    opts: _Outputs,
    *,
    table: str,
    strategy: list[str] | None,
    plugin: list[str] | None,
    engine: list[str] | None = None,
    keep: Callable[[Scenario], bool] | None = None,
    which: str | None = None,
    record: bool = False,
    invariant: list[str] | None = None,
    skip_invariant: list[str] | None = None,
) -> None:
    """Load, replay, render, write and pick the exit code: the body of `run` and `compare`.

    `which` says where scenarios found without arguments came from (stderr, once they load)."""
    from probe.report.timing import Timing

    started = datetime.now(UTC)
    opts.check()
    registry = registry_for(plugin)
    judging = Judging(plugin, invariant, skip_invariant)
    engines = _engines(strategy, engine, registry)
    loaded = _load(chosen, registry, judging)
    if which is not None:
        sys.stderr.write(terminal(which) + "\n")
    if keep is not None:
        loaded = [(s, p) for s, p in loaded if keep(s)]
    if not loaded:
        raise UsageError("no scenario to compare (check the files and --with-bump/--no-bump)")
    baseline = opts.read_baseline()
    report, durations = _report(loaded, engines, key_by_engine=bool(engine))
    if record:
        report = _record(
            report, chosen, opts.force, registry, key_by_engine=bool(engine), judging=judging
        )
    timing = Timing(started, durations)
    layout = table_layout(to_file=opts.output is not None)
    text = _render(report, opts.format, table=table, timing=timing, chosen=chosen, layout=layout)
    svg = None
    if opts.svg is not None:
        from probe.report.svg import render_svg

        svg = render_svg(report)
    changed = False
    message = ""
    if opts.baseline is not None:
        import json

        from probe.baseline import diff_reports, render_changes
        from probe.report.json_report import render_json

        current = render_json(report)
        changes = diff_reports(baseline, json.loads(current)) if baseline is not None else []
        if opts.update_baseline:
            what = f"{len(changes)} change(s)" if baseline is not None else "new file"
            message = f"baseline {opts.baseline}: updated ({what})\n"
        else:
            changed = bool(changes)
            message = render_changes(str(opts.baseline), changes)
    emit(text, opts.output)
    if svg is not None:
        emit(svg, opts.svg)
    if opts.update_baseline and opts.baseline is not None:
        emit(current, opts.baseline)
    for sr in report.scenarios:
        for note in sr.scenario.notes:
            sys.stderr.write(f"{terminal(sr.path)}: note: {terminal(note)}\n")
        for nc in sr.not_comparable:
            for item in nc.items:
                where = f"{sr.path}:{item.line}" if item.line else sr.path
                sys.stderr.write(
                    f"{terminal(where)}: {terminal(item.key)}: not comparable: "
                    f"{terminal(item.reason)}\n"
                )
    sys.stderr.write(message)
    raise typer.Exit(EXIT_OK if report.ok and not changed else EXIT_FAILED)


def _bump_is(wanted: bool, scenario: Scenario) -> bool:
    return scenario.has_bump == wanted


def _record(
    report: Report,
    chosen: list[tuple[Path, str]],
    force: bool,
    registry: Registry,
    *,
    key_by_engine: bool,
    judging: Judging | None = None,
) -> Report:
    """Write each run into its scenario's [expect.*] (all files or none), and judge the runs
    again against what was written."""
    from probe.cli.output import replace_file
    from probe.report.results import Report, judge
    from probe.scenario.files import Unreadable, read_limited
    from probe.scenario.limits import LIMITS
    from probe.scenario.record import record

    path_of = {shown: path for path, shown in chosen}
    problems: list[Problem] = []
    edits: list[tuple[Path, str, str, list[str]]] = []
    for sr in report.scenarios:
        runs: dict[str, Run] = {}
        for _, r in sr.strategies:
            if r.run.strategy in runs:
                raise UsageError(
                    f"--record: two engines of the {r.run.strategy} design "
                    f"({runs[r.run.strategy].engine}, {r.run.engine}); record one at a time"
                )
            runs[r.run.strategy] = r.run
        if not runs:
            continue
        path = path_of[sr.path]
        try:
            text = read_limited(path, LIMITS.file_bytes).decode("utf-8")
            edits.append((path, sr.path, record(text, runs, force=force, shown=sr.path), [*runs]))
        except (Unreadable, UnicodeDecodeError) as exc:  # read fine a moment ago: swapped since
            problems.append(Problem(sr.path, "", None, str(exc)))
        except ScenarioError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ScenarioError(problems)
    for path, shown, text, names in edits:
        replace_file(path, text)
        sys.stderr.write(f"{terminal(shown)}: recorded {', '.join(names)} into [expect.*]\n")
    written = [(path, shown) for path, shown, _, _ in edits]
    again = {shown: scenario for scenario, shown in _load(written, registry, judging)}
    return Report(
        tuple(
            judge(
                again.get(sr.path, sr.scenario),
                sr.path,
                [r.run for _, r in sr.strategies],
                key_by_engine=key_by_engine,
                not_comparable=sr.not_comparable,
                failed=sr.failed,
            )
            for sr in report.scenarios
        )
    )


@guarded
def run(
    files: Annotated[
        list[Path],
        typer.Argument(metavar="PATH...", help="Scenario files (TOML), or folders of them."),
    ],
    strategy: StrategyOpt = None,
    engine: EngineOpt = None,
    node: NodeOpt = None,
    format: FormatOpt = Format.table,
    output: OutputOpt = None,
    force: ForceOpt = False,
    svg: SvgOpt = None,
    baseline: BaselineOpt = None,
    update_baseline: UpdateBaselineOpt = False,
    plugin: PluginOpt = None,
    invariant: InvariantOpt = None,
    skip_invariant: SkipInvariantOpt = None,
    record: Annotated[
        bool,
        typer.Option(
            "--record",
            help="Write what each strategy did into the file's [expect.NAME] tables, keeping "
            "its comments and layout; existing expectations are replaced only with --force.",
        ),
    ] = False,
) -> None:
    """Replay each scenario against each strategy: timelines, verdicts, expectations."""
    opts = _Outputs(format, output, force, svg, baseline, update_baseline)
    use_node(node)
    from probe.scenario.files import scenario_files

    chosen = scenario_files(files)
    _produce(
        chosen,
        opts,
        table="run",
        strategy=strategy,
        plugin=plugin,
        engine=engine,
        record=record,
        invariant=invariant,
        skip_invariant=skip_invariant,
    )


@guarded
def compare(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="PATH...",
            help="Scenario files or folders (default: ./scenarios if it exists, else the "
            "bundled library).",
        ),
    ] = None,
    with_bump: Annotated[
        bool | None,
        typer.Option(
            "--with-bump/--no-bump",
            help="Only scenarios with a generation bump, or only the controls without one.",
            show_default=False,
        ),
    ] = None,
    strategy: StrategyOpt = None,
    engine: EngineOpt = None,
    node: NodeOpt = None,
    format: FormatOpt = Format.table,
    output: OutputOpt = None,
    force: ForceOpt = False,
    svg: SvgOpt = None,
    baseline: BaselineOpt = None,
    update_baseline: UpdateBaselineOpt = False,
    plugin: PluginOpt = None,
    invariant: InvariantOpt = None,
    skip_invariant: SkipInvariantOpt = None,
) -> None:
    """The before/after table: requested, generations, outcomes, who absorbed the repeat."""
    opts = _Outputs(format, output, force, svg, baseline, update_baseline)
    use_node(node)
    from probe.scenario.files import default_files, scenario_files

    which = None
    if files:
        chosen = scenario_files(files)
    else:
        chosen, which = default_files()
    keep = None if with_bump is None else partial(_bump_is, with_bump)
    _produce(
        chosen,
        opts,
        table="compare",
        strategy=strategy,
        plugin=plugin,
        keep=keep,
        engine=engine,
        which=which,
        invariant=invariant,
        skip_invariant=skip_invariant,
    )
