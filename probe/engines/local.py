"""Builds probe did not install: a `dist/` folder, a package folder holding one, an npm-pack .tgz.

The harness imports the build's chunks by path, so their bare imports (`tslog`, `chalk`, ...) are
resolved by Node from where the chunks are: the package's own node_modules when it has them (an
openclaw checkout after `pnpm install && pnpm build`). Otherwise the package is linked into a work
folder beside a node_modules from probe's cache (a pinned build's own when its dependencies are
the same, else a set installed on demand), and Node runs with --preserve-symlinks so that the
chunks resolve from the work folder and not from where the link points (ESM resolution ignores
NODE_PATH). A .tgz is extracted into a temporary work folder. Work folders go when probe exits.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from probe.engines.cache import PACKAGE
from probe.engines.engine import DESIGN_OF_SHAPE, key_shape, replay_build
from probe.engines.errors import EngineError
from probe.engines.harness import Build, list_dependencies
from probe.engines.install import (
    dependency_set,
    extract_tarball,
    fake_timers_dir,
    fake_timers_package,
)
from probe.run import Run
from probe.scenario.values import Scenario

TARBALL_SUFFIXES = (".tgz", ".tar.gz")


@dataclass(frozen=True, slots=True)
class BuildSource:
    """Where a build of one's own is: `kind` is dist, package or tarball; `path` is absolute."""

    spec: str
    path: Path
    kind: str


