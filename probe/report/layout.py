"""What a terminal report shows, as plain data, and its plain-text layout.

The renderers in probe.report.table describe a report once, as paragraphs and grids of styled
text. Off a terminal it is laid out here: one row per line, never wrapped, no trailing blanks,
which is what logs and grep read best, and without importing Rich, whose console and table are
most of a short run's start-up. On a terminal probe.report.styled hands the same description to
Rich, which wraps to the terminal's width and colours.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from probe.report.escape import terminal_lines

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


# ---------------------------------------------------------------------------------------------
# Wrapping for the terminal layout: at word or field boundaries, never inside a token.
# ---------------------------------------------------------------------------------------------

# A line may break after whitespace or a separator (`,` `-` `|` `/`): soft breaks, all a
# table cell uses. A long field may also break after `:` or a dot that starts a name part
# (`session.` / `stalled`, never `2026.` / `5.30`): hard breaks, for a record or a paragraph
# line that cannot fit otherwise. Nothing ever breaks inside a token (`session.sta` / `lled`).
_SOFT = re.compile(r"(?<=[\s,/|-])(?=\S)")
_HARD = re.compile(r"(?<=[\s,/:|-])(?=\S)|(?<=[A-Za-z]\.)(?=[A-Za-z])")


def segments(text: str, *, hard: bool = True) -> list[str]:
    """The pieces of one line that a wrap may put on separate lines, in order."""
    return [part for part in (_HARD if hard else _SOFT).split(text) if part]


def longest_segment(text: str, *, hard: bool = True) -> int:
    pieces = (s.strip() for line in text.split("\n") for s in segments(line, hard=hard))
    return max(map(len, pieces), default=0)


def _hang(line: str, width: int) -> int:
    """Where a `label  value` line's value starts (continuation lines align there), else the
    line's own indent; never more than half the width."""
    found = re.match(r"^(\s*\S.*?\s{2,})\S", line)
    indent = len(found.group(1)) if found else len(line) - len(line.lstrip(" "))
    return indent if indent <= width // 2 else 0


def _wrap_parts(
    text: str, width: int, hanging: bool, hard: bool, indent: int | None = None
) -> list[tuple[int, str]]:
    """(indent, content) lines: content is a slice of `text` without the blanks a break ate."""
    out: list[tuple[int, str]] = []
    width = max(width, 1)  # a room of 0 would cut empty pieces forever
    fixed = indent
    for part in text.split("\n"):
        indent = fixed if fixed is not None else _hang(part, width) if hanging else 0
        indent = indent if indent < width else 0
        room, lead = width, 0
        line = ""
        for seg in segments(part, hard=hard):
            if len((line + seg).rstrip()) <= room:
                line += seg
                continue
            if line.strip():
                out.append((lead, line.rstrip()))
                room, lead = max(width - indent, 1), indent
            line = seg.lstrip()
            while len(line.rstrip()) > room:  # one token wider than the room: cut it
                out.append((lead, line[:room]))
                line = line[room:]
                room, lead = max(width - indent, 1), indent
        out.append((lead, line.rstrip()))
    return out


def wrap(text: str, width: int, *, hanging: bool = False, hard: bool = True) -> list[str]:
    """`text` in lines of at most `width`, broken at segment ends; a segment wider than the
    width (only when nothing narrower is possible) is cut, so the width always holds. With
    `hanging`, continuation lines align with the value of a `label  value` line."""
    return [" " * lead + line for lead, line in _wrap_parts(text, width, hanging, hard)]


