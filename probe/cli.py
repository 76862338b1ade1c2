"""The command line: parse, load, call the core, render, choose the exit code. Nothing else."""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer

from probe import __version__
from probe.errors import ProbeError, Problem, ScenarioError, UsageError
from probe.escape import terminal, terminal_lines
from probe.options import (
    BaselineOpt,
    EngineOpt,
    ForceOpt,
    Format,
    FormatOpt,
    NodeOpt,
    OutputOpt,
    PluginOpt,
    StrategyOpt,
    SvgOpt,
    UpdateBaselineOpt,
    use_node,
)
from probe.strategies import REGISTRY, DedupStrategy, get_strategy

# The rest is imported where used, so that each command loads only what it runs: a module's
# import is mostly the creation of its dataclasses, ~0.6 ms each, and start-up is a figure.
if TYPE_CHECKING:
    from probe.engines.base import Engine
    from probe.report.results import NotComparable, Report
    from probe.report.timing import Timing
    from probe.run import Run
    from probe.scenario.values import Scenario

Registry = Mapping[str, DedupStrategy]

EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

T = TypeVar("T")


def _fail(message: str, code: int = EXIT_INPUT) -> NoReturn:
    # Messages escape what they quote from files; this keeps any other (a build's, an OS
    # error's) from acting on the terminal too. Escaping twice changes nothing.
    sys.stderr.write(terminal_lines(message.rstrip("\n")) + "\n")
    raise typer.Exit(code)


def _guarded(body: Callable[[], T]) -> T:
    """The one place that turns errors into messages and exit codes."""
    try:
        return body()
    except typer.Exit:
        raise
    except ProbeError as exc:
        _fail(exc.render())
    except KeyboardInterrupt:
        _fail("interrupted", EXIT_INTERRUPTED)
    except Exception:  # an internal error must still exit 3, with its traceback
        import traceback

        sys.stderr.write(traceback.format_exc())
        _fail("probe: internal error (this is a bug in probe)", EXIT_INTERNAL)


def _registry(plugins: list[str] | None) -> Registry:
    """The registered strategies, plus --plugin ones for this invocation only."""
    if not plugins:
        return REGISTRY
    from probe.plugins import registry_with

    return registry_with(plugins)


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
    files: list[tuple[Path, str]], registry: Registry = REGISTRY
) -> list[tuple[Scenario, str]]:
    from probe.scenario.files import read_all

    return read_all(files, registry.keys())


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
            engine = resolve_engine(spec)
            if all(e.name != engine.name for e in engines):
                engines.append(engine)
    return engines or [ModelEngine(s) for s in registry.values()]


def _replay(engine: Engine, scenario: Scenario, shown: str) -> Run | NotComparable:
    """The engine's run, or why it could not replay the scenario (as conform reports it)."""
    from probe.engines.base import CannotExpress
    from probe.report.results import NotComparable, Unexpressed
    from probe.scenario.limits import TooManyEvents

    try:
        return engine.replay(scenario)
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


def _report(
    loaded: list[tuple[Scenario, str]], engines: list[Engine], *, key_by_engine: bool = False
) -> tuple[Report, tuple[tuple[float, ...], ...]]:
    """The report, and how long each replay took (wall clock, for JUnit's `time`).

    A scenario an engine cannot express is reported as not comparable and the rest judged;
    when nothing at all could be replayed that is bad input, with every reason located."""
    from probe.engines.base import ModelEngine
    from probe.report.results import NotComparable, Report, ScenarioResult, judge

    slow = [e for e in engines if not isinstance(e, ModelEngine)]
    results: list[ScenarioResult] = []
    durations: list[tuple[float, ...]] = []
    for scenario, shown in loaded:
        runs: list[Run] = []
        missing: list[NotComparable] = []
        took: list[float] = []
        for e in engines:
            start = time.perf_counter()
            if slow:
                sys.stderr.write(terminal(f"{shown}: {e.name} ...") + "\n")
                sys.stderr.flush()
            outcome = _replay(e, scenario, shown)
            if isinstance(outcome, NotComparable):
                missing.append(outcome)
                if slow:
                    sys.stderr.write(terminal(f"{shown}: {e.name}: not comparable") + "\n")
                continue
            runs.append(outcome)
            took.append(time.perf_counter() - start)
            if slow:
                sys.stderr.write(terminal(f"{shown}: {e.name}: {took[-1]:.2f} s") + "\n")
        results.append(
            judge(
                scenario, shown, runs, key_by_engine=key_by_engine, not_comparable=tuple(missing)
            )
        )
        durations.append(tuple(took))
    report = Report(tuple(results))
    if report.compared == 0 and report.not_comparable:
        raise ScenarioError(
            [
                Problem(sr.path, item.key, item.line, item.reason)
                for sr in results
                for nc in sr.not_comparable
                for item in nc.items
            ]
        )
    return report, tuple(durations)


