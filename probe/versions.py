"""Every published openclaw version 2026.5.26 .. 2026.9.6 and the behaviour switches it contains.

Pure data, read from the published bundles (ERAS.md's "present" column, checked chunk by chunk
with bench/check_switches.py). Versions do not form one line: 6.33-6.35 are a branch with the
blocked-tool floor that the 7.1 line lacks, 7.1-1, 7.1-2 and 7.33-7.35 are maintenance releases
of 7.1, and 9.1-beta.1 is a branch of 8.x. So a version is its own set, never "newer than".
"""

from __future__ import annotations

from typing import Any

from probe.errors import UsageError
from probe.model.behaviour import Behaviour

# The last version whose coordinator keys on ref:generation (the bug); all later key on ref.
LAST_BUGGY = "2026.5.30-beta.1"

_F02 = "clear-run-activity"
_F06 = "recover-when-throttled"
_F07 = "model-call-long-running"
_F34 = "embedded-abort-by-progress"
_F08 = "blocked-tool-floor"
_F35 = "model-call-abort-without-run"
_F12B1 = "skip-slow-tick"
_F12 = "defer-late-tick"
_F16 = "queued-backlog"
_F18 = "released-no-active-work"
_F19 = "mutate-aborted-released-only"
_F20 = "owned-work-attention-age"
_F33 = "no-prune-on-create"
_F30 = "prune-empty-key"
_F23 = "observation-pass"
_F14 = "abort-test-timing"
_F36 = "stale-run-threshold"
_F37 = "force-clear-own-handle"
_F38 = "async-force-clear"
_F39 = "model-request-timeout"
_F40 = "request-close-needs-run"
_F41 = "tool-deadline"
_F42 = "backend-liveness"
# Read in 8.1-beta.3, 8.1 and 9.6 (and as in them assumed for 8.2 .. 9.5, not installed).
_F43 = "repeated-requests"
# Command lanes (read from the runtime chunks of 6.1-beta.1 .. 6.6 and 7.1-beta.1 .. 7.1-beta.6).
_L1 = "lane-fresh-task"
_L2 = "stale-lane-release"
# Reply operations (read from the reply-run registry of 7.1 and 7.2-beta.1).
_R1 = "reply-progress-only"
# Read in the runtime and reply-run registry of 8.1 and 9.6 (the maintenance-phase window is
# new in 8.1: 8.1-beta.3 lacks it), and assumed in the versions between that share 8.1's line.
_R2 = "reply-own-activity"

_E1 = (_F02,)
_66 = (*_E1, _L1)
_68 = (*_66, _F06)
_69 = (*_68, _F07)
_611 = (*_69, _F34)
_71B4 = (*_611, _F35, _L2)
_72B1 = (*_71B4, _F08, _R1)
_72B2 = (*_71B4, _F08, _F12, _R1)
_72B4 = (*_72B2, _F14)
_72B5 = (*_72B4, _F16, _F37)
_81B3 = (*_72B5, _F18, _F19, _F38, _F39, _F43)
_81 = (*_81B3, _F20, _R2)
_82 = (*_81, _F33, _F30)
_91 = (*_82, _F23)
_92 = (*_91, _F36, _F40)

