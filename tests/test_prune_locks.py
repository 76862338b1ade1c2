"""prune and the commands that use builds: a shared lock per build, work folders of running
installs left alone, two prunes at once, and what killed installs and fetches left swept.

The cache is a folder of the test's own with stand-in entries (a marker and a dist/ folder);
the processes that use a build or install one are real processes holding the real locks.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from probe.engines.cache import list_installed, sweep_abandoned
from tests.conftest import ROOT
from tests.helpers import invoke


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    folder.mkdir()
    monkeypatch.setenv("PROBE_CACHE_DIR", str(folder))
    for version in ("1.0.0", "2.0.0"):
        dist = folder / version / "package" / "dist"
        dist.mkdir(parents=True)
        (dist / "chunk.js").write_text("x" * 1000)
        (folder / version / ".probe-engine.json").write_text("{}")
    return folder


HOLDER = """
import fcntl, sys, time
from pathlib import Path
from probe.engines.cache import hold_build, hold_cached_build
what, lock = sys.argv[1], sys.argv[2]
if what == "use":
    hold_build(lock)
elif what == "dist":
    hold_cached_build(Path(lock))
else:  # an install of `lock` in progress: its install lock held
    handle = open(Path(sys.argv[3]) / f".{lock}.lock", "a+b")
    fcntl.flock(handle, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(120)
"""


@pytest.fixture
def holder(cache: Path) -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        proc.kill()
        proc.wait()


def _hold(started: list[subprocess.Popen[str]], cache: Path, what: str, name: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, what, name, str(cache)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PROBE_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT)},
    )
    started.append(proc)
    assert proc.stdout is not None and proc.stdout.readline() == "held\n"


def test_prune_all_keeps_a_build_a_running_command_uses(
    cache: Path, holder: list[subprocess.Popen[str]]
) -> None:
    _hold(holder, cache, "use", "1.0.0")
    code, out, err = invoke("engines", "prune", "--all")
    assert code == 1 and "Traceback" not in err
    assert "openclaw@1.0.0: in use by a running probe command; kept" in err
    assert "removed openclaw@2.0.0" in out and "removed openclaw@1.0.0" not in out
    assert [v for v, _ in list_installed()] == ["1.0.0"]
    holder[0].kill()
    holder[0].wait()
    code, out, _ = invoke("engines", "prune", "--all")  # the command has ended: it goes now
    assert code == 0 and "removed openclaw@1.0.0" in out and list_installed() == []


def test_a_named_build_in_use_is_refused(cache: Path, holder: list[subprocess.Popen[str]]) -> None:
    # run, conform, bisect: whatever replays on the build's dist/ folder holds it
    _hold(holder, cache, "dist", str(cache / "2.0.0" / "package" / "dist"))
    code, _, err = invoke("engines", "prune", "2.0.0")
    assert code == 1 and "openclaw@2.0.0: in use by a running probe command; kept" in err
    assert [v for v, _ in list_installed()] == ["1.0.0", "2.0.0"]


def test_the_work_folder_of_a_running_install_is_left_alone(
    cache: Path, holder: list[subprocess.Popen[str]]
) -> None:
    work = cache / ".3.0.0.tmp-k2j4h5"
    work.mkdir()
    (work / "part").write_text("downloading")
    _hold(holder, cache, "install", "3.0.0")
    code, _, err = invoke("engines", "prune", "--all")
    assert code == 1 and "the work folder of a running install of 3.0.0; kept" in err
    assert work.is_dir() and (work / "part").read_text() == "downloading"
    assert list_installed() == []


def test_a_build_being_installed_again_is_kept(
    cache: Path, holder: list[subprocess.Popen[str]]
) -> None:
    _hold(holder, cache, "install", "1.0.0")
    code, _, err = invoke("engines", "prune", "1.0.0")
    assert code == 1 and "openclaw@1.0.0: being installed by another probe process; kept" in err


def test_two_prunes_at_once_both_end_without_a_traceback(cache: Path) -> None:
    for k in range(40):
        dist = cache / f"3.0.{k}" / "package" / "dist"
        dist.mkdir(parents=True)
        for n in range(30):
            (dist / f"chunk{n}.js").write_text("x" * 2000)
        (cache / f"3.0.{k}" / ".probe-engine.json").write_text("{}")
    env = {**os.environ, "PROBE_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "probe", "engines", "prune", "--all"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    results = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in procs]  # type: ignore[union-attr]
    for code, _, err in results:
        assert code == 0 and "Traceback" not in err, err
    lines = [line for _, out, _ in results for line in out.splitlines()]
    # each build removed once, by one of the two
    assert len([line for line in lines if "removed openclaw@" in line]) == 42
    assert list_installed() == []


def test_the_fetched_node_is_named_as_such(cache: Path) -> None:
    (cache / ".node" / "24.1.0" / "bin").mkdir(parents=True)
    code, out, _ = invoke("engines", "prune", "--all", "--dry-run")
    assert code == 0 and "would remove Node runtimes fetched for the builds that need them" in out
    assert "leftover .node" not in out


def test_what_killed_installs_and_fetches_left_is_swept_and_said(
    cache: Path, holder: list[subprocess.Popen[str]]
) -> None:
    node = cache / ".node"
    dead = node / ".24.1.0.tmp-a1b2c3"  # a fetch killed mid-way (51 MB in the issue)
    dead.mkdir(parents=True)
    (dead / "node-v24.tgz").write_bytes(b"\0" * 300_000)
    running = node / ".24.2.0.tmp-d4e5f6"  # a fetch that still runs
    running.mkdir()
    _hold(holder, node, "install", "24.2.0")
    said: list[str] = []
    freed = sweep_abandoned(node, said.append)
    assert freed == 300_000 and not dead.exists() and running.is_dir()
    assert said == [f"removed {dead} (0.3 MB), left by an interrupted install of 24.1.0"]


def test_a_command_using_a_build_sweeps_what_killed_installs_left(
    cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from probe.engines.real import RealEngine

    npm = cache / ".3.0.0.tmp-x9y8z7"  # an npm install killed mid-way (172 MB in the issue)
    (npm / "node_modules").mkdir(parents=True)
    fetch = cache / ".node" / ".24.1.0.tmp-q1w2e3"
    fetch.mkdir(parents=True)
    assert RealEngine("1.0.0")._dist() == cache / "1.0.0" / "package" / "dist"
    assert not npm.exists() and not fetch.exists()
    err = capsys.readouterr().err
    assert "left by an interrupted install of 3.0.0" in err and "of 24.1.0" in err
