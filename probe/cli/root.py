"""The root of the command line: --version, completion scripts, --no-node-permission."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from probe import __version__
from probe.cli.exits import fail
from probe.cli.output import to_stdout


def _version(value: bool) -> None:
    if value:
        to_stdout(f"probe {__version__}\n")
        raise typer.Exit()


SHELLS = ("bash", "zsh", "fish", "powershell", "pwsh")
COMPLETE_VAR = "_PROBE_COMPLETE"


def _shell(value: str) -> str:
    if value not in SHELLS:
        fail(f"{value!r}: not a shell probe completes; choose one of {', '.join(SHELLS)}")
    return value


def _show_completion(value: str | None) -> None:
    if value is None:
        return
    from typer._completion_shared import get_completion_script

    shell = _shell(value)
    script = get_completion_script(prog_name="probe", complete_var=COMPLETE_VAR, shell=shell)
    to_stdout(script.rstrip("\n") + "\n")
    raise typer.Exit()


def _install_completion(value: str | None) -> None:
    if value is None:
        return
    from typer._completion_shared import install

    shell, path = install(shell=_shell(value), prog_name="probe", complete_var=COMPLETE_VAR)
    sys.stderr.write(f"{shell} completion installed in {path} (restart the shell to use it)\n")
    raise typer.Exit()


def root(
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
    no_node_permission: Annotated[
        bool,
        typer.Option(
            "--no-node-permission",
            help="UNSAFE, for this command only: run real builds without Node's permission "
            "model (a build refused under it). The build may then read and write wherever you "
            "can; sockets and new processes stay closed where the seccomp filter works.",
        ),
    ] = False,
) -> None:
    """probe: replay concurrency scenarios against openclaw's stuck-session recovery."""
    from probe.engines.permissions import allow_without_permission_model

    # Set on every invocation, so that it never outlives the command that named it.
    allow_without_permission_model(no_node_permission)
    if no_node_permission:
        sys.stderr.write(
            "probe: WARNING: --no-node-permission: real builds run without Node's permission "
            "model for this command\n"
        )
