"""Property names as a user types them: an unknown one is named with the known and a guess."""

from __future__ import annotations

import difflib
from collections.abc import Collection


def close_name(name: str, known: Collection[str]) -> str | None:
    """The known name `name` is most likely a typo of, if one is close."""
    guess = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return guess[0] if guess else None


def unknown_property(name: str, known: Collection[str]) -> str:
    """`unknown invariant 'x', did you mean 'y'? (known: a, b)` (the guess only when close)."""
    names = sorted(known)
    guess = close_name(name, names)
    hint = f", did you mean {guess!r}?" if guess else ""
    return f"unknown invariant {name!r}{hint} (known: {', '.join(names)})"
