"""Options that several commands share (--format, --output, --strategy, --plugin, ...).

Typer reads them from the type annotations, so a command takes the same option, with the same
help and environment variable, by annotating a parameter with the alias: `format: FormatOpt`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from probe.errors import UsageError
from probe.properties.flags import Judging

if TYPE_CHECKING:
    from probe.strategies import DedupStrategy

__all__ = ["Judging"]  # the flags' choice lives in the core, for the pytest plugin too


class Format(StrEnum):
    """What `-f` renders: one renderer in probe/report/ each."""

    table = "table"
    json = "json"
    junit = "junit"
    markdown = "markdown"
    github = "github"


EngineOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--engine",
        "-e",
        help="Where to replay (repeatable): model:NAME, openclaw@VERSION (a published build, "
        "installed on first use), or a path to an openclaw dist/ folder, package or .tgz.",
    ),
]
NodeOpt = Annotated[
    Path | None,
    typer.Option(
        "--node",
        metavar="PATH",
        help="The Node.js that runs real builds (default: the one on PATH, or for a build that "
        "needs a newer one, one fetched from the npm registry into probe's cache). Also "
        "PROBE_NODE.",
    ),
]


def use_node(node: Path | None) -> None:
    """--node PATH: every real build of this command runs on it (PROBE_NODE, read by engines)."""
    if node is not None:
        os.environ["PROBE_NODE"] = str(node.expanduser())


StrategyOpt = Annotated[
    list[str] | None,
    typer.Option("--strategy", "-s", help="Strategy to replay (repeatable; default: all)."),
]
FormatOpt = Annotated[
    Format,
    typer.Option(
        "--format",
        "-f",
        envvar="PROBE_FORMAT",
        help="Output format: table, json, junit, markdown or github (annotations).",
    ),
]
OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write the output to this file.")
]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace an existing output file.")]
PluginOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--plugin",
        help="Load a strategy or a property from module:attr for this invocation "
        "(repeatable).",
    ),
]


def registry_for(plugins: list[str] | None) -> Mapping[str, DedupStrategy]:
    """The registered strategies, plus --plugin ones for this invocation only."""
    from probe.strategies import REGISTRY

    if not plugins:
        return REGISTRY
    from probe.plugins import registry_with

    return registry_with(plugins)


InvariantOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--invariant",
        metavar="NAME",
        help="Judge by this property only (repeatable; default: the whole catalogue, "
        "`probe invariants` lists it).",
    ),
]
SkipInvariantOpt = Annotated[
    list[str] | None,
    typer.Option("--skip-invariant", metavar="NAME", help="Do not judge by this property."),
]


SvgOpt = Annotated[
    Path | None,
    typer.Option("--svg", help="Also draw the strategies' timelines side by side to this SVG."),
]
BaselineOpt = Annotated[
    Path | None,
    typer.Option(
        "--baseline",
        help="Compare with this saved JSON report: list what changed, exit 1 on any change.",
    ),
]
UpdateBaselineOpt = Annotated[
    bool, typer.Option("--update-baseline", help="Rewrite the --baseline file from this run.")
]


# The engine commands' --format, --output and --force, with their own help texts.
def format_option(allowed: str) -> Any:
    return typer.Option("--format", "-f", envvar="PROBE_FORMAT", help=f"{allowed}.")


OUTPUT_OPTION = typer.Option("--output", "-o", help="Write the output to this file.")
FORCE_OPTION = typer.Option("--force", help="Replace an existing output file.")


def check_format(value: str, allowed: tuple[str, ...], command: str) -> None:
    if value not in allowed:
        raise UsageError(
            f"--format {value!r} (or PROBE_FORMAT): {command} writes {', '.join(allowed)}"
        )


def version_arg(spec: str) -> str:
    """VERSION or openclaw@VERSION, as a version."""
    from probe.engines.cache import PACKAGE, check_version
    from probe.engines.engine import check_exact_version

    version = spec.removeprefix(f"{PACKAGE}@")
    check_exact_version(version, spec)
    check_version(version)
    return version
