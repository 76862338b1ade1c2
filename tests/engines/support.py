"""Builders for the real-build tests: builds of one's own made from the cached pinned builds."""

from __future__ import annotations

import json
import os
import shutil
import socket
import tarfile
from pathlib import Path

import pytest

BUILDS = {"buggy": "2026.5.30-beta.1", "fixed": "2026.5.31-beta.1"}

# Node.js, npm and the registry: deselected by default, `pytest -m real_build` runs them.
needs_real_builds = pytest.mark.real_build


def pack(package: Path, tarball: Path, only: tuple[str, ...] | None = None) -> Path:
    """What `npm pack` writes: the package (or `only` these entries of it) under `package/`."""
    with tarfile.open(tarball, "w:gz", compresslevel=1) as archive:
        if only is None:
            archive.add(package, arcname="package")
        for name in only or ():
            archive.add(package / name, arcname=f"package/{name}")
    return tarball


def without_code(root: Path, version: str = "0.1.0") -> Path:
    """An openclaw package from before the recovery code: a dist/ with nothing to drive."""
    package = root / "package"
    (package / "dist").mkdir(parents=True)
    (package / "package.json").write_text(json.dumps({"name": "openclaw", "version": version}))
    (package / "dist" / "index.js").write_text("//#region src/index.ts\nexport {};\n")
    return package / "dist"


def broken_layout(dist: Path, root: Path, version: str = "0.3.0") -> Path:
    """A copy of a real build (hard-linked file by file: a symbolic link out of a build is refused)
    whose recoverStuckSession has another shape."""
    package = root / "package"
    (package / "dist").mkdir(parents=True)
    meta = json.loads((dist.parent / "package.json").read_text())
    meta["version"] = version
    (package / "package.json").write_text(json.dumps(meta))
    changed = False
    for chunk in dist.iterdir():
        target = package / "dist" / chunk.name
        is_chunk = chunk.name.startswith("diagnostic") and chunk.suffix == ".js"
        text = chunk.read_text(errors="replace") if is_chunk else ""
        if "//#region src/logging/diagnostic.ts" in text:
            # The lazy runtime loader of later builds: same call, another promise chain.
            text = text.replace(
                "stuckSessionRecoveryRuntimePromise ??= import(",
                "stuckSessionRecoveryRuntimePromise ||= import(",
            )
            target.write_text(text)
            changed = True
        elif chunk.is_dir():
            shutil.copytree(chunk, target, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(str(chunk), str(target))
    assert changed
    return package / "dist"


def copy_package(dist: Path, root: Path) -> Path:
    """A cached build's package (an unpacked npm tarball) copied elsewhere, without the
    node_modules probe installed beside it: a dist/ of one's own."""
    shutil.copytree(dist.parent, root / "package", symlinks=True)
    return root / "package" / "dist"


def _link_or_copy(source: str, target: str) -> object:
    """A hard link where the file system allows one, else a copy (never a symbolic link)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
    return target


def hostile_copy(dist: Path, root: Path, payload: str) -> Path:
    """A maintainer's PR made at test time: the installed build's package copied to
    `root/package` (files hard-linked where the file system allows, else copied), `payload`
    (ES module code) put at the top of its diagnostic chunk, and `root/node_modules` linked to
    the installed build's dependencies, as a checkout beside its node_modules would have them."""

    package = root / "package"
    shutil.copytree(dist.parent, package, symlinks=True, copy_function=_link_or_copy)
    chunk = next(
        f
        for f in sorted((package / "dist").glob("diagnostic*.js"))
        if "//#region src/logging/diagnostic.ts" in f.read_text(errors="replace")
    )
    text = chunk.read_text()
    chunk.unlink()  # a hard link: writing through it would change the installed build
    chunk.write_text(payload + "\n" + text)
    modules = dist.parent.parent / "node_modules"
    (root / "node_modules").symlink_to(modules, target_is_directory=True)
    return package / "dist"


class Listeners:
    """A TCP listener and a UDP socket on one loopback port: what a build reached."""

    def __init__(self) -> None:
        self.tcp = socket.socket()
        self.tcp.bind(("127.0.0.1", 0))
        self.tcp.listen()
        self.port = self.tcp.getsockname()[1]
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", self.port))
        self.tcp.setblocking(False)
        self.udp.setblocking(False)

    def received(self) -> list[str]:
        got: list[str] = []
        try:
            conn, _ = self.tcp.accept()
            got.append("tcp connection")
            conn.close()
        except BlockingIOError:
            pass
        try:
            data, _ = self.udp.recvfrom(4096)
            got.append(f"udp {data[:40]!r}")
        except BlockingIOError:
            pass
        return got

    def close(self) -> None:
        self.tcp.close()
        self.udp.close()


def outside_with_secret(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("probe-secret\n")
    return outside
