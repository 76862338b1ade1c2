"""Where probe writes: links, full or read-only destinations, closed stdout, odd names.

Whatever the destination does, probe answers with one message and exit 2 (141 for a reader
that has gone), never a traceback, and leaves no file half-written or temporary file behind.
The faults are real where the machine allows (/dev/full, a closed stdout); a read-only
folder is simulated where tests run as root, whom no mode stops.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from probe.baseline import diff_reports
from tests.conftest import ROOT, SCENARIOS
from tests.helpers import invoke

HOLD = SCENARIOS / "issue-bump-hold.toml"


def _probe(*args: str, cwd: Path, stdout: object = subprocess.PIPE) -> tuple[int, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "probe", *args],
        stdout=stdout,  # type: ignore[arg-type]
        stderr=subprocess.PIPE,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return proc.returncode, proc.stderr.decode("utf-8", "replace")


def test_output_through_a_link_edits_its_target_and_keeps_the_link(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    target.write_text("old\n")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    code, _, err = invoke("run", str(HOLD), "-o", str(link), "--force")
    assert code == 0, err
    assert link.is_symlink() and "issue #88010" in target.read_text()


def test_record_through_a_link_edits_its_target_and_keeps_the_link(tmp_path: Path) -> None:
    target = tmp_path / "real.toml"
    shutil.copy(HOLD, target)
    link = tmp_path / "link.toml"
    link.symlink_to(target)
    before = target.read_text()
    code, _, err = invoke("run", str(link), "--record", "--force")
    assert code == 0, err
    assert link.is_symlink() and "recorded buggy, fixed" in err
    assert target.read_text() != before and "[expect.buggy]" in target.read_text()


def test_a_full_stdout_is_a_message(tmp_path: Path) -> None:
    with open("/dev/full", "w") as full:
        code, err = _probe("run", str(HOLD), cwd=tmp_path, stdout=full)
    assert code == 2 and "Traceback" not in err
    assert err.strip() == "stdout: cannot write the report: No space left on device"


@pytest.mark.parametrize("args", [["run", str(HOLD)], ["versions"], ["--version"]])
def test_a_closed_stdout_is_a_message(tmp_path: Path, args: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "probe", *args],
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        preexec_fn=lambda: os.close(1),
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "stdout is closed" in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_reader_that_goes_ends_probe_quietly(tmp_path: Path) -> None:
    for k in range(300):  # a report larger than a pipe holds
        shutil.copy(HOLD, tmp_path / f"s{k}.toml")
    proc = subprocess.Popen(
        [sys.executable, "-m", "probe", "run", "."],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        # unbuffered, a pipe's text layer once dropped what did not fit without a word
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.read(100)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141 and err == ""


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (errno.EACCES, "Permission denied"),
        (errno.ENOSPC, "No space left on device"),
        (errno.EROFS, "Read-only file system"),
    ],
)
def test_a_destination_that_refuses_is_a_message_and_the_old_file_stays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: int, message: str
) -> None:
    out = tmp_path / "report.txt"
    out.write_text("old\n")

    def refuse(src: object, dst: object) -> None:
        raise OSError(error, os.strerror(error))

    monkeypatch.setattr(os, "replace", refuse)
    code, _, err = invoke("run", str(HOLD), "-o", str(out), "--force")
    assert code == 2 and "Traceback" not in err
    assert err == f"{out}: cannot write: {message}\n"
    assert out.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]  # no temporary file left


def test_a_full_disk_for_a_counterexample_is_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    def refuse(src: object, dst: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "replace", refuse)
    code, out, err = invoke("explore", "--depth", "3", "--actions", "tick,bump")
    assert code == 2 and "Traceback" not in err
    assert "buggy-phantom-request.toml: cannot write: No space left on device" in err
    assert list((tmp_path / "counterexamples").iterdir()) == []
    # what the search found is reported all the same
    assert "violates phantom-request in 3 step(s)" in out and "written to" not in out


def test_a_baseline_in_a_missing_folder_is_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    out = tmp_path / "report.txt"
    code, _, err = invoke(
        "run", str(HOLD), "-o", str(out), "--baseline", str(tmp_path / "no" / "b.json"),
        "--update-baseline",
    )
    assert code == 2 and "the folder" in err and "does not exist" in err
    assert not out.exists()


@pytest.mark.parametrize("other", ["--svg", "--baseline"])
def test_two_options_writing_one_file_are_refused(tmp_path: Path, other: str) -> None:
    out = tmp_path / "x"
    extra = ["--update-baseline"] if other == "--baseline" else []
    code, _, err = invoke("run", str(HOLD), "-o", str(out), other, str(out), *extra)
    assert code == 2 and f"given to both --output and {other}" in err
    assert not out.exists()


def test_names_that_are_not_utf8_are_reported_not_tracebacks(tmp_path: Path) -> None:
    odd = os.fsdecode(b"\xff-scenario.toml")
    shutil.copy(HOLD, tmp_path / odd)
    for args in (
        ["run", odd],
        ["run", odd, "-f", "json", "-o", os.fsdecode(b"\xfe.json"), "--svg", "x.svg"],
        ["run", odd, "--record", "--force"],
        ["validate", odd],
        ["explore", odd, "--depth", "3", "--out", os.fsdecode(b"\xfd"), "--invariant",
         "phantom-request"],
    ):
        code, err = _probe(*args, cwd=tmp_path)
        assert code == 0 and "Traceback" not in err, (args, err)
    assert (tmp_path / os.fsdecode(b"\xfd") / "buggy-phantom-request.toml").is_file()


def test_a_relative_cache_folder_is_made_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from probe.engines.cache import cache_dir

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PROBE_CACHE_DIR", "rel/cache")
    assert cache_dir() == tmp_path / "rel" / "cache"


def test_a_version_too_long_for_a_folder_name_is_refused(tmp_path: Path) -> None:
    version = "2026.5." + "1" * 260
    code, _, err = invoke("run", str(HOLD), "-e", f"openclaw@{version}")
    assert code == 2 and "Traceback" not in err
    assert "267 characters; a version has at most 200" in err


def test_a_baseline_of_many_equal_paths_is_compared_in_linear_time() -> None:
    # 20 000 copies of one path took 28 s (each copy counted its number from 1 again).
    scenario = {"path": "a.toml", "strategies": {}}
    before = {"scenarios": [scenario] * 20_000}
    after = {"scenarios": [scenario] * 20_001}
    start = time.perf_counter()
    changes = diff_reports(before, after)
    assert time.perf_counter() - start < 2.0
    new = [(c.scenario, c.after) for c in changes]
    assert new == [("a.toml#20001", "new (not in the baseline)")]


def test_a_path_that_looks_numbered_keeps_its_own_entry() -> None:
    before = {"scenarios": [{"path": "a", "strategies": {}}, {"path": "a#2", "strategies": {}},
                            {"path": "a", "strategies": {}}]}
    assert diff_reports(before, json.loads(json.dumps(before))) == []


def test_a_temporary_file_a_killed_write_left_is_removed_and_said(tmp_path: Path) -> None:
    out = tmp_path / "report.txt"
    left = tmp_path / ".report.txt.k2j4h5x_"  # as mkstemp names it
    left.write_text("half a report")
    os.utime(left, (time.time() - 3600, time.time() - 3600))
    fresh = tmp_path / ".report.txt.a1b2c3d4"  # another probe writing right now
    fresh.write_text("being written")
    code, _, err = invoke("run", str(HOLD), "-o", str(out))
    assert code == 0 and f"removed {left}, left by an interrupted write" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == [".report.txt.a1b2c3d4", "report.txt"]
