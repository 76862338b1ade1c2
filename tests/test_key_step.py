"""The `key` step: an id-only session learns its key (its record re-keyed or merged)."""

from __future__ import annotations

import pytest

from probe.engines.engine import model_engine
from probe.errors import ScenarioError
from probe.model.state import SessionRecord, SessionStore, merge_records
from probe.scenario.dump import dump_scenario
from probe.scenario.loader import parse_scenario
from probe.scenario.values import Bump, Key, Scenario, StateChange
from probe.strategies import REGISTRY

HEAD = """name = "key"
[settings]
warn_ms = 30000
[[session]]
session_id = "s1"
state = "processing"
queue_depth = 1
[[session]]
ref = "agent:main:b"
{extra}
"""


def _load(steps: str, extra: str = "") -> Scenario:
    return parse_scenario(HEAD.format(extra=extra) + steps, "key.toml", REGISTRY.keys())


def _problems(steps: str, extra: str = "") -> list[str]:
    with pytest.raises(ScenarioError) as info:
        _load(steps, extra)
    return [p.render() for p in info.value.problems]


REKEY = """
[[step]]
do = "bump"
session = "s1"
[[step]]
do = "key"
session = "s1"
key = "agent:main:a"
[[step]]
do = "bump"
session = "agent:main:a"
[[step]]
do = "state"
session = "s1"
to = "idle"
"""


def test_after_the_key_step_the_key_names_the_session_and_the_id_passes_alone() -> None:
    scenario = _load(REKEY)
    assert scenario.steps == (
        Bump("s1"),
        Key("s1", "agent:main:a"),
        Bump("agent:main:a"),
        StateChange("agent:main:a", "idle", via="s1"),
    )
    # The dump names each step as the file did, and reads back the same.
    again = parse_scenario(dump_scenario(scenario), "again.toml", REGISTRY.keys())
    assert again.steps == scenario.steps


def test_the_model_rekeys_the_record_and_keeps_its_queue_and_generation() -> None:
    run = model_engine("fixed@2026.9.6").replay(_load(REKEY))
    queued = [
        (e.ref, e.generation, e.get("queueDepth"))
        for e in run.events
        if e.type == "message.queued"
    ]
    assert queued == [("s1", 1, 2), ("agent:main:a", 2, 3)]
    state = [e for e in run.events if e.type == "session.state"]
    assert [(e.ref, e.get("prevState"), e.get("queueDepth")) for e in state] == [
        ("agent:main:a", "processing", 2)
    ]


def test_a_key_naming_a_keyed_session_merges_the_records() -> None:
    steps = """
[[step]]
do = "key"
session = "s1"
key = "agent:main:b"
[[step]]
do = "bump"
session = "s1"
"""
    run = model_engine("fixed@2026.9.6").replay(_load(steps, "queue_depth = 2\ngeneration = 4"))
    (queued,) = [e for e in run.events if e.type == "message.queued"]
    # One record: the keyed one, with both queues and the larger generation.
    assert (queued.ref, queued.generation, queued.get("queueDepth")) == ("agent:main:b", 5, 4)


def test_merge_keeps_the_newer_state_or_the_more_active_at_the_same_age() -> None:
    def merged(target_at: int, target_state: str, source_at: int, source_state: str) -> str:
        target = SessionRecord("k", target_state, 1, 1, target_at)  # type: ignore[arg-type]
        source = SessionRecord("s1", source_state, 3, 2, source_at)  # type: ignore[arg-type]
        merge_records(target, source)
        assert (target.generation, target.queue_depth) == (3, 3)
        assert target.last_activity == max(target_at, source_at)
        return target.state

    assert merged(1, "idle", 2, "processing") == "processing"  # newer
    assert merged(2, "processing", 1, "idle") == "processing"  # older: kept
    assert merged(1, "idle", 1, "waiting") == "waiting"  # same age, more active
    assert merged(1, "processing", 1, "waiting") == "processing"


def test_a_rekeyed_record_moves_last_in_the_store() -> None:
    store = SessionStore()
    store.lookup("s1", 0)
    store.lookup("b", 0)
    store.key("s1", "a", 0)
    assert list(store.records) == ["b", "a"]
    assert store.records["a"].ref == "a"


@pytest.mark.parametrize(
    ("steps", "extra", "expected"),
    [
        (
            '[[step]]\ndo = "key"\nsession = "agent:main:b"\nkey = "agent:main:c"\n',
            "",
            "key.toml:0: step[1].session: names no session without a key ('agent:main:b')",
        ),
        (
            '[[step]]\ndo = "key"\nsession = "s1"\nkey = " x"\n',
            "",
            "key.toml:0: step[1].key: must be a non-empty key without surrounding white space",
        ),
        (
            '[[step]]\ndo = "key"\nsession = "s1"\nkey = "agent:main:b"\n',
            'session_id = "s2"',
            "key.toml:0: step[1].key: merges into session 'agent:main:b', which has a session_id",
        ),
        (
            '[[step]]\ndo = "key"\nsession = "s1"\nkey = "a"\n'
            '[[step]]\ndo = "key"\nsession = "s1"\nkey = "c"\n',
            "",
            "key.toml:0: step[2].session: session 's1' got its key at an earlier step",
        ),
        (
            '[[step]]\ndo = "key"\nsession = "s1"\nkey = "a"\n'
            '[[step]]\ndo = "enqueue"\nsession = "a"\n',
            "",
            "key.toml:0: step[2].session: a enqueue step names session 'a': a key step re-keys",
        ),
        (
            '[[step]]\ndo = "key"\nsession = "s1"\nkey = "agent:main:b"\n',
            'owner = "embedded_run"',
            "key.toml:0: step[1].key: session 'agent:main:b' is seeded with a run or work",
        ),
        (
            '[[step]]\ndo = "bump"\nsession = "a"\n'
            '[[step]]\ndo = "key"\nsession = "s1"\nkey = "a"\n',
            "",
            "key.toml:0: step[1].session: no [[session]] has ref 'a'",
        ),
    ],
)
def test_what_a_key_step_cannot_say_is_refused_where_it_is(
    steps: str, extra: str, expected: str
) -> None:
    rendered = _problems(steps, extra)
    # FILE:LINE: where: why, on the line of the named step's key.
    where = expected.split(": ")[1]
    number = int(where[len("step[") : where.index("]")])
    key = where.split(".", 1)[1]
    text = (HEAD.format(extra=extra) + steps).splitlines()
    start = [i for i, t in enumerate(text, start=1) if t == "[[step]]"][number - 1]
    line = next(i for i in range(start, len(text) + 1) if text[i - 1].startswith(f"{key} ="))
    located = f"key.toml:{line}: " + expected.split(": ", 1)[1]
    assert any(r.startswith(located) for r in rendered), rendered


def test_shrinking_a_scenario_with_a_key_step_keeps_it_loadable() -> None:
    from probe.diff import shrink, simpler

    scenario = _load(REKEY)
    candidates = list(simpler(scenario))
    # Dropping the key step alone would leave steps naming its key: never offered.
    assert all(any(isinstance(s, Key) for s in c.steps) or not any(
        getattr(s, "session", None) == "agent:main:a" for s in c.steps
    ) for c in candidates)
    small = shrink(scenario, lambda s: any(isinstance(step, Key) for step in s.steps))
    assert [type(step).__name__ for step in small.steps] == ["Key"]
