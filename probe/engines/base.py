"""What every engine is, and the model's: light, so a model-only run imports nothing more."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

from probe.errors import ProbeError
from probe.replay import replay
from probe.run import Run
from probe.scenario import Scenario
from probe.strategies import DedupStrategy


class Engine(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def design(self) -> str | None:
        """The strategy whose [expect.*] table applies to this engine's runs (None: none)."""
        ...

    def replay(self, scenario: Scenario) -> Run: ...


def close_engine(engine: Engine) -> None:
    """End what an engine keeps running (a real build's Node process); safe on any engine, twice,
    and optional: whatever is left is ended when probe exits."""
    close = getattr(engine, "close", None)
    if callable(close):
        close()


@dataclass(frozen=True, slots=True)
class Unexpressible:
    step: int | None  # 1-based, None for the settings
    key: str
    reason: str


class CannotExpress(ProbeError):
    """A real build cannot express some feature of the scenario; nothing was approximated."""

    def __init__(self, engine: str, items: list[Unexpressible]) -> None:
        self.engine = engine
        self.items = items
        super().__init__("; ".join(f"{i.key}: {i.reason}" for i in items))


@dataclass(frozen=True)
class ModelEngine:
    strategy: DedupStrategy

    @property
    def name(self) -> str:
        return f"model:{self.strategy.name}"

    @property
    def design(self) -> str | None:
        return self.strategy.name

    def replay(self, scenario: Scenario) -> Run:
        return replace(replay(scenario, self.strategy), engine=self.name)
