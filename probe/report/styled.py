"""The terminal layout of a report description: Rich tables and text, wrapped to the width.

probe.report.layout decides the wrapping (column widths that keep every token whole, lines
broken at word or field boundaries, records when a table cannot fit); Rich only draws it.
"""

from __future__ import annotations

from io import StringIO

from rich import box
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from probe.report.layout import (
    Block,
    Cell,
    Grid,
    Spans,
    fit_widths,
    inert,
    stacked,
    wrap,
    wrap_spans,
)


def _text(cell: Cell) -> Text:
    """Rich Text, never markup: `[red]` in a ref stays text."""
    if isinstance(cell, str):
        return Text(cell)
    text = Text()
    for part, style in cell:
        text.append(part, style=style or None)
    return text


def _lines(lines: list[Spans]) -> Text:
    text = Text()
    for k, line in enumerate(lines):
        if k:
            text.append("\n")
        text.append_text(_text(line))
    return text


def _overhead(columns: int) -> int:
    """What the table adds to its columns: without edges and with collapsed padding, two
    blanks between two columns (as the plain layout has)."""
    return 2 * (columns - 1)


def _table(grid: Grid, width: int) -> RenderableType:
    widths = fit_widths(grid, width, _overhead(len(grid.columns)))
    if widths is None:
        return _lines(stacked(grid, width))
    table = Table(
        title=_text(grid.title),
        box=box.SIMPLE_HEAD,
        title_justify="left",
        pad_edge=False,
        show_edge=False,
        collapse_padding=True,
    )
    for c, w in zip(grid.columns, widths, strict=True):
        header = "\n".join(wrap(c.header, w, hard=False))
        table.add_column(_text(header), width=w, no_wrap=True, overflow="crop")
    for row in grid.rows:
        if row is None:
            table.add_section()
        else:
            cells = (_lines(wrap_spans(c, w, hard=False)) for c, w in zip(row, widths, strict=True))
            table.add_row(*cells)
    return table


def render_styled(blocks: list[Block], *, width: int, color: bool) -> str:
    console = Console(
        file=StringIO(),
        width=width,
        color_system="standard" if color else None,
        force_terminal=color,
        no_color=not color,
        highlight=False,
        emoji=False,
        legacy_windows=False,
        _environ={},
    )
    items: list[RenderableType] = [
        _table(b, width) if isinstance(b, Grid) else _lines(wrap_spans(b, width, hanging=True))
        for b in inert(blocks)
    ]
    for item in items:
        console.print(item)
    out = console.file
    assert isinstance(out, StringIO)
    return out.getvalue()
