"""Builds of one's own as engines: a dist/ folder, a package folder, a .tgz made by npm pack."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from probe.engines.cache import dist_dir
from probe.engines.engine import resolve
from probe.engines.layout import key_shape
from probe.engines.local import LocalEngine
from probe.engines.real import RealEngine
from probe.errors import ProbeError
from tests.conftest import ROOT
from tests.engines.support import (
    BUILDS,
    broken_layout,
    copy_package,
    needs_real_builds,
    pack,
    without_code,
)
from tests.helpers import CLI_ENV, invoke, load

pytestmark = needs_real_builds

ENV = CLI_ENV
SCENARIO = "scenarios/issue-bump-hold.toml"


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


@pytest.fixture(scope="module")
def own(builds: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The buggy build's cached package (an unpacked npm tarball) copied into a folder of its own,
    with no node_modules anywhere above it, and packed again as `npm pack` would."""
    root = tmp_path_factory.mktemp("own")
    dist = copy_package(builds["buggy"], root / "unpacked")
    tarball = pack(
        dist.parent, root / f"openclaw-{BUILDS['buggy']}.tgz", only=("package.json", "dist")
    )
    return {"tarball": tarball, "dist": dist}


def report(engine: str) -> dict[str, object]:
    code, out, err = invoke("run", "-f", "json", "--engine", engine, SCENARIO)
    assert code == 0, err
    return json.loads(out.replace(json.dumps(engine)[1:-1], f"openclaw@{BUILDS['buggy']}"))


@pytest.fixture(scope="module")
def published(builds: dict[str, Path]) -> dict[str, object]:
    return report(f"openclaw@{BUILDS['buggy']}")


def test_a_local_dist_gives_the_report_of_the_published_build(
    own: dict[str, Path], published: dict[str, object]
) -> None:
    assert report(str(own["dist"])) == published
    strategies = published["scenarios"][0]["strategies"]  # type: ignore[index]
    assert strategies[f"openclaw@{BUILDS['buggy']}"]["requested"] == 2


def test_the_package_folder_and_the_tarball_too(
    own: dict[str, Path], published: dict[str, object]
) -> None:
    assert report(str(own["dist"].parent)) == published
    assert report(str(own["tarball"])) == published


def test_a_local_build_without_node_modules_borrows_the_pinned_set(own: dict[str, Path]) -> None:
    engine = resolve(str(own["dist"]))
    assert isinstance(engine, LocalEngine)
    build = engine.local.build()
    # Linked into a work folder beside the cached build's node_modules, resolved from there.
    assert build.node_flags == ("--preserve-symlinks",)
    assert build.dist.parts[-2:] == ("package", "dist")
    assert (build.dist.parent.parent / "node_modules").resolve() == (
        dist_dir(BUILDS["buggy"]).parents[1] / "node_modules"
    ).resolve()
    assert dict(build.env)["PROBE_FAKE_TIMERS"].endswith("@sinonjs/fake-timers")
    assert engine.design == "buggy"


def test_a_build_with_its_own_node_modules_runs_in_place(builds: dict[str, Path]) -> None:
    engine = resolve(str(builds["fixed"]))  # the cache entry: node_modules above package/
    assert isinstance(engine, LocalEngine)
    assert engine.name == str(builds["fixed"])
    build = engine.local.build()
    assert build.dist == builds["fixed"] and build.node_flags == ()
    assert engine.replay(load(ROOT / SCENARIO)).requested == 1


def test_conform_pairs_a_model_with_a_local_build(own: dict[str, Path]) -> None:
    code, out, err = invoke("conform", "--pair", f"model:buggy={own['dist']}", SCENARIO)
    assert code == 0, err
    assert "agree" in out and "1 agree, 0 differ" in out
    # --engine: the model of the build's own design (read from its coordinator key) at the
    # version its package.json names.
    code, out, err = invoke("conform", "--engine", str(own["dist"]), "-f", "json", SCENARIO)
    assert code == 0, err
    (pair,) = json.loads(out)["scenarios"][0]["pairs"]
    assert (pair["model"], pair["real"], pair["status"]) == (
        "model:buggy@2026.5.30-beta.1",
        str(own["dist"]),
        "agree",
    )
    code, _, err = invoke("conform", "--engine", "model:fixed", SCENARIO)
    assert code == 2 and "compares a real build with the model" in err


