"""Wall-clock figures the CLI measures around the pure core, for the reports that show them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True, slots=True)
class Timing:
    """When the command started (UTC) and how long each replay took, in report order."""

    started: datetime
    # seconds[i][j]: scenario i of the report, strategy j of that scenario.
    seconds: tuple[tuple[float, ...], ...] = ()

    def of(self, scenario: int, strategy: int) -> float:
        try:
            return self.seconds[scenario][strategy]
        except IndexError:
            return 0.0

    def stamp(self) -> str:
        """ISO 8601 in UTC to the second, as JUnit consumers read it."""
        return self.started.astimezone(UTC).isoformat(timespec="seconds")


def seconds(value: float) -> str:
    """A duration as JUnit writes it: seconds with millisecond precision."""
    return f"{max(0.0, value):.3f}"
