"""`probe diff A B`: replay many scenarios on two engines, shrink and write each difference."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from probe.cli.exits import guarded
from probe.cli.options import InvariantOpt, Judging, PluginOpt, SkipInvariantOpt
from probe.errors import Problem, ScenarioError, UsageError
from probe.strategies import REGISTRY

if TYPE_CHECKING:
    from rich.status import Status

    from probe.diff import DiffResult
    from probe.engines.base import Engine
    from probe.report.diff_report import Sources, Written
    from probe.scenario.values import Scenario, Step

DIFF_FORMATS = ("table", "json", "markdown", "junit", "github")
DEFAULT_OUT = Path("probe-diff")


def _write_all(
    result: DiffResult, a: Engine, b: Engine, out: Path, force: bool
) -> tuple[Written, list[str]]:
    """Every difference's file, checked for conflicts before any is written."""
    from probe.cli.output import emit
    from probe.report.diff_report import Written, file_name, file_text

    planned: dict[Path, str] = {}
    files: list[str | None] = []
    for d in result.differences:
        text = file_text(d, a, b)
        target = out / file_name(d.kind, text)
        planned[target] = text
        files.append(str(target))
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: is not a folder")
    conflicts = [
        str(t)
        for t, text in planned.items()
        if t.exists() and t.read_text(encoding="utf-8") != text
    ]
    if conflicts and not force:
        raise UsageError(
            f"{conflicts[0]}: already exists with other content (use --force to overwrite it, "
            f"or another --out); {len(conflicts)} file(s) in conflict, nothing written"
        )
    notes = []
    for target, text in planned.items():
        if target.exists() and target.read_text(encoding="utf-8") == text:
            continue  # the same minimal scenario, found again
        out.mkdir(parents=True, exist_ok=True)
        emit(text, target)  # whole or not at all: a temporary file renamed into place
        notes.append(f"wrote {target}")
    return Written(tuple(files)), notes


@dataclass(frozen=True, slots=True)
class _ProgressStatus:
    """A status line on stderr: which scenario of how many is replaying."""

    status: Status
    total: int

    def __call__(self, number: int, source: str) -> None:
        self.status.update(f"diff: {number}/{self.total} {source}")


def _nothing() -> None:
    pass


def _progress(total: int) -> tuple[_ProgressStatus | None, Callable[[], None]]:
    """A status line on stderr while it runs; nothing when stderr is not a terminal."""
    if not sys.stderr.isatty():
        return None, _nothing
    from rich.console import Console

    status = Console(stderr=True).status("diff: starting")
    status.start()
    return _ProgressStatus(status, total), status.stop


def _trace_name(number: int, steps: tuple[Step, ...]) -> str:
    from probe.scenario.dump import step_table

    verbs = []
    for step in steps:
        table = step_table(step)
        verbs.append(table["do"] + (f" {table['session']}" if "session" in table else ""))
    return f"explore trace {number} ({', '.join(verbs)})"


def _scenarios(
    files: list[Path] | None,
    random_count: int,
    seed: int,
    depth: int | None,
    all_features: bool,
    judging: Judging | None = None,
) -> tuple[list[tuple[str, Scenario]], Sources]:
    from dataclasses import replace

    from probe.report.diff_report import Sources

    scenarios: list[tuple[str, Scenario]] = []
    loaded: list[tuple[Scenario, str]] = []
    if files or (not random_count and depth is None):
        from probe.scenario.files import default_files, read_all, scenario_files

        if files:
            chosen = scenario_files(files)
        else:
            chosen, which = default_files()
            sys.stderr.write(which + "\n")
        loaded = read_all(chosen, REGISTRY.keys(), None if judging is None else judging.catalogue)
        scenarios += [(shown, s) for s, shown in loaded]
    if random_count:
        from probe.scenario.generate import GenerateOptions, generate_many

        options = GenerateOptions(timer_settings=all_features, failed_releases=all_features)
        scenarios += generate_many(seed, random_count, options)
    traces = 0
    if depth is not None:
        from probe.diff import explore_traces
        from probe.explore.values import ISSUE_SEED, ExploreConfig

        start = loaded[0][0] if loaded else ISSUE_SEED
        found = explore_traces(start, REGISTRY.values(), ExploreConfig(depth=depth))
        traces = len(found)
        for number, steps in enumerate(found, start=1):
            name = _trace_name(number, steps)
            scenarios.append(
                (name, replace(start, name=name, steps=steps, expect=(), step_lines=(), notes=()))
            )
    return scenarios, Sources(len(loaded), random_count, seed, traces, depth)


