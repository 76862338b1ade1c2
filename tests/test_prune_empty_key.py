"""Switch prune-empty-key (F30): the store's cap and a record under the empty key."""

from __future__ import annotations

from pathlib import Path

import pytest

from probe.engines.engine import model_engine
from probe.engines.switches import read_switches
from probe.scenario.files import read_scenario
from probe.strategies import REGISTRY
from probe.versions import behaviour_of

CASE = (
    Path(__file__).resolve().parent
    / "openclaw_cases"
    / "diagnostic"
    / "pruning-caps-with-empty-oldest-key.toml"
)


@pytest.mark.parametrize(
    ("version", "depth", "generation"),
    [("2026.8.1", 2, 6), ("2026.9.1-beta.1", 2, 6), ("2026.8.2", 1, 1), ("2026.9.6", 1, 1)],
)
def test_an_empty_oldest_key_stops_the_cap_before_the_switch_and_not_after(
    version: str, depth: int, generation: int
) -> None:
    # 2 001 records, the oldest under "": before F30 the eviction loop breaks at the empty key
    # and forgets nothing, so "" keeps its record (queue 2, generation 6 after the bump); from
    # 8.2 / 9.1 it is forgotten and the bump makes it anew (queue 1, generation 1).
    run = model_engine(f"fixed@{version}").replay(read_scenario(CASE, REGISTRY.keys()))
    (queued,) = [e for e in run.events if e.type == "message.queued" and e.ref == ""]
    assert dict(queued.fields)["queueDepth"] == depth and queued.generation == generation
    assert behaviour_of(version).prune_empty_key is (depth == 1)


def test_the_switch_is_read_from_the_prune_code() -> None:
    anchor = "function pruneDiagnosticSessionStates(now = Date.now(), force = false) {"
    fixed = "\tif (oldest) {\n\t\tdiagnosticSessionStates.delete(oldest[0]);\n\t\treturn;\n\t}"
    old = "\t\tconst key = ordered[i]?.[0];\n\t\tif (!key) break;"
    assert read_switches([anchor + "\n" + fixed])["prune-empty-key"] is True
    assert read_switches([anchor + "\n" + old])["prune-empty-key"] is False
    assert read_switches([fixed])["prune-empty-key"] is None
