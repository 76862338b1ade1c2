"""Interrupts and kills: explore reports what it found, exits 130/143, leaves no process behind.

Each test starts probe in a session of its own (as a shell starts a job), waits until its
search is under way with worker processes, then signals it as a terminal's Ctrl-C does (the
whole group), as `kill` does (the parent only) or as the OOM killer does (SIGKILL).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from probe.cli.explore import parse_duration
from probe.errors import UsageError
from tests.conftest import ROOT

# Deep enough that the search is still running when signalled, wide enough for workers.
# Class 1 alone: a deep search whose one finding (the phantom, 3 steps) comes in the first second.
SEARCH = [
    "explore", "--depth", "14", "--workers", "2", "--progress", "--strategy", "buggy",
    "--invariant", "phantom-request",
]


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ", 1)[1][0] != "Z"  # a zombie holds no memory
    except FileNotFoundError:
        return False


def _started(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[bytes], list[int]]:
    """probe explore, once its workers run (its progress names depth 9 or deeper)."""
    err = (tmp_path / "err").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "probe", *SEARCH, *args],
        stdout=(tmp_path / "out").open("wb"),
        stderr=err,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        text = (tmp_path / "err").read_text()
        kids = _children(proc.pid)
        if len(kids) >= 2 and any(f"depth {d}," in text for d in (9, 10, 11, 12)):
            return proc, kids
        assert proc.poll() is None, text
        time.sleep(0.1)
    proc.kill()
    pytest.fail("the search never reached its workers")


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
@pytest.mark.parametrize("group", [True, False], ids=["group", "parent"])
def test_an_interrupted_search_reports_what_it_found(
    tmp_path: Path, sig: signal.Signals, code: int, group: bool
) -> None:
    proc, kids = _started(tmp_path, "-f", "json")
    if group:  # Ctrl-C on a terminal reaches every process of the job
        os.killpg(proc.pid, sig)
    else:
        os.kill(proc.pid, sig)
    assert proc.wait(timeout=30) == code
    err = (tmp_path / "err").read_text()
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert f"interrupted ({sig.name})" in err
    doc = json.loads((tmp_path / "out").read_text())
    assert doc["interrupted"] == sig.name
    found = doc["strategies"]["buggy"]
    assert found["bound_hit"] == "interrupted"
    # The phantom request takes 3 steps: found in the first second, kept on interrupt.
    assert [v["invariant"] for v in found["violations"]] == ["phantom-request"]
    written = tmp_path / "counterexamples"
    assert sorted(p.name for p in written.iterdir()) == ["buggy-phantom-request.toml"]
    time.sleep(0.5)
    assert [k for k in kids if _alive(k)] == []


def test_killing_explore_kills_its_workers(tmp_path: Path) -> None:
    proc, kids = _started(tmp_path, "--no-write")
    os.kill(proc.pid, signal.SIGKILL)  # as the OOM killer does: nothing of probe's runs
    proc.wait(timeout=10)
    deadline = time.monotonic() + 10
    while any(_alive(k) for k in kids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [k for k in kids if _alive(k)] == []


def test_the_time_limit_bounds_the_whole_command(tmp_path: Path) -> None:
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "probe", "explore", "--depth", "14", "--workers", "1",
         "--no-write", "-f", "json", "--time-limit", "2s"],
        capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    took = time.monotonic() - start
    doc = json.loads(proc.stdout)
    bounds = [s["bound_hit"] for s in doc["strategies"].values()]
    assert bounds == ["time_limit", "time_limit"]  # both strategies, one bound between them
    # The first strategy used the whole bound: the second starts past it (it had 2 s of its own).
    assert doc["strategies"]["fixed"]["seconds"] < 1.0 and took < 10.0, (doc, took)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90.0), ("90s", 90.0), ("1.5", 1.5), ("1m30s", 90.0), ("2m", 120.0), ("1h", 3600.0),
     ("1h2m3s", 3723.0), (" 2M ", 120.0)],
)
def test_durations_read_as_people_write_them(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "0", "0s", "m", "1x", "-5", "1s2m", "1 m"])
def test_a_duration_that_is_not_one_is_refused(text: str) -> None:
    with pytest.raises(UsageError, match="--time-limit"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("fmt", "said"),
    [("markdown", "Interrupted by SIGINT: what was found"), ("table", "interrupted by SIGINT")],
)
def test_every_report_says_it_was_interrupted(tmp_path: Path, fmt: str, said: str) -> None:
    proc, _ = _started(tmp_path, "-f", fmt)
    os.killpg(proc.pid, signal.SIGINT)
    assert proc.wait(timeout=30) == 130
    out = (tmp_path / "out").read_text()
    assert said in out and "phantom-request" in out


def test_a_sweep_shares_the_time_limit_and_marks_what_it_cut(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "probe", "explore", "--no-write", "--depth", "12", "-f", "json",
         "--vary", "settle_ms=5000..60000:5000", "--time-limit", "1s"],
        capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    rows = json.loads(proc.stdout)["rows"]
    assert len(rows) == 12
    # 24 searches of depth 12 take minutes; one second bounds them all, and says so per row
    assert rows[-1]["bound_hit"] == {"buggy": "time_limit", "fixed": "time_limit"}
