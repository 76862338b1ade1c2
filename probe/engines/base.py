"""What every engine is, and the model's: light, so a model-only run imports nothing more."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

from probe.errors import ProbeError
from probe.model.behaviour import PINNED, Behaviour
from probe.replay import replay
from probe.run import Run
from probe.scenario.values import REPLY_WAITS, Backend, End, Own, Reply, Scenario, Start
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
    """`model:NAME` (the pinned builds' behaviour) or `model:NAME@VERSION` (that version's)."""

    strategy: DedupStrategy
    version: str | None = None
    # A build of a version probe does not know: the switches read from its own code, named
    # by `version` (its package.json's) in the engine's name.
    code_switches: tuple[str, ...] | None = None

    @property
    def name(self) -> str:
        at = "" if self.version is None else f"@{self.version}"
        read = "" if self.code_switches is None else " (switches read from its code)"
        return f"model:{self.strategy.name}{at}{read}"

    @property
    def design(self) -> str | None:
        return self.strategy.name

    @property
    def behaviour(self) -> Behaviour:
        from probe.versions import behaviour_of

        if self.code_switches is not None:
            return Behaviour.of(self.code_switches)
        return PINNED if self.version is None else behaviour_of(self.version)

    def replay(self, scenario: Scenario) -> Run:
        # A version probe does not know picks no [expect."D@V"] table.
        version = None if self.code_switches is not None else self.version
        refuse_unmodelled_replies(scenario, self.behaviour, self.name)
        run = replay(scenario, self.strategy, self.behaviour, version)
        return replace(run, engine=self.name, version=version)


def refuse_unmodelled_replies(scenario: Scenario, behaviour: Behaviour, engine: str) -> None:
    """Switch reply-progress-only: the model does not play these versions' reply operations,
    so a scenario with `reply` steps is refused, located, rather than approximated; with
    reply-own-activity it plays them, but only beside nothing else of the session's run."""
    if not behaviour.reply_progress_only:
        items = _waits_unread(scenario)
    elif behaviour.reply_own_activity:
        items = _beside_reply_work(scenario)
    else:
        items = [
            Unexpressible(
                number,
                f"step[{number}].do",
                "from 2026.7.2-beta.1 (switch reply-progress-only) a reply operation marks no "
                "embedded run in run activity and its phases decide recovery: the model does "
                "not play such reply operations",
            )
            for number, step in enumerate(scenario.steps, start=1)
            if isinstance(step, Reply)
        ]
    if items:
        raise CannotExpress(engine, items)


def _waits_unread(scenario: Scenario) -> list[Unexpressible]:
    """The reply operations up to 2026.7.x have no waits (markWaitingForGlobalLane and
    markWaitingForDeferredMaintenance are 8.1's)."""
    return [
        Unexpressible(
            number,
            f"step[{number}].phase",
            f"{step.phase}: a reply operation enters this wait only from 2026.8.1 (switch "
            "reply-own-activity)",
        )
        for number, step in enumerate(scenario.steps, start=1)
        if isinstance(step, Reply) and step.phase in REPLY_WAITS
    ]


_RUN_STEPS = {Start: "start", End: "end", Backend: "backend"}


def _beside_reply_work(scenario: Scenario) -> list[Unexpressible]:
    """What reply-own-activity's model leaves out (read in 8.1 and 9.6): a reply operation
    beside work markers or a backend of its session (the run's own work sets the stale
    threshold), beside a session file, under drain hold or the scripted runtime, and beside
    a run handle unless the handle and the operation both honour the abort (abortAndDrain
    expires the one and aborts the other, then waits for both: only that case is played)."""
    refs = {step.session for step in scenario.steps if isinstance(step, Reply)}
    if not refs:
        return []
    why = "reply-own-activity: the model plays a reply operation only "
    items: list[Unexpressible] = []
    settings = scenario.settings
    if settings.drain == "hold":
        items.append(Unexpressible(None, "settings.drain", why + "under drain settle"))
    if settings.runtime == "scripted":
        items.append(
            Unexpressible(None, "settings.runtime", why + "with the real recovery runtime")
        )
    handled = {s.ref for s in scenario.sessions if s.owner != "none"}
    handled |= {step.session for step in scenario.steps if isinstance(step, Own)}
    for seed in scenario.sessions:
        if seed.ref not in refs:
            continue
        seeded_work = seed.work not in ("none", "embedded_run") or (
            seed.work == "embedded_run" and seed.owner == "none"
        )
        if seeded_work or seed.session_file is not None:
            items.append(
                Unexpressible(
                    None,
                    f"session {seed.ref!r}",
                    why + "in a session seeded with no work beyond its run and no session file",
                )
            )
        elif seed.owner != "none" and seed.abort != "honoured":
            items.append(
                Unexpressible(
                    None,
                    f"session {seed.ref!r}.abort",
                    why + 'beside a run handle that honours the abort (abort = "honoured")',
                )
            )
    for number, step in enumerate(scenario.steps, start=1):
        verb = _RUN_STEPS.get(type(step))
        if verb is not None and getattr(step, "session", None) in refs:
            items.append(
                Unexpressible(number, f"step[{number}].do", why + f"in a session with no {verb}")
            )
        elif isinstance(step, Own) and step.session in refs and step.abort != "honoured":
            items.append(
                Unexpressible(
                    number,
                    f"step[{number}].abort",
                    why + 'beside a run handle that honours the abort (abort = "honoured")',
                )
            )
        elif isinstance(step, Reply) and step.session in handled and step.abort != "honoured":
            items.append(
                Unexpressible(
                    number,
                    f"step[{number}].abort",
                    why + 'beside a run handle when it honours the abort (abort = "honoured")',
                )
            )
    return items
