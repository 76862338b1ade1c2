"""The scenario's clock read off its steps alone: when each step acted, when each heartbeat fired.

This is what the world did, not what a build made of it: the model and a real build are
driven on the same clock, so a property can judge either from it (e.g. "the heartbeat fired
late by 1 200 ms at step 4") without asking the build.

How heartbeats are timed, as openclaw's `setInterval` runs on Node: the heartbeat starts at
clock 0; each firing is due `heartbeat_ms` after the previous one *fired* (Node re-arms an
interval from when its callback ran, so a late firing pushes every later one back) and fires
late by the settings' lateness (`tick_late_ms` plus a `tick_jitter_ms` draw), or by a tick
step's own `late_ms`, which replaces it for the firing that step makes.
"""

from __future__ import annotations

from dataclasses import dataclass

from probe.scenario.values import Advance, Scenario, Settings, Step, Tick

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


class HeartbeatSchedule:
    """When the next heartbeat fires, moved on firing by firing (the model keeps the same)."""

    __slots__ = ("firing", "interval", "next_at", "previous", "settings")

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.interval = settings.heartbeat_ms
        self.previous = 0  # the last firing; the heartbeat starts at clock 0
        self.firing = 1  # the number of the next firing
        self.next_at = self.interval + settings.firing_late_ms(1)

    def due(self) -> int:
        """When the next firing is due, before any lateness."""
        return self.previous + self.interval

    def tick(self, now: int, late_ms: int | None) -> int:
        """Where a tick step moves the clock: the next firing, `late_ms` late when given."""
        if late_ms is not None:
            self.next_at = max(now, self.due() + late_ms)
        return self.next_at

    def fire(self) -> None:
        """The next firing happened: the one after is due an interval later."""
        self.previous = self.next_at
        self.firing += 1
        self.next_at = self.previous + self.interval + self.settings.firing_late_ms(self.firing)

    @property
    def bulk(self) -> bool:
        """Whether every firing the settings time is equally late (fire_until is then quick)."""
        jitter = self.settings.tick_jitter_ms
        return jitter is None or jitter[0] == jitter[1]

    def fire_until(self, until: int) -> int:
        """Every firing at or before `until`, at once when each is equally late; how many."""
        if self.next_at > until:
            return 0
        if not self.bulk:
            count = 0
            while self.next_at <= until:
                self.fire()
                count += 1
            return count
        s = self.settings
        step = self.interval + s.firing_late_ms(self.firing + 1)
        count = (until - self.next_at) // step + 1
        self.previous = self.next_at + (count - 1) * step
        self.firing += count
        self.next_at = self.previous + step
        return count


def timeline_of(settings: Settings, steps: tuple[Step, ...]) -> Timeline:
    """Replay only the clock, firing by firing, as the model fires them."""
    schedule = HeartbeatSchedule(settings)
    now = 0
    step_ms: list[int] = []
    heartbeats: list[HeartbeatFiring] = []
    for number, step in enumerate(steps, start=1):
        match step:
            case Tick(late_ms=late):
                until = schedule.tick(now, late)
            case Advance(ms=ms):
                until = now + ms
            case _:
                until = now
        while schedule.next_at <= until:
            due = schedule.previous + BUILD_HEARTBEAT_MS
            heartbeats.append(HeartbeatFiring(number, due, schedule.next_at))
            schedule.fire()
        now = until
        step_ms.append(now)
    return Timeline(tuple(step_ms), tuple(heartbeats))


def timeline(scenario: Scenario) -> Timeline:
    """The clock of a scenario: a heartbeat every `heartbeat_ms` from 0, late as it says."""
    return timeline_of(scenario.settings, scenario.steps)
