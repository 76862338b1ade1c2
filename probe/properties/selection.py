"""Which properties judge a run, with which parameters: a scenario's [properties], the flags.

A `Choice` is a value on the Scenario, so every command and engine that replays the scenario
judges it the same way, and the flags (--invariant, --skip-invariant, --plugin) only change it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the scenario's values hold a Choice; the properties import the scenario
    from probe.properties.base import Property


@dataclass(frozen=True, slots=True)
class Choice:
    only: tuple[str, ...] | None = None  # None: the whole catalogue
    skip: tuple[str, ...] = ()
    params: tuple[tuple[str, tuple[tuple[str, int], ...]], ...] = ()  # property -> settings
    extra: tuple[Property, ...] = ()  # properties a --plugin registered for this invocation

    def selected(self, catalogue: Mapping[str, Property]) -> list[Property]:
        """The chosen properties, in catalogue order (plugins after)."""
        every = dict(catalogue)
        for prop in self.extra:
            every.setdefault(prop.name, prop)
        chosen = [p for name, p in every.items() if self.only is None or name in self.only]
        return [p for p in chosen if p.name not in self.skip]

    def params_of(self, prop: Property) -> dict[str, int]:
        given = dict(dict(self.params).get(prop.name, ()))
        return {p.name: given.get(p.name, p.default) for p in prop.params}

    def with_flags(
        self, only: list[str] | None, skip: list[str] | None, extra: tuple[Property, ...] = ()
    ) -> Choice:
        """The command line's choice over the file's: --invariant replaces `only`, skips add."""
        return Choice(
            tuple(only) if only else self.only,
            (*self.skip, *(s for s in skip or () if s not in self.skip)),
            self.params,
            (*self.extra, *extra),
        )
