"""The catalogue on real builds: a property fires on a build of an era the failure affects and
stays silent on one that fixed it, judged from the build's own event stream, as on the model."""

from __future__ import annotations

import pytest

from probe.engines.cache import is_installed
from probe.engines.engine import model_engine, resolve
from tests.test_properties import (
    FORCE_CLEARED,
    LATE,
    LATE_ABORT,
    ORPHAN,
    THROTTLED,
    TOUCHED,
    scenario,
)

pytestmark = pytest.mark.real_build

CASES = [
    # (scenario, property, affected build, fixed build or None when still open in 9.6)
    (THROTTLED, "request-liveness", "2026.6.6", "2026.6.8"),  # #92742, fixed in 6.8
    (THROTTLED, "futile-repeats", "2026.9.6", "2026.6.6"),  # #119454, from 6.8 on
    (TOUCHED, "stall-reported", "2026.7.1", "2026.8.1"),  # F20 (8.1), #94701
    (ORPHAN.format(work="tool_call"), "stale-evidence", "2026.5.31-beta.3", "2026.5.31-beta.4"),
    (FORCE_CLEARED.format(abort="ignored"), "truthful-outcome", "2026.9.6", None),  # #145152
    # Late heartbeats, fired late on the build's own fake clock (the late-ticks harness).
    (LATE.format(hb=31_200), "request-liveness", "2026.9.6", "2026.7.1"),  # #142200
    (LATE_ABORT.format(hb=55_000), "healthy-run-aborted", "2026.7.1", "2026.9.6"),  # #107415
]


@pytest.mark.parametrize(("text", "name", "affected", "fixed"), CASES, ids=[c[1] for c in CASES])
def test_a_property_judges_a_real_build_as_the_model(
    text: str, name: str, affected: str, fixed: str | None
) -> None:
    s = scenario(text)
    for version, fires in ((affected, True), (fixed, False)):
        if version is None:
            continue
        if not is_installed(version):
            pytest.skip(f"openclaw@{version} is not installed (probe engines install)")
        engine = resolve(f"openclaw@{version}")
        try:
            build = engine.replay(s)
        finally:
            close = getattr(engine, "close", None)
            if callable(close):
                close()
        model = model_engine(f"fixed@{version}").replay(s)
        assert (name in build.violation_names) is fires, (version, build.violations)
        assert build.violation_names == model.violation_names, version
