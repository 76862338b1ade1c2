"""The pool of worker processes that expand a search's chunks in parallel."""

from __future__ import annotations

import contextlib
import os
import signal
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
        self.parent = os.getpid()
        self.pipes: list[Connection] = []
        self.processes: list[BaseProcess] = []
        self.outstanding: list[int] = [0] * size
        for _ in range(size):
            ours, theirs = context.Pipe()
            # Each worker closes the pipes of those forked before it: a parent end held open
            # in a sibling would keep its recv() from ever seeing the parent go.
            others = [p.fileno() for p in self.pipes]
            process = context.Process(
                target=_serve, args=(theirs, search, memory, self.parent, others), daemon=True
            )
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
        try:
            reply = self.pipes[worker].recv()
        except (EOFError, OSError):
            from probe.errors import SystemRefused

            code = self.processes[worker].exitcode
            how = f" (exit status {code})" if code is not None and code >= 0 else ""
            if code is not None and code < 0:
                how = f" (killed by signal {-code})"
            raise SystemRefused(
                f"explore worker {worker} ended before its chunk{how}; out of memory? "
                "(--max-memory, --workers)"
            ) from None
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


def _orphan_on_parent_death(parent: int) -> None:
    """Have the kernel kill this worker when the parent dies, even by SIGKILL or the OOM
    killer (Linux); elsewhere the closed pipe ends the loop."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # it died before the request took effect
        os._exit(0)


def _serve(
    pipe: Connection,
    search: SearchTree,
    memory: Callable[[], int] | None,
    parent: int,
    others: list[int],
) -> None:
    """A worker's loop: new layers of the tree, chunks to expand, None to stop."""
    # Ctrl-C (and `kill` of the job) reaches the whole process group: the parent decides
    # what it means (it stops the search and reports); a worker ends when told or when the
    # parent has gone.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _orphan_on_parent_death(parent)
    for fd in others:
        with contextlib.suppress(OSError):
            os.close(fd)
    search.memory = memory
    coverage = search.coverage
    for name in coverage.as_dict():
        setattr(coverage, name, 0)  # the parent counted what it expanded itself
    while True:
        try:
            message = pipe.recv()
        except (EOFError, OSError):  # the parent has gone
            return
        if message is None:
            return
        try:
            if message[0] == "layer":
                search.add_layer(message[1], message[2])
            else:
                _, layer, lo, hi, masks = message
                pipe.send(search.expand(layer, lo, hi, masks))
        except Exception:  # the parent raises it with this traceback
            import traceback

            with contextlib.suppress(OSError):
                pipe.send(traceback.format_exc())
            return
