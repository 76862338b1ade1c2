"""What a terminal report shows, as plain data, and its plain-text layout.

The renderers in probe.report.table describe a report once, as paragraphs and grids of styled
text. Off a terminal it is laid out here: one row per line, never wrapped, no trailing blanks,
which is what logs and grep read best, and without importing Rich, whose console and table are
most of a short run's start-up. On a terminal probe.report.styled hands the same description to
Rich, which wraps to the terminal's width and colours.
"""

from __future__ import annotations

from typing import NamedTuple

from probe.escape import terminal_lines

# A run of text and its Rich style ("" for none); a styled line is a tuple of them.
Span = tuple[str, str]
Spans = tuple[Span, ...]
Cell = str | Spans


class Column(NamedTuple):
    header: str
    min_width: int = 0
    no_wrap: bool = False


class Grid(NamedTuple):
    """A table: a title, columns, and rows; a None row ends a section."""

    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...] | None, ...]


# A paragraph is a styled line (it may hold newlines); a document is paragraphs and grids.
Block = Grid | Spans


def plain(cell: Cell) -> str:
    return cell if isinstance(cell, str) else "".join(text for text, _ in cell)


def _inert_cell(cell: Cell) -> Cell:
    if isinstance(cell, str):
        return terminal_lines(cell)
    return tuple((terminal_lines(text), style) for text, style in cell)


def inert(blocks: list[Block]) -> list[Block]:
    """The blocks with every control character escaped, the newlines that lay them out kept.

    Both layouts start here, so no string (from a file, a build) acts on the terminal, and
    widths are measured on the text that is shown.
    """
    out: list[Block] = []
    for block in blocks:
        if isinstance(block, Grid):
            columns = tuple(c._replace(header=terminal_lines(c.header)) for c in block.columns)
            rows = tuple(
                None if row is None else tuple(_inert_cell(c) for c in row) for row in block.rows
            )
            out.append(Grid(terminal_lines(block.title), columns, rows))
        else:
            out.append(tuple((terminal_lines(text), style) for text, style in block))
    return out


def _grid_lines(grid: Grid) -> list[str]:
    widths = [max(c.min_width, len(c.header)) for c in grid.columns]
    cells = [None if row is None else [plain(c).split("\n") for c in row] for row in grid.rows]
    for row in cells:
        for i, parts in enumerate(row or ()):
            widths[i] = max(widths[i], *(len(p) for p in parts))

    def line(texts: list[str]) -> str:
        return "  ".join(t.ljust(w) for t, w in zip(texts, widths, strict=True)).rstrip()

    out = [grid.title, line([c.header for c in grid.columns]), "  ".join("─" * w for w in widths)]
    for row in cells:
        if row is None:
            out.append("")
            continue
        for k in range(max(len(parts) for parts in row)):
            out.append(line([parts[k] if k < len(parts) else "" for parts in row]))
    if out[-1] != "":
        out.append("")
    return out


def render_plain(blocks: list[Block]) -> str:
    lines: list[str] = []
    for block in inert(blocks):
        if isinstance(block, Grid):
            if lines and lines[-1]:
                lines.append("")  # a table stands apart from the text above it
            lines += _grid_lines(block)
        else:
            lines += [text.rstrip() for text in plain(block).split("\n")]
    return "\n".join(lines) + "\n"
