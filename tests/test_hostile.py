"""Hostile input: every file gives a report or `FILE:LINE: where: message` and exit 2, never a
traceback or a hang, and every string from a file is shown as data in every format.

The refusals git can hold are tests/bad/*.toml with their exact messages beside them (run by
tests/test_cli.py); FIFOs, devices, sockets, link loops, huge and oddly named files are made
here at run time. The scenarios of tests/bad/shown/ are valid but hostile: their names and refs
hold escape sequences, newlines, Rich markup, workflow commands, XML and Markdown syntax.
Commands that could hang on a FIFO run in a subprocess with a timeout, so a regression fails
instead of stalling the suite.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
import tomli_w
import xmlschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from probe.cli import app
from probe.report.escape import github_message, terminal
from probe.scenario.limits import LIMITS
from probe.scenario.toml_lines import nesting_past
from tests.conftest import ROOT, SCENARIOS

SHOWN = ROOT / "tests" / "bad" / "shown"
HOSTILE = sorted(SHOWN.glob("*.toml"))
SCHEMA = xmlschema.XMLSchema(str(ROOT / "tests" / "schemas" / "junit.xsd"))
ENV = {"COLUMNS": "140", "NO_COLOR": "1", "TERM": "dumb", "FORCE_COLOR": None, "PROBE_FORMAT": None}
# What a terminal would act on: C0/C1 controls (newline aside), DEL, line separators and
# bidirectional overrides.
ACTIVE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
SGR = re.compile("\x1b\\[[0-9;]*m")
NOT_A_FILE = "not a scenario file (only regular files are read)"
UNKNOWN_KEY = 'name = "x"\ncolour = 1\n[[session]]\nref = "a"\n[[step]]\ndo = "tick"\n'
UNKNOWN_KEY_ERR = (
    ":2: colour: unknown key (expected one of: name, description, settings, session, step, "
    "expect, properties)\n"
)


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    for name in ("NO_COLOR", "FORCE_COLOR", "PROBE_FORMAT"):
        monkeypatch.delenv(name, raising=False)


def invoke(*args: str, **env: str | None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={**ENV, **env})
    return result.exit_code, result.stdout, result.stderr


def probe_process(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """probe in its own process: a FIFO that blocked it would fail the test, not hang it."""
    env = {**os.environ, "NO_COLOR": "1", "TERM": "dumb", "PROBE_SKIP_REAL_BUILDS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "probe", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def scenario_fields(path: Path) -> tuple[str, str]:
    data = tomllib.loads(path.read_text())
    return data["name"], data["session"][0]["ref"]


# --- files that are not scenario files ---------------------------------------------------


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.toml"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize(
    "command",
    [
        ["validate"],
        ["run"],
        ["compare"],
        ["run", "-f", "json"],
        ["explore", "--no-write", "--depth", "2"],
        ["conform"],
        ["bisect"],
    ],
    ids=lambda c: "-".join(c[:1] + c[1:2]),
)
def test_a_fifo_is_refused_by_every_command_without_blocking(
    command: list[str], fifo: Path
) -> None:
    done = probe_process(*command, str(fifo))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"{fifo}: is a FIFO (named pipe), {NOT_A_FILE}\n"


@pytest.mark.parametrize("device", ["/dev/null", "/dev/zero", "/dev/urandom"])
def test_a_device_is_refused_without_reading_it(device: str) -> None:
    done = probe_process("validate", device)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"{device}: is a character device, {NOT_A_FILE}\n"


def test_a_socket_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))
        assert invoke("validate", str(path)) == (2, "", f"{path}: is a socket, {NOT_A_FILE}\n")
    finally:
        server.close()


def test_a_link_to_a_fifo_is_refused_as_the_fifo(tmp_path: Path, fifo: Path) -> None:
    link = tmp_path / "link.toml"
    link.symlink_to(fifo)
    done = probe_process("validate", str(link))
    assert (done.returncode, done.stderr) == (2, f"{link}: is a FIFO (named pipe), {NOT_A_FILE}\n")


def test_a_symlink_loop_is_named(tmp_path: Path) -> None:
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.symlink_to(b)
    b.symlink_to(a)
    code, out, err = invoke("validate", str(a))
    assert (code, out) == (2, "")
    assert err == f"{a}: a symbolic link loop (too many levels of symbolic links)\n"


def test_a_link_to_itself_is_a_loop(tmp_path: Path) -> None:
    me = tmp_path / "me.toml"
    me.symlink_to(me)
    assert invoke("run", str(me))[2] == (
        f"{me}: a symbolic link loop (too many levels of symbolic links)\n"
    )


def test_a_dangling_link_says_so(tmp_path: Path) -> None:
    link = tmp_path / "gone.toml"
    link.symlink_to(tmp_path / "nowhere.toml")
    assert invoke("validate", str(link)) == (2, "", f"{link}: a symbolic link to a missing file\n")


def test_a_path_through_a_file_is_no_such_file(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.write_text("x")
    path = plain / "x.toml"
    assert invoke("validate", str(path))[2] == (
        f"{path}: no such file (a part of the path is not a folder)\n"
    )


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    huge = tmp_path / "huge.toml"
    with huge.open("wb") as fh:  # sparse: the size without the disk
        fh.truncate(LIMITS.file_bytes + 1)
    code, out, err = invoke("validate", str(huge))
    assert (code, out) == (2, "")
    assert err == (
        f"{huge}: is {LIMITS.file_bytes + 1} bytes, over the limit of 4194304 bytes (4 MiB) "
        "for a scenario file\n"
    )


def test_a_file_of_exactly_the_limit_is_read(tmp_path: Path) -> None:
    text = (SCENARIOS / "issue-bump-hold.toml").read_text()
    path = tmp_path / "padded.toml"
    pad = LIMITS.file_bytes - len(text.encode()) - len("#\n")
    path.write_text(text + "#" + " " * pad + "\n")
    assert path.stat().st_size == LIMITS.file_bytes
    code, out, _ = invoke("validate", str(path))
    assert (code, out) == (0, f"{path}: ok (1 session(s), 4 step(s))\n")


# --- paths that are hostile themselves ---------------------------------------------------


def test_a_path_with_spaces_is_shown_as_is(tmp_path: Path) -> None:
    folder = tmp_path / "my scenarios"
    folder.mkdir()
    path = folder / "a bad one.toml"
    path.write_text(UNKNOWN_KEY)
    assert invoke("validate", str(path)) == (2, "", f"{path}{UNKNOWN_KEY_ERR}")


def test_a_path_with_a_newline_stays_on_one_line(tmp_path: Path) -> None:
    path = tmp_path / "a\nb.toml:1: all good\n"
    path.write_text(UNKNOWN_KEY)
    shown = f"{tmp_path}/a\\nb.toml:1: all good\\n"
    assert invoke("validate", str(path)) == (2, "", f"{shown}{UNKNOWN_KEY_ERR}")


def test_a_missing_path_with_an_escape_sequence_is_shown_escaped(tmp_path: Path) -> None:
    path = tmp_path / "\x1b[31mred.toml"
    assert invoke("validate", str(path))[2] == f"{tmp_path}/\\x1b[31mred.toml: no such file\n"


def test_validate_and_notes_show_a_hostile_path_escaped(tmp_path: Path) -> None:
    path = tmp_path / "n\x1b]0;t\x07.toml"
    text = (SCENARIOS / "issue-control-hold.toml").read_text()
    path.write_text(text.replace('drain = "hold"', 'drain = "hold"\nwarn_ms = 500'))
    code, out, err = invoke("validate", str(path))
    shown = f"{tmp_path}/n\\x1b]0;t\\x07.toml"
    assert (code, out) == (0, f"{shown}: ok (1 session(s), 3 step(s))\n")
    assert err.startswith(f"{shown}: note: settings.warn_ms = 500 is outside")


def test_a_line_of_a_megabyte_of_blanks_does_not_stall_the_line_finder(tmp_path: Path) -> None:
    text = (SCENARIOS / "issue-bump-hold.toml").read_text().split("[expect.buggy]")[0]
    path = tmp_path / "blanks.toml"
    text = text.replace("[settings]", "pad = [\n[" + " " * 2**20 + "1,\n2]]\n[settings]")
    path.write_text(text)
    line = text[: text.index("pad = [")].count("\n") + 1
    done = probe_process("run", "-f", "github", "--strategy", "buggy", str(path), timeout=60)
    assert done.returncode == 2
    assert done.stderr == (
        f"{path}:{line}: pad: unknown key (expected one of: name, description, settings, "
        "session, step, expect, properties)\n"
    )


# --- --baseline files --------------------------------------------------------------------


def _run_with_baseline(baseline: Path) -> subprocess.CompletedProcess[str]:
    return probe_process("run", "--baseline", str(baseline), "scenarios/issue-bump-hold.toml")


def test_a_fifo_baseline_is_refused_without_blocking(fifo: Path) -> None:
    done = _run_with_baseline(fifo)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"{fifo}: is a FIFO (named pipe), not a baseline report (only regular files are read)\n"
    )


def test_a_baseline_nested_too_deep_is_refused_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"scenarios":\n' + "[" * 5000 + "]" * 5000 + "}\n")
    code, out, err = invoke("run", "--baseline", str(path), "scenarios/issue-bump-hold.toml")
    assert (code, out) == (2, "")
    assert err == (
        f"{path}:2: column 32: arrays and objects nest deeper than 32 levels here, the limit "
        "of a baseline report\n"
    )


def test_a_huge_baseline_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as fh:
        fh.truncate(LIMITS.baseline_bytes + 1)
    code, _, err = invoke("run", "--baseline", str(path), "scenarios/issue-bump-hold.toml")
    assert code == 2
    assert err == (
        f"{path}: is {LIMITS.baseline_bytes + 1} bytes, over the limit of 67108864 bytes "
        "(64 MiB) for a baseline report\n"
    )


def test_a_baseline_link_loop_is_named(tmp_path: Path) -> None:
    loop = tmp_path / "loop.json"
    loop.symlink_to(loop)
    code, _, err = invoke("run", "--baseline", str(loop), "scenarios/issue-bump-hold.toml")
    assert (code, err) == (2, f"{loop}: a symbolic link loop (too many levels of symbolic links)\n")


def test_a_missing_baseline_with_a_newline_in_its_name_stays_on_one_line(tmp_path: Path) -> None:
    path = tmp_path / "b\nforged.json"
    code, _, err = invoke("run", "--baseline", str(path), "scenarios/issue-bump-hold.toml")
    assert (code, err) == (
        2,
        f"{tmp_path}/b\\nforged.json: no such file (write it with --update-baseline)\n",
    )


def test_baseline_changes_show_hostile_names_escaped(tmp_path: Path) -> None:
    baseline = tmp_path / "base.json"
    hostile = _rel(SHOWN / "ansi-and-newline.toml")
    update = ("--baseline", str(baseline), "--update-baseline")
    assert invoke("run", "-f", "json", hostile, *update)[0] == 1
    doc = json.loads(baseline.read_text())
    doc["scenarios"][0]["name"] = "old\n\x1b[32mname"
    baseline.write_text(json.dumps(doc))
    code, _, err = invoke("run", "-f", "json", hostile, "--baseline", str(baseline))
    assert code == 1
    assert ACTIVE.search(err.replace("\n", "")) is None
    assert f"  {hostile}: name: " in err
    assert '"old\\n\\u001b[32mname" -> "\\u001b[2Jname\\rforged: PASS"' in err


# --- strings from files, shown in every format -------------------------------------------


def hostile_ids(path: Path) -> str:
    return path.stem


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("path", HOSTILE, ids=hostile_ids)
def test_terminal_plain_layout_shows_strings_as_data(path: Path) -> None:
    name, ref = scenario_fields(path)
    for command in ("run", "compare"):
        code, out, _ = invoke(command, _rel(path))
        assert code == 1
        assert ACTIVE.search(out) is None
        assert not any(line.startswith("forged") for line in out.splitlines())
    code, out, _ = invoke("run", _rel(path))
    assert f"{terminal(name)}  [{_rel(path)}]\n" in out
    assert f"  message.queued              {terminal(ref)}  " in out


@pytest.mark.parametrize("path", HOSTILE, ids=hostile_ids)
def test_terminal_rich_layout_neither_obeys_controls_nor_markup(path: Path) -> None:
    name, ref = scenario_fields(path)
    code, out, _ = invoke("run", _rel(path), FORCE_COLOR="1", NO_COLOR=None, COLUMNS="400")
    assert code == 1
    assert "\x1b[" in out  # Rich's own colours are there...
    assert ACTIVE.search(SGR.sub("", out)) is None  # ...and nothing else acts on the terminal
    assert terminal(ref) in SGR.sub("", out)
    assert terminal(name) in SGR.sub("", out)


def test_rich_markup_in_a_ref_is_text() -> None:
    path = SHOWN / "rich-markup-and-table-syntax.toml"
    code, out, _ = invoke("run", _rel(path), FORCE_COLOR="1", NO_COLOR=None, COLUMNS="400")
    assert code == 1
    plain = SGR.sub("", out)
    assert "[red]x[/red] | `tick` _u_ <i>&" in plain
    assert "[bold]n[/bold] | `x` *e* <b>&" in plain


@pytest.mark.parametrize("path", HOSTILE, ids=hostile_ids)
def test_json_keeps_the_strings_exact(path: Path) -> None:
    name, ref = scenario_fields(path)
    code, out, _ = invoke("run", "-f", "json", _rel(path))
    assert code == 1
    doc = json.loads(out)["scenarios"][0]
    assert doc["name"] == name
    assert {e["ref"] for e in doc["strategies"]["buggy"]["events"]} == {ref}


@pytest.mark.parametrize("path", HOSTILE, ids=hostile_ids)
def test_github_annotations_cannot_be_forged(path: Path) -> None:
    name, ref = scenario_fields(path)
    code, out, _ = invoke("run", "-f", "github", _rel(path))
    assert code == 1
    lines = out.splitlines()
    assert out.count("\n") == len(lines) == 2
    assert lines[0].startswith(f"::error file={_rel(path)},line=20,title=probe%3A buggy violates")
    assert lines[1] == "probe: 1 scenario(s), 2 strategy run(s): FAIL (1 failed)"
    message = lines[0].split("::", 2)[2]
    assert message.startswith(f"{github_message(name)}: phantom-request at step 3: ")
    assert f": {github_message(ref)}: requested again" in message
    assert ACTIVE.search(out.replace("\n", "")) is None
    assert "\r" not in out


def test_github_escapes_per_the_workflow_command_rules() -> None:
    path = SHOWN / "workflow-commands.toml"
    code, out, _ = invoke("run", "-f", "github", _rel(path))
    assert code == 1
    assert out.splitlines()[0] == (
        f"::error file={_rel(path)},line=20,title=probe%3A buggy violates phantom-request::"
        "::stop-commands::t 100%2525: phantom-request at step 3: "
        "a::error::x %250A,b:c%0D%0A::warning file=x::forged: requested again at 60000 ms "
        "for generation 1 while the recovery requested at 30000 ms for generation 0 is in flight"
    )


def test_github_properties_escape_colons_and_commas(tmp_path: Path) -> None:
    path = tmp_path / "a,b::error c%\n.toml"
    path.write_text((SHOWN / "ansi-and-newline.toml").read_text())
    code, out, _ = invoke("run", "-f", "github", str(path))
    assert code == 1
    assert out.startswith(
        f"::error file={str(tmp_path).replace(':', '%3A')}/a%2Cb%3A%3Aerror c%25%0A.toml,"
        "line=20,title=probe%3A buggy violates phantom-request::\\x1b[2Jname%0Dforged: PASS: "
        "phantom-request at step 3: \\x1b[31mred%0Aforged: PASS: requested again"
    )


@pytest.mark.parametrize("path", HOSTILE, ids=hostile_ids)
def test_junit_holds_only_what_xml_can(path: Path) -> None:
    name, ref = scenario_fields(path)
    code, out, _ = invoke("run", "-f", "junit", _rel(path))
    assert code == 1
    SCHEMA.validate(out)
    root = ET.fromstring(out)
    value = next(p.get("value") for p in root.iter("property") if p.get("name") == "scenario")
    assert value == _xml_visible(name)
    failure = next(root.iter("failure")).text or ""
    assert _xml_visible(ref) in failure


def _xml_visible(text: str) -> str:
    """What XML 1.0 cannot hold, as probe writes it: a visible \\uXXXX."""
    bad = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
    return bad.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def test_junit_exact_for_xml_syntax_in_strings() -> None:
    code, out, _ = invoke("run", "-f", "junit", _rel(SHOWN / "xml-unsafe.toml"))
    assert code == 1
    assert '<property name="scenario" value="n \\u0000 ]]&gt; &lt;/name&gt; \\uffff"/>' in out
    assert "r\\u0001 ]]&gt; &lt;/system-out&gt; \\ufffe &amp;amp;: requested again" in out


@pytest.mark.parametrize("path", HOSTILE, ids=hostile_ids)
def test_svg_text_is_xml(path: Path, tmp_path: Path) -> None:
    name, ref = scenario_fields(path)
    svg = tmp_path / "t.svg"
    code, _, _ = invoke("run", "--svg", str(svg), _rel(path))
    assert code == 1
    root = ET.fromstring(svg.read_text())
    texts = [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]
    titles = [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert any(_xml_visible(name) in t for t in texts)
    assert any(_xml_visible(ref) in t for t in titles)


def _cells(row: str) -> int:
    """Cells of a GitHub table row: `|` ends a cell unless escaped."""
    return len(re.findall(r"(?<!\\)\|", row)) - 1


@pytest.mark.parametrize("path", HOSTILE, ids=hostile_ids)
def test_markdown_tables_keep_their_columns(path: Path, tmp_path: Path) -> None:
    named = tmp_path / f"{path.stem} |`x`| <b>.toml"
    named.write_text(path.read_text())
    code, out, _ = invoke("run", "-f", "markdown", str(named))
    assert code == 1
    rows = [line for line in out.splitlines() if line.startswith("|")]
    assert len(rows) == 4 and {_cells(r) for r in rows} == {9}
    assert rows[2].startswith(f"| **{path.stem} \\|\\`x\\`\\| &lt;b&gt;**<br>")
    assert ACTIVE.search(out.replace("\n", "")) is None


def test_markdown_escapes_pipes_and_backticks_in_failures() -> None:
    path = SHOWN / "backticks-and-pipes.toml"
    code, out, _ = invoke("run", "-f", "markdown", _rel(path))
    assert code == 1
    assert (
        "  - phantom-request at step 3: \\`a\\`b\\`\\`c\\`\\|d\\\\: requested again at 60000 ms"
    ) in out


def test_markdown_shows_a_newline_as_an_escape() -> None:
    code, out, _ = invoke("run", "-f", "markdown", _rel(SHOWN / "ansi-and-newline.toml"))
    assert code == 1
    assert "phantom-request at step 3: \\\\x1b\\[31mred\\\\nforged: PASS: requested" in out


# --- explore: the seed's refs in every format --------------------------------------------


@pytest.fixture
def explored() -> Iterator[dict[str, str]]:
    path = _rel(SHOWN / "ansi-and-newline.toml")
    outputs = {}
    for fmt in ("table", "markdown", "junit", "github", "json"):
        code, out, _ = invoke(
            "explore", path, "--no-write", "--depth", "3", "--actions", "tick,bump", "-f", fmt
        )
        assert code in (0, 1)
        outputs[fmt] = out
    yield outputs


def test_explore_shows_the_seed_escaped_in_every_format(explored: dict[str, str]) -> None:
    for fmt, out in explored.items():
        assert ACTIVE.search(out.replace("\n", "")) is None, fmt
    assert "2. `bump session=\\x1b[31mred\\nforged: PASS`" in explored["markdown"]
    assert "## probe explore: \\\\x1b\\[2Jname\\\\rforged: PASS" in explored["markdown"]
    ET.fromstring(explored["junit"])
    trace = json.loads(explored["json"])["strategies"]["buggy"]["violations"][0]["trace"]
    assert trace[1] == {"do": "bump", "session": "\x1b[31mred\nforged: PASS"}


# --- conform and bisect: the scenario's path and the diff lines --------------------------


def test_conform_table_shows_a_hostile_path_and_detail_escaped() -> None:
    from probe.conform import PairResult
    from probe.report.conform_report import render_conform_table

    results = [
        (
            "x\n\x1b[31mforged.toml",
            [PairResult("model:buggy", "openclaw@1", "differ", ("- a\x1b[2J", "+ b\rc"), 0.5)],
        ),
    ]
    out = render_conform_table(results)
    assert ACTIVE.search(out.replace("\n", "")) is None
    assert "x\\n\\x1b[31mforged.toml: model:buggy and openclaw@1 differ (- model, + real):" in out
    assert "  - a\\x1b[2J\n  + b\\rc\n" in out


def test_bisect_table_shows_a_hostile_path_escaped() -> None:
    from probe.bisect import BisectResult
    from probe.report.bisect_report import render_bisect

    result = BisectResult((), (), None, None, None, (), note="no version")
    out = render_bisect(result, "s\n\x1b]0;t\x07.toml", "requested", 0.0)
    assert out.startswith("bisect s\\n\\x1b]0;t\\x07.toml on requested: 0 version(s), none")
    assert ACTIVE.search(out.replace("\n", "")) is None


# --- the nesting scanner agrees with the TOML writer -------------------------------------

TRICKY_TEXT = st.text(alphabet="ab[]{}.,=#\"'\\\n\t \x1b\u2028", max_size=12)


def _nested(depth: int) -> st.SearchStrategy[object]:
    leaf = st.one_of(TRICKY_TEXT, st.integers(), st.floats(allow_nan=False), st.booleans())
    if depth == 0:
        return leaf
    inner = _nested(depth - 1)
    return st.one_of(
        leaf,
        st.lists(inner, min_size=1, max_size=2),
        st.dictionaries(TRICKY_TEXT, inner, min_size=1, max_size=2),
    )


def _depth(value: object) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(TRICKY_TEXT, _nested(6), min_size=1, max_size=3))
def test_strings_full_of_brackets_and_quotes_never_count(doc: dict[str, object]) -> None:
    """What tomli-w writes (multi-line strings, quoted keys, headers) nests at most as deep
    as the data, so the scanner never refuses it at a limit above that."""
    wrapped = {"t": {"v": [doc]}}
    text = tomli_w.dumps(wrapped, multiline_strings=True)
    assert tomllib.loads(text) == wrapped
    assert nesting_past(text, _depth(wrapped) + 2) is None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(TRICKY_TEXT, _nested(6), min_size=1, max_size=3), st.integers(1, 7))
def test_inline_nesting_is_refused_exactly_past_the_limit(
    doc: dict[str, object], limit: int
) -> None:
    value = _as_inline(doc)
    text = "x = " + json.dumps(value, ensure_ascii=False)
    assert tomllib.loads(text) == {"x": value}
    assert (nesting_past(text, limit) is not None) == (_depth(value) > limit)


def _as_inline(value: object) -> object:
    """As a JSON value, which is also a TOML inline value when its keys are plain strings."""
    if isinstance(value, dict):
        return [_as_inline(v) for v in value.values()]
    if isinstance(value, list):
        return [_as_inline(v) for v in value]
    return value if isinstance(value, str) else 0


def test_conform_junit_and_github_hold_a_hostile_path() -> None:
    from datetime import UTC, datetime

    from probe.conform import PairResult
    from probe.report.conform_report import render_conform_github, render_conform_junit

    pair = PairResult("model:buggy", "openclaw@1", "differ", ("- a\x02", "+ b\rc"), 0.5)
    results = [("x\x01\n\x1b[31m.toml", [pair])]
    root = ET.fromstring(render_conform_junit(results, datetime(2026, 1, 1, tzinfo=UTC)))
    suite = next(root.iter("testsuite"))
    assert suite.get("name") == "x\\u0001\n\\u001b[31m.toml"
    assert (next(root.iter("failure")).text or "").startswith("- a\\u0002\n+ b")
    assert render_conform_github(results).splitlines()[0] == (
        "::error file=x\\x01%0A\\x1b[31m.toml,title=probe conform%3A model%3Abuggy and "
        "openclaw@1 differ::2 line(s) of the event streams differ (- model, + real)"
    )


# --- destinations that are not files -----------------------------------------------------


@pytest.mark.parametrize("option", ["--output", "--svg"])
def test_a_fifo_as_destination_is_refused_not_replaced(
    option: str, fifo: Path, tmp_path: Path
) -> None:
    done = probe_process("run", option, str(fifo), "--force", "scenarios/issue-bump-hold.toml")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"{fifo}: is a FIFO (named pipe), not a file; {option} writes a file in its place "
        "(leave it out to write to stdout)\n"
    )
    assert fifo.is_fifo()


def test_a_socket_as_destination_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))
        code, _, err = invoke("compare", "-f", "json", "-o", str(path), "--force")
        assert (code, err) == (
            2,
            f"{path}: is a socket, not a file; --output writes a file in its place "
            "(leave it out to write to stdout)\n",
        )
        assert path.is_socket()
    finally:
        server.close()
