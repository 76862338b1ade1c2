"""Dedup strategies: how the coordinator keys its in-flight set. One class and one line each."""

from __future__ import annotations

from typing import Protocol

from probe.errors import UsageError
from probe.model.heartbeat import RecoveryRequest


class DedupStrategy(Protocol):
    name: str
    summary: str

    def key(self, request: RecoveryRequest) -> str: ...


class RefGeneration:
    """openclaw@2026.5.30-beta.1: a generation bump makes a new key while the old is in flight."""

    name = "buggy"
    summary = "coordinator keys on ref:generation, the runtime on ref (openclaw@2026.5.30-beta.1)"

    def key(self, request: RecoveryRequest) -> str:
        return f"{request.ref}:{request.generation}"


class RefOnly:
    """openclaw@2026.5.31-beta.1: both layers key on the session ref."""

    name = "fixed"
    summary = "coordinator and runtime both key on ref (openclaw@2026.5.31-beta.1)"

    def key(self, request: RecoveryRequest) -> str:
        return request.ref


REGISTRY: dict[str, DedupStrategy] = {s.name: s for s in (RefGeneration(), RefOnly())}


class AtVersion:
    """A strategy with the behaviour of an openclaw version: what model:NAME@VERSION searches.

    Keys as its design does, and keeps its design's name (which picks expectations and the
    violations a search expects); the world it runs in turns on `version`'s switches.
    """

    def __init__(self, design: DedupStrategy, version: str) -> None:
        from probe.versions import behaviour_of

        self.design = design
        self.version = version
        self.behaviour = behaviour_of(version)
        self.name = design.name
        self.summary = f"{design.summary}, with the behaviour of openclaw@{version}"

    def key(self, request: RecoveryRequest) -> str:
        return self.design.key(request)


def get_strategy(name: str, registry: dict[str, DedupStrategy] | None = None) -> DedupStrategy:
    reg = REGISTRY if registry is None else registry
    try:
        return reg[name]
    except KeyError:
        import difflib

        known = ", ".join(sorted(reg))
        close = difflib.get_close_matches(name, sorted(reg), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UsageError(f"unknown strategy {name!r} (known: {known}{hint})") from None
