"""`probe bisect`: the first published build whose verdict on a scenario differs."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
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
    version_arg,
)
from probe.cli.output import say
from probe.errors import UsageError
from probe.strategies import REGISTRY

if TYPE_CHECKING:  # the engine modules are imported where used: they are slow to import
    from collections.abc import Mapping

    from probe.bisect import BuildProber, Probe
    from probe.properties.base import Property


def _install_progress(message: str) -> None:
    say(f"  {message}")


@dataclass(frozen=True, slots=True)
class _NarratedProber:
    """The prober, saying on stderr which build it probes and what it found there."""

    prober: BuildProber
    on: str

    def __call__(self, version: str) -> Probe:
        from probe.report.bisect_report import probe_text

        say(f"probing openclaw@{version}")
        found = self.prober(version)
        say(
            f"openclaw@{version}: {probe_text(found, self.on)} "
            f"(key {found.key.shape}, {found.seconds:.1f} s)"
        )
        return found


def _known_property(on: str, catalogue: Mapping[str, Property] | None = None) -> None:
    """A typo in `--on violation:NAME` would bisect nothing and say "no boundary": refuse it."""
    from probe.bisect import VIOLATION_PREFIX
    from probe.properties.catalogue import CATALOGUE
    from probe.properties.names import close_name

    known = CATALOGUE if catalogue is None else catalogue
    name = on.removeprefix(VIOLATION_PREFIX)
    if on.startswith(VIOLATION_PREFIX) and name not in known:
        guess = close_name(name, known)
        raise UsageError(
            f"--on {on!r}: no property named {name!r}"
            + (f", did you mean {guess!r}?" if guess else "")
            + f" (`probe invariants` lists them: {', '.join(sorted(known))})"
        )


@guarded
def bisect(
    scenario_file: Annotated[Path, typer.Argument(metavar="SCENARIO", help="Scenario file.")],
    from_: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="First version of the range (default: the first with the recovery code, "
            "2026.5.26; with --models, the oldest modelled).",
        ),
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", help="Last version of the range (default: newest).")
    ] = None,
    stable: Annotated[
        bool, typer.Option("--stable", help="Leave out prereleases (except --from/--to).")
    ] = False,
    on: Annotated[
        str,
        typer.Option(
            "--on",
            help="The report key that decides (default: violations, the invariants the "
            "scenario violates). Also: ok, requested, requested_generations, completed, "
            "runtime_outcomes, absorbed_by, expectations, events; or violation:NAME, whether "
            "the run violates that one property (where a failure class appeared or went away).",
        ),
    ] = "violations",
    models: Annotated[
        bool,
        typer.Option(
            "--models",
            help="Bisect the models of the known versions (model:DESIGN@VERSION, `probe "
            "versions`) instead of the published builds: no Node, nothing installed.",
        ),
    ] = False,
    format: Annotated[str, format_option("table, json, junit or github")] = "table",
    output: Annotated[Path | None, OUTPUT_OPTION] = None,
    force: Annotated[bool, FORCE_OPTION] = False,
    node: NodeOpt = None,
    invariant: InvariantOpt = None,
    skip_invariant: SkipInvariantOpt = None,
    plugin: PluginOpt = None,
) -> None:
    """Binary-search the published builds for the first whose verdict differs from --from's."""
    use_node(node)
    from probe.bisect import (
        BuildProber,
        ModelProber,
        check_on,
        install_on_demand,
        search,
        select_range,
    )
    from probe.cli.output import check_output, emit
    from probe.engines.install import available_versions
    from probe.report.bisect_report import probe_text, render_bisect, render_bisect_json
    from probe.scenario.files import read_scenario

    check_format(format, ("table", "json", "junit", "github"), "bisect")
    check_output(output, force)
    started = datetime.now(UTC)
    problem = check_on(on)
    if problem is not None:
        raise UsageError(problem)
    judging = Judging(plugin, invariant, skip_invariant)
    _known_property(on, judging.catalogue)
    shown = str(scenario_file)
    scenario = judging.apply(
        read_scenario(scenario_file, REGISTRY.keys(), shown, judging.catalogue)
    )
    first = version_arg(from_) if from_ else None
    last = version_arg(to) if to else None
    start = time.perf_counter()
    if models:
        from probe.versions import VERSIONS

        known: list[str] = list(VERSIONS)
    else:
        from probe.bisect import first_with_code

        say("reading the published versions (npm view openclaw versions)")
        known = available_versions()
        if first is None and (first := first_with_code(known)) is not None:
            say(f"from {first}, the first version with the recovery code (--from: elsewhere)")
    try:
        versions = select_range(known, first, last, stable=stable)
    except ValueError as exc:
        message = str(exc).replace("a published", "a known") if models else str(exc)
        raise UsageError(message) from None
    if models:
        result = replace(search(versions, ModelProber(scenario, on)), models=True)
    else:
        prober = BuildProber(scenario, on, install_on_demand(_install_progress))
        result = search(versions, _NarratedProber(prober, on))
    seconds = time.perf_counter() - start
    if format == "json":
        emit(render_bisect_json(result, shown, on, seconds), output)
    elif format == "junit":
        from probe.report.bisect_report import render_bisect_junit

        texts = [probe_text(p, on) for p in result.probes]
        emit(render_bisect_junit(result, shown, on, started, texts), output)
    elif format == "github":
        from probe.report.bisect_report import render_bisect_github

        emit(render_bisect_github(result, shown), output)
    else:
        emit(render_bisect(result, shown, on, seconds), output, table=True)
    if result.baseline is None:
        raise UsageError(f"bisect: {result.note}")
    raise typer.Exit(0 if result.found else 1)
