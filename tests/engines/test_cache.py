"""The build cache: concurrent and interrupted installs, undrivable builds remembered, prune."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from probe.engines import harness, install
from probe.engines.cache import is_installed, list_installed
from probe.engines.drive import run_build
from probe.engines.errors import UndrivableBuild
from probe.engines.undrivable import undrivable_key
from tests.engines.support import BUILDS, needs_real_builds, without_code
from tests.helpers import CLI_ENV, invoke

pytestmark = needs_real_builds

WORKER = Path(__file__).with_name("install_worker.py")
VERSION = BUILDS["buggy"]
ENV = CLI_ENV


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache of the test's own (the session's stays untouched)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("PROBE_CACHE_DIR", str(folder))
    return folder


def worker(source: Path, cache: Path, log: Path, *flags: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), str(source), VERSION, str(log), *flags],
        env={**os.environ, "PROBE_CACHE_DIR": str(cache)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def entries(cache: Path) -> list[str]:
    """What is in the cache besides the (empty) lock files."""
    return sorted(p.name for p in cache.iterdir() if not p.name.endswith(".lock"))


@pytest.mark.parametrize("flags", [(), ("--no-lock",)], ids=["locked", "rename-only"])
def test_concurrent_installs_of_one_version_leave_one_good_entry(
    flags: tuple[str, ...], builds: dict[str, Path], cache: Path, tmp_path: Path
) -> None:
    source = builds["buggy"].parents[1]
    log = tmp_path / "downloads.log"
    procs = [worker(source, cache, log, *flags) for _ in range(2)]
    (tmp_path / "go").touch()
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], "\n".join(err for _, err in outs)
    dist = cache / VERSION / "package" / "dist"
    assert {out.strip() for out, _ in outs} == {str(dist)}
    assert entries(cache) == [VERSION]  # no temporary or stale folder left
    downloads = log.read_text().splitlines()
    # With the lock the second process waits and finds the build; without it both download and
    # the second rename finds a finished entry in the way.
    assert len(downloads) == (1 if not flags else 2)
    assert is_installed(VERSION) and dict(list_installed()).keys() == {VERSION}
    settings = {"heartbeat_ms": 30_000, "warn_ms": 120_000, "settle_ms": 15_000, "drain": "hold"}
    result = run_build(dist, {"settings": settings, "sessions": [], "steps": [{"do": "tick"}]})
    assert result["events"] == [] and result["meta"]["openclaw_version"] == VERSION


def test_an_interrupted_install_leaves_nothing_that_looks_complete(
    builds: dict[str, Path], cache: Path, tmp_path: Path
) -> None:
    source = builds["buggy"].parents[1]
    log = tmp_path / "downloads.log"
    hung = worker(source, cache, log, "--hang")
    (tmp_path / "go").touch()
    deadline = time.monotonic() + 60
    while not (tmp_path / "hanging").exists():
        assert hung.poll() is None and time.monotonic() < deadline, hung.communicate()
        time.sleep(0.02)
    hung.send_signal(signal.SIGKILL)
    hung.wait(timeout=30)
    leftovers = [name for name in entries(cache) if name.startswith(f".{VERSION}.tmp-")]
    assert len(leftovers) == 1 and entries(cache) == leftovers
    assert not is_installed(VERSION) and list_installed() == []
    # The next install takes the lock, so the leftover is abandoned for sure: it goes.
    again = worker(source, cache, log)
    _, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert entries(cache) == [VERSION] and is_installed(VERSION)


def test_an_undrivable_build_is_remembered_not_downloaded_again(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    downloads: list[str] = []

    def fetch(version: str, into: Path, say: Callable[[str], None]) -> Path:
        downloads.append(version)
        return without_code(into, version).parent

    monkeypatch.setattr(install, "fetch_package", fetch)
    with pytest.raises(UndrivableBuild, match="has no stuck-session recovery code") as first:
        install.install("0.1.0")
    assert first.value.status == "no_code" and not first.value.remembered
    with pytest.raises(UndrivableBuild) as second:
        install.install("0.1.0")
    assert second.value.remembered and second.value.problems == first.value.problems
    assert downloads == ["0.1.0"]
    assert entries(cache) == [".undrivable"] and not is_installed("0.1.0")
    assert undrivable_key("0.1.0") == {
        "shape": "unknown",
        "line": None,
        "chunk": None,
        "lineno": None,
    }
    # A different harness judges afresh.
    monkeypatch.setattr(harness, "harness_digest", lambda: "another harness")
    with pytest.raises(UndrivableBuild):
        install.install("0.1.0")
    assert downloads == ["0.1.0", "0.1.0"]


def test_prune_frees_the_given_builds_or_everything(
    builds: dict[str, Path], cache: Path, tmp_path: Path
) -> None:
    source = builds["buggy"].parents[1]
    for version in ("1.0.0", "2.0.0"):
        entry = cache / version
        (entry / "package").mkdir(parents=True)
        (entry / "package" / "dist").mkdir()
        (entry / "package" / "dist" / "chunk.js").write_text("x" * 1000)
        (entry / ".probe-engine.json").write_text("{}")
    (cache / ".1.0.0.tmp-abandoned").mkdir()
    assert source.is_dir()
    code, out, err = invoke("engines", "prune", "openclaw@1.0.0")
    assert code == 0, err
    assert "removed openclaw@1.0.0 (0.0 MB)" in out and "freed 0.0 MB" in out
    assert [v for v, _ in list_installed()] == ["2.0.0"]
    code, _, err = invoke("engines", "prune", "3.0.0")
    assert code == 2 and "not in the cache" in err
    code, out, err = invoke("engines", "prune")  # off a terminal: refused without --all
    assert code == 2 and "--all" in err and [v for v, _ in list_installed()] == ["2.0.0"]
    code, out, err = invoke("engines", "prune", "--all")
    assert code == 0, err
    assert "removed openclaw@2.0.0" in out and "leftover .1.0.0.tmp-abandoned" in out
    assert list(cache.iterdir()) == []


def test_list_available_marks_the_installed(builds: dict[str, Path]) -> None:
    code, out, err = invoke("engines", "list", "--available", "-f", "json")
    assert code == 0, err
    rows = {row["version"]: row for row in json.loads(out)["builds"]}
    assert list(rows)[:1] == ["0.0.1"]  # the registry's order, oldest first
    for name, version in BUILDS.items():
        assert rows[version]["installed"] is True
        assert rows[version]["key"] == {"buggy": "ref:generation", "fixed": "ref"}[name]
    assert any(not row["installed"] for row in rows.values())
    code, out, _ = invoke("engines", "list", "--available")
    assert code == 0 and f"openclaw@{BUILDS['buggy']}" in out and "published" in out


def test_a_package_without_dist_has_no_code(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fetch(version: str, into: Path, say: Callable[[str], None]) -> Path:
        (into / "package").mkdir()
        (into / "package" / "package.json").write_text('{"name": "openclaw", "version": "0.0.1"}')
        return into / "package"

    monkeypatch.setattr(install, "fetch_package", fetch)
    with pytest.raises(UndrivableBuild, match="no dist/ folder") as caught:
        install.install("0.0.1")
    assert caught.value.status == "no_code"


def test_an_install_says_how_much_it_added_to_the_cache(
    builds: dict[str, Path], cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import re

    source = builds["buggy"].parents[1]

    def fetch(_version: str, into: Path, _say: Callable[[str], None]) -> Path:
        (into / "package").symlink_to(source / "package", target_is_directory=True)
        (into / "weight").write_bytes(b"x" * 2_500_000)  # what a download leaves in the entry
        return into / "package"

    def install_packages(work: Path, _wanted: object, _spec: str) -> None:
        (work / "node_modules").symlink_to(source / "node_modules", target_is_directory=True)

    monkeypatch.setattr(install, "fetch_package", fetch)
    monkeypatch.setattr(install, "install_packages", install_packages)
    said: list[str] = []
    install.install(VERSION, progress=said.append)
    assert re.fullmatch(r"2\.5 MB added to the cache \(.+\)", said[-1]), said
    assert not any(line.startswith("installed") for line in said)
