"""The terminal layout of a report description: Rich tables and text, wrapped to the width."""

from __future__ import annotations

from io import StringIO

from rich import box
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from probe.report.layout import Block, Cell, Grid


def _text(cell: Cell) -> Text:
    if isinstance(cell, str):
        return Text(cell)
    text = Text()
    for part, style in cell:
        text.append(part, style=style or None)
    return text


def _table(grid: Grid) -> Table:
    table = Table(title=grid.title, box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
    for c in grid.columns:
        table.add_column(
            c.header,
            overflow="ellipsis" if c.no_wrap else "fold",
            no_wrap=c.no_wrap,
            min_width=c.min_width or None,
        )
    for row in grid.rows:
        if row is None:
            table.add_section()
        else:
            table.add_row(*(_text(c) for c in row))
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
    items: list[RenderableType] = [_table(b) if isinstance(b, Grid) else _text(b) for b in blocks]
    for item in items:
        console.print(item)
    out = console.file
    assert isinstance(out, StringIO)
    return out.getvalue()
