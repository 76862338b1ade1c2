"""Builders for the real-build tests: builds of one's own made from the cached pinned builds."""

from __future__ import annotations

import json
import shutil
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
    """A copy of a real build (linked file by file) whose recoverStuckSession has another shape."""
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
        else:
            target.symlink_to(chunk)
    assert changed
    return package / "dist"


def copy_package(dist: Path, root: Path) -> Path:
    """A cached build's package (an unpacked npm tarball) copied elsewhere, without the
    node_modules probe installed beside it: a dist/ of one's own."""
    shutil.copytree(dist.parent, root / "package", symlinks=True)
    return root / "package" / "dist"
