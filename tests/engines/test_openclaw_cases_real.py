"""openclaw's own test cases (tests/openclaw_cases/) on the real build of each test's era, and
the scenarios of the newer verbs (tests/verb_scenarios/) on both builds.

Each case's era is one of the builds CI installs (tests/test_openclaw_cases.py's ERAS): as
tests/engines/test_eras.py, PROBE_TEST_BUILDS=all runs these (installing the later eras fetches
170-420 MB and a Node 24).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from probe.conform import conform_one
from probe.engines.engine import model_engine
from probe.engines.real import RealEngine
from probe.scenario.files import read_scenario
from probe.scenario.values import Reply
from probe.strategies import REGISTRY
from probe.versions import design_of
from tests.test_openclaw_cases import ASSERTED, PATHS, _case_id

CONFIG_ERA, TIMINGS_ERA = "2026.7.1", "2026.9.6"

pytestmark = pytest.mark.skipif(
    os.environ.get("PROBE_TEST_BUILDS") != "all" or os.environ.get("PROBE_SKIP_REAL_BUILDS") == "1",
    reason="PROBE_TEST_BUILDS=all installs 2026.7.1 and 2026.9.6",
)


@pytest.fixture(scope="module")
def era_builds(engine_cache: Path) -> dict[str, RealEngine]:
    eras = {a.era for a in ASSERTED.values()} | {CONFIG_ERA, TIMINGS_ERA}
    return {v: RealEngine(v) for v in sorted(eras)}


@pytest.mark.parametrize("path", PATHS, ids=_case_id)
def test_the_real_build_of_the_tests_era_agrees_with_the_model(
    path: Path, era_builds: dict[str, RealEngine]
) -> None:
    version = ASSERTED[path].era
    scenario = read_scenario(path, REGISTRY.keys())
    # The era's own design: 2026.5.30-beta.1's coordinator still keys on ref:generation.
    model = model_engine(f"{design_of(version)}@{version}")
    result = conform_one(scenario, model, era_builds[version])
    assert result.status == "agree", result.detail


VERB_SCENARIOS = sorted((Path(__file__).resolve().parents[1] / "verb_scenarios").glob("*.toml"))


@pytest.mark.parametrize("version", [CONFIG_ERA, TIMINGS_ERA])
@pytest.mark.parametrize("path", VERB_SCENARIOS, ids=lambda p: p.stem)
def test_the_verb_scenarios_agree_with_the_model_on_both_eras(
    path: Path, version: str, era_builds: dict[str, RealEngine]
) -> None:
    scenario = read_scenario(path, REGISTRY.keys())
    result = conform_one(scenario, model_engine(f"fixed@{version}"), era_builds[version])
    if result.status == "not_comparable" and any(isinstance(s, Reply) for s in scenario.steps):
        # 2026.7.2-beta.1 .. 8.1-beta.3 (reply-progress-only alone): the build refuses `reply`,
        # located; from 8.1 (reply-own-activity) the model refuses a reply operation beside
        # other run work, located, and for no other reason.
        assert all(
            "cannot express reply" in d or "reply-own-activity" in d for d in result.detail
        ), result.detail
        return
    assert result.status == "agree", result.detail
