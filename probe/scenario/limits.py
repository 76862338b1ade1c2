"""Limits on scenario size, checked before a replay so hostile input is refused quickly."""

from __future__ import annotations

from dataclasses import dataclass

from probe.errors import ProbeError
from probe.scenario.timeline import HeartbeatSchedule
from probe.scenario.values import Advance, SessionSeed, Settings, Step, Tick

MAX_SAFE_INTEGER = 2**53 - 1


@dataclass(frozen=True, slots=True)
class Limits:
    sessions: int = 5_000
    steps: int = 50_000
    # Heartbeats the virtual clock may pass, and heartbeat visits of one record each.
    heartbeats: int = 200_000
    visits: int = 5_000_000
    # Events one replay may report: what keeps a report's size (and memory) bounded.
    events: int = 100_000
    # A scenario file is read only if it is at most this large, a saved --baseline report
    # likewise: both refused before parsing. 4 MiB holds the step limit of terse steps.
    file_bytes: int = 4 * 2**20
    baseline_bytes: int = 64 * 2**20
    # Arrays and inline tables (in a baseline: arrays and objects) nested deeper than this are
    # refused at their line; a scenario needs 2, and the parsers recurse per level.
    nesting: int = 32


LIMITS = Limits()


class TooManyEvents(ProbeError):
    """A replay reported more events than the limit; it was stopped at that step."""

    def __init__(self, step: int | None, limit: int) -> None:
        self.step = step
        self.limit = limit
        super().__init__(
            f"the replay reached {limit} events here, the limit of one run's report; "
            "shorten the scenario (fewer steps or a shorter clock span)"
        )


@dataclass(frozen=True, slots=True)
class LimitProblem:
    where: str
    message: str


def static_clock(
    settings: Settings, sessions: list[SessionSeed], steps: list[Step], limits: Limits = LIMITS
) -> list[LimitProblem]:
    """Walk the clock through the steps without simulating, and refuse what is too large.

    Heartbeats equally late are counted in bulk; jittered ones one by one, and only up to
    the limit, so the walk stays short whatever the scenario says.
    """
    schedule = HeartbeatSchedule(settings)
    clock = 0
    beats = 0
    for number, step in enumerate(steps, start=1):
        if isinstance(step, Tick):
            clock = schedule.tick(clock, step.late_ms)
        elif isinstance(step, Advance):
            clock += step.ms
        else:
            continue
        if clock > MAX_SAFE_INTEGER:
            return [
                LimitProblem(
                    f"step[{number}]",
                    f"the clock would pass 2^53 - 1 ms ({MAX_SAFE_INTEGER}), the largest time "
                    "the real builds count exactly",
                )
            ]
        if schedule.bulk:
            beats += schedule.fire_until(clock)
        else:
            while schedule.next_at <= clock and beats <= limits.heartbeats:
                schedule.fire()
                beats += 1
        if beats > limits.heartbeats:
            many = f"{beats}" if schedule.bulk else f"more than {limits.heartbeats}"
            return [
                LimitProblem(
                    f"step[{number}]",
                    f"the scenario would fire {many} heartbeats by {clock} ms, over the limit "
                    f"of {limits.heartbeats}",
                )
            ]
        if beats * max(1, len(sessions)) > limits.visits:
            return [
                LimitProblem(
                    f"step[{number}]",
                    f"{beats} heartbeats over {len(sessions)} sessions exceed the limit of "
                    f"{limits.visits} session visits",
                )
            ]
    return []