def _layout(to_file: bool) -> tuple[int | None, bool]:
    """(width, colour) of the table format: Rich's layout at the terminal's width on a
    terminal (or with FORCE_COLOR, at 140), coloured unless NO_COLOR; off a terminal, plain
    unwrapped lines (width None)."""
    force = bool(os.environ.get("FORCE_COLOR"))
    if to_file or not (force or sys.stdout.isatty()):
        return None, False
    width = 140
    if sys.stdout.isatty():
        try:
            width = os.get_terminal_size(sys.stdout.fileno()).columns
        except OSError:
            width = 120
    return width, not os.environ.get("NO_COLOR")


def _check_output(output: Path | None, force: bool, option: str = "--output") -> None:
    from probe.output import check_output

    check_output(output, force, option)


def _emit(text: str, output: Path | None) -> None:
    from probe.output import emit

    emit(text, output)


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
        _check_output(self.output, self.force)
        if self.svg is not None:
            _check_output(self.svg, self.force, option="--svg")
        if self.baseline is not None and self.baseline.is_dir():
            shown = terminal(str(self.baseline))
            raise UsageError(f"{shown}: is a directory; --baseline takes a file")

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
) -> None:
    """Load, replay, render, write and pick the exit code: the body of `run` and `compare`.

    `which` says where scenarios found without arguments came from (stderr, once they load)."""
    from probe.report.timing import Timing

    started = datetime.now(UTC)
    opts.check()
    registry = _registry(plugin)
    engines = _engines(strategy, engine, registry)
    loaded = _load(chosen, registry)
    if which is not None:
        sys.stderr.write(terminal(which) + "\n")
    if keep is not None:
        loaded = [(s, p) for s, p in loaded if keep(s)]
    if not loaded:
        raise UsageError("no scenario to compare (check the files and --with-bump/--no-bump)")
    baseline = opts.read_baseline()
    report, durations = _report(loaded, engines, key_by_engine=bool(engine))
    if record:
        report = _record(report, chosen, opts.force, registry, key_by_engine=bool(engine))
    timing = Timing(started, durations)
    layout = _layout(to_file=opts.output is not None)
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
    _emit(text, opts.output)
    if svg is not None:
        _emit(svg, opts.svg)
    if opts.update_baseline and opts.baseline is not None:
        _emit(current, opts.baseline)
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


def _record(
    report: Report,
    chosen: list[tuple[Path, str]],
    force: bool,
    registry: Registry,
    *,
    key_by_engine: bool,
) -> Report:
    """Write each run into its scenario's [expect.*] (all files or none), and judge the runs
    again against what was written."""
    from probe.output import replace_file
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
    again = {shown: scenario for scenario, shown in _load(written, registry)}
    return Report(
        tuple(
            judge(
                again.get(sr.path, sr.scenario),
                sr.path,
                [r.run for _, r in sr.strategies],
                key_by_engine=key_by_engine,
                not_comparable=sr.not_comparable,
            )
            for sr in report.scenarios
        )
    )


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

    def body() -> None:
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
        )

    _guarded(body)


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
) -> None:
    """The before/after table: requested, generations, outcomes, who absorbed the repeat."""
    opts = _Outputs(format, output, force, svg, baseline, update_baseline)
    use_node(node)

    def body() -> None:
        from probe.scenario.files import default_files, scenario_files

        which = None
        if files:
            chosen = scenario_files(files)
        else:
            chosen, which = default_files()
        keep = None if with_bump is None else (lambda s: s.has_bump == with_bump)
        _produce(
            chosen,
            opts,
            table="compare",
            strategy=strategy,
            plugin=plugin,
            keep=keep,
            engine=engine,
            which=which,
        )

    _guarded(body)


def validate(
    files: Annotated[
        list[Path],
        typer.Argument(metavar="PATH...", help="Scenario files (TOML), or folders of them."),
    ],
    plugin: PluginOpt = None,
) -> None:
    """Check scenario files without running them."""

    def body() -> None:
        from probe.scenario.files import scenario_files

        loaded = _load(scenario_files(files), _registry(plugin))
        for scenario, shown in loaded:
            counts = f"{len(scenario.sessions)} session(s), {len(scenario.steps)} step(s)"
            sys.stdout.write(f"{terminal(shown)}: ok ({counts})\n")
            for note in scenario.notes:
                sys.stderr.write(f"{terminal(shown)}: note: {terminal(note)}\n")

    _guarded(body)