def _names_openclaw(package_json: Path) -> bool:
    try:
        meta = json.loads(package_json.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(meta, dict) and meta.get("name") == PACKAGE


def looks_like_path(spec: str) -> bool:
    """Whether an engine spec names a file or folder rather than model:NAME or openclaw@VERSION."""
    return (
        "/" in spec
        or "\\" in spec
        or spec.startswith((".", "~"))
        or spec.endswith(TARBALL_SUFFIXES)
        or Path(spec).expanduser().exists()
    )


def locate(spec: str) -> BuildSource:
    """What kind of build `spec` points at; EngineError (exit 2) when it is none."""
    path = Path(spec).expanduser()
    if not path.exists():
        raise EngineError(
            f"{spec}: no such file or folder (an engine path is an openclaw dist/ folder, "
            "a package folder holding one, or a .tgz made by npm pack)"
        )
    path = path.absolute()
    if path.is_file():
        if path.name.endswith(TARBALL_SUFFIXES):
            return BuildSource(spec, path, "tarball")
        raise EngineError(
            f"{spec}: not an openclaw build (a file that is not a .tgz made by npm pack)"
        )
    if _names_openclaw(path / "package.json"):
        if not (path / "dist").is_dir():
            raise EngineError(
                f"{spec}: an openclaw package without a dist/ folder; build it first "
                "(pnpm install && pnpm build)"
            )
        return BuildSource(spec, path, "package")
    if _names_openclaw(path.parent / "package.json"):
        return BuildSource(spec, path, "dist")
    raise EngineError(
        f"{spec}: not an openclaw build: neither it nor the folder above it has a "
        "package.json naming openclaw"
    )


def _resolvable(name: str, dist: Path) -> bool:
    """Whether Node would find bare package `name` from a chunk in `dist` (node_modules lookup)."""
    start = dist.resolve()  # Node resolves from a module's real path unless --preserve-symlinks
    return any(
        (d / "node_modules" / name / "package.json").is_file() for d in (start, *start.parents)
    )


class LocalBuild:
    """A build of one's own, prepared for the harness on first use."""

    def __init__(self, source: BuildSource, progress: Callable[[str], None] | None = None) -> None:
        self.source = source
        self._say = progress or (lambda _message: None)
        self._work: Path | None = None
        self._package: Path | None = None
        self._dist: Path | None = None
        self._build: Build | None = None

    def _work_folder(self) -> Path:
        if self._work is None:
            self._work = Path(tempfile.mkdtemp(prefix="probe-build-"))
            weakref.finalize(self, shutil.rmtree, self._work, ignore_errors=True)
        return self._work

    @property
    def dist(self) -> Path:
        """The build's dist/ folder as it is on disk (a tarball is extracted first)."""
        if self._dist is None:
            source = self.source
            if source.kind == "tarball":
                work = self._work_folder()
                self._say(f"extracting {source.path.name}")
                extract_tarball(source.path, work)
                package = work / "package"
                if not _names_openclaw(package / "package.json"):
                    raise EngineError(
                        f"{source.spec}: not an openclaw npm-pack tarball "
                        "(no package/package.json naming openclaw)"
                    )
                if not (package / "dist").is_dir():
                    raise EngineError(f"{source.spec}: the tarball has no package/dist/ folder")
                self._package, self._dist = package, package / "dist"
            elif source.kind == "package":
                self._package, self._dist = source.path, source.path / "dist"
            else:
                self._package, self._dist = source.path.parent, source.path
        return self._dist

    @property
    def prepared(self) -> Build | None:
        """The Build once build() made it (None before: nothing was prepared)."""
        return self._build

    def build(self) -> Build:
        """How the harness reaches the build, its dependencies resolved (installed if need be)."""
        if self._build is not None:
            return self._build
        dist = self.dist
        assert self._package is not None
        deps = list_dependencies(dist)
        packages = {str(k): str(v) for k, v in dict(deps.get("packages", {})).items()}
        undeclared = [str(n) for n in deps.get("undeclared", [])]
        missing = [n for n in [*packages, *undeclared] if not _resolvable(n, dist)]
        # probe's own timer faker, whatever version the build's node_modules may hold.
        env = (("PROBE_FAKE_TIMERS", str(fake_timers_dir(self._say))),)
        if not missing:
            self._build = Build(dist, (), env)
            return self._build
        unknown = [n for n in missing if n in undeclared]
        if unknown:
            raise EngineError(
                f"{self.source.spec}: the diagnostic chunks import packages that the build "
                f"neither declares nor has installed: {', '.join(unknown)}"
            )
        fake_name, fake_version = fake_timers_package()
        modules = dependency_set({**packages, fake_name: fake_version}, self._say)
        work = self._work_folder()
        (work / "node_modules").symlink_to(modules, target_is_directory=True)
        if self.source.kind == "tarball":
            # The package is a real folder inside the work folder: plain resolution finds it.
            self._build = Build(dist, (), env)
        else:
            (work / "package").symlink_to(self._package, target_is_directory=True)
            linked = work / "package" / dist.relative_to(self._package)
            self._build = Build(linked, ("--preserve-symlinks",), env)
        return self._build


@dataclass
class LocalEngine:
    """A build of one's own: a dist/ folder, a package folder holding one, or an npm-pack .tgz.

    Named as given on the command line, so that it never merges with `openclaw@VERSION`.
    """

    source: BuildSource
    progress: Callable[[str], None] | None = field(default=None, repr=False, compare=False)
    local: LocalBuild = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.local = LocalBuild(self.source, self.progress)

    @property
    def name(self) -> str:
        return self.source.spec

    @cached_property
    def design(self) -> str | None:
        """Read from the build's own coordinator key."""
        shape, _ = key_shape(self.local.dist)
        return DESIGN_OF_SHAPE.get(shape)

    def replay(self, scenario: Scenario) -> Run:
        return replay_build(
            self.name, self.design, self.local.build(), scenario, self.model_version
        )

    @cached_property
    def model_version(self) -> str | None:
        """The version its package.json names, when probe knows that version's switches."""
        from probe.versions import VERSIONS

        version = self.package_version
        return version if version in VERSIONS else None

    @cached_property
    def package_version(self) -> str | None:
        """The version its package.json names (None: none there)."""
        package = self.local.dist.parent / "package.json"
        try:
            version = json.loads(package.read_text(encoding="utf-8")).get("version")
        except (OSError, ValueError, AttributeError):
            return None
        return version if isinstance(version, str) else None

    def close(self) -> None:
        """End this build's Node process, if one runs (the next replay starts another)."""
        from probe.engines import process

        prepared = self.local.prepared
        if prepared is not None:
            process.close_for(prepared.dist)
