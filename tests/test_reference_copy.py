"""tests/reference is the shared reference, copied into the repository so a plain clone tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REFERENCE, SHARED_REFERENCE


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_the_copy_has_the_four_recordings() -> None:
    names = set(_files(REFERENCE))
    stems = {n.removesuffix(".toml") for n in names if n.endswith(".toml")}
    assert len(stems) >= 4
    assert {f"{s}.real.json" for s in stems} <= names


@pytest.mark.skipif(
    not SHARED_REFERENCE.is_dir(), reason="no ../shared/reference beside this clone to compare"
)
def test_the_copy_equals_the_shared_reference() -> None:
    assert _files(REFERENCE) == _files(SHARED_REFERENCE), (
        f"{REFERENCE} differs from {SHARED_REFERENCE}: copy the shared folder again"
    )