_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def new(
    name: Annotated[
        str | None,
        typer.Argument(
            metavar="[NAME]",
            help="The file is scenarios/NAME.toml (with --random, default random-SEED).",
        ),
    ] = None,
    directory: Annotated[Path, typer.Option("--dir", help="Folder to write into.")] = Path(
        "scenarios"
    ),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    random_seed: Annotated[
        int | None,
        typer.Option(
            "--random",
            metavar="SEED",
            min=0,
            help="Write a random valid scenario from this seed instead of the skeleton.",
        ),
    ] = None,
) -> None:
    """Write a commented scenario skeleton (or, with --random SEED, a random one) to
    scenarios/NAME.toml."""

    def body() -> None:
        if name is None and random_seed is None:
            raise UsageError("missing NAME (or --random SEED for a random scenario)")
        stem = (name or f"random-{random_seed}").removesuffix(".toml")
        if not _NAME.match(stem):
            raise UsageError(
                f"{name!r}: a scenario name is letters, digits, '.', '_' and '-' (no folders)"
            )
        target = directory / f"{stem}.toml"
        if target.exists() and not force:
            raise UsageError(f"{target}: already exists (use --force to overwrite it)")
        if random_seed is None:
            from probe.scenario.skeleton import skeleton

            text = skeleton(stem)
        else:
            import random

            from probe.scenario.dump import dump_scenario
            from probe.scenario.generate import generate

            scenario = generate(
                random.Random(random_seed), name=f"random scenario (seed {random_seed})"
            )
            text = f"# probe new --random {random_seed}\n" + dump_scenario(scenario)
        if not directory.is_dir():
            if directory.exists():
                raise UsageError(f"{directory}: not a folder; --dir takes a folder")
            directory.mkdir(parents=True)
            sys.stderr.write(f"created folder {terminal(str(directory))}\n")
        _emit(text, target)
        sys.stderr.write(f"wrote {target}\n")

    _guarded(body)


def strategies(plugin: PluginOpt = None) -> None:
    """List the registered dedup strategies (and those --plugin loads)."""

    def body() -> None:
        for name, s in sorted(_registry(plugin).items()):
            sys.stdout.write(f"{name:<8} {s.summary}\n")
        sys.stdout.write(
            "\nmodel:NAME@VERSION replays NAME with the behaviour of openclaw VERSION "
            "(`probe versions` lists them)\n"
        )

    _guarded(body)


def versions(
    format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """List the openclaw versions probe models, and the behaviour switches each contains."""
    import json

    from probe.model.behaviour import SWITCHES
    from probe.versions import VERSIONS, design_of, era_of

    def body() -> None:
        if format not in ("table", "json"):
            raise UsageError(f"--format {format!r}: versions writes table or json")
        if format == "json":
            doc = {
                "switches": [{"name": s.name, "id": s.fid, "summary": s.summary} for s in SWITCHES],
                "versions": [
                    {
                        "version": v,
                        "era": era_of(v),
                        "design": design_of(v),
                        "switches": list(names),
                    }
                    for v, names in VERSIONS.items()
                ],
            }
            sys.stdout.write(json.dumps(doc, indent=2) + "\n")
            return
        sys.stdout.write("switches (model:NAME@VERSION turns on those VERSION contains)\n")
        for s in SWITCHES:
            sys.stdout.write(f"  {s.fid:<6} {s.name:<30} {s.summary}\n")
        sys.stdout.write("\nversion            era  design  switches\n")
        for v, names in VERSIONS.items():
            ids = " ".join(sw.fid for sw in SWITCHES if sw.name in names) or "-"
            sys.stdout.write(f"{v:<18} {era_of(v):<4} {design_of(v):<7} {ids}\n")

    _guarded(body)


def invariants() -> None:
    """List the invariants checked after every step, and the coverage counters."""
    from probe.invariants import INVARIANTS
    from probe.model.coverage import COVERAGE_MEANINGS

    for name, meaning in sorted(INVARIANTS.items()):
        sys.stdout.write(f"{name:<18} {meaning}\n")
    sys.stdout.write("\ncoverage counters (shown by `probe run`):\n")
    for name, meaning in COVERAGE_MEANINGS.items():
        sys.stdout.write(f"  {name:<26} {meaning}\n")


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"probe {__version__}\n")
        raise typer.Exit()


