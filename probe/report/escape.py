"""Text from files shown in each output syntax: one escaping function per target, nothing else.

Scenario files (and saved reports, and real builds) are data: whatever their strings hold, they
must not recolour a terminal, forge a line, run a workflow command or break a table. Each
renderer hands such strings to the one function here for its syntax.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, and the Unicode line separators and bidirectional overrides: what
# moves the cursor, starts an escape sequence, ends a line, or reorders the text shown.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

# XML 1.0 cannot carry these even as character references.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|#])")
_BACKTICKS = re.compile("`+")


def _code_point(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    point = ord(char)
    return f"\\x{point:02x}" if point < 0x100 else f"\\u{point:04x}"


def terminal(text: str) -> str:
    """One line of inert text: every control character as a visible escape (`\\x1b`, `\\n`)."""
    return _CONTROL.sub(_code_point, text)


def terminal_lines(text: str) -> str:
    """As terminal(), keeping the newlines that a layout itself put between lines."""
    return "\n".join(terminal(line) for line in text.split("\n"))


def github_message(text: str) -> str:
    """A workflow command's message: `%`, CR and LF encoded as GitHub's runner decodes them.

    Other control characters are shown as escapes, so that they cannot colour the log either.
    """
    shown = _CONTROL.sub(lambda m: m.group() if m.group() in "\r\n" else _code_point(m), text)
    return shown.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_property(text: str) -> str:
    """A workflow command's property value: as a message, and `:` and `,` too."""
    return github_message(text).replace(":", "%3A").replace(",", "%2C")


def xml_chars(text: str) -> str:
    """What XML 1.0 cannot hold at all, as a visible `\\uXXXX`; the rest as it is (for a
    serialiser, such as ElementTree's, that writes the entities itself)."""
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def xml_text(text: str) -> str:
    """XML 1.0 character data; what XML cannot hold at all is written as a visible `\\uXXXX`,
    and CR as a reference (a parser would turn a bare one into a newline)."""
    text = xml_chars(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("\r", "&#13;")


def xml_attribute(value: str) -> str:
    """A double-quoted XML attribute, its white space kept (parsers normalise it otherwise)."""
    text = xml_text(value).replace('"', "&quot;")
    text = text.replace("\n", "&#10;").replace("\t", "&#9;")
    return f'"{text}"'


def markdown(text: str) -> str:
    """Inert Markdown text, fit for a table cell: no HTML, emphasis, links or cell breaks."""
    text = terminal(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def markdown_code(text: str, *, in_table: bool = True) -> str:
    """A code span that holds any text, backticks included; in a table, `|` cannot end the cell
    (GitHub reads `\\|` there even inside code, and only there)."""
    text = terminal(text)
    if in_table:
        text = text.replace("|", "\\|")
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"
