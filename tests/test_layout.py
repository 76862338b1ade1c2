"""The report description's two layouts: plain lines off a terminal, Rich's on one."""

from __future__ import annotations

import re

from probe.report.layout import Column, Grid, render_plain
from probe.report.styled import render_styled

GRID = Grid(
    "title",
    (Column("name", min_width=6), Column("outcomes"), Column("verdict")),
    (
        ("a", "aborted\nskipped", (("PASS", "bold green"), (" 2/2", ""))),
        ("longer-name", "-", (("FAIL", "bold red"),)),
        None,
        ("b", "", "x"),
        None,
    ),
)


def test_plain_grid_aligns_columns_and_spreads_multiline_cells() -> None:
    assert render_plain([GRID]).splitlines() == [
        "title",
        "name         outcomes  verdict",
        "───────────  ────────  ────────",
        "a            aborted   PASS 2/2",
        "             skipped",
        "longer-name  -         FAIL",
        "",
        "b                      x",
        "",
    ]


def test_plain_text_has_no_trailing_blanks_and_sets_tables_apart() -> None:
    text = render_plain([(("head  ", "bold"), ("tail", "dim")), GRID, (("end", ""),)])
    lines = text.splitlines()
    assert lines[:3] == ["head  tail", "", "title"]
    assert lines[-1] == "end"
    assert all(line == line.rstrip() for line in lines)


def test_min_width_pads_a_narrow_column() -> None:
    grid = Grid("t", (Column("n", min_width=5), Column("v")), (("a", "b"),))
    assert render_plain([grid]).splitlines()[3] == "a      b"


def test_styled_layout_shows_the_same_cells_with_colour() -> None:
    out = render_styled([GRID], width=80, color=True)
    assert "\x1b[1;32mPASS\x1b[0m" in out and "\x1b[1;31mFAIL\x1b[0m" in out
    bare = re.sub(r"\x1b\[[0-9;]*m", "", out)
    for cell in ("title", "name", "aborted", "skipped", "longer-name", "PASS 2/2", "FAIL"):
        assert cell in bare


def test_styled_layout_wraps_to_the_width_and_plain_never_does() -> None:
    wide = Grid("t", (Column("detail"),), (("word " * 30,),))
    assert max(map(len, render_styled([wide], width=40, color=False).splitlines())) <= 40
    assert len(render_plain([wide]).splitlines()[3]) == len(("word " * 30).rstrip())