@guarded
def diff_command(
    a: Annotated[
        str,
        typer.Argument(
            metavar="A", help="An engine: model:NAME, openclaw@VERSION or a build's path."
        ),
    ],
    b: Annotated[str, typer.Argument(metavar="B", help="The engine to compare with A.")],
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="[PATH]...",
            help="Scenario files or folders of them (default, when no --random or --depth: "
            "./scenarios, else the shipped library).",
        ),
    ] = None,
    random_count: Annotated[
        int,
        typer.Option("--random", metavar="N", min=0, help="Also N seeded random scenarios."),
    ] = 0,
    seed: Annotated[
        int, typer.Option(metavar="S", min=0, help="Seed of the random scenarios.")
    ] = 0,
    depth: Annotated[
        int | None,
        typer.Option(
            metavar="D",
            min=1,
            max=12,
            help="Also every distinct trace of the model's breadth-first search to this "
            "depth, from the first file's sessions (default: the issue's seed).",
        ),
    ] = None,
    all_features: Annotated[
        bool,
        typer.Option(
            "--all-features",
            help="Random scenarios may vary heartbeat_ms/settle_ms and fail a release "
            "(the last two no real build can express: for model-only diffs).",
        ),
    ] = False,
    shrinking: Annotated[
        bool, typer.Option("--shrink/--no-shrink", help="Shrink each difference.")
    ] = True,
    out: Annotated[
        Path, typer.Option(metavar="DIR", help="Folder for the differences' scenarios.")
    ] = DEFAULT_OUT,
    no_write: Annotated[bool, typer.Option("--no-write", help="Write no scenario files.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite existing files (scenarios and -o).")
    ] = False,
    format: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            envvar="PROBE_FORMAT",
            help="table, json, markdown, junit or github.",
        ),
    ] = "table",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report to this file.")
    ] = None,
    invariant: InvariantOpt = None,
    skip_invariant: SkipInvariantOpt = None,
    plugin: PluginOpt = None,
) -> None:
    """Replay files, random scenarios and search traces on two engines; shrink, write and
    group every difference."""
    from probe.cli.output import check_output, emit, say_for
    from probe.diff import EnginePair, compare_engines
    from probe.engines.engine import resolve
    from probe.report.diff_report import (
        Written,
        render_github,
        render_json,
        render_junit,
        render_markdown,
        render_table,
    )

    if format not in DIFF_FORMATS:
        raise UsageError(f"--format {format!r}: diff writes {', '.join(DIFF_FORMATS)}")
    check_output(output, force)
    judging = Judging(plugin, invariant, skip_invariant)
    scenarios, sources = _scenarios(files, random_count, seed, depth, all_features, judging)
    scenarios = [(shown, judging.apply(s)) for shown, s in scenarios]
    engine_a, engine_b = resolve(a, partial(say_for, a)), resolve(b, partial(say_for, b))
    with ExitStack() as stack:
        for engine in (engine_a, engine_b):
            # A build process kept for the whole command ends with it.
            if hasattr(engine, "__enter__") and hasattr(engine, "__exit__"):
                stack.enter_context(engine)  # type: ignore[arg-type]
            elif callable(close := getattr(engine, "close", None)):
                stack.callback(close)
        update, done = _progress(len(scenarios))
        try:
            result = compare_engines(
                EnginePair(engine_a, engine_b),
                scenarios,
                shrinking=shrinking,
                progress=update,
            )
        finally:
            done()
        notes: list[str] = []
        if no_write:
            written = Written((None,) * len(result.differences))
        else:
            written, notes = _write_all(result, engine_a, engine_b, out, force)
    match format:
        case "json":
            text = render_json(result, sources, written)
        case "markdown":
            text = render_markdown(result, sources, written)
        case "junit":
            text = render_junit(result, sources, written)
        case "github":
            text = render_github(result, sources, written)
        case _:
            text = render_table(result, sources, written)
    emit(text, output, table=format == "table")
    for note in notes:
        sys.stderr.write(note + "\n")
    if not result.compared:
        raise ScenarioError(
            [
                Problem(
                    "diff",
                    "",
                    None,
                    "nothing could be compared: every scenario uses a feature "
                    f"{a} or {b} cannot express",
                )
            ]
        )
    raise typer.Exit(1 if result.differences else 0)
