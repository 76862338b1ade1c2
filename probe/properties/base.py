"""What a property is: a named, parameterised check of a kind, with a monitor that reads a trace.

The shape is Stateright's: a property is a value declared beside the model, not a special case
inside the checker. A property never sees the model's World or a build's own flags; its monitor
reads the trace (probe.properties.trace) one moment at a time, so the same property judges the
model and a real build, and the monitor's small hashable state can join a search's state key.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol, TypeAlias

from probe.invariants import Violation
from probe.properties.trace import Moment, Truth

Kind: TypeAlias = Literal["safety", "bounded liveness", "bounded repeats"]
KINDS: tuple[Kind, ...] = ("safety", "bounded liveness", "bounded repeats")


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter of a property: an int with a documented default and a floor."""

    name: str
    default: int
    meaning: str
    minimum: int = 0


Params: TypeAlias = Mapping[str, int]
MonitorKey: TypeAlias = frozenset[tuple[str, Hashable]]


class Monitor(Protocol):
    """A property's incremental check: fed every moment of a trace in order."""

    def observe(self, moment: Moment, truth: Truth) -> list[Violation]:
        """The violations this moment shows (`truth`: the world before the moment)."""
        ...

    def finish(self, truth: Truth, *, settled: bool, step: int) -> list[Violation]:
        """End-of-trace checks (`settled`: no recovery is still in flight)."""
        ...

    def clone(self) -> Monitor:
        """An independent copy, for a search that branches here."""
        ...

    def key(self) -> MonitorKey:
        """What later verdicts still depend on, per session ref: equal keys, equal futures.

        Pairs (ref, value): a search exchanges the state of mirror sessions wholesale, so
        every part of the state belongs to one session.
        """
        ...


class Property(Protocol):
    """What the catalogue holds, and what a `--plugin` property provides."""

    @property
    def name(self) -> str:
        """kebab-case; the name a Violation, [expect] and --invariant use."""
        ...

    @property
    def kind(self) -> Kind: ...

    @property
    def params(self) -> tuple[Param, ...]: ...

    @property
    def meaning(self) -> str:
        """One line."""
        ...

    @property
    def issues(self) -> tuple[str, ...]:
        """The openclaw issues (or ERAS.md changes) it catches, e.g. ("#88010",)."""
        ...

    def monitor(self, params: Params) -> Monitor:
        """A fresh monitor with every parameter given (defaults filled in by the caller)."""
        ...


@dataclass(frozen=True, slots=True)
class Declared:
    """A catalogue entry: the property's description, and the class that builds its monitor."""

    name: str
    kind: Kind
    params: tuple[Param, ...]
    meaning: str
    issues: tuple[str, ...]
    failure_class: int
    build: type[_Builds]

    def monitor(self, params: Params) -> Monitor:
        return self.build.start(self.name, params)


class _Builds(Protocol):
    @classmethod
    def start(cls, name: str, params: Params) -> Monitor: ...
