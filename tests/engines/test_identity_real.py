"""Class 9 on real builds: a run that starts during the drain is kept, as the model keeps it."""

from __future__ import annotations

import pytest

from probe.engines.cache import is_installed
from probe.engines.engine import model_engine, resolve
from tests.test_identity_property import NAME, control

pytestmark = pytest.mark.real_build


# Both sides of F02: no clear at all (5.31-beta.1), the clear that keeps a later run (9.6).
@pytest.mark.parametrize(("version", "stale"), [("2026.5.31-beta.1", None), ("2026.9.6", True)])
def test_the_fresh_run_survives_the_recovery_on_the_build(version: str, stale: bool | None) -> None:
    if not is_installed(version):
        pytest.skip(f"openclaw@{version} is not installed (probe engines install)")
    s = control()
    engine = resolve(f"openclaw@{version}")
    try:
        build = engine.replay(s)
    finally:
        close = getattr(engine, "close", None)
        if callable(close):
            close()
    assert NAME in build.judged and build.violation_names == []
    completed = [e for e in build.events if e.type == "session.recovery.completed"]
    assert [e.get("stale") for e in completed] == [stale]
    later = [e for e in build.events if e.type == "session.stalled" and e.at_ms > 30_000]
    assert later and all(e.get("activeWorkKind") == "embedded_run" for e in later)
    model = model_engine(f"fixed@{version}").replay(s)
    assert [(e.type, e.get("stale")) for e in build.events] == [
        (e.type, e.get("stale")) for e in model.events
    ]
