"""What an engine name that probe refuses was probably meant to be: did-you-mean suggestions."""

from __future__ import annotations

import difflib
import re

from probe.versions import VERSIONS, semver_key


def _short(version: str) -> str:
    """2026.9.6 -> 9.6: how people write openclaw's versions in issues and chat."""
    return version.split(".", 1)[1] if version.count(".") >= 2 else version


def versions_like(text: str) -> list[str]:
    """Published versions a partial or mistyped version most likely names, newest first.

    `9.6` and `2026.9.6` name 2026.9.6; a prefix such as `2026.9` or `9` names its newest
    releases; otherwise the closest spellings in probe's version table.
    """
    text = text.strip().lstrip("^~=v")
    known = list(VERSIONS)
    exact = [v for v in known if text in (v, _short(v))]
    if exact:
        return exact
    prefixed = [v for v in known if v.startswith(text + ".") or _short(v).startswith(text + ".")]
    if prefixed:
        releases = [v for v in prefixed if "-" not in v] or prefixed
        return sorted(releases, key=semver_key, reverse=True)[:3]
    return difflib.get_close_matches(text, known, n=3, cutoff=0.75)


def unpublished(version: str) -> bool:
    """A version inside a series probe's table lists in full, yet not in it: npm never had it.

    The table holds every version published from its first to its last; a version newer than
    the newest of its own year.month series may have been published since, so it is not judged.
    """
    if version in VERSIONS or not re.fullmatch(r"\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?", version):
        return False
    series = version.split(".")[:2]
    same = [v for v in VERSIONS if v.split(".")[:2] == series]
    first = next(iter(VERSIONS))
    return bool(same) and semver_key(first) < semver_key(version) < max(map(semver_key, same))


def neighbours(version: str) -> list[str]:
    """The published versions just below and just above one that was never published."""
    ordered = sorted({*VERSIONS, version}, key=semver_key)
    at = ordered.index(version)
    return [v for v in ordered[max(0, at - 1) : at + 2] if v != version]


def did_you_mean(candidates: list[str], prefix: str = "openclaw@") -> str:
    if not candidates:
        return ""
    names = " or ".join(f"{prefix}{v}" for v in candidates)
    return f" (did you mean {names}?)"
