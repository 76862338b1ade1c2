"""The scenario's clock read off its steps alone: when each step acted, when each heartbeat fired.

This is what the world did, not what a build made of it: the model and a real build are
driven on the same clock, so a property can judge either from it (e.g. "the heartbeat fired
late by 1 200 ms at step 4") without asking the build.
"""

from __future__ import annotations

from dataclasses import dataclass

from probe.scenario.values import Advance, Scenario, Step, Tick

# openclaw's own heartbeat interval (DIAGNOSTIC_HEARTBEAT_INTERVAL_MS): a firing is late by
# how far it falls after the previous firing plus this, whatever interval the scenario drives.
BUILD_HEARTBEAT_MS = 30_000


@dataclass(frozen=True, slots=True)
class HeartbeatFiring:
    """One heartbeat: the step that fired it, when openclaw's interval had it due, when it fired."""

    step: int  # 1-based
    due_ms: int
    fired_ms: int

    @property
    def late_ms(self) -> int:
        return max(0, self.fired_ms - self.due_ms)


@dataclass(frozen=True, slots=True)
class Timeline:
    """The clock after each step (`step_ms[i]` for step i + 1) and every heartbeat firing."""

    step_ms: tuple[int, ...]
    heartbeats: tuple[HeartbeatFiring, ...]

    def at_step(self, step: int) -> int:
        """The clock when 1-based `step` had acted (0 before the first)."""
        return self.step_ms[step - 1] if step >= 1 else 0


@dataclass(frozen=True, slots=True)
class Clock:
    """Where the clock stands between steps: now, the next heartbeat due, the last one fired."""

    now: int = 0
    next_due: int = 0  # 0: the scenario's first interval
    previous: int = 0

    def step(
        self, interval: int, number: int, step: Step
    ) -> tuple[Clock, tuple[HeartbeatFiring, ...]]:
        """The clock after 1-based step `number` and the heartbeats it fired: a cursor."""
        now, previous = self.now, self.previous
        next_due = self.next_due or interval
        match step:
            case Tick():
                until = next_due
            case Advance(ms=ms):
                until = now + ms
            case _:
                until = now
        fired: list[HeartbeatFiring] = []
        while next_due <= until:
            fired.append(HeartbeatFiring(number, previous + BUILD_HEARTBEAT_MS, next_due))
            previous = next_due
            next_due += interval
        return Clock(until, next_due, previous), tuple(fired)


def timeline(scenario: Scenario) -> Timeline:
    """Replay only the clock: a heartbeat every `heartbeat_ms` from 0, as the model fires them."""
    interval = scenario.settings.heartbeat_ms
    clock = Clock()
    step_ms: list[int] = []
    heartbeats: list[HeartbeatFiring] = []
    for number, step in enumerate(scenario.steps, start=1):
        clock, fired = clock.step(interval, number, step)
        heartbeats.extend(fired)
        step_ms.append(clock.now)
    return Timeline(tuple(step_ms), tuple(heartbeats))
