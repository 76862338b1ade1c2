"""The properties one invocation judges by: the catalogue, --plugin's, --invariant and its skip."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from probe.errors import UsageError

if TYPE_CHECKING:
    from probe.properties.base import Property
    from probe.scenario.values import Scenario


class Judging:
    """The properties this invocation judges by: the catalogue, --plugin's, and the flags."""

    def __init__(
        self, plugins: list[str] | None, only: list[str] | None, skip: list[str] | None
    ) -> None:
        from probe.properties.catalogue import CATALOGUE
        from probe.properties.names import unknown_property

        catalogue: Mapping[str, Property] = CATALOGUE
        if plugins:
            from probe.plugins import catalogue_with

            catalogue = catalogue_with(plugins)
        for flag, names in (("--invariant", only), ("--skip-invariant", skip)):
            for name in names or ():
                if name not in catalogue:
                    raise UsageError(f"{flag} {name}: {unknown_property(name, catalogue)}")
        self.catalogue = catalogue
        self.only = only
        self.skip = skip
        self.extra = tuple(p for n, p in catalogue.items() if n not in CATALOGUE)

    def apply(self, scenario: Scenario) -> Scenario:
        from dataclasses import replace

        if not (self.only or self.skip or self.extra):
            return scenario
        choice = scenario.properties.with_flags(self.only, self.skip, self.extra)
        return replace(scenario, properties=choice)

    def apply_all(self, loaded: list[tuple[Scenario, str]]) -> list[tuple[Scenario, str]]:
        return [(self.apply(s), shown) for s, shown in loaded]
