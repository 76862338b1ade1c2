"""Find the line of a key path in TOML text (tomllib reports values, not where they stood)."""

from __future__ import annotations

import re
import tomllib
from typing import Literal, NamedTuple

# Each part can match in one way only, so that no line (a hostile one is megabytes of blanks)
# makes these backtrack.
_HEADER = re.compile(r"^[ \t]*(\[\[?)([^\]\n]*)\]\]?[ \t]*(?:#.*)?$")
_PART = r"""(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
_KEY = re.compile(rf"^\s*({_PART}(?:\s*\.\s*{_PART})*)\s*=")


def _unquote(part: str) -> str:
    part = part.strip()
    if len(part) >= 2 and part[0] == part[-1] and part[0] in "\"'":
        if part[0] == '"' and "\\" in part:  # escapes: the key is what they spell
            try:
                return str(tomllib.loads(f"k = {part}")["k"])
            except tomllib.TOMLDecodeError:
                pass
        return part[1:-1]
    return part


def _split_dotted(key: str) -> list[str]:
    return [_unquote(p) for p in re.findall(r'"[^"]*"|\'[^\']*\'|[^.]+', key)]


def index_lines(text: str) -> dict[str, int]:
    """Map key paths such as `step[3].session` or `settings` to 1-based line numbers.

    Arrays of tables are numbered from 1, as probe numbers steps and sessions.
    """
    lines: dict[str, int] = {}
    counts: dict[str, int] = {}
    prefix = ""
    in_multiline: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        if in_multiline is not None:
            if raw.count(in_multiline) % 2 == 1:
                in_multiline = None
            continue
        header = _HEADER.match(raw)
        if header:
            name = ".".join(_split_dotted(header.group(2).strip()))
            if header.group(1) == "[[":
                counts[name] = counts.get(name, 0) + 1
                prefix = f"{name}[{counts[name]}]"
            else:
                prefix = name
            lines.setdefault(prefix, number)
            continue
        key = _KEY.match(raw)
        if key:
            path = ".".join(_split_dotted(key.group(1)))
            full = f"{prefix}.{path}" if prefix else path
            lines.setdefault(full, number)
            rest = raw[key.end() :]
            for quote in ('"""', "'''"):
                if rest.count(quote) % 2 == 1:
                    in_multiline = quote
                    break
    return lines


def line_of(lines: dict[str, int], where: str) -> int | None:
    """The line of `where`, else of the nearest enclosing table that has one."""
    path = where
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        if cut <= 0:
            break
        path = path[:cut]
    return lines.get(path)


# What can open or close a value's nesting, what separates the parts of a dotted key or ends
# one, and what must be skipped whole: strings (in which brackets and dots are text) and
# comments. Multi-line strings come first, and may end in up to two extra quotes that belong to
# their text. Every alternative is linear: no backtracking.
_TOML_TOKEN = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*(?:"""(?:""?(?!"))?)?'
    r"|'''(?:[^']|'(?!''))*(?:'''(?:''?(?!'))?)?"
    r'|"(?:[^"\\\n]|\\.)*"?'
    r"|'[^'\n]*'?"
    r"|#[^\n]*"
    r"|[\[\]{}.=,]",
    re.DOTALL,
)
_JSON_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"?|[\[\]{}]', re.DOTALL)


class Excess(NamedTuple):
    """Where a file first goes past a nesting limit, and which one."""

    line: int
    column: int
    kind: Literal["nesting", "key"]


def nesting_past(text: str, limit: int, *, toml: bool = True) -> Excess | None:
    """Where arrays and inline tables (JSON: arrays and objects) first nest deeper than
    `limit`, or (TOML) a dotted key first has more than `limit` parts; else None. A table
    header is not nesting, though its dotted name counts as a key.

    tomllib recurses once per level, so a file nested a few thousand deep would exhaust the
    stack, and it takes time quadratic in a key's parts (20 000 parts: 18 s); this finds both
    first, without recursing, so they can be refused at their line.
    """
    if text.count("[") + text.count("{") <= limit and (not toml or text.count(".") < limit):
        return None
    depth = 0
    dots = 0
    for match in (_TOML_TOKEN if toml else _JSON_TOKEN).finditer(text):
        char = match.group()[0]
        if char == ".":
            dots += 1
            if dots >= limit:
                return _excess(text, match.start(), "key")
            continue
        if char in "[]{}=,":
            dots = 0
        if char in "[{":
            start = match.start()
            if toml and depth == 0 and char == "[":
                line_start = text.rfind("\n", 0, start) + 1
                if not text[line_start:start].strip():
                    continue  # `[table]` or `[[array]]` at the start of a line: a header
            depth += 1
            if depth > limit:
                return _excess(text, start, "nesting")
        elif char in "]}":
            depth = max(0, depth - 1)
    return None


def _excess(text: str, at: int, kind: Literal["nesting", "key"]) -> Excess:
    line_start = text.rfind("\n", 0, at) + 1
    return Excess(text.count("\n", 0, at) + 1, at - line_start + 1, kind)