@pytest.mark.parametrize("name", sorted(BUILDS))
def test_inspect_reads_the_key_shape_of_each_pinned_build(
    name: str, builds: dict[str, Path]
) -> None:
    code, out, err = invoke("engines", "inspect", "-f", "json", f"openclaw@{BUILDS[name]}")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["openclaw_version"] == BUILDS[name]
    assert doc["status"] == "drivable" and doc["problems"] == []
    assert doc["design"] == name
    shape = {"buggy": "ref:generation", "fixed": "ref"}[name]
    assert doc["key"]["shape"] == shape
    line = {
        "buggy": 'return `${ref}:${request.stateGeneration ?? "unknown"}`;',
        "fixed": "return resolveStuckSessionRecoveryRef(request);",
    }[name]
    assert doc["key"]["line"] == line
    chunk = builds[name] / doc["key"]["chunk"]
    assert chunk.read_text().splitlines()[doc["key"]["lineno"] - 1].strip() == line
    assert doc["regions"]["coordinator"]["chunk"] == doc["regions"]["diagnostic"]["chunk"]
    assert all(fn["export"] for fn in doc["functions"])
    assert {fn["name"] for fn in doc["functions"]} >= {
        "startDiagnosticHeartbeat",
        "recoverStuckDiagnosticSession",
        "setActiveEmbeddedRun",
    }
    code, out, _ = invoke("engines", "inspect", f"openclaw@{BUILDS[name]}")
    assert code == 0
    assert f"key shape   {shape} (the {name} design)" in out
    assert f"{doc['key']['chunk']}:{doc['key']['lineno']}: {line}" in out


def test_inspect_names_what_a_build_lacks(builds: dict[str, Path], tmp_path: Path) -> None:
    code, out, err = invoke("engines", "inspect", str(without_code(tmp_path / "old")))
    assert code == 0, err
    assert "status      no_code" in out and "key shape   unknown" in out
    broken = broken_layout(builds["buggy"], tmp_path / "broken")
    code, out, err = invoke("engines", "inspect", "-f", "json", str(broken))
    doc = json.loads(out)
    assert doc["status"] == "layout" and doc["key"]["shape"] == "ref:generation"
    assert "not the shape the harness replicates" in doc["problems"][0]["message"]
    # Anywhere else an undrivable build is bad input, with the harness's reason.
    code, _, err = invoke("run", "--engine", str(broken), SCENARIO)
    assert code == 2 and "not the shape the harness replicates" in err
    assert "Traceback" not in err


def test_key_shape_of_a_folder_without_code(tmp_path: Path) -> None:
    assert key_shape(without_code(tmp_path)).shape == "unknown"
    assert key_shape(tmp_path / "nowhere").shape == "unknown"


def test_bad_engine_paths_are_one_line_errors(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hi")
    (tmp_path / "leftpad").mkdir()
    (tmp_path / "leftpad" / "package.json").write_text('{"name": "leftpad"}')
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "package.json").write_text('{"name": "openclaw"}')
    cases = {
        str(tmp_path / "missing" / "dist"): "no such file or folder",
        str(tmp_path / "notes.txt"): "not a .tgz",
        str(tmp_path / "leftpad"): "package.json naming openclaw",
        str(tmp_path / "src"): "without a dist/ folder",
    }
    for spec, message in cases.items():
        with pytest.raises(ProbeError, match=message):
            resolve(spec)
        code, _, err = invoke("run", "--engine", spec, SCENARIO)
        assert code == 2 and message in err and "Traceback" not in err
    evil = tmp_path / "evil.tgz"
    with tarfile.open(evil, "w:gz") as archive:
        info = tarfile.TarInfo("package/../../escaped.js")
        archive.addfile(info, io.BytesIO(b""))
    code, _, err = invoke("run", "--engine", str(evil), SCENARIO)
    assert code == 2 and "unsafe entry in the npm tarball evil.tgz" in err
    assert not (tmp_path.parent / "escaped.js").exists()
    with pytest.raises(ProbeError, match="unknown engine 'nonsense'"):
        resolve("nonsense")
    assert isinstance(resolve(f"openclaw@{BUILDS['buggy']}"), RealEngine)
