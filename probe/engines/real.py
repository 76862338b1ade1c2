"""A published openclaw build as an engine (`openclaw@VERSION`), installed on first use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from probe.engines.engine import DESIGN_OF_SHAPE, key_shape, replay_build
from probe.run import Run
from probe.scenario.values import Scenario

__all__ = ["RealEngine"]


@dataclass
class RealEngine:
    """A published build (`openclaw@VERSION`) from the cache, installed on first use."""

    version: str
    dist: Path | None = None
    progress: Callable[[str], None] | None = field(default=None, repr=False, compare=False)

    @property
    def name(self) -> str:
        return f"openclaw@{self.version}"

    def _dist(self) -> Path:
        from probe.engines.cache import dist_dir, hold_build, sweep_cache
        from probe.engines.install import install
        from probe.engines.nodes import say_on_stderr

        if self.dist is None:  # once per engine: what killed installs and fetches left goes
            sweep_cache(say_on_stderr)
        hold_build(self.version)  # in use from now until probe exits: prune leaves it
        if self.dist is None:
            found = dist_dir(self.version)
            self.dist = found if found.is_dir() else install(self.version, self.progress)
        return self.dist

    @cached_property
    def design(self) -> str | None:
        """Read from the build's own coordinator key, not from its version number."""
        shape, _ = key_shape(self._dist())
        return DESIGN_OF_SHAPE.get(shape)

    def replay(self, scenario: Scenario) -> Run:
        return replay_build(self.name, self.design, self._dist(), scenario, self.model_version)

    @property
    def model_version(self) -> str | None:
        """The version whose model this build is paired with (a known one, else None)."""
        from probe.versions import VERSIONS

        return self.version if self.version in VERSIONS else None

    def prestart(self) -> None:
        """Start loading the build in its process now (an installed build only)."""
        from probe.engines.cache import dist_dir, is_installed
        from probe.engines.drive import prestart

        found = self.dist or dist_dir(self.version)
        if is_installed(self.version) or self.dist is not None:
            prestart(found)

    def close(self) -> None:
        """End this build's Node process, if one runs (the next replay starts another)."""
        if self.dist is not None:
            from probe.engines import process

            process.close_for(self.dist)
