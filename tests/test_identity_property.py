"""Class 9, identity: fresh-run-untouched, and the model's F02 guard it holds every version to."""

from __future__ import annotations

import json

from probe.engines.engine import model_engine
from probe.model.events import Event
from probe.properties.judge import judge
from probe.scenario.files import read_scenario
from probe.scenario.loader import parse_scenario
from probe.scenario.values import Scenario
from probe.strategies import REGISTRY
from probe.versions import VERSIONS, design_of
from tests.conftest import ROOT, SCENARIOS

CONTROL = SCENARIOS / "failures" / "c9-fresh-run-during-drain-control.toml"
NAME = "fresh-run-untouched"


def control() -> Scenario:
    return read_scenario(CONTROL, REGISTRY.keys())


def without_work_kind(events: tuple[Event, ...], step: int) -> list[Event]:
    """The stream as a build that ended the fresh run would report it: the heartbeat's reports
    from `step` on see no active work."""
    out = []
    for e in events:
        if (e.step or 0) >= step and e.get("activeWorkKind") is not None:
            fields = tuple((k, v) for k, v in e.fields if k != "activeWorkKind")
            e = Event(e.seq, e.at_ms, e.step, e.type, e.ref, fields, e.generation, e.layer)
        out.append(e)
    return out


def test_every_version_keeps_a_run_that_started_during_the_drain() -> None:
    s = control()
    for version in VERSIONS:
        run = model_engine(f"{design_of(version)}@{version}").replay(s)
        assert NAME in run.judged and run.violation_names == [], version
        later = [e for e in run.events if (e.step or 0) >= 5 and e.type == "session.stalled"]
        assert later and all(e.get("activeWorkKind") == "embedded_run" for e in later), version
        stale = [e.get("stale") for e in run.events if e.type == "session.recovery.completed"]
        # F02 (5.31-beta.4 on) clears the recovered owner's activity: the fresh run blocks it.
        assert stale == ([True] if "clear-run-activity" in VERSIONS[version] else [None]), version


def test_a_stream_that_lost_the_fresh_run_is_flagged() -> None:
    s = control()
    events = model_engine("fixed@2026.9.6").replay(s).events
    assert NAME not in {v.invariant for v in judge(s, events, settled=True).violations}
    found = [v for v in judge(s, without_work_kind(events, 5), settled=True).violations]
    assert [(v.invariant, v.step) for v in found] == [(NAME, 9)]
    assert "'fresh'" in found[0].message and "after the request at 30000 ms" in found[0].message


START = (
    '[[step]]\ndo = "start"\nsession = "agent:main:direct"\nwork = "embedded_run"\nid = "fresh"\n\n'
)


def steps_text() -> str:
    text = CONTROL.read_text().split("[expect.buggy]", 1)[0]
    assert START in text
    return text


def test_only_a_run_started_while_the_recovery_was_in_flight_counts() -> None:
    # The same run started before the first heartbeat: not after any request, so a report
    # with no active work says nothing about identity.
    text = steps_text().replace(START, "", 1)
    early = parse_scenario(
        text.replace("[[step]]", START + "[[step]]", 1), "e.toml", REGISTRY.keys()
    )
    events = without_work_kind(model_engine("fixed@2026.9.6").replay(early).events, 1)
    assert any(e.type == "session.stalled" and e.get("activeWorkKind") is None for e in events)
    found = judge(early, events, settled=True).violations
    assert NAME not in {v.invariant for v in found}


def test_an_end_step_ends_the_fresh_run_for_the_world_too() -> None:
    end = START.replace('do = "start"', 'do = "end"')
    ended = steps_text().replace('[[step]]\ndo = "state"', end + '[[step]]\ndo = "state"')
    s = parse_scenario(ended, "ended.toml", REGISTRY.keys())
    events = model_engine("fixed@2026.9.6").replay(s).events
    assert NAME not in {
        v.invariant for v in judge(s, without_work_kind(events, 5), settled=True).violations
    }


def test_the_real_builds_keep_the_fresh_run_too() -> None:
    doc = json.loads(
        (ROOT / "tests/realdata/failures/c9-fresh-run-during-drain-control.json").read_text()
    )
    assert len(doc["builds"]) >= 10
    for version, build in doc["builds"].items():
        stalled = [
            e for e in build["events"] if e["type"] == "session.stalled" and e["at_ms"] > 30000
        ]
        assert stalled and all(e.get("activeWorkKind") == "embedded_run" for e in stalled), version


def test_a_later_request_that_saw_the_run_classifies_it() -> None:
    s = control()
    events = list(model_engine("fixed@2026.9.6").replay(s).events)
    lost = without_work_kind(tuple(events), 9)
    assert NAME in {v.invariant for v in judge(s, lost, settled=True).violations}
    first = next(e for e in events if e.type == "session.recovery.requested")
    # A second request at step 6, made with the fresh run in view (activeWorkKind set): the
    # fresh run is now work a recovery classified, and its end later is no identity slip.
    again = Event(first.seq, 150_000, 6, first.type, first.ref, first.fields, first.generation)
    at = next(i for i, e in enumerate(lost) if (e.step or 0) >= 6)
    asked = [*lost[:at], again, *lost[at:]]
    assert NAME not in {v.invariant for v in judge(s, asked, settled=True).violations}
