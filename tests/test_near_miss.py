"""Near-miss engine names get a did-you-mean, and a version npm never had is refused before a download."""

from __future__ import annotations

import pytest

from probe.engines.engine import resolve
from probe.errors import ProbeError
from probe.near_miss import neighbours, unpublished, versions_like
from probe.strategies import get_strategy
from probe.versions import switches_of


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9.6", ["2026.9.6"]),
        ("2026.9.6", ["2026.9.6"]),
        ("^9.6", ["2026.9.6"]),
        ("2026.9", ["2026.9.6", "2026.9.5", "2026.9.4"]),
        ("5.31-beta.1", ["2026.5.31-beta.1"]),
        ("nonsense", []),
    ],
)
def test_versions_like(text: str, expected: list[str]) -> None:
    assert versions_like(text) == expected


def test_unpublished_only_inside_a_series_the_table_lists_in_full() -> None:
    assert unpublished("2026.5.29")
    assert unpublished("2026.7.2-beta.8")  # below the newest 2026.7 version in the table
    assert not unpublished("2026.9.6")  # published
    assert not unpublished("2026.9.7")  # may have been published since the table was written
    assert not unpublished("2026.10.1")
    assert not unpublished("2026.1.30")  # older than the table: npm has those, without the code
    assert neighbours("2026.5.29") == ["2026.5.28", "2026.5.30-beta.1"]


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("openclaw@9.6", "openclaw@9.6: a range (did you mean openclaw@2026.9.6?)"),
        ("openclaw@latest", "the newest version probe knows is openclaw@2026.9.6"),
        ("2026.9.6", "unknown engine '2026.9.6' (did you mean openclaw@2026.9.6?)"),
        (
            "openclaw@2026.5.29",
            "openclaw@2026.5.29 was never published (did you mean openclaw@2026.5.28 or "
            "openclaw@2026.5.30-beta.1?)",
        ),
        ("model:fixd", "unknown strategy 'fixd' (known: buggy, fixed; did you mean 'fixed'?)"),
        ("model:fixed@9.6", "unknown openclaw version '9.6' (did you mean 2026.9.6?)"),
    ],
)
def test_engine_names_that_miss_say_what_was_meant(spec: str, says: str) -> None:
    with pytest.raises(ProbeError) as raised:
        resolve(spec)
    assert says in str(raised.value)


def test_exact_names_still_resolve_without_a_hint() -> None:
    assert get_strategy("fixed").name == "fixed"
    assert switches_of("2026.9.6")


def test_the_available_list_marks_the_versions_with_recovery_code() -> None:
    from probe.engines.inspection import recovery_code
    from probe.report.engines_report import render_builds

    rows = [
        {"version": v, "installed": False, "size": None, "key": None, "undrivable": None,
         "node": None, "recovery_code": recovery_code(v)}
        for v in ("2026.5.22", "2026.5.26", "2026.9.6", "2026.10.1")
    ]
    text = render_builds("/cache", True, rows)
    assert text.splitlines()[0].split() == ["version", "recovery", "code", "cache"]
    assert "openclaw@2026.5.22  none           -" in text
    assert "openclaw@2026.9.6   modelled E5    -" in text
    assert "openclaw@2026.10.1  not modelled   -" in text
    assert "4 published (2 with the recovery code probe models), 0 installed in /cache" in text
