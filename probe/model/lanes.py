"""A session's command lane (openclaw's command queue): active tasks, queued tasks, resets.

enqueueCommandInLane puts a task in the lane's queue and pumps it: with fewer active tasks than
the lane's one slot, the first queued task starts (it gets the next task id and becomes active).
A `blocked` task never settles, so it holds the slot until resetCommandLane; a `quick` task
settles as soon as the microtasks run, and its end pumps the next one. resetCommandLane answers
how many tasks were active, forgets them (their late completions are ignored: the lane's
generation moved on) and pumps the queue.

Values are immutable: every change returns a new Lane, so saved world states can share them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from probe.scenario.values import LaneTaskKind as LaneTask


@dataclass(frozen=True, slots=True)
class Lane:
    # Ids of the tasks running now; `finishing` those of them that are quick (they end when
    # the microtasks run, see World.settle_lanes).
    active: tuple[int, ...] = ()
    finishing: tuple[int, ...] = ()
    queued: tuple[LaneTask, ...] = ()

    @property
    def idle(self) -> bool:
        return not self.active and not self.queued


def pump(lane: Lane, next_id: int) -> tuple[Lane, int]:
    """drainLane: start queued tasks while the lane's one slot is free."""
    active, finishing, queued = lane.active, lane.finishing, lane.queued
    while not active and queued:
        task, queued = queued[0], queued[1:]
        active = (next_id,)
        if task == "quick":
            finishing = (*finishing, next_id)
        next_id += 1
    return Lane(active, finishing, queued), next_id


def enqueue(lane: Lane, task: LaneTask, next_id: int) -> tuple[Lane, int]:
    return pump(replace(lane, queued=(*lane.queued, task)), next_id)


def reset(lane: Lane, next_id: int) -> tuple[Lane, int, int]:
    """resetCommandLane: (the lane after, the next task id, how many active tasks it released)."""
    released = len(lane.active)
    after, next_id = pump(Lane((), (), lane.queued), next_id)
    return after, next_id, released


def finish_quick(lane: Lane, next_id: int) -> tuple[Lane, int]:
    """The quick tasks that started have settled: each frees its slot and pumps the next."""
    while lane.finishing:
        done = set(lane.finishing)
        active = tuple(t for t in lane.active if t not in done)
        lane, next_id = pump(Lane(active, (), lane.queued), next_id)
    return lane, next_id
