"""The command line: parse, load, call the core, render, choose the exit code. Nothing else."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer

from probe import __version__, explore_cli
from probe.errors import ProbeError, Problem, ScenarioError, UsageError
from probe.files import library_files, read_scenario
from probe.invariants import INVARIANTS
from probe.model.coverage import COVERAGE_MEANINGS
from probe.replay import replay
from probe.report.results import Report, ScenarioResult, judge
from probe.scenario import Scenario
from probe.skeleton import skeleton
from probe.strategies import REGISTRY, DedupStrategy, get_strategy

EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

app = typer.Typer(
    name="probe",
    help="Replay concurrency scenarios against openclaw's stuck-session recovery and compare "
    "the buggy (ref:generation) and fixed (ref) dedup designs.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class Format(StrEnum):
    table = "table"
    json = "json"


T = TypeVar("T")


def _fail(message: str, code: int = EXIT_INPUT) -> NoReturn:
    sys.stderr.write(message.rstrip("\n") + "\n")
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


def _strategies(names: list[str] | None) -> list[DedupStrategy]:
    if not names:
        return list(REGISTRY.values())
    picked: list[DedupStrategy] = []
    for name in names:
        strategy = get_strategy(name)
        if strategy not in picked:
            picked.append(strategy)
    return picked


def _load(files: list[tuple[Path, str]]) -> list[tuple[Scenario, str]]:
    """Load every file, reporting all problems of all files at once."""
    loaded: list[tuple[Scenario, str]] = []
    problems: list[Problem] = []
    for path, shown in files:
        try:
            loaded.append((read_scenario(path, REGISTRY.keys(), shown), shown))
        except ScenarioError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ScenarioError(problems)
    return loaded


def _report(loaded: list[tuple[Scenario, str]], strategies: list[DedupStrategy]) -> Report:
    results: list[ScenarioResult] = []
    for scenario, shown in loaded:
        runs = [replay(scenario, s) for s in strategies]
        results.append(judge(scenario, shown, runs))
    return Report(tuple(results))


def _width() -> int:
    if sys.stdout.isatty():
        try:
            return os.get_terminal_size(sys.stdout.fileno()).columns
        except OSError:
            return 120
    return 140


def _color() -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty()


def _check_output(output: Path | None, force: bool) -> None:
    if output is None:
        return
    if output.is_dir():
        raise UsageError(f"{output}: is a directory; --output takes a file")
    if output.exists() and not force:
        raise UsageError(f"{output}: already exists (use --force to replace it)")
    if not output.parent.exists():
        raise UsageError(f"{output}: the folder {output.parent} does not exist")


def _emit(text: str, output: Path | None) -> None:
    """stdout, or a file written whole: a temporary file renamed into place."""
    if output is None:
        sys.stdout.write(text)
        return
    import tempfile  # only when writing a file: it is slow to import

    fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _render(report: Report, format: Format, output: Path | None, *, table: str) -> str:
    # Renderers are imported on demand: Rich's import is most of probe's start-up time.
    if format is Format.json:
        from probe.report.json_report import render_json

        return render_json(report)
    from probe.report.table import render_compare, render_run

    render = render_run if table == "run" else render_compare
    return render(report, width=_width(), color=_color() and output is None)


def _finish(report: Report, text: str, output: Path | None) -> None:
    _emit(text, output)
    for sr in report.scenarios:
        for note in sr.scenario.notes:
            sys.stderr.write(f"{sr.path}: note: {note}\n")
    raise typer.Exit(EXIT_OK if report.ok else EXIT_FAILED)


StrategyOpt = Annotated[
    list[str] | None,
    typer.Option("--strategy", "-s", help="Strategy to replay (repeatable; default: all)."),
]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write the output to this file.")
]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace an existing output file.")]


@app.command()
def run(
    files: Annotated[list[Path], typer.Argument(help="Scenario files (TOML).")],
    strategy: StrategyOpt = None,
    format: FormatOpt = Format.table,
    output: OutputOpt = None,
    force: ForceOpt = False,
) -> None:
    """Replay each scenario against each strategy: timelines, verdicts, expectations."""

    def body() -> None:
        _check_output(output, force)
        strategies = _strategies(strategy)
        report = _report(_load([(f, str(f)) for f in files]), strategies)
        text = _render(report, format, output, table="run")
        _finish(report, text, output)

    _guarded(body)


@app.command()
def compare(
    files: Annotated[
        list[Path] | None,
        typer.Argument(help="Scenario files (default: the shipped scenario library)."),
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
    format: FormatOpt = Format.table,
    output: OutputOpt = None,
    force: ForceOpt = False,
) -> None:
    """The before/after table: requested, generations, outcomes, who absorbed the repeat."""

    def body() -> None:
        _check_output(output, force)
        strategies = _strategies(strategy)
        chosen = [(f, str(f)) for f in files] if files else library_files()
        loaded = _load(chosen)
        if with_bump is not None:
            loaded = [(s, p) for s, p in loaded if s.has_bump == with_bump]
        if not loaded:
            raise UsageError("no scenario to compare (check the files and --with-bump/--no-bump)")
        report = _report(loaded, strategies)
        text = _render(report, format, output, table="compare")
        _finish(report, text, output)

    _guarded(body)


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Scenario files (TOML).")],
) -> None:
    """Check scenario files without running them."""

    def body() -> None:
        loaded = _load([(f, str(f)) for f in files])
        for scenario, shown in loaded:
            counts = f"{len(scenario.sessions)} session(s), {len(scenario.steps)} step(s)"
            sys.stdout.write(f"{shown}: ok ({counts})\n")
            for note in scenario.notes:
                sys.stderr.write(f"{shown}: note: {note}\n")

    _guarded(body)


_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@app.command()
def new(
    name: Annotated[str, typer.Argument(help="Scenario name: the file is scenarios/NAME.toml.")],
    directory: Annotated[Path, typer.Option("--dir", help="Folder to write into.")] = Path(
        "scenarios"
    ),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented scenario skeleton to scenarios/NAME.toml."""

    def body() -> None:
        stem = name.removesuffix(".toml")
        if not _NAME.match(stem):
            raise UsageError(
                f"{name!r}: a scenario name is letters, digits, '.', '_' and '-' (no folders)"
            )
        target = directory / f"{stem}.toml"
        if target.exists() and not force:
            raise UsageError(f"{target}: already exists (use --force to overwrite it)")
        directory.mkdir(parents=True, exist_ok=True)
        _emit(skeleton(stem), target)
        sys.stderr.write(f"wrote {target}\n")

    _guarded(body)


@app.command()
def strategies() -> None:
    """List the registered dedup strategies."""
    for name, s in sorted(REGISTRY.items()):
        sys.stdout.write(f"{name:<8} {s.summary}\n")


@app.command()
def invariants() -> None:
    """List the invariants checked after every step, and the coverage counters."""
    for name, meaning in sorted(INVARIANTS.items()):
        sys.stdout.write(f"{name:<18} {meaning}\n")
    sys.stdout.write("\ncoverage counters (shown by `probe run`):\n")
    for name, meaning in COVERAGE_MEANINGS.items():
        sys.stdout.write(f"  {name:<26} {meaning}\n")


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"probe {__version__}\n")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """probe: replay concurrency scenarios against openclaw's stuck-session recovery."""


explore_cli.register(app, _guarded)


def main() -> None:
    app()
