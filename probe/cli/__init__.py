"""The command line: the app, built with only the command being run, and its entry point."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable

import typer

from probe.cli.root import COMPLETE_VAR, root
from probe.errors import ProbeError

# Each command is a module-level function; the module is imported only when the command is
# registered, so that a command's start-up pays for its own imports and no other's.
_COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("probe.cli.run", "run"),
    "compare": ("probe.cli.run", "compare"),
    "validate": ("probe.cli.authoring", "validate"),
    "new": ("probe.cli.authoring", "new"),
    "strategies": ("probe.cli.listings", "strategies"),
    "versions": ("probe.cli.listings", "versions"),
    "invariants": ("probe.cli.listings", "invariants"),
    "explore": ("probe.cli.explore", "explore_command"),
    "diff": ("probe.cli.diff", "diff_command"),
    "bisect": ("probe.cli.bisect", "bisect"),
    "conform": ("probe.cli.conform", "conform"),
}
# The one-line summaries `probe --help` lists: whole sentences that fit 80 columns (Click
# would cut each command's docstring to the room left, mid-phrase, with "...").
SUMMARIES: dict[str, str] = {
    "run": "Replay scenarios: each strategy's timeline and verdict.",
    "compare": "The before/after table of scenarios, strategy by strategy.",
    "validate": "Check scenario files without running them.",
    "new": "Write a commented scenario skeleton, or a random scenario.",
    "strategies": "List the dedup strategies.",
    "versions": "List the modelled openclaw versions and their switches.",
    "invariants": "List the invariants a run is judged by.",
    "explore": "Search interleavings for the shortest violations.",
    "diff": "Find and shrink where two engines disagree.",
    "bisect": "Find the first published build whose verdict differs.",
    "conform": "Hold real builds to the model, scenario by scenario.",
    "engines": "Install, list, inspect and prune real openclaw builds.",
}
# `probe engines ...`: a group of its own, built by its module.
_GROUPS: dict[str, tuple[str, str]] = {"engines": ("probe.cli.engines", "engines_group")}
COMMAND_NAMES = (*_COMMANDS, *_GROUPS)


def _attribute(module: str, name: str) -> Callable[..., object]:
    found: Callable[..., object] = getattr(importlib.import_module(module), name)
    return found


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
    target.callback()(root)
    for name, (module, attribute) in _COMMANDS.items():
        if only in (None, name):
            target.command(name, short_help=SUMMARIES[name])(_attribute(module, attribute))
    for name, (module, attribute) in _GROUPS.items():
        if only in (None, name):
            group = _attribute(module, attribute)()
            assert isinstance(group, typer.Typer)
            target.add_typer(group, name=name, short_help=SUMMARIES[name])
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


def _hold_closed_streams() -> None:
    """Open /dev/null on a standard stream started closed (`>&-`): else the next file probe
    opens (a report, a build's log) would take its number and a child would write into it.
    Python has already made sys.stdout None for a closed stdout; writers refuse that."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)


def main() -> None:
    import signal

    _hold_closed_streams()
    signal.signal(signal.SIGTERM, _terminated)
    args = sys.argv[1:]
    completing = any(k.startswith(COMPLETE_VAR) for k in os.environ)
    if completing:
        # Typer's completion classes, which the scripts it writes (--show-completion) talk to.
        from typer._completion_classes import completion_init

        completion_init()
    only = args[0] if args and args[0] in COMMAND_NAMES and not completing else None
    # The same name whether started as `probe` or `python -m probe` (usage, completion).
    try:
        build_app(only)(prog_name="probe")
    except ProbeError as exc:  # from an eager option (--version), which no command guards
        from probe.cli.exits import EXIT_INPUT

        sys.stderr.write(exc.render() + "\n")
        raise SystemExit(EXIT_INPUT) from None
