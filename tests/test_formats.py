"""Output formats: exact text of junit, markdown and github; -f/PROBE_FORMAT; colour; entry points.

Wall-clock figures (JUnit timestamp and time, the Markdown header) are pinned with freezegun so
the whole text can be compared; golden files live in tests/golden/formats/ and are rewritten
only by `pytest --update-golden`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import xmlschema
from freezegun import freeze_time
from typer.testing import CliRunner

from probe.cli import app
from tests.conftest import ROOT, SCENARIOS

ENV = {"COLUMNS": "140", "NO_COLOR": "", "FORCE_COLOR": "", "TERM": "dumb", "PROBE_FORMAT": ""}
GOLDEN = ROOT / "tests" / "golden" / "formats"
SCHEMA = xmlschema.XMLSchema(str(ROOT / "tests" / "schemas" / "junit.xsd"))
FROZEN = "2026-11-01 12:00:00"
PASSING = ("scenarios/issue-bump-hold.toml", "scenarios/issue-control-hold.toml")
FAILING = ("wrong.toml", "bare.toml")


@pytest.fixture(autouse=True)
def _pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_COLOR", "FORCE_COLOR", "PROBE_FORMAT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(ROOT)


def invoke(*args: str, **env: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={**ENV, **env})
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def failing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """wrong.toml breaks one expectation per strategy; bare.toml has none (buggy violates)."""
    text = (SCENARIOS / "issue-bump-hold.toml").read_text()
    wrong = text.replace("requested = 2\n", "requested = 1\n", 1)
    fixed_expect = wrong.split("[expect.fixed]")[1]
    wrong = wrong.replace(
        fixed_expect, fixed_expect.replace("violations = []", 'violations = ["phantom-request"]')
    )
    (tmp_path / "wrong.toml").write_text(wrong)
    (tmp_path / "bare.toml").write_text(text.split("[expect.buggy]")[0])
    monkeypatch.chdir(tmp_path)
    return tmp_path


def check_golden(name: str, text: str, update: bool) -> None:
    path = GOLDEN / name
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


# --- JUnit -------------------------------------------------------------------------------


@freeze_time(FROZEN)
def test_junit_of_passing_scenarios_is_exact(update_golden: bool) -> None:
    code, out, err = invoke("compare", "-f", "junit", *PASSING)
    assert (code, err) == (0, "")
    check_golden("pass.junit.xml", out, update_golden)
    assert 'timestamp="2026-11-01T12:00:00+00:00"' in out and 'time="0.000"' in out


@freeze_time(FROZEN)
def test_junit_lists_each_broken_expectation_and_violation(
    failing: Path, update_golden: bool
) -> None:
    code, out, _ = invoke("run", "-f", "junit", *FAILING)
    assert code == 1
    check_golden("fail.junit.xml", out, update_golden)
    assert out.count("<failure ") == 3
    assert "expect requested: expected 1, got 2</failure>" in out
    assert 'type="invariant">phantom-request at step 3: agent:main:direct' in out


def test_junit_validates_against_the_schema(failing: Path) -> None:
    for args in (["compare", "-f", "junit"], ["run", "-f", "junit", *FAILING]):
        code, out, _ = invoke(*args)
        assert code in (0, 1)
        SCHEMA.validate(out)


def test_junit_escapes_what_xml_cannot_hold(tmp_path: Path) -> None:
    text = (SCENARIOS / "issue-bump-hold.toml").read_text()
    odd = text.replace(
        'name = "issue #88010 probe: generation bump while a held recovery is in flight"',
        'name = "<odd> & \\"quoted\\" \\u0001 \\u001b[31m"',
    )
    odd = odd.replace("agent:main:direct", "a<b>&\\u0002")
    path = tmp_path / "odd.toml"
    path.write_text(odd.split("[expect.buggy]")[0])
    code, out, _ = invoke("run", "-f", "junit", str(path))
    assert code == 1
    SCHEMA.validate(out)
    assert 'value="&lt;odd&gt; &amp; &quot;quoted&quot; \\u0001 \\u001b[31m"' in out


def test_junit_time_is_the_replay_time(monkeypatch: pytest.MonkeyPatch) -> None:
    ticks = iter(float(n) * 0.25 for n in range(100))
    monkeypatch.setattr("probe.cli.run.time.perf_counter", lambda: next(ticks))
    code, out, _ = invoke("run", "-f", "junit", PASSING[0])
    assert code == 0
    assert out.count('<testcase name="buggy" classname="issue-bump-hold" time="0.250">') == 1
    assert 'tests="2" failures="0" errors="0" skipped="0" time="0.500"' in out


# --- Markdown ----------------------------------------------------------------------------


@freeze_time(FROZEN)
def test_markdown_of_passing_scenarios_is_exact(update_golden: bool) -> None:
    code, out, _ = invoke("compare", "-f", "markdown", *PASSING)
    assert code == 0
    check_golden("pass.md", out, update_golden)
    assert out.startswith("## probe: ✅ PASS\n\n2 scenario(s), 4 strategy run(s). ")
    assert "probe 0.1.0, 2026-11-01 12:00:00 UTC." in out


@freeze_time(FROZEN)
def test_markdown_lists_failures(failing: Path, update_golden: bool) -> None:
    code, out, _ = invoke("run", "-f", "markdown", *FAILING)
    assert code == 1
    check_golden("fail.md", out, update_golden)


def test_markdown_keeps_user_text_inert(tmp_path: Path) -> None:
    text = (SCENARIOS / "issue-control-hold.toml").read_text()
    path = tmp_path / "a|b_<i>.toml"
    path.write_text(text)
    code, out, _ = invoke("run", "-f", "markdown", str(path))
    assert code == 0
    assert "**a\\|b\\_&lt;i&gt;**" in out


# --- GitHub annotations ------------------------------------------------------------------


def test_github_annotations_point_at_the_lines(failing: Path) -> None:
    code, out, err = invoke("run", "-f", "github", *FAILING)
    assert (code, err) == (1, "")
    name = "issue #88010 probe: generation bump while a held recovery is in flight"
    assert out == (
        "::error file=wrong.toml,line=38,title=probe%3A buggy breaks expectation requested::"
        f"{name}: expect requested: expected 1, got 2\n"
        "::error file=wrong.toml,line=49,title=probe%3A fixed breaks expectation violations::"
        f'{name}: expect violations: expected ["phantom-request"], got []\n'
        "::error file=bare.toml,line=31,title=probe%3A buggy violates phantom-request::"
        f"{name}: phantom-request at step 3: agent:main:direct: requested again at 60000 ms "
        "for generation 1 while the recovery requested at 30000 ms for generation 0 is in "
        "flight\n"
        "probe: 2 scenario(s), 4 strategy run(s): FAIL (3 failed)\n"
    )
    lines = (failing / "bare.toml").read_text().splitlines()
    assert lines[31 - 1] == "[[step]]" and lines[32 - 1] == 'do = "tick"'


def test_github_on_passing_scenarios_is_one_line() -> None:
    # The library (the version scenarios carry notes, which are ::warning lines).
    code, out, _ = invoke("compare", "-f", "github", *map(str, sorted(SCENARIOS.glob("*.toml"))))
    assert code == 0
    assert out == "probe: 8 scenario(s), 16 strategy run(s): PASS\n"


def test_github_escapes_workflow_command_syntax(tmp_path: Path) -> None:
    text = (SCENARIOS / "issue-bump-hold.toml").read_text().split("[expect.buggy]")[0]
    path = tmp_path / "a,b:c%.toml"
    text = text.replace('name = "issue', 'name = "100% ::x', 1)
    path.write_text(text.replace("agent:main:direct", "in\\nout"))
    code, out, _ = invoke("run", "-f", "github", "--strategy", "buggy", str(path))
    assert code == 1
    first, summary = out.splitlines()
    assert first.startswith(f"::error file={tmp_path}/a%2Cb%3Ac%25.toml,line=31,title=probe")
    assert "::100%25 ::x #88010" in first and ": in%0Aout: requested again" in first


def test_github_notes_become_warnings(tmp_path: Path) -> None:
    text = (SCENARIOS / "issue-control-hold.toml").read_text()
    path = tmp_path / "noted.toml"
    path.write_text(text.replace('drain = "hold"', 'drain = "hold"\nwarn_ms = 500'))
    code, out, _ = invoke("run", "-f", "github", str(path))
    assert code == 0
    assert out.startswith(f"::warning file={tmp_path}/noted.toml,title=probe note::settings.")


# --- choosing the format -----------------------------------------------------------------


def test_probe_format_env_picks_the_format_and_the_flag_wins() -> None:
    code, out, _ = invoke("run", PASSING[0], PROBE_FORMAT="json")
    assert code == 0 and json.loads(out)["ok"] is True
    code, out, _ = invoke("run", "-f", "github", PASSING[0], PROBE_FORMAT="json")
    assert code == 0 and out.startswith("probe: 1 scenario(s)")
    code, out, err = invoke("run", PASSING[0], PROBE_FORMAT="xml")
    assert (code, out) == (2, "")
    assert "'xml' is not one of" in err


@pytest.mark.parametrize("fmt", ["table", "json", "junit", "markdown", "github"])
def test_every_format_writes_a_file_atomically(fmt: str, tmp_path: Path) -> None:
    target = tmp_path / f"report.{fmt}"
    code, out, _ = invoke("compare", "-f", fmt, "-o", str(target))
    assert (code, out) == (0, "")
    assert target.read_text()
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_an_interrupted_write_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(src: str, dst: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("probe.cli.output.os.replace", interrupted)
    target = tmp_path / "report.xml"
    code, out, err = invoke("compare", "-f", "junit", "-o", str(target))
    assert (code, out, err.splitlines()[-1]) == (130, "", "interrupted")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")
    real_write = os.fdopen

    def full_disk(fd: int, *args: object, **kwargs: object) -> object:
        fh = real_write(fd, *args, **kwargs)  # type: ignore[call-overload]

        def write(text: str) -> int:
            raise OSError(28, "No space left on device")

        fh.write = write
        return fh

    monkeypatch.setattr("probe.cli.output.os.fdopen", full_disk)
    code, _, err = invoke("compare", "-f", "json", "-o", str(target), "--force")
    # the system's refusal, not a bug of probe's: a message naming the file, no traceback
    assert code == 2 and err.endswith(f"\n{target}: cannot write: No space left on device\n")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


# --- colour and width --------------------------------------------------------------------

ANSI = "\x1b["


def test_no_colour_when_not_a_terminal() -> None:
    assert ANSI not in invoke("compare")[1]


def test_force_color_forces_it_and_no_color_wins() -> None:
    assert ANSI in invoke("compare", FORCE_COLOR="1")[1]
    assert ANSI not in invoke("compare", FORCE_COLOR="1", NO_COLOR="1")[1]


def test_colour_never_goes_into_a_file(tmp_path: Path) -> None:
    target = tmp_path / "table.txt"
    assert invoke("compare", "-o", str(target), FORCE_COLOR="1")[0] == 0
    assert ANSI not in target.read_text()


def test_colour_only_in_the_table() -> None:
    for fmt in ("json", "junit", "markdown", "github"):
        assert ANSI not in invoke("compare", "-f", fmt, FORCE_COLOR="1")[1]


def test_off_a_terminal_the_table_is_plain_unwrapped_lines() -> None:
    narrow = invoke("compare", COLUMNS="60")[1]
    wide = invoke("compare", COLUMNS="250")[1]
    assert narrow == wide
    assert all(line == line.rstrip() for line in wide.splitlines())
    timeline = invoke("run", "scenarios/issue-bump-hold.toml", COLUMNS="60")[1]
    stalled = [line for line in timeline.splitlines() if "session.stalled" in line]
    assert len(stalled) == 4  # one line per event: 2 ticks x 2 strategies, none wrapped
    assert all(line.endswith(("q=1", "q=2")) for line in stalled)


def test_forced_colour_uses_the_wrapped_layout_at_140() -> None:
    out = invoke("run", "scenarios/issue-bump-hold.toml", FORCE_COLOR="1")[1]
    bare = re.sub(r"\x1b\[[0-9;]*m", "", out)
    assert max(len(line) for line in bare.splitlines()) <= 140
    assert "<- diverges" in bare


# --- JSON stays free of wall-clock time --------------------------------------------------


def test_json_report_holds_no_wall_clock_time() -> None:
    with freeze_time("2001-01-01"):
        first = invoke("compare", "-f", "json")[1]
    with freeze_time("2031-06-30 23:59:59"):
        second = invoke("compare", "-f", "json")[1]
    assert first == second


# --- entry points ------------------------------------------------------------------------


def _subprocess(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env},
        check=False,
        timeout=60,
    )


def test_version_and_python_dash_m() -> None:
    from probe import __version__

    assert invoke("--version")[1] == f"probe {__version__}\n"
    proc = _subprocess("-m", "probe", "--version")
    assert (proc.returncode, proc.stdout) == (0, f"probe {__version__}\n")
    proc = _subprocess("-m", "probe", "--help")
    assert proc.returncode == 0 and proc.stdout.startswith("Usage: probe ")


def test_shell_completion_completes_commands_and_formats() -> None:
    code = "from probe.cli import main; main()"
    proc = _subprocess(
        "-c", code, _PROBE_COMPLETE="complete_bash", COMP_WORDS="probe ru", COMP_CWORD="1"
    )
    assert (proc.returncode, proc.stdout) == (0, "run\n")
    proc = _subprocess(
        "-c", code, _PROBE_COMPLETE="complete_bash", COMP_WORDS="probe run -f ", COMP_CWORD="3"
    )
    assert proc.stdout.split() == ["table", "json", "junit", "markdown", "github"]
    proc = _subprocess("-c", code, "--show-completion", "bash")
    assert proc.returncode == 0 and "_PROBE_COMPLETE=complete_bash" in proc.stdout


def test_sigterm_during_a_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")
    code = (
        "import os, signal, sys\n"
        "import probe.cli\nimport probe.cli.output\n"
        "def replace(src, dst):\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "probe.cli.output.os.replace = replace\n"
        f"sys.argv = ['probe', 'compare', '-f', 'json', '--force', '-o', {str(target)!r}]\n"
        "probe.cli.main()\n"
    )
    proc = _subprocess("-c", code)
    assert (proc.returncode, proc.stdout) == (143, "")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]
