"""`probe conform`: every scenario on the model and on real builds, their event streams diffed."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from probe.cli.exits import guarded
from probe.cli.options import (
    FORCE_OPTION,
    OUTPUT_OPTION,
    InvariantOpt,
    Judging,
    NodeOpt,
    PluginOpt,
    SkipInvariantOpt,
    check_format,
    format_option,
    use_node,
)
from probe.cli.output import say
from probe.errors import Problem, ScenarioError
from probe.strategies import REGISTRY

if TYPE_CHECKING:
    from probe.conform import PairResult
    from probe.scenario.values import Scenario


def _load(files: list[Path] | None, judging: Judging) -> list[tuple[Scenario, str]]:
    from probe.scenario.files import default_files, read_all, scenario_files

    if files:
        chosen = scenario_files(files)
    else:
        chosen, which = default_files()
        say(which)
    return judging.apply_all(read_all(chosen, REGISTRY.keys(), judging.catalogue))


@guarded
def conform(
    files: Annotated[
        list[Path] | None,
        typer.Argument(metavar="FILE...", help="Scenario files (default: the shipped library)."),
    ] = None,
    pair: Annotated[
        list[str] | None,
        typer.Option(
            help="model:NAME=ENGINE, ENGINE being openclaw@VERSION or the path of a build "
            "(dist/ folder, package folder, npm-pack .tgz); repeatable; default: buggy and "
            "fixed against the last buggy and first fixed builds."
        ),
    ] = None,
    engine: Annotated[
        list[str] | None,
        typer.Option(
            "--engine",
            "-e",
            help="A real build (openclaw@VERSION or a path, repeatable), compared with the "
            "model of its own design, read from its coordinator key.",
        ),
    ] = None,
    format: Annotated[str, format_option("table, json, junit or github")] = "table",
    output: Annotated[Path | None, OUTPUT_OPTION] = None,
    force: Annotated[bool, FORCE_OPTION] = False,
    node: NodeOpt = None,
    invariant: InvariantOpt = None,
    skip_invariant: SkipInvariantOpt = None,
    plugin: PluginOpt = None,
) -> None:
    """Replay every scenario on the model and on the real build; diff the event streams."""
    use_node(node)
    from probe.cli.output import check_output, emit, say_for
    from probe.conform import conform_one, pairs_to_compare

    check_format(format, ("table", "json", "junit", "github"), "conform")
    check_output(output, force)
    started = datetime.now(UTC)
    # Bad files and names are refused before any build is resolved.
    loaded = _load(files, Judging(plugin, invariant, skip_invariant))
    pairs = pairs_to_compare(pair, engine, say_for)
    for _model, build in pairs:  # the builds load side by side
        start_early = getattr(build, "prestart", None)
        if callable(start_early):
            start_early()
    results: list[tuple[str, list[PairResult]]] = []
    for scenario, shown in loaded:
        row = []
        for model, build in pairs:
            if sys.stderr.isatty():
                say(f"{shown}: {build.name}")
            row.append(conform_one(scenario, model, build))
        results.append((shown, row))
    statuses = [p.status for _, ps in results for p in ps]
    match format:
        case "json":
            from probe.report.conform_report import render_conform_json

            text = render_conform_json(results)
        case "junit":
            from probe.report.conform_report import render_conform_junit

            text = render_conform_junit(results, started)
        case "github":
            from probe.report.conform_report import render_conform_github

            text = render_conform_github(results)
        case _:
            from probe.report.conform_report import render_conform_table

            text = render_conform_table(results)
    emit(text, output, table=format == "table")
    if not {"agree", "differ", "failed"} & set(statuses):
        raise ScenarioError(
            [
                Problem(
                    "conform",
                    "",
                    None,
                    "nothing could be compared: every scenario uses "
                    "a feature the real builds cannot express",
                )
            ]
        )
    raise typer.Exit(1 if {"differ", "failed"} & set(statuses) else 0)
