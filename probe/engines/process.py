"""One Node process per build for a whole command, replaying scenario after scenario in it.

The build is imported once, then scenarios are replayed one after another (`harness.mjs
--serve`), its diagnostic state reset between them.

Importing a build costs about a second on the pinned builds and 5 to 25 s on 8.x/9.x; a scenario
on a loaded build costs milliseconds. A process that crashes, hangs (a timeout per scenario) or
writes something that is not the protocol is killed, the scenario it was running fails with the
reason, and the next scenario gets a new process: a result is never read from another scenario's
output. A scenario that leaves state the harness could not reset (`reusable: false`) ends the
process too, so the next one starts fresh.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import selectors
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from probe.engines.bounded import STDOUT_LIMIT_BYTES, Tail

__all__ = ["BuildProcess", "ProcessFailure", "ServeResult", "close_all", "close_for", "pooled"]

START_TIMEOUT_S = 300.0
"""Loading 8.x/9.x builds reads 800-1 600 chunk files: several seconds, more on a busy machine."""


class ProcessFailure(Exception):
    """The build process failed: crashed, hung, refused to start, or broke the protocol."""

    def __init__(self, message: str, *, started: bool) -> None:
        super().__init__(message)
        self.message = message
        self.started = started  # False: it never became ready (a load or reuse problem)


@dataclass(frozen=True, slots=True)
class ServeResult:
    """One scenario's output lines, its exit code (as a fresh process would exit) and stderr."""

    lines: list[dict[str, Any]]
    code: int
    stderr: str


