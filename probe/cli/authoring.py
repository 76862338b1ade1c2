"""`probe validate` and `probe new`: checking scenario files, and writing new ones."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated

import typer

from probe.cli.exits import guarded
from probe.cli.options import PluginOpt, registry_for
from probe.cli.output import to_stdout
from probe.errors import UsageError
from probe.report.escape import terminal


@guarded
def validate(
    files: Annotated[
        list[Path],
        typer.Argument(metavar="PATH...", help="Scenario files (TOML), or folders of them."),
    ],
    plugin: PluginOpt = None,
) -> None:
    """Check scenario files without running them."""
    from probe.scenario.files import read_all, scenario_files

    loaded = read_all(scenario_files(files), registry_for(plugin).keys())
    for scenario, shown in loaded:
        counts = f"{len(scenario.sessions)} session(s), {len(scenario.steps)} step(s)"
        to_stdout(f"{terminal(shown)}: ok ({counts})\n")
        for note in scenario.notes:
            sys.stderr.write(f"{terminal(shown)}: note: {terminal(note)}\n")


_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@guarded
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
    from probe.cli.output import emit

    emit(text, target)
    sys.stderr.write(f"wrote {target}\n")
