"""One grammar across commands: -h, -f/PROBE_FORMAT and -o, engine specs checked up front,
completions per shell, a prune that asks, files that follow the umask, `new --dir`."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import xmlschema
from typer.testing import CliRunner

from probe.cli import app
from probe.conform import PairResult
from probe.report.conform_report import render_conform_github, render_conform_junit
from tests.conftest import ROOT, SCENARIOS
from tests.helpers import CLI_ENV

BUMP = str(SCENARIOS / "issue-bump-hold.toml")
SCHEMA = xmlschema.XMLSchema(str(ROOT / "tests" / "schemas" / "junit.xsd"))


def _invoke(*args: str, **env: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={**CLI_ENV, **env})
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An engine cache with two complete (fake) builds, and nothing to download."""
    root = tmp_path / "cache"
    for version in ("2026.5.30-beta.1", "2026.5.31-beta.1"):
        dist = root / version / "package" / "dist"
        dist.mkdir(parents=True)
        (dist / "index.js").write_text("x" * 1000)
        (root / version / ".probe-engine.json").write_text("{}")
    monkeypatch.setenv("PROBE_CACHE_DIR", str(root))
    return root


COMMANDS = [
    [],
    ["run"],
    ["compare"],
    ["validate"],
    ["new"],
    ["strategies"],
    ["invariants"],
    ["explore"],
    ["bisect"],
    ["conform"],
    ["engines"],
    ["engines", "install"],
    ["engines", "list"],
    ["engines", "inspect"],
    ["engines", "prune"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "probe")
def test_dash_h_is_help_everywhere(command: list[str]) -> None:
    code, out, _ = _invoke(*command, "-h")
    assert code == 0 and out.startswith("Usage: probe")


REPORTS = [
    ["conform"],
    ["bisect", BUMP],
    ["engines", "list"],
    ["engines", "inspect", "x"],
    ["explore"],
    ["diff", "model:buggy", "model:fixed"],
]


@pytest.mark.parametrize("command", REPORTS, ids=" ".join)
def test_every_report_command_takes_format_and_output(command: list[str]) -> None:
    code, out, _ = _invoke(*command, "-h")
    assert "-f, --format" in out and "-o, --output" in out and "--force" in out


@pytest.mark.parametrize("command", [["conform"], ["bisect", BUMP]], ids=" ".join)
def test_conform_and_bisect_refuse_a_format_they_cannot_write_from_the_environment(
    command: list[str], cache: Path
) -> None:
    code, out, err = _invoke(*command, PROBE_FORMAT="markdown")
    assert (code, out) == (2, "")
    assert "'markdown' (or PROBE_FORMAT): " in err and "table, json, junit, github" in err


def test_engines_list_follows_probe_format_and_writes_to_o(cache: Path, tmp_path: Path) -> None:
    code, out, _ = _invoke("engines", "list", PROBE_FORMAT="json")
    assert code == 0
    doc = json.loads(out)
    assert [b["version"] for b in doc["builds"]] == ["2026.5.30-beta.1", "2026.5.31-beta.1"]
    target = tmp_path / "list.json"
    assert _invoke("engines", "list", "-f", "json", "-o", str(target)) == (0, "", "")
    assert json.loads(target.read_text()) == doc
    assert _invoke("engines", "list", "-o", str(target))[0] == 2  # exists: --force


def test_explore_writes_its_report_to_o_whole_and_refuses_an_existing_one(tmp_path: Path) -> None:
    target = tmp_path / "explore.json"
    args = ("explore", "--depth", "3", "--no-write", "-f", "json", "-o", str(target),
            "--invariant", "phantom-request")
    assert _invoke(*args) == (0, "", "")
    doc = json.loads(target.read_text())
    assert doc["depth_bound"] == 3 and doc["mode"] == "exhaustive"
    code, out, err = _invoke(*args)
    assert (code, out) == (2, "") and "already exists (use --force to replace it)" in err
    assert json.loads(target.read_text()) == doc
    assert _invoke(*args, "--force")[0] == 0


def _pairs() -> list[tuple[str, list[PairResult]]]:
    return [
        ("scenarios/a.toml", [PairResult("model:buggy", "openclaw@1.0.0", "agree", (), 0.5)]),
        (
            "scenarios/b & c.toml",
            [
                PairResult(
                    "model:fixed", "openclaw@1.0.1", "differ", ("--- a", "+++ b", "-x", "+y"), 0.25
                ),
                PairResult(
                    "model:buggy", "openclaw@1.0.0", "not_comparable",
                    ("step[2].outcome: the runtime never rejects",), 0.01,
                ),
            ],
        ),
    ]


def test_conform_junit_validates_and_says_what_differs_and_what_was_skipped() -> None:
    xml = render_conform_junit(_pairs(), datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    SCHEMA.validate(xml)
    doc = SCHEMA.to_dict(xml)
    suites = doc["testsuite"]
    assert [s["@name"] for s in suites] == ["scenarios/a.toml", "scenarios/b & c.toml"]
    differ, skipped = suites[1]["testcase"]
    assert differ["failure"][0]["@message"] == "model:fixed and openclaw@1.0.1 differ"
    assert "-x\n+y" in differ["failure"][0]["$"]
    assert "the runtime never rejects" in skipped["skipped"][0]["@message"]
    assert (doc["@tests"], doc["@failures"]) == (3, 1)


def test_conform_github_annotates_the_scenario_files() -> None:
    lines = render_conform_github(_pairs()).splitlines()
    assert lines[0].startswith("::error file=scenarios/b & c.toml,title=probe conform%3A ")
    assert lines[0].endswith("::2 line(s) of the event streams differ (- model, + real)")
    assert lines[1].startswith("::warning file=scenarios/b & c.toml,")
    assert lines[-1] == "probe conform: 1 agree, 1 differ, 1 not comparable"


@pytest.mark.parametrize(
    "spec", ["openclaw@latest", "openclaw@beta", "openclaw@^2026.5.0", "openclaw@2026.x",
             "openclaw@>=2026.5", "openclaw@2026.5"]
)
def test_an_engine_spec_is_checked_before_any_download(spec: str, tmp_path: Path) -> None:
    cache = tmp_path / "never"
    for args in (["run", "--engine", spec, BUMP], ["engines", "install", spec],
                 ["conform", "--engine", spec], ["bisect", BUMP, "--from", spec]):
        code, out, err = _invoke(*args, PROBE_CACHE_DIR=str(cache), PATH="")
        assert (code, out) == (2, ""), args
        assert f"{spec}: a " in err and "one exact published version" in err
    assert not cache.exists()  # nothing fetched, nothing even prepared


@pytest.mark.parametrize(
    ("shell", "mark"),
    [("bash", "complete -o default -F _probe_completion probe"), ("zsh", "#compdef probe"),
     ("fish", "complete --command probe"), ("powershell", "Register-ArgumentCompleter")],
)
def test_show_completion_prints_the_named_shells_script(shell: str, mark: str) -> None:
    code, out, _ = _invoke("--show-completion", shell)
    assert code == 0 and mark in out
    others = {"bash": "COMPREPLY", "zsh": "#compdef", "fish": "complete --command"}
    assert all(m not in out for s, m in others.items() if s != shell)


def test_an_unknown_shell_is_refused() -> None:
    code, _, err = _invoke("--show-completion", "tcsh")
    assert code == 2 and "'tcsh': not a shell probe completes" in err


def test_the_completion_scripts_complete_commands() -> None:
    env = {**os.environ, "_PROBE_COMPLETE": "complete_bash", "COMP_WORDS": "probe co",
           "COMP_CWORD": "1"}
    out = subprocess.run([sys.executable, "-m", "probe"], env=env, capture_output=True,
                         text=True, cwd=ROOT).stdout
    assert out.split() == ["compare", "conform"]
    env = {**os.environ, "_PROBE_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "probe eng"}
    out = subprocess.run([sys.executable, "-m", "probe"], env=env, capture_output=True,
                         text=True, cwd=ROOT).stdout
    assert '"engines":' in out


def test_prune_without_a_version_refuses_off_a_terminal(cache: Path) -> None:
    code, out, err = _invoke("engines", "prune")
    assert (code, out) == (2, "")
    assert "removes the whole cache" in err and "--all" in err and "--dry-run" in err
    assert (cache / "2026.5.30-beta.1").is_dir()


def test_prune_dry_run_lists_and_removes_nothing(cache: Path) -> None:
    code, out, _ = _invoke("engines", "prune", "--dry-run")
    assert code == 0
    assert "would remove openclaw@2026.5.30-beta.1" in out and "would free" in out
    assert (cache / "2026.5.30-beta.1").is_dir() and (cache / "2026.5.31-beta.1").is_dir()
    code, out, _ = _invoke("engines", "prune", "--dry-run", "2026.5.31-beta.1")
    assert out.splitlines()[0].startswith("would remove openclaw@2026.5.31-beta.1 ")
    assert (cache / "2026.5.31-beta.1").is_dir()


def test_prune_all_and_prune_one(cache: Path) -> None:
    assert _invoke("engines", "prune", "2026.5.31-beta.1")[0] == 0
    assert not (cache / "2026.5.31-beta.1").exists() and (cache / "2026.5.30-beta.1").is_dir()
    code, out, _ = _invoke("engines", "prune", "--all")
    assert code == 0 and "removed openclaw@2026.5.30-beta.1" in out
    assert not (cache / "2026.5.30-beta.1").exists()


def _on_terminal(args: list[str], answer: bytes, env: dict[str, str]) -> tuple[int, str]:
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "probe", *args], stdin=slave, stdout=slave,
                            stderr=slave, cwd=ROOT, env={**os.environ, **env})
    os.close(slave)
    os.write(master, answer)
    chunks = []
    while True:
        try:
            data = os.read(master, 1 << 16)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.wait(timeout=60), b"".join(chunks).decode()


@pytest.mark.parametrize(("answer", "kept"), [(b"n\n", True), (b"y\n", False)])
def test_prune_without_a_version_asks_on_a_terminal(
    cache: Path, answer: bytes, kept: bool
) -> None:
    code, out = _on_terminal(["engines", "prune"], answer, {"PROBE_CACHE_DIR": str(cache)})
    assert "Remove the whole cache (2 item(s)" in out
    assert (cache / "2026.5.30-beta.1").is_dir() == kept
    assert code == (1 if kept else 0)


@pytest.fixture
def umask() -> Iterator[None]:
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_written_files_follow_the_umask(
    mask: int, mode: int, tmp_path: Path, umask: None
) -> None:
    os.umask(mask)
    report, svg, baseline = tmp_path / "r.json", tmp_path / "t.svg", tmp_path / "b.json"
    code, _, err = _invoke("run", "-f", "json", "-o", str(report), "--svg", str(svg),
                           "--baseline", str(baseline), "--update-baseline", BUMP)
    assert code == 0, err
    new = _invoke("new", "mine", "--dir", str(tmp_path / "s"))
    assert new[0] == 0
    for written in (report, svg, baseline, tmp_path / "s" / "mine.toml"):
        assert stat.S_IMODE(written.stat().st_mode) == mode, written


def test_new_creates_missing_folders_and_says_so(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b"
    code, _, err = _invoke("new", "x", "--dir", str(target))
    assert code == 0 and (target / "x.toml").is_file()
    assert f"created folder {target}" in err and f"wrote {target / 'x.toml'}" in err
    code, _, err = _invoke("new", "y", "--dir", str(target))
    assert code == 0 and "created folder" not in err
    (tmp_path / "file").write_text("")
    code, _, err = _invoke("new", "z", "--dir", str(tmp_path / "file"))
    assert code == 2 and "not a folder" in err