class BuildProcess:
    """A `harness.mjs --serve DIST` process, started on first use and restarted after a failure."""

    def __init__(
        self,
        command: list[str] | Callable[[Path], list[str]],
        env: Callable[[Path], dict[str, str]],
        *,
        start_timeout: float = START_TIMEOUT_S,
    ) -> None:
        # A callable makes the argv for the process's sandbox folder (the permission flags name it).
        self.command = command
        self._env = env
        self.start_timeout = start_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._sandbox: Path | None = None
        self._stderr: Tail | None = None  # its last bytes only: a build can write without end
        self._buffer = b""
        self._read = 0  # protocol bytes read for the current scenario
        self._ready = False
        self.load_blocked: list[dict[str, Any]] = []
        self.starts = 0  # how many processes were started (tests and bench read it)

    # -- lifetime -------------------------------------------------------------------------

    def spawn(self) -> None:
        """Start the process without waiting for it to load the build (several can load at once);
        the first replay waits for it."""
        if self._proc is None:
            self._spawn()

    def _start(self) -> None:
        if self._proc is None:
            self._spawn()
        self._await_ready()

    def _spawn(self) -> None:
        self._ready = False
        self._sandbox = Path(tempfile.mkdtemp(prefix="probe-sandbox-"))
        self._buffer = b""
        try:
            argv = self.command(self._sandbox) if callable(self.command) else self.command
            self._proc = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=self._env(self._sandbox),
                cwd=self._sandbox,
            )
        except BaseException:
            self.close()
            raise
        assert self._proc.stderr is not None
        self._stderr = Tail(self._proc.stderr)
        self.starts += 1

    def _await_ready(self) -> None:
        self._read = 0
        try:
            lines = self._read_until(("ready",), time.monotonic() + self.start_timeout)
        except ProcessFailure as exc:
            self.close()
            raise ProcessFailure(exc.message, started=False) from None
        if not lines or lines[-1].get("kind") != "ready":
            message = next((str(x.get("message")) for x in lines if x.get("kind") == "error"), None)
            tail = self.stderr_tail()
            self.close()
            raise ProcessFailure(
                message or f"the build process did not start: {tail or 'no output'}",
                started=False,
            )
        # What the sandbox refused while the build loaded belongs to every scenario it runs.
        self.load_blocked = [x for x in lines if x.get("kind") == "blocked"]
        self._ready = True

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def close(self) -> None:
        """End the process (EOF first, then a kill) and remove its sandbox. Safe to repeat."""
        proc, self._proc = self._proc, None
        if proc is not None:
            with contextlib.suppress(OSError):
                if proc.stdin is not None:
                    proc.stdin.close()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        if self._stderr is not None:
            self._stderr.close()  # the process is gone: its stderr ends
            self._stderr = None
        if self._sandbox is not None:
            shutil.rmtree(self._sandbox, ignore_errors=True)
            self._sandbox = None

    def _kill(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
        self.close()

    def stderr_tail(self, limit: int = 2000) -> str:
        if self._stderr is None:
            return ""
        if self._proc is not None and self._proc.poll() is not None:
            self._stderr.settle()  # exited: what it wrote last may still be in the pipe
        return self._stderr.text(limit)

    # -- the protocol ---------------------------------------------------------------------

    def _read_until(self, kinds: tuple[str, ...], deadline: float) -> list[dict[str, Any]]:
        """Lines up to and including one of `kinds`; a process that exits first returns what it
        wrote (the caller reads its error line). Garbage or the deadline: ProcessFailure."""
        proc = self._proc
        assert proc is not None and proc.stdout is not None
        fd = proc.stdout.fileno()
        lines: list[dict[str, Any]] = []
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while True:
                while b"\n" in self._buffer:
                    raw, self._buffer = self._buffer.split(b"\n", 1)
                    if not raw.strip():
                        continue
                    line = self._parse(raw)
                    lines.append(line)
                    if line.get("kind") in kinds:
                        return lines
                left = deadline - time.monotonic()
                if left <= 0:
                    self._kill()
                    raise ProcessFailure("timeout", started=True)
                if not selector.select(timeout=left):
                    continue
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    if self._buffer.strip():
                        lines.append(self._parse(self._buffer))
                        self._buffer = b""
                    proc.wait()
                    return lines
                self._read += len(chunk)
                if self._read > STDOUT_LIMIT_BYTES:
                    self._kill()
                    raise ProcessFailure(
                        f"the build process wrote more than {STDOUT_LIMIT_BYTES} bytes of "
                        "protocol for one scenario (killed)",
                        started=True,
                    )
                self._buffer += chunk

    def _parse(self, raw: bytes) -> dict[str, Any]:
        try:
            value = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            value = None
        if not isinstance(value, dict):
            shown = raw[:200].decode("utf-8", "replace")
            self._kill()
            raise ProcessFailure(
                f"the build process wrote a line that is not the protocol: {shown!r}",
                started=True,
            )
        return value

    def replay(self, scenario: dict[str, Any], timeout: float) -> ServeResult:
        """Replay one normalized scenario; ProcessFailure (the process gone) when it failed."""
        if self._proc is not None and not self._ready:
            self._await_ready()  # spawned ahead: it may have failed to load, which says so
        elif not self.running:
            self.close()
            self._start()
        proc = self._proc
        assert proc is not None and proc.stdin is not None
        self._read = 0
        try:
            proc.stdin.write(json.dumps({"scenario": scenario}).encode() + b"\n")
            proc.stdin.flush()
        except OSError:
            tail = self.stderr_tail()
            self._kill()
            raise ProcessFailure(
                f"the build process ended before the scenario: {tail or 'no output'}",
                started=True,
            ) from None
        try:
            lines = self._read_until(("end",), time.monotonic() + timeout)
        except ProcessFailure as exc:
            if exc.message == "timeout":
                raise ProcessFailure(
                    f"the build process did not finish the scenario within {timeout:.0f} s "
                    "(killed; the next scenario gets a new process)",
                    started=True,
                ) from None
            raise
        stderr = self.stderr_tail()
        if not lines or lines[-1].get("kind") != "end":
            code = self._proc.returncode if self._proc is not None else None
            self._kill()
            message = next((str(x.get("message")) for x in lines if x.get("kind") == "error"), None)
            raise ProcessFailure(
                message
                or f"the build process crashed during the scenario (exit {code}): "
                f"{stderr or 'no output'}",
                started=True,
            )
        end = lines.pop()
        if not end.get("reusable"):
            self.close()  # the next scenario gets a fresh process
        return ServeResult([*self.load_blocked, *lines], int(end.get("code", 1)), stderr)


_POOL: dict[tuple[Any, ...], BuildProcess] = {}


def pooled(key: tuple[Any, ...], make: Callable[[], BuildProcess]) -> BuildProcess:
    """The command's one process for a build (by node, dist, flags and environment)."""
    found = _POOL.get(key)
    if found is None:
        found = _POOL[key] = make()
    return found


def close_for(dist: Path) -> None:
    """End the processes of one build (an engine's close())."""
    for key in [k for k in _POOL if k[1] == str(dist)]:
        _POOL.pop(key).close()


def close_all() -> None:
    """End every build process (at exit, and where a command ends its engines)."""
    while _POOL:
        _key, process = _POOL.popitem()
        process.close()


atexit.register(close_all)
