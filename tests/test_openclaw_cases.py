"""openclaw's own recovery test cases, translated into scenarios (tests/openclaw_cases/).

One folder per openclaw test file (`tests/openclaw_cases/diagnostic-session-attention/` holds
cases of src/logging/diagnostic-session-attention.test.ts), one scenario per case, its
description naming the test file and case. What the test asserts lives beside it in
`tests/openclaw_asserts/<folder>.toml`, one table per case:

    ["case-stem"]
    era = "2026.9.6"          # the version whose behaviour the test asserts
    requested = 1             # recovery requests (omit when the test does not say)
    watch = ["session.stuck"] # event types compared, in order (default: the attention types);
                              # "TYPE:REASON" watches only that type's events with that reason
    prefix = true             # the test asserts the first watched events only (events.find),
                              # not all of them: compare the first len(events)
    events = [ { type = "session.stuck", reason = "stale_session_state", absent = ["activeWorkKind"] } ]
                              # an entry's `at_ms` is the event's instant (scenario clock), for a
                              # test that asserts when something happens, not only that it does
    unmerged = "why"          # the test asserts a change in no published build: the table holds
                              # what every published build does
    final_state = { state = "idle", queueDepth = 0 }
                              # the record after the run (a test that reads it afterwards):
                              # the fields of the last session.state event
    runtime_outcomes = ["skipped/active_embedded_run"]  # what each runtime call returned, in
                              # call order (a runtime test's own assertion; omit when unsaid)

The model of that era must show exactly those events (each with the asserted fields, `ref`,
`generation` and `at_ms` included: the session the event names, its record's generation and
its instant; `absent` fields not there); the real build of that era must agree with the model
event for event (tests/engines/test_openclaw_cases_real.py, `PROBE_TEST_BUILDS=all pytest -m
real_build`).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from probe.engines.engine import model_engine
from probe.scenario.files import read_scenario
from probe.strategies import REGISTRY
from probe.versions import design_of

CASES = Path(__file__).resolve().parent / "openclaw_cases"
ASSERTS = Path(__file__).resolve().parent / "openclaw_asserts"
ATTENTION = ("session.stuck", "session.stalled", "session.long_running")
# The builds CI installs: a case's era must be one of them, so the real-build check can run it.
ERAS = ("2026.5.30-beta.1", "2026.5.31-beta.1", "2026.6.35", "2026.7.1", "2026.8.1", "2026.9.6")


@dataclass(frozen=True)
class Assertion:
    path: Path
    era: str
    requested: int | None
    watch: tuple[str, ...]
    events: tuple[dict[str, Any], ...]
    final_state: dict[str, Any] | None = None
    runtime_outcomes: tuple[str, ...] | None = None
    prefix: bool = False


def _assertions() -> dict[Path, Assertion]:
    found: dict[Path, Assertion] = {}
    for table_path in sorted(ASSERTS.glob("*.toml")):
        folder = CASES / table_path.stem
        for stem, table in tomllib.loads(table_path.read_text()).items():
            path = folder / f"{stem}.toml"
            found[path] = Assertion(
                path=path,
                era=table["era"],
                requested=table.get("requested"),
                watch=tuple(table.get("watch", ATTENTION)),
                events=tuple(table["events"]),
                final_state=table.get("final_state"),
                runtime_outcomes=(
                    tuple(table["runtime_outcomes"]) if "runtime_outcomes" in table else None
                ),
                prefix=table.get("prefix", False),
            )
    return found


ASSERTED = _assertions()
PATHS = sorted(CASES.glob("*/*.toml"))


def watched(watch: tuple[str, ...], event_type: str, reason: object) -> bool:
    """Whether an event is watched: its type, or "TYPE:REASON" for its type and reason."""
    return event_type in watch or f"{event_type}:{reason}" in watch


def _case_id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def test_every_case_file_has_its_assertion_and_names_its_openclaw_test() -> None:
    assert set(PATHS) == set(ASSERTED)
    for path in PATHS:
        assert ASSERTED[path].era in ERAS, path
        scenario = read_scenario(path, REGISTRY.keys())
        assert f"openclaw test src/logging/{path.parent.name}" in scenario.description, path
        assert scenario.name.startswith("openclaw: "), path


@pytest.mark.parametrize("path", PATHS, ids=_case_id)
def test_the_model_of_the_tests_era_shows_what_the_test_asserts(path: Path) -> None:
    want = ASSERTED[path]
    # The era's own design: 2026.5.30-beta.1's coordinator still keys on ref:generation.
    model = model_engine(f"{design_of(want.era)}@{want.era}")
    run = model.replay(read_scenario(path, REGISTRY.keys()))
    seen = [e for e in run.events if watched(want.watch, e.type, dict(e.fields).get("reason"))]
    if want.prefix:
        seen = seen[: len(want.events)]
    assert len(seen) == len(want.events), [(e.type, dict(e.fields)) for e in seen]
    for event, expected in zip(seen, want.events, strict=True):
        fields = dict(event.fields)
        # The event's session (ref), its record's generation and its instant may be asserted
        # like a field: which record a call landed on, whether a pruned one was made anew, and
        # at which heartbeat a request came.
        named = {"ref": event.ref, "generation": event.generation, "at_ms": event.at_ms}
        asserted = {k: v for k, v in expected.items() if k not in ("type", "absent")}
        assert event.type == expected["type"]
        got = {k: fields.get(k, named.get(k)) for k in asserted}
        assert got == asserted, (event.type, event.ref, event.generation, fields)
        assert not set(expected.get("absent", ())) & set(fields), (event.type, fields)
    if want.requested is not None:
        assert run.requested == want.requested
    if want.runtime_outcomes is not None:
        assert tuple(run.runtime_outcomes) == want.runtime_outcomes
    if want.final_state is not None:
        # Every change to the record is a session.state event: the last one is the record as
        # the run left it, which is what a test that reads the record afterwards asserts.
        changes = [dict(e.fields) for e in run.events if e.type == "session.state"]
        assert changes, "no session.state event: the record never changed"
        assert {k: changes[-1].get(k) for k in want.final_state} == want.final_state, changes[-1]
