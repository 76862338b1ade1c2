"""Which Node runs a build, and fetching one from the registry (a fake npm: no network)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import tarfile
from pathlib import Path

import pytest

from probe.engines import install, nodes, npm
from probe.engines.cache import cache_dir, install_lock, move_into_place
from probe.engines.errors import EngineError, MissingVersion
from probe.engines.nodes import NodeNeed, lowest_major, satisfies
from probe.versions import semver_key

RANGE_81 = ">=22.22.3 <23 || >=24.15.0 <25 || >=25.9.0"
RANGE_96 = ">=24.16.0 <25 || >=26.1.0"


@pytest.mark.parametrize(
    ("version", "spec", "expected"),
    [
        ((20, 20, 2), ">=22.19.0", False),
        ((22, 19, 0), ">=22.19.0", True),
        ((22, 22, 3), RANGE_81, True),
        ((23, 1, 0), RANGE_81, False),
        ((24, 14, 9), RANGE_81, False),
        ((24, 22, 3), RANGE_81, True),
        ((24, 15, 0), RANGE_96, False),
        ((24, 22, 3), RANGE_96, True),
        ((25, 0, 0), RANGE_96, False),
        ((26, 1, 0), RANGE_96, True),
        ((24, 3, 0), "^24", True),
        ((25, 0, 0), "^24", False),
        ((22, 5, 9), "~22.5", True),
        ((22, 6, 0), "~22.5", False),
        ((1, 0, 0), "", True),
    ],
)
def test_ranges(version: tuple[int, int, int], spec: str, expected: bool) -> None:
    assert satisfies(version, spec) is expected


def test_lowest_major() -> None:
    assert lowest_major(RANGE_81) == 22
    assert lowest_major(RANGE_96) == 24
    assert lowest_major("<30") is None


def test_path_node_is_kept_unless_the_build_cannot_run_on_it() -> None:
    node20 = (20, 20, 2)
    # Every build up to 7.x declares Node 22 but ran on Node 20.
    assert NodeNeed(">=22.19.0").path_node_will_do(node20)
    assert NodeNeed(RANGE_81).path_node_will_do(node20)
    # 8.1+ load node:sqlite; 9.3+ declare Node 24.
    assert not NodeNeed(RANGE_81, sqlite=True).path_node_will_do(node20)
    assert not NodeNeed(RANGE_96).path_node_will_do(node20)
    assert NodeNeed(RANGE_96).path_node_will_do((24, 22, 3))
    assert not NodeNeed(None, sqlite=True).path_node_will_do((22, 12, 0))
    assert NodeNeed(None, sqlite=True).path_node_will_do((22, 13, 0))


def _fake_node(folder: Path, version: str) -> Path:
    script = folder / "node"
    script.write_text(f"#!/bin/sh\necho v{version}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def _fake_npm(bin_dir: Path, log: Path, versions: list[str], path_node: str) -> None:
    """An `npm` that answers `view` with `versions` and `pack` with a tarball whose bin/node
    prints its version, logging each call."""
    packages = bin_dir / "packages"
    packages.mkdir()
    for version in versions:
        staging = packages / f"stage-{version}"
        (staging / "bin").mkdir(parents=True)
        _fake_node(staging / "bin", version)
        with tarfile.open(packages / f"node-{version}.tgz", "w:gz") as archive:
            archive.add(staging / "bin" / "node", arcname="package/bin/node")
    npm = bin_dir / "npm"
    npm.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> {log}\n'
        'case "$1" in\n'
        f"  view) echo '{json.dumps(versions)}' ;;\n"
        '  pack) v="${2##*@}"; dest="$5";\n'
        f'        cp {packages}/node-$v.tgz "$dest/node-$v.tgz";\n'
        '        echo "[{\\"filename\\": \\"node-$v.tgz\\"}]" ;;\n'
        "esac\n"
    )
    npm.chmod(npm.stat().st_mode | stat.S_IEXEC)
    _fake_node(bin_dir, path_node)


@pytest.fixture
def fake_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "npm.log"
    _fake_npm(bin_dir, log, ["22.23.5", "24.21.0", "24.22.3", "26.12.1"], "20.20.2")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("PROBE_NODE", raising=False)
    cache = tmp_path / "cache"
    monkeypatch.setenv("PROBE_CACHE_DIR", str(cache))
    nodes.checked_version.cache_clear()
    return cache, log


def _select(need: NodeNeed, messages: list[str]) -> nodes.NodeChoice | None:
    return nodes.select_node(
        cache_dir(), need, messages.append, install_lock, move_into_place
    )


def test_a_build_needing_node_24_fetches_the_newest_24_once(
    fake_registry: tuple[Path, Path],
) -> None:
    cache, log = fake_registry
    messages: list[str] = []
    first = _select(NodeNeed(RANGE_96), messages)
    assert first is not None
    assert (first.version, first.source) == ("24.22.3", "cache")
    assert Path(first.path) == cache / ".node" / "24.22.3" / "bin" / "node"
    assert any("fetching Node 24.22.3" in m for m in messages)
    calls = log.read_text().splitlines()
    assert [c.split()[0] for c in calls] == ["view", "pack"]
    # Once per version: a second build needing it asks the registry nothing.
    again = _select(NodeNeed(RANGE_81, sqlite=True), [])
    assert again == first
    assert log.read_text().splitlines() == calls
    assert not [p for p in (cache / ".node").iterdir() if ".tmp-" in p.name]


def test_path_node_runs_a_build_that_runs_on_it(fake_registry: tuple[Path, Path]) -> None:
    _cache, log = fake_registry
    chosen = _select(NodeNeed(">=22.19.0"), [])
    assert chosen is not None and chosen.source == "PATH" and chosen.version == "20.20.2"
    assert not log.exists()


def test_probe_node_overrides(
    fake_registry: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _cache, log = fake_registry
    mine = tmp_path / "mine"
    mine.mkdir()
    monkeypatch.setenv("PROBE_NODE", str(_fake_node(mine, "23.0.0")))
    chosen = _select(NodeNeed(RANGE_96), [])
    assert chosen is not None and (chosen.source, chosen.version) == ("PROBE_NODE", "23.0.0")
    assert not log.exists()


def test_no_fetch_says_so(fake_registry: tuple[Path, Path]) -> None:
    chosen = nodes.select_node(
        cache_dir(),
        NodeNeed(RANGE_96),
        lambda _m: None,
        install_lock,
        move_into_place,
        fetch=False,
    )
    assert chosen is None


def test_missing_npm_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake_node(bin_dir, "20.20.2")
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("PROBE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("PROBE_NODE", raising=False)
    nodes.checked_version.cache_clear()
    (tmp_path / "package" / "dist").mkdir(parents=True)
    (tmp_path / "package" / "package.json").write_text(
        json.dumps({"name": "openclaw", "version": "9.9.9", "engines": {"node": RANGE_96}})
    )
    with pytest.raises(EngineError, match="npm is not installed or not on PATH"):
        nodes.node_for(tmp_path / "package" / "dist", lambda _m: None)


def test_fetching_node_reads_npm_failures_as_installs_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One npm runner for builds and Nodes: a registry that has no such package says so alike.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake_node(bin_dir, "20.20.2")
    failing = bin_dir / "npm"
    failing.write_text("#!/bin/sh\necho 'npm error code E404' >&2\nexit 1\n")
    failing.chmod(failing.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.delenv("PROBE_NODE", raising=False)
    nodes.checked_version.cache_clear()
    with pytest.raises(EngineError, match=r"does not exist on the npm registry \(npm view failed"):
        nodes.select_node(
            tmp_path / "cache", NodeNeed(RANGE_96), lambda _m: None, install_lock, move_into_place
        )


def test_an_unpublished_dependency_version_gets_the_nearest_published_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    published = ["2026.7.1", "2026.7.2-beta.2", "2026.7.2-beta.5", "2026.7.2"]
    installs: list[dict[str, str]] = []

    def install_packages(work: Path, wanted: dict[str, str], spec: str) -> None:
        installs.append(dict(wanted))
        if wanted["@openclaw/ai"] not in published:
            raise MissingVersion("missing", "@openclaw/ai", wanted["@openclaw/ai"])

    monkeypatch.setattr(install, "install_packages", install_packages)
    monkeypatch.setattr(
        install, "_nearest_published", lambda name, version: _nearest(published, version)
    )
    said: list[str] = []
    wanted = {"@openclaw/ai": "2026.7.2-beta.3", "chalk": "5.6.2"}
    got = install._install_published(tmp_path, wanted, "openclaw@2026.7.2-beta.3", said.append)
    assert got == {"@openclaw/ai": {"wanted": "2026.7.2-beta.3", "used": "2026.7.2-beta.2"}}
    assert installs[-1] == {"@openclaw/ai": "2026.7.2-beta.2", "chalk": "5.6.2"}
    assert "never published" in said[0]


def _nearest(published: list[str], version: str) -> str | None:
    ordered = sorted({*published, version}, key=semver_key)
    at = ordered.index(version)
    below = [v for v in ordered[:at] if v in published]
    return below[-1] if below else None


def test_prereleases_sort_before_their_release() -> None:
    versions = ["2026.7.2", "2026.7.2-beta.10", "2026.7.2-beta.2", "2026.7.1", "2026.7.2-beta.3"]
    assert sorted(versions, key=semver_key) == [
        "2026.7.1",
        "2026.7.2-beta.2",
        "2026.7.2-beta.3",
        "2026.7.2-beta.10",
        "2026.7.2",
    ]


def test_npm_no_matching_version_names_the_package() -> None:
    proc = subprocess.CompletedProcess(
        ["npm"],
        1,
        "",
        "npm error notarget No matching version found for @openclaw/ai@2026.7.2-beta.3.\n",
    )
    failure = npm._npm_failure("npm install", "a dependency of openclaw@X", proc)
    assert isinstance(failure, MissingVersion)
    assert (failure.name, failure.version) == ("@openclaw/ai", "2026.7.2-beta.3")