def _last_column(line: str, width: int) -> int:
    """Where the last column of a table line starts (after its last run of two blanks), if
    that leaves room for its value; else the line's own indent."""
    starts = [m.end() for m in re.finditer(r"\S\s{2,}(?=\S)", line)]
    fitting = [s for s in starts if s <= width // 2]
    return fitting[-1] if fitting else len(line) - len(line.lstrip(" "))


def fit_lines(text: str, width: int) -> str:
    """A report laid out in lines, each longer than `width` wrapped at token boundaries, its
    continuations aligned with its last column (or indent): the one wrapper of every
    line-oriented report on a terminal, as run's and compare's tables are wrapped."""
    out: list[str] = []
    for line in text.split("\n"):
        line = line.rstrip()
        if len(line) <= width:
            out.append(line)
            continue
        indent = _last_column(line, width)
        # Break at a name's dot or a colon only when a token between blanks cannot fit.
        hard = longest_segment(line, hard=False) > width - indent
        pieces = _wrap_parts(line, width, hanging=False, hard=hard, indent=indent)
        out += [(" " * lead + piece).rstrip() for lead, piece in pieces]
    return "\n".join(out)


def wrap_spans(
    cell: Cell, width: int, *, hanging: bool = False, hard: bool = True
) -> list[Spans]:
    """As wrap(), keeping each run's style: the lines of a styled cell."""
    spans: Spans = ((cell, ""),) if isinstance(cell, str) else cell
    text = plain(spans)
    styles = [style for part, style in spans for _ in part]
    lines: list[Spans] = []
    pos = 0
    for lead, line in _wrap_parts(text, width, hanging, hard):
        while pos < len(text) and text[pos] in " \n" and not text.startswith(line, pos):
            pos += 1  # the blanks a break swallowed
        runs: list[Span] = [(" " * lead, "")] if lead else []
        for k, ch in enumerate(line):
            style = styles[pos + k] if pos + k < len(styles) else ""
            if runs and runs[-1][1] == style:
                runs[-1] = (runs[-1][0] + ch, style)
            else:
                runs.append((ch, style))
        pos += len(line)
        lines.append(tuple(runs))
    return lines


def fit_widths(grid: Grid, width: int, overhead: int) -> list[int] | None:
    """Column widths that keep every cell breakable at soft breaks only within `width` (the
    table's borders and padding take `overhead`), or None when even the narrowest such
    layout is too wide (the caller then lays the rows out as records).

    Each column gets its longest token (its whole text if no_wrap), then the spare width goes
    to the columns closest to fitting on one line, so that as few cells as possible wrap."""
    rows = [row for row in grid.rows if row is not None]
    natural, words, minimum = [], [], []
    for i, c in enumerate(grid.columns):
        texts = [plain(row[i]) for row in rows]
        full = max([len(c.header), c.min_width, *(len(p) for t in texts for p in t.split("\n"))])
        natural.append(full)
        word = max([c.min_width, *(len(w) for t in [c.header, *texts] for w in t.split())])
        words.append(full if c.no_wrap else word)
        tokens = max(
            [longest_segment(c.header, hard=False), c.min_width]
            + [longest_segment(t, hard=False) for t in texts]
        )
        minimum.append(full if c.no_wrap else tokens)
    if sum(minimum) + overhead > width:
        return None
    widths = list(minimum)
    spare = width - overhead - sum(widths)
    # Whole words (no break at a separator), then whole lines, cheapest first: the most
    # cells on one line for the width there is.
    while spare > 0:
        wanted = [
            (target[i] - widths[i], i, target[i])
            for target in (words, natural)
            for i in range(len(widths))
            if target[i] > widths[i]
        ]
        if not wanted:
            break
        cost, i, _ = min(wanted)
        give = min(cost, spare)
        widths[i] += give
        spare -= give
    return widths


def stacked(grid: Grid, width: int) -> list[Spans]:
    """A grid too wide for the terminal as records: per row, `header value` fields packed
    into lines of the width (a field is never split unless it alone is wider)."""
    out: list[Spans] = [((grid.title, "bold"),)]
    for row in grid.rows:
        if row is None:
            continue
        fields: list[Spans] = []
        for c, cell in zip(grid.columns, row, strict=True):
            text = plain(cell).replace("\n", ", ")
            if not text:
                continue
            value: Spans = ((text, ""),) if isinstance(cell, str) or "\n" in plain(cell) else cell
            # A flag column's value is its name ("stale"): say it once.
            fields.append(((c.header + " ", "dim"), *value) if text != c.header else value)
        line: list[Span] = []
        used = 0
        indent = 0
        for field in fields:
            size = len(plain(field))
            if line and used + 2 + size > width:
                out.append(tuple(line))
                line, used, indent = [("  ", "")], 2, 2
            if indent + size > width:  # alone wider than a line: wrap it at its boundaries
                for k, piece in enumerate(wrap_spans(field, max(width - indent, 1))):
                    if k:
                        out.append(tuple(line))
                        line, used = [("  ", "")], 2
                    line += piece
                    used += len(plain(piece))
                continue
            if used > indent:
                line.append(("  ", ""))
                used += 2
            line += field
            used += size
        if line:
            out.append(tuple(line))
    out.append(())
    return out