# version -> the switches it contains, in publication order (maintenance releases after
# the release they maintain).
VERSIONS: dict[str, tuple[str, ...]] = {
    "2026.5.26": (),
    "2026.5.27": (),
    "2026.5.28": (),
    "2026.5.30-beta.1": (),
    "2026.5.31-beta.1": (),
    "2026.5.31-beta.2": (),
    "2026.5.31-beta.3": (),
    "2026.5.31-beta.4": _E1,
    "2026.6.1-beta.1": _E1,
    "2026.6.1-beta.2": _E1,
    "2026.6.1-beta.3": _E1,
    "2026.6.1": _E1,
    "2026.6.5": _E1,
    "2026.6.6": _66,
    "2026.6.8": _68,
    "2026.6.9": _69,
    "2026.6.10": _69,
    "2026.6.11-beta.2": _611,
    "2026.6.11": _611,
    "2026.6.33": (*_611, _F08),
    "2026.6.34": (*_611, _F08),
    "2026.6.35": (*_611, _F08),
    "2026.7.1-beta.1": _611,
    "2026.7.1-beta.2": _611,
    "2026.7.1-beta.4": _71B4,
    "2026.7.1-beta.5": _71B4,
    "2026.7.1-beta.6": _71B4,
    "2026.7.1": _71B4,
    "2026.7.1-1": _71B4,
    "2026.7.1-2": _71B4,
    "2026.7.2-beta.1": (*_72B1, _F12B1),
    "2026.7.2-beta.2": _72B2,
    "2026.7.2-beta.3": _72B2,
    "2026.7.2-beta.4": _72B4,
    "2026.7.2-beta.5": _72B5,
    "2026.7.2-beta.6": _72B5,
    "2026.7.2-beta.7": _72B5,
    "2026.7.33": _71B4,
    "2026.7.34": _71B4,
    "2026.7.35": _71B4,
    "2026.8.1-beta.1": _72B5,
    "2026.8.1-beta.2": _72B5,
    "2026.8.1-beta.3": _81B3,
    "2026.8.1": _81,
    "2026.8.2": _82,
    "2026.9.1-beta.1": _81,
    "2026.9.1": _91,
    "2026.9.2": _92,
    "2026.9.3": _92,
    "2026.9.4": _92,
    "2026.9.5": _92,
    # tool-deadline and backend-liveness read in 2026.9.6; 9.2 has earlier forms (deadlines
    # only from event fields, none for an allowActiveAbort request; backend attempts without
    # outstanding work) that probe does not model; 9.3-9.5 unread.
    "2026.9.6": (*_92, _F41, _F42),
}

# Harness eras (ERAS.md), for reports and the differential check.
ERAS: dict[str, tuple[str, ...]] = {
    "E0": ("2026.5.26", "2026.5.27", "2026.5.28", "2026.5.30-beta.1"),
    "E1": tuple(
        v for v in VERSIONS if v.startswith(("2026.5.31", "2026.6.")) or v == "2026.7.1-beta.1"
    ),
    "E2": (
        "2026.7.1-beta.2",
        "2026.7.1-beta.4",
        "2026.7.1-beta.5",
        "2026.7.1-beta.6",
        "2026.7.1",
        "2026.7.1-1",
        "2026.7.1-2",
        "2026.7.33",
        "2026.7.34",
        "2026.7.35",
    ),
    "E3": tuple(v for v in VERSIONS if v.startswith("2026.7.2-beta.")),
    "E4": (*(v for v in VERSIONS if v.startswith("2026.8.")), "2026.9.1-beta.1"),
    "E5": tuple(v for v in VERSIONS if v.startswith("2026.9.") and v != "2026.9.1-beta.1"),
}


def semver_key(version: str) -> tuple[Any, ...]:
    core, _, pre = version.partition("-")
    nums = tuple(int(p) if p.isdigit() else 0 for p in core.split("."))
    # A prerelease sorts before its release; its parts compare numerically where numeric.
    pre_key = (
        tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split(".")) if pre else ()
    )
    return (nums, 0 if pre else 1, pre_key)


def known_range() -> str:
    first, *_, last = VERSIONS
    return f"{first} .. {last} ({len(VERSIONS)} versions; `probe versions` lists them)"


def switches_of(version: str) -> tuple[str, ...]:
    try:
        return VERSIONS[version]
    except KeyError:
        hint = _hint(version)
        raise UsageError(
            f"unknown openclaw version {version!r}{hint}: known {known_range()}"
        ) from None


def _hint(version: str) -> str:
    from probe.near_miss import did_you_mean, versions_like

    return did_you_mean(versions_like(version), "")


def behaviour_of(version: str) -> Behaviour:
    return Behaviour.of(switches_of(version))


def design_of(version: str) -> str:
    """The dedup design a published version has: buggy up to 5.30-beta.1, fixed after."""
    order = list(VERSIONS)
    return "buggy" if order.index(version) <= order.index(LAST_BUGGY) else "fixed"


def era_of(version: str) -> str:
    for era, members in ERAS.items():
        if version in members:
            return era
    raise UsageError(f"unknown openclaw version {version!r}: known {known_range()}")
