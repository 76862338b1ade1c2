"""Tables on a terminal wrap at word or field boundaries, never inside a token.

The end-to-end tests run probe on a pseudo-terminal of a pinned width (80, 120, 200 columns),
as a user's shell does, and hold each word it prints against the same report off a terminal
(one row per line, never wrapped): a word on the terminal is a whole word of that report, or a
piece of one cut only after a separator.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from probe.report.layout import (
    Column,
    Grid,
    fit_widths,
    plain,
    segments,
    stacked,
    wrap,
    wrap_spans,
)
from tests.conftest import ROOT

WIDTHS = (80, 120, 200)
CUT_AFTER = ",/|-:."


def on_terminal(args: list[str], columns: int, *, limit: int = 1 << 24) -> str:
    """probe's stdout when it is a terminal `columns` wide; a probe that prints more than
    `limit` bytes or runs over a minute is killed and fails the test (a wrapper that loops)."""
    import fcntl
    import pty
    import select
    import struct
    import termios
    import time

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 60, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "FORCE_COLOR")}
    env.update(NO_COLOR="1", TERM="dumb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "probe", *args],
        stdout=slave,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
        env=env,
    )
    os.close(slave)
    chunks = []
    size = 0
    deadline = time.monotonic() + 60
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or size > limit:
            proc.kill()
            proc.wait()
            os.close(master)
            pytest.fail(f"probe {args} at {columns} columns: {size} bytes, still printing")
        if not select.select([master], [], [], left)[0]:
            continue
        try:
            data = os.read(master, 1 << 16)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
        size += len(data)
    os.close(master)
    proc.wait(timeout=60)
    return b"".join(chunks).decode().replace("\r\n", "\n")


def off_terminal(args: list[str]) -> str:
    env = {k: v for k, v in os.environ.items() if k != "FORCE_COLOR"}
    proc = subprocess.run(
        [sys.executable, "-m", "probe", *args], capture_output=True, text=True, cwd=ROOT, env=env
    )
    return proc.stdout


def _fragment_of(word: str, whole: set[str]) -> bool:
    if word in whole:
        return True
    for w in whole:
        start = w.find(word)
        while start >= 0:
            end = start + len(word)
            if (start == 0 or w[start - 1] in CUT_AFTER) and (
                end == len(w) or word[-1] in CUT_AFTER
            ):
                return True
            start = w.find(word, start + 1)
    return False


def _words(text: str) -> list[str]:
    # Numbers and sizes' units are masked: explore's timings and memory differ between runs.
    masked = re.sub(r"\b[KMGT]?iB\b|\bB\b", "iB", re.sub(r"\d+", "0", text))
    return [w for w in masked.split() if set(w) != {"─"}]


CASES = {
    "compare": ["compare"],
    "run": ["run", "scenarios/issue-bump-hold.toml", "scenarios/two-sessions-one-bumped.toml"],
    # The line-oriented reports share one wrapper (probe.report.layout.fit_lines).
    "explore": ["explore", "--no-write", "--depth", "5"],
    "explore-vary": ["explore", "--no-write", "--depth", "4", "--vary", "settle_ms=5..7:1"],
    "versions": ["versions"],
    "invariants": ["invariants"],
    "strategies": ["strategies"],
    "diff": ["diff", "model:buggy", "model:fixed", "--no-write", "scenarios/issue-bump-hold.toml"],
}


@pytest.fixture(scope="module")
def unwrapped() -> dict[str, str]:
    return {name: off_terminal(args) for name, args in CASES.items()}


@pytest.mark.parametrize("columns", WIDTHS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_no_token_is_cut_and_nothing_is_wider_than_the_terminal(
    case: str, columns: int, unwrapped: dict[str, str]
) -> None:
    out = on_terminal(CASES[case], columns)
    assert max(len(line.rstrip()) for line in out.splitlines()) <= columns
    whole = set(_words(unwrapped[case]))
    # A record (a table too wide for the terminal) joins a cell's lines with ", ".
    cut = [
        w
        for w in _words(out)
        if not _fragment_of(w, whole) and not (w.endswith(",") and _fragment_of(w[:-1], whole))
    ]
    assert cut == [], f"tokens cut mid-way at {columns} columns: {cut[:10]}"
    assert "session.sta\n" not in out and "session.sta " not in out


@pytest.mark.parametrize("columns", (0, 1, 2, 3, 19))
@pytest.mark.parametrize("case", ["compare", "run", "explore", "versions"])
def test_a_terminal_too_narrow_gets_whole_lines_and_probe_ends(
    case: str, columns: int, unwrapped: dict[str, str]
) -> None:
    # 0 to 2 columns once looped in the wrapper, growing ~260 MB/s until the kernel killed it.
    out = on_terminal(CASES[case], columns, limit=len(unwrapped[case]) * 2)
    if columns == 0:  # a size nobody set: as off a terminal, wrapped at the usual 120
        assert max(len(line) for line in out.splitlines()) <= 120
        assert all(_fragment_of(w, set(_words(unwrapped[case]))) for w in _words(out))
    else:
        assert _words(out) == _words(unwrapped[case])


@pytest.mark.parametrize("columns", WIDTHS)
def test_every_verdict_is_whole_at_every_width(columns: int, unwrapped: dict[str, str]) -> None:
    out = on_terminal(CASES["compare"], columns)
    expected = unwrapped["compare"].count("PASS 5/5")
    # 8 scenarios and the 20 of scenarios/failures, x 2 strategies, each with 5 expectations
    assert expected == 56
    assert out.count("PASS 5/5") == expected


@pytest.mark.parametrize("columns", WIDTHS)
def test_the_phantom_request_is_marked_in_the_text_timeline(columns: int) -> None:
    out = on_terminal(["run", "scenarios/issue-bump-hold.toml"], columns)
    buggy, fixed = out.split("fixed (model:fixed")
    # One phantom (the generation-1 request at step 3) and the legend, on buggy's side only.
    assert buggy.count("PHANTOM gen 1") == 1 and "PHANTOM: requested while" in buggy
    assert "PHANTOM" not in fixed


def test_the_phantom_is_marked_off_a_terminal_too(unwrapped: dict[str, str]) -> None:
    marked = [line for line in unwrapped["run"].splitlines() if "PHANTOM gen" in line]
    # issue-bump-hold: one; two-sessions-one-bumped: one (the bumped session's second ask).
    assert len(marked) == 2
    assert all("session.recovery.requested" in line for line in marked)


# --- the pieces --------------------------------------------------------------------------


def test_segments_break_after_separators_and_name_dots_only() -> None:
    assert segments("session.recovery.requested") == ["session.", "recovery.", "requested"]
    assert segments("openclaw@2026.5.30-beta.1") == ["openclaw@2026.5.30-", "beta.1"]
    assert segments("gen 0, idle") == ["gen ", "0, ", "idle"]
    assert segments("a/b", hard=False) == ["a/", "b"]
    assert segments("agent:main", hard=False) == ["agent:main"]


def test_wrap_keeps_tokens_whole_and_hangs_continuations() -> None:
    assert wrap("aborted/abort_embedded_run skipped", 20) == [
        "aborted/",
        "abort_embedded_run",
        "skipped",
    ]
    assert wrap("  label  one two three four", 19, hanging=True) == [
        "  label  one two",
        "         three four",
    ]
    assert wrap("x" * 12, 5) == ["xxxxx", "xxxxx", "xx"]  # only a token wider than the line


def test_wrap_spans_keeps_the_styles() -> None:
    lines = wrap_spans((("PHANTOM ", "red"), ("gen 1, idle", "")), 14)
    assert lines == [(("PHANTOM ", "red"), ("gen 1,", "")), (("idle", ""),)]


GRID = Grid(
    "t",
    (Column("name"), Column("outcomes"), Column("verdict", no_wrap=True)),
    (("issue-bump-hold", "aborted/abort_embedded_run", "PASS 5/5"),),
)


def test_fit_widths_gives_each_column_its_longest_token_or_refuses() -> None:
    widths = fit_widths(GRID, 40, 4)
    assert widths is not None and sum(widths) + 4 <= 40
    assert widths[1] >= len("abort_embedded_run") and widths[2] == len("PASS 5/5")
    assert fit_widths(GRID, 30, 4) is None


def test_a_grid_too_wide_becomes_records_that_keep_the_verdict_whole() -> None:
    lines = ["".join(t for t, _ in line) for line in stacked(GRID, 30)]
    assert lines[0] == "t"
    assert any("verdict PASS 5/5" in line for line in lines)
    assert max(map(len, lines)) <= 30


@pytest.mark.parametrize("width", (-1, 0, 1, 2))
def test_the_wrappers_end_at_widths_of_two_columns_or_less(width: int) -> None:
    import signal

    from probe.report.layout import fit_lines
    from probe.report.styled import render_styled

    def looped(signum: int, frame: object) -> None:
        raise AssertionError(f"a wrapper did not end at width {width}")

    old = signal.signal(signal.SIGALRM, looped)
    signal.alarm(10)
    try:
        lines = wrap("aborted/abort_embedded_run skipped", width)
        assert "".join(lines) == "aborted/abort_embedded_runskipped"
        assert all(len(plain(line)) <= max(width, 1) + 2 for line in stacked(GRID, width)[1:-1])
        fitted = fit_lines("  label  aborted/abort_embedded_run skipped", width)
        assert "".join(fitted.split()) == "labelaborted/abort_embedded_runskipped"
        assert max(map(len, fitted.split("\n"))) <= max(width, 1)
        render_styled([GRID, (("x  y z", ""),)], width=width, color=False)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


REAL_CASES = {
    "inspect": ["engines", "inspect", "openclaw@2026.9.6"],
    "conform": ["conform", "-e", "openclaw@2026.5.30-beta.1", "scenarios/issue-bump-hold.toml"],
}


@pytest.mark.real_build
@pytest.mark.parametrize("case", sorted(REAL_CASES))
def test_reports_on_real_builds_fit_the_terminal(case: str) -> None:
    whole = set(_words(off_terminal(REAL_CASES[case])))
    for columns in WIDTHS:
        out = on_terminal(REAL_CASES[case], columns)
        assert max(len(line.rstrip()) for line in out.splitlines()) <= columns
        cut = [w for w in _words(out) if not _fragment_of(w, whole)]
        assert cut == [], f"tokens cut mid-way at {columns} columns: {cut[:10]}"
