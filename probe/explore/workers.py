"""The pool of worker processes that expand a search's chunks in parallel."""

from __future__ import annotations

import contextlib
from array import array
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from probe.explore.tree import Chunk, SearchTree

if TYPE_CHECKING:  # imported where used: most searches never start a worker
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess


class WorkerPool:
    """Worker processes, forked from the search mid-run: each starts with its tree so far.

    Chunks go out round robin and come back in the order sent, so the caller merges them in
    search order: the same fingerprints, in the same order, as one process computes.
    """

    def __init__(self, search: SearchTree, size: int, memory: Callable[[], int] | None) -> None:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self.size = size
        self.pipes: list[Connection] = []
        self.processes: list[BaseProcess] = []
        self.outstanding: list[int] = [0] * size
        for _ in range(size):
            ours, theirs = context.Pipe()
            process = context.Process(target=_serve, args=(theirs, search, memory), daemon=True)
            process.start()
            theirs.close()
            self.pipes.append(ours)
            self.processes.append(process)

    def map(
        self,
        layer: int,
        chunks: list[tuple[int, int]],
        masks: array[int] | None,
    ) -> Iterator[Chunk]:
        lo = chunks[0][0] if chunks else 0
        ahead = 2 * self.size
        sent = 0
        for received in range(len(chunks)):
            while sent < len(chunks) and sent < received + ahead:
                a, b = chunks[sent]
                part = None if masks is None else masks[a - lo : b - lo]
                worker = sent % self.size
                self.pipes[worker].send(("expand", layer, a, b, part))
                self.outstanding[worker] += 1
                sent += 1
            yield self._receive(received % self.size)

    def _receive(self, worker: int) -> Chunk:
        reply = self.pipes[worker].recv()
        self.outstanding[worker] -= 1
        if isinstance(reply, str):
            raise RuntimeError(f"explore worker {worker} failed:\n{reply}")
        assert isinstance(reply, Chunk)
        return reply

    def drain(self) -> None:
        """Wait out chunks sent but not merged (a bound stopped the merge early)."""
        for worker in range(self.size):
            while self.outstanding[worker]:
                self._receive(worker)

    def add_layer(self, parents: array[int], steps: array[int]) -> None:
        for pipe in self.pipes:
            pipe.send(("layer", parents, steps))

    def close(self) -> None:
        for pipe in self.pipes:
            with contextlib.suppress(OSError):  # a worker that failed has gone
                pipe.send(None)
        for process in self.processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()


def _serve(pipe: Connection, search: SearchTree, memory: Callable[[], int] | None) -> None:
    """A worker's loop: new layers of the tree, chunks to expand, None to stop."""
    search.memory = memory
    coverage = search.coverage
    for name in coverage.as_dict():
        setattr(coverage, name, 0)  # the parent counted what it expanded itself
    while (message := pipe.recv()) is not None:
        try:
            if message[0] == "layer":
                search.add_layer(message[1], message[2])
            else:
                _, layer, lo, hi, masks = message
                pipe.send(search.expand(layer, lo, hi, masks))
        except Exception:  # the parent raises it with this traceback
            import traceback

            pipe.send(traceback.format_exc())
            return
