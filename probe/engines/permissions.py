"""Node's own permission model around the build process: where it may read and write.

It allows reads where the build lives (its package, the node_modules beside it, the harness,
the sandbox), writes only in its sandbox folder, and no child processes, workers, addons, WASI
or inspector. A build that cannot load under it is refused with the reason, never re-run with
less isolation: only `probe --no-node-permission COMMAND` (this command alone, unsafe) runs
builds without it.

Node follows symbolic links inside an allowed folder wherever they point (its documented
limitation): a link in the package to `/` would open the whole disk. So every link under the
read roots is resolved, and a build with one that leads outside them is refused, naming it.

The network has no switch in Node's permission model before Node 25: sockets are closed below JS
by the launcher's seccomp filter (probe.engines.confine), and the harness's JS traps report each
attempt.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from functools import cache
from pathlib import Path

__all__ = [
    "LinkOut",
    "allow_without_permission_model",
    "enforced",
    "flag_for",
    "node_flags",
    "read_roots",
    "sandbox_line",
]

Version = tuple[int, int, int]

_UNSAFE: list[bool] = [False]  # set by `probe --no-node-permission`, for this process only


def allow_without_permission_model(unsafe: bool = True) -> None:
    """`--no-node-permission`: this command runs builds under the JS traps and the launcher's
    filter alone. Never read from the environment or the cache: it lasts one command."""
    _UNSAFE[0] = unsafe


def enforced() -> bool:
    """Whether Node's permission model confines the builds of this command."""
    return not _UNSAFE[0]


def flag_for(version: Version) -> str | None:
    """The flag that turns the permission model on: `--permission` from Node 22.13 / 23.5,
    `--experimental-permission` on Node 20 to 22.12, None before Node 20."""
    if version >= (23, 5, 0) or (version[0] == 22 and version >= (22, 13, 0)):
        return "--permission"
    if version[0] >= 20:
        return "--experimental-permission"
    return None


def _with_real(paths: Iterable[Path]) -> list[str]:
    """Each path as given and as its real path (linked work folders), once each, in order."""
    found: list[str] = []
    for path in paths:
        for candidate in (Path(os.path.abspath(path)), Path(os.path.realpath(path))):
            text = str(candidate)
            if text not in found:
                found.append(text)
    return found


class LinkOut(Exception):
    """A symbolic link under the read roots that leads outside them."""

    def __init__(self, link: Path, target: Path) -> None:
        super().__init__(
            f"{link} is a symbolic link to {target}, outside the build: Node's permission "
            "model follows links, so it would open reads there; probe refuses the build"
        )
        self.link = link
        self.target = target


def read_roots(dist: Path | None, harness: Path, extra: Iterable[Path] = ()) -> list[Path]:
    """Where the build process may read: the harness's folder, the build's package (its own
    node_modules inside), the node_modules beside the package (probe's install, or the one a
    work folder links), and `extra` (the pinned fake-timers); each as given and as its real path
    (a work folder's links to the package and the dependency set are probe's own). Not the folder
    above the package: for a checkout at ~/openclaw that would be the home folder.

    LinkOut when a link anywhere under them leads outside them."""
    roots = [harness.parent, *extra]
    if dist is not None:
        package = Path(os.path.abspath(dist)).parent
        roots.append(package)
        beside = package.parent / "node_modules"
        if beside.is_dir():
            roots.append(beside)
    found = [Path(p) for p in _with_real(roots)]
    real = tuple(sorted({os.path.realpath(p) for p in found}))
    for root in real:
        _check_links(root, real)
    return found


def _inside(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


@cache
def _check_links(root: str, roots: tuple[str, ...]) -> None:
    """Walk `root` (not following links) and resolve every link found; once per process (the
    build cannot write there, so what was checked stays checked)."""
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.is_symlink():
                target = os.path.realpath(entry.path)
                if not _inside(target, roots):
                    raise LinkOut(Path(entry.path), Path(target))
            elif entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)


def node_flags(version: Version, roots: Iterable[Path], sandbox: Path) -> list[str]:
    """The permission flags for one process ([] under `--no-node-permission`)."""
    flag = flag_for(version)
    if not enforced():
        return []
    if flag is None:  # probe runs builds on Node 20+ only; never without the model by accident
        raise ValueError(f"Node {'.'.join(map(str, version))} has no permission model")
    reads = _with_real([*roots, sandbox])
    # "Permission is an experimental feature" (Node 20), node:sqlite's (24): noise in stderr tails.
    return [
        flag,
        "--disable-warning=ExperimentalWarning",
        *(f"--allow-fs-read={p}" for p in reads),
        *(f"--allow-fs-write={p}" for p in _with_real([sandbox])),
    ]


TRAPS = "JS traps (report every network, process, worker and write attempt)"


def sandbox_line(version: Version | None, network: str | None, writes: str | None) -> str:
    """What confines the build process on this Node, in words (`probe engines inspect`);
    `network` and `writes` say why sockets, or writes, are not closed below JS here (None: they
    are, by the launcher's seccomp filter and Landlock)."""
    sockets = (
        "seccomp: no sockets (TCP, UDP, DNS, unix), no new processes, no signals to others"
        if network is None
        else f"the network closed by the JS traps alone ({network})"
    )
    landlock = (
        "Landlock: no file system change outside the sandbox"
        if writes is None
        else f"no Landlock ({writes})"
    )
    if version is None:
        model = "Node's permission model on the Node fetched on first use"
    elif not enforced():
        model = "NO permission model (--no-node-permission: unsafe, this command only)"
    else:
        flag = flag_for(version)
        node = "Node " + ".".join(str(p) for p in version)
        model = (
            f"{flag} on {node} (reads: the folders under reads; writes: sandbox; no child "
            "processes, workers, addons, WASI, inspector)"
        )
    return f"{model}; {sockets}; {landlock}; memory capped; {TRAPS}"
