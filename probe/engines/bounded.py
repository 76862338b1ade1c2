"""A build process's output, bounded: stderr keeps only its tail, stdout stops at a limit.

A build can write without end; probe keeps at most STDERR_TAIL_BYTES of its stderr (in memory,
nothing on disk) and at most STDOUT_LIMIT_BYTES of its stdout (the protocol), and ends a process
that writes more.
"""

from __future__ import annotations

import os
import subprocess
import threading
from typing import IO

__all__ = ["STDERR_TAIL_BYTES", "STDOUT_LIMIT_BYTES", "OutputOverflow", "Tail", "run_bounded"]

STDERR_TAIL_BYTES = 64 * 1024
STDOUT_LIMIT_BYTES = 64 * 1024 * 1024
"""Far above any scenario's protocol output (a few hundred KB for the longest explored ones)."""


class OutputOverflow(Exception):
    """The process wrote more on stdout than STDOUT_LIMIT_BYTES (it was killed)."""


class Tail:
    """Reads a pipe to its end in a thread, keeping only its last `limit` bytes."""

    def __init__(self, stream: IO[bytes], limit: int = STDERR_TAIL_BYTES) -> None:
        self._stream = stream
        self._limit = limit
        self._kept = bytearray()
        self._lock = threading.Lock()
        self.total = 0  # every byte read, kept or not
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        fd = self._stream.fileno()
        while True:
            try:
                chunk = os.read(fd, 1 << 16)
            except OSError:
                break
            if not chunk:
                break
            with self._lock:
                self.total += len(chunk)
                self._kept += chunk
                if len(self._kept) > self._limit:
                    del self._kept[: len(self._kept) - self._limit]

    def text(self, limit: int | None = None) -> str:
        """The tail as text (its last `limit` characters), stripped."""
        with self._lock:
            data = bytes(self._kept)
        text = data.decode("utf-8", "replace").strip()
        return text if limit is None else text[-limit:]

    def settle(self, timeout: float = 2.0) -> None:
        """Wait for the pipe's end (the process has exited), so the tail holds its last words."""
        self._thread.join(timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Wait for the end of the pipe (the process gone) and close it."""
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self._stream.close()


def run_bounded(
    argv: list[str],
    stdin: str,
    timeout: float,
    env: dict[str, str],
    cwd: str,
    stdout_limit: int = STDOUT_LIMIT_BYTES,
) -> subprocess.CompletedProcess[str]:
    """subprocess.run(..., capture_output=True, text=True) with bounded output: stderr is its
    tail, more than `stdout_limit` bytes of stdout kill the process (OutputOverflow).
    subprocess.TimeoutExpired after `timeout` (the process killed)."""
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=cwd,
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    errors = Tail(proc.stderr)
    out = bytearray()
    over = threading.Event()

    def read_stdout() -> None:
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        while chunk := os.read(fd, 1 << 16):
            if len(out) + len(chunk) > stdout_limit:
                over.set()
                proc.kill()
                break
            out.extend(chunk)

    def write_stdin() -> None:
        assert proc.stdin is not None
        try:
            proc.stdin.write(stdin.encode())
            proc.stdin.close()
        except OSError:
            pass  # the process ended without reading it: its exit says why

    threads = [threading.Thread(target=f, daemon=True) for f in (read_stdout, write_stdin)]
    for thread in threads:
        thread.start()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise
    finally:
        threads[0].join(5)
        errors.close()
        proc.stdout.close()
    if over.is_set():
        raise OutputOverflow(f"it wrote more than {stdout_limit} bytes on stdout")
    return subprocess.CompletedProcess(
        argv, proc.returncode, out.decode("utf-8", "replace"), errors.text()
    )
