"""`probe strategies`, `probe versions`, `probe invariants`: what probe knows, listed."""

from __future__ import annotations

from typing import Annotated

import typer

from probe.cli.exits import guarded
from probe.cli.options import PluginOpt, registry_for
from probe.cli.output import emit
from probe.errors import UsageError


@guarded
def strategies(plugin: PluginOpt = None) -> None:
    """List the registered dedup strategies (and those --plugin loads)."""
    from probe.report.listings import render_strategies

    emit(render_strategies(registry_for(plugin)), None, table=True)


@guarded
def versions(
    format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """List the openclaw versions probe models, and the behaviour switches each contains."""
    from probe.report.listings import render_versions_json, render_versions_table

    if format not in ("table", "json"):
        raise UsageError(f"--format {format!r}: versions writes table or json")
    if format == "json":
        emit(render_versions_json(), None)
    else:
        emit(render_versions_table(), None, table=True)


def invariants(plugin: PluginOpt = None) -> None:
    """List the property catalogue (and --plugin's), and the coverage counters."""
    from probe.properties.flags import Judging
    from probe.report.listings import render_invariants

    emit(render_invariants(Judging(plugin, None, None).catalogue), None, table=True)
