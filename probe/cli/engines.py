"""`probe engines install|list|inspect|prune`: the cache of real openclaw builds."""

from __future__ import annotations

import sys
import time
from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from probe.cli.exits import guarded
from probe.cli.options import (
    FORCE_OPTION,
    OUTPUT_OPTION,
    NodeOpt,
    check_format,
    format_option,
    use_node,
    version_arg,
)
from probe.cli.output import say, say_for, to_stdout
from probe.errors import UsageError


def engines_group() -> typer.Typer:
    """The `engines` group and its commands."""
    group = typer.Typer(
        help="Install, list, inspect and prune real openclaw builds.",
        no_args_is_help=True,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    group.command("install")(install)
    group.command("list")(list_)
    group.command("inspect")(inspect)
    group.command("prune")(prune)
    return group


@guarded
def install(
    specs: Annotated[
        list[str], typer.Argument(metavar="SPEC...", help="openclaw@VERSION (repeatable).")
    ],
    node: NodeOpt = None,
) -> None:
    """Fetch builds from the npm registry into the cache, with only what the harness needs
    (and the Node each needs, when it is newer than the one on PATH)."""
    use_node(node)
    from probe.engines.cache import list_installed
    from probe.engines.engine import resolve as resolve_engine
    from probe.engines.install import install as install_build
    from probe.engines.real import RealEngine
    from probe.report.engines_report import megabytes

    for spec in specs:
        engine = resolve_engine(spec)
        if not isinstance(engine, RealEngine):
            raise UsageError(f"{spec}: only openclaw@VERSION builds are installed")
        start = time.perf_counter()
        dist = install_build(engine.version, progress=partial(say_for, spec))
        size = dict(list_installed()).get(engine.version, 0)
        to_stdout(
            f"{spec}: installed at {dist.parent.parent} "
            f"({megabytes(size)}, {time.perf_counter() - start:.1f} s)\n"
        )


@guarded
def list_(
    available: Annotated[
        bool,
        typer.Option(
            "--available", help="Every published version (npm registry), marking the installed."
        ),
    ] = False,
    format: Annotated[str, format_option("table or json")] = "table",
    output: Annotated[Path | None, OUTPUT_OPTION] = None,
    force: Annotated[bool, FORCE_OPTION] = False,
) -> None:
    """The installed builds and their sizes (--available: every published version)."""
    from probe.cli.output import check_output, emit
    from probe.engines.cache import cache_dir
    from probe.engines.inspection import cached_builds
    from probe.report.engines_report import render_builds, render_builds_json

    check_format(format, ("table", "json"), "engines list")
    check_output(output, force)
    rows = cached_builds(available)
    render = render_builds_json if format == "json" else render_builds
    emit(render(str(cache_dir()), available, rows), output, table=format == "table")


@guarded
def inspect(
    spec: Annotated[
        str,
        typer.Argument(
            metavar="ENGINE",
            help="openclaw@VERSION, or a build of your own: a dist/ folder, a package "
            "folder holding one, or a .tgz made by npm pack.",
        ),
    ],
    format: Annotated[str, format_option("table or json")] = "table",
    output: Annotated[Path | None, OUTPUT_OPTION] = None,
    force: Annotated[bool, FORCE_OPTION] = False,
    node: NodeOpt = None,
) -> None:
    """What the harness finds in a build, without running a scenario: version, chunks,
    functions, the coordinator's key shape read from the code, and the Node it runs on."""
    use_node(node)
    import tempfile

    from probe.cli.output import check_output, emit
    from probe.engines.inspection import inspect_engine
    from probe.report.engines_report import render_inspect, render_inspect_json

    check_format(format, ("table", "json"), "engines inspect")
    check_output(output, force)
    with tempfile.TemporaryDirectory(prefix="probe-inspect-") as scratch:
        doc = inspect_engine(spec, Path(scratch), say)
    render = render_inspect_json if format == "json" else render_inspect
    emit(render(doc), output, table=format == "table")


@guarded
def prune(
    versions: Annotated[
        list[str] | None,
        typer.Argument(metavar="[VERSION]...", help="VERSION or openclaw@VERSION."),
    ] = None,
    everything: Annotated[
        bool,
        typer.Option(
            "--all",
            help="The whole cache: every build, dependency set, remembered verdict and "
            "leftover (without VERSION, probe asks on a terminal and refuses elsewhere).",
        ),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be removed; remove nothing.")
    ] = False,
) -> None:
    """Remove builds from the cache and say how much that freed."""
    from probe.engines.cache import cache_dir, prune
    from probe.report.engines_report import megabytes

    if versions and everything:
        raise UsageError("engines prune: give VERSION... or --all, not both")
    chosen = [version_arg(v) for v in versions] if versions else None
    if chosen is None and not everything and not dry_run:
        planned = prune(None, dry_run=True)
        total = sum(size for _, size in planned)
        where = cache_dir()
        if not sys.stdin.isatty():
            raise UsageError(
                f"engines prune: without VERSION this removes the whole cache "
                f"({len(planned)} item(s), {megabytes(total)} in {where}); "
                "pass --all to do so, or --dry-run to see the list"
            )
        if not typer.confirm(
            f"Remove the whole cache ({len(planned)} item(s), {megabytes(total)} in {where})?",
            default=False,
            err=True,
        ):
            raise typer.Exit(1)
    kept: list[str] = []
    removed = prune(chosen, dry_run=dry_run, skipped=kept)
    verb = "would remove" if dry_run else "removed"
    for label, size in removed:
        to_stdout(f"{verb} {label} ({megabytes(size)})\n")
    total = sum(size for _, size in removed)
    freed = "would free" if dry_run else "freed"
    to_stdout(f"{freed} {megabytes(total)} in {cache_dir()}\n")
    for message in kept:  # in use: a running command's build, an install's work folder
        say(message)
    if kept:
        raise typer.Exit(1)