SHELLS = ("bash", "zsh", "fish", "powershell", "pwsh")
_COMPLETE_VAR = "_PROBE_COMPLETE"


def _shell(value: str) -> str:
    if value not in SHELLS:
        _fail(f"{value!r}: not a shell probe completes; choose one of {', '.join(SHELLS)}")
    return value


def _show_completion(value: str | None) -> None:
    if value is None:
        return
    from typer._completion_shared import get_completion_script

    shell = _shell(value)
    script = get_completion_script(prog_name="probe", complete_var=_COMPLETE_VAR, shell=shell)
    sys.stdout.write(script.rstrip("\n") + "\n")
    raise typer.Exit()


def _install_completion(value: str | None) -> None:
    if value is None:
        return
    from typer._completion_shared import install

    shell, path = install(shell=_shell(value), prog_name="probe", complete_var=_COMPLETE_VAR)
    sys.stderr.write(f"{shell} completion installed in {path} (restart the shell to use it)\n")
    raise typer.Exit()


def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
    show_completion: Annotated[
        str | None,
        typer.Option(
            "--show-completion",
            metavar="SHELL",
            callback=_show_completion,
            is_eager=True,
            expose_value=False,
            help="Print the completion script for SHELL: bash, zsh, fish or powershell.",
        ),
    ] = None,
    install_completion: Annotated[
        str | None,
        typer.Option(
            "--install-completion",
            metavar="SHELL",
            callback=_install_completion,
            is_eager=True,
            expose_value=False,
            help="Install completion for SHELL: bash, zsh, fish or powershell.",
        ),
    ] = None,
) -> None:
    """probe: replay concurrency scenarios against openclaw's stuck-session recovery."""


_COMMANDS: dict[str, Callable[..., None]] = {
    "run": run,
    "compare": compare,
    "validate": validate,
    "new": new,
    "strategies": strategies,
    "versions": versions,
    "invariants": invariants,
}
_EXPLORE_COMMANDS = ("explore",)
_DIFF_COMMANDS = ("diff",)
_ENGINE_COMMANDS = ("engines", "bisect", "conform")
COMMAND_NAMES = (*_COMMANDS, *_EXPLORE_COMMANDS, *_DIFF_COMMANDS, *_ENGINE_COMMANDS)


def build_app(only: str | None = None) -> typer.Typer:
    """The command line; with `only`, just that command (and the root's --version).

    Typer converts every registered command's parameters whenever the app runs, and the
    explore and engine commands import their modules to register; building only the command
    being run keeps that off a short run's start-up. Help and completion get every command.
    """
    target = typer.Typer(
        name="probe",
        help="Replay concurrency scenarios against openclaw's stuck-session recovery and "
        "compare the buggy (ref:generation) and fixed (ref) dedup designs.",
        no_args_is_help=True,
        # probe's own --show-completion/--install-completion take the shell's name: Typer's
        # are flags that print the detected shell's script whatever follows them.
        add_completion=False,
        context_settings={"help_option_names": ["-h", "--help"]},
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )
    target.callback()(_root)
    for name, command in _COMMANDS.items():
        if only in (None, name):
            target.command(name)(command)
    if only is None or only in _EXPLORE_COMMANDS:
        from probe import explore_cli

        explore_cli.register(target, _guarded)
    if only is None or only in _DIFF_COMMANDS:
        from probe import diff_cli

        diff_cli.register(target, _guarded)
    if only is None or only in _ENGINE_COMMANDS:
        from probe import engines_cli

        engines_cli.register(target, _guarded)
    return target


def __getattr__(name: str) -> typer.Typer:
    # `probe.cli.app`, every command, built on first use (tests and tools import it).
    if name == "app":
        app = build_app()
        globals()["app"] = app
        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _terminated(signum: int, frame: object) -> None:
    # Unwind like Ctrl-C does, so a file being written loses its temporary file, not its
    # old content; exit as a process killed by SIGTERM conventionally does.
    raise SystemExit(128 + signum)


def main() -> None:
    import signal

    signal.signal(signal.SIGTERM, _terminated)
    args = sys.argv[1:]
    completing = any(k.startswith(_COMPLETE_VAR) for k in os.environ)
    if completing:
        # Typer's completion classes, which the scripts it writes (--show-completion) talk to.
        from typer._completion_classes import completion_init

        completion_init()
    only = args[0] if args and args[0] in COMMAND_NAMES and not completing else None
    # The same name whether started as `probe` or `python -m probe` (usage, completion).
    build_app(only)(prog_name="probe")
