"""Find the line of a key path in TOML text (tomllib reports values, not where they stood)."""

from __future__ import annotations

import re

# Each part can match in one way only, so that no line (a hostile one is megabytes of blanks)
# makes these backtrack.
_HEADER = re.compile(r"^[ \t]*(\[\[?)([^\]\n]*)\]\]?[ \t]*(?:#.*)?$")
_PART = r"""(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
_KEY = re.compile(rf"^\s*({_PART}(?:\s*\.\s*{_PART})*)\s*=")


def _unquote(part: str) -> str:
    part = part.strip()
    if len(part) >= 2 and part[0] == part[-1] and part[0] in "\"'":
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


# What can open or close a value's nesting, and what must be skipped whole: strings (in which
# brackets are text) and comments. Multi-line strings come first, and may end in up to two
# extra quotes that belong to their text. Every alternative is linear: no backtracking.
_TOML_TOKEN = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*(?:"""(?:""?(?!"))?)?'
    r"|'''(?:[^']|'(?!''))*(?:'''(?:''?(?!'))?)?"
    r'|"(?:[^"\\\n]|\\.)*"?'
    r"|'[^'\n]*'?"
    r"|#[^\n]*"
    r"|[\[\]{}]",
    re.DOTALL,
)
_JSON_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"?|[\[\]{}]', re.DOTALL)


def nesting_past(text: str, limit: int, *, toml: bool = True) -> tuple[int, int] | None:
    """(line, column) where arrays and inline tables (JSON: arrays and objects) first nest
    deeper than `limit`, else None; a TOML table header is not nesting.

    Parsers recurse once per level, so a file nested a few thousand deep would exhaust the
    stack: this finds it first, without recursing, so it can be refused at its line.
    """
    if text.count("[") + text.count("{") <= limit:
        return None
    depth = 0
    for match in (_TOML_TOKEN if toml else _JSON_TOKEN).finditer(text):
        char = match.group()[0]
        if char in "[{":
            start = match.start()
            if toml and depth == 0 and char == "[":
                line_start = text.rfind("\n", 0, start) + 1
                if not text[line_start:start].strip():
                    continue  # `[table]` or `[[array]]` at the start of a line: a header
            depth += 1
            if depth > limit:
                line_start = text.rfind("\n", 0, start) + 1
                return text.count("\n", 0, start) + 1, start - line_start + 1
        elif char in "]}":
            depth = max(0, depth - 1)
    return None
