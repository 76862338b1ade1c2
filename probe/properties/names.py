"""Property names as a user types them: an unknown one is named with the known and a guess."""

from __future__ import annotations

import difflib
from collections.abc import Collection


def unknown_property(name: str, known: Collection[str]) -> str:
    """`unknown invariant 'x', did you mean 'y'? (known: a, b)` (the guess only when close)."""
    names = sorted(known)
    guess = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    hint = f", did you mean {guess[0]!r}?" if guess else ""
    return f"unknown invariant {name!r}{hint} (known: {', '.join(names)})"
