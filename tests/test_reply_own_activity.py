"""Switch reply-own-activity: the reply operations of 2026.8.1 and 9.6 on the model.

What each behaviour below does on the real builds was measured with `probe conform --engine
openclaw@2026.8.1 --engine openclaw@2026.9.6` (tests/verb_scenarios/reply-*.toml and
tests/openclaw_cases/diagnostic-stuck-session-recovery.*/reply-*.toml); these tests hold the
model to it without a build.
"""

from __future__ import annotations

import pytest

from probe.engines.base import CannotExpress
from probe.engines.engine import model_engine
from probe.scenario.loader import parse_scenario
from probe.scenario.values import Scenario
from probe.strategies import REGISTRY
from probe.versions import behaviour_of

HEAD = """\
name = "reply"
[[session]]
ref = "agent:main:main"
session_id = "s1"
"""


def _load(steps: str, head: str = HEAD) -> Scenario:
    return parse_scenario(head + steps, "reply.toml", REGISTRY.keys())


def _outcomes(scenario: Scenario, version: str = "2026.9.6") -> tuple[str, ...]:
    return tuple(model_engine(f"fixed@{version}").replay(scenario).runtime_outcomes)


def _refused(scenario: Scenario, version: str = "2026.9.6") -> list[tuple[int | None, str]]:
    with pytest.raises(CannotExpress) as caught:
        model_engine(f"fixed@{version}").replay(scenario)
    return [(item.step, item.key) for item in caught.value.items]


REPLY = '[[step]]\ndo = "reply"\nsession = "agent:main:main"\nphase = "{phase}"\n{extra}'
RECOVER = (
    '[[step]]\ndo = "recover"\nsession = "agent:main:main"\nage_ms = {age}\n'
    "queue_depth = {depth}\nallow_active_abort = {allow}\n{extra}"
)
ADVANCE = '[[step]]\ndo = "advance"\nms = {ms}\n'
ENQUEUE = '[[step]]\ndo = "enqueue"\nsession = "agent:main:main"\n{extra}'


def _reply(phase: str, extra: str = "") -> str:
    return REPLY.format(phase=phase, extra=extra)


def _recover(age: int, depth: int = 1, allow: bool = False, extra: str = "") -> str:
    return RECOVER.format(age=age, depth=depth, allow=str(allow).lower(), extra=extra)


def test_the_switch_is_on_from_8_1_and_off_where_reply_operations_stay_unplayed() -> None:
    assert behaviour_of("2026.8.1").reply_own_activity
    assert behaviour_of("2026.9.6").reply_own_activity
    for version in ("2026.7.1", "2026.7.35", "2026.7.2-beta.5", "2026.8.1-beta.3"):
        assert not behaviour_of(version).reply_own_activity, version


def test_reply_is_refused_whole_where_only_reply_progress_only_is_on() -> None:
    scenario = _load(_reply("running") + _recover(180_000))
    assert _refused(scenario, "2026.8.1-beta.3") == [(1, "step[1].do")]


@pytest.mark.parametrize(
    ("extra_head", "steps", "where"),
    [
        ('owner = "embedded_run"\n', "", (None, "session 'agent:main:main'.abort")),
        ("", '[[step]]\ndo = "own"\nsession = "agent:main:main"\n', (2, "step[2].abort")),
        ('work = "tool_call"\n', "", (None, "session 'agent:main:main'")),
        (
            "",
            '[[step]]\ndo = "start"\nsession = "agent:main:main"\nwork = "tool_call"\n',
            (2, "step[2].do"),
        ),
        ('[settings]\ndrain = "hold"\n', "", (None, "settings.drain")),
    ],
)
def test_a_reply_beside_other_run_work_is_refused_located(
    extra_head: str, steps: str, where: tuple[int | None, str]
) -> None:
    if extra_head.startswith("[settings]"):
        head = HEAD.replace("[[session]]", extra_head + "[[session]]")
    else:
        head = HEAD + extra_head
    scenario = _load(_reply("running") + steps, head)
    assert where in _refused(scenario)


def test_a_maintenance_phase_is_kept_until_the_compaction_window_passes() -> None:
    window = '\ncompaction_safety_ms = 600000\n'
    kept = _load(
        _reply("preflight_compacting", 'abort = "honoured"\n')
        + ADVANCE.format(ms=614_999)
        + _recover(1_800_000, allow=True, extra=window)
        + ADVANCE.format(ms=1)
        + _recover(1_800_000, allow=True, extra=window)
    )
    assert _outcomes(kept) == ("skipped/active_reply_work", "aborted/abort_embedded_run")
    # 2026.7.1 knows no window: the abort comes at once.
    assert _outcomes(kept, "2026.7.1")[0] == "aborted/abort_embedded_run"


def test_a_new_phase_restarts_the_operation_clock() -> None:
    scenario = _load(
        _reply("preflight_compacting")
        + ADVANCE.format(ms=299_999)
        + _reply("memory_flushing")
        + ADVANCE.format(ms=299_999)
        + _recover(1_800_000, allow=True)
    )
    assert _outcomes(scenario) == ("skipped/active_reply_work",)


def test_stale_reply_work_is_reclaimed_without_queued_work_but_not_a_maintenance_phase() -> None:
    running = _load(
        _reply("running", 'abort = "honoured"\n') + ADVANCE.format(ms=300_000) + _recover(1, 0)
    )
    assert _outcomes(running) == ("aborted/abort_embedded_run",)
    # 2026.7.1 reclaims stale reply work only behind queued work: kept.
    assert _outcomes(running, "2026.7.1") == ("skipped/active_reply_work",)
    flushing = _load(
        _reply("queued")
        + ADVANCE.format(ms=300_000)
        + _reply("memory_flushing")
        + ADVANCE.format(ms=300_000)
        + _recover(1, 0)
    )
    assert _outcomes(flushing) == ("skipped/active_reply_work",)


def test_an_ignored_expiry_is_force_cleared_after_the_drain_and_the_owner_wait() -> None:
    steps = (
        ENQUEUE.format(extra="")
        + _reply("running")
        + _recover(720_000, allow=True)
        + ADVANCE.format(ms=15_099)
        + _recover(1)
        + ADVANCE.format(ms=1)
        + _recover(1)
    )
    assert _outcomes(_load(steps)) == (
        "aborted/abort_embedded_run",
        "skipped/already_in_flight",
        "released/no_active_work",
    )


@pytest.mark.parametrize(
    ("completed_at", "first"),
    [
        (14_999, "aborted/abort_embedded_run"),  # drained: aborted
        (15_000, "released/release_lane"),  # in the owner wait: not aborted, lane reset
        (15_099, "released/release_lane"),
    ],
)
def test_a_late_completion_of_an_expired_operation(completed_at: int, first: str) -> None:
    steps = (
        ENQUEUE.format(extra="")
        + _reply("running")
        + _recover(720_000, allow=True)
        + ADVANCE.format(ms=completed_at)
        + _reply("completed")
    )
    assert _outcomes(_load(steps))[0] == first


def test_the_generator_with_replies_alone_draws_only_what_the_model_plays() -> None:
    from dataclasses import replace

    from probe.scenario.generate import GenerateOptions, generate_many
    from probe.scenario.values import Reply

    options = replace(GenerateOptions(), replies_chance=1.0, replies_alone=True)
    with_reply = 0
    for _, scenario in generate_many(3, 120, options):
        if any(isinstance(step, Reply) for step in scenario.steps):
            with_reply += 1
            model_engine("fixed@2026.9.6").replay(scenario)  # no CannotExpress
    assert with_reply >= 20


def test_the_waits_are_kept_and_entered_only_from_their_phases() -> None:
    waits = _load(
        _reply("waiting_for_deferred_maintenance")
        + _recover(928_000, allow=True)
        + _reply("waiting_for_global_lane")  # not from the deferred wait: nothing happens
        + _recover(928_000, allow=True)
        + _reply("running")
        + _reply("waiting_for_global_lane")
        + _recover(928_000, allow=True)
    )
    assert _outcomes(waits) == (
        "skipped/deferred_maintenance_wait",
        "skipped/deferred_maintenance_wait",
        "skipped/global_lane_wait",
    )
    # Before 2026.8.1 no build has them: each wait step refused, located.
    refused = [(1, "step[1].phase"), (3, "step[3].phase"), (6, "step[6].phase")]
    assert _refused(waits, "2026.7.1") == refused


def test_beside_an_honouring_handle_the_phase_checks_come_first_then_both_end() -> None:
    head = HEAD + 'owner = "embedded_run"\nabort = "honoured"\nstate = "processing"\n'
    window = "compaction_safety_ms = 900000\n"
    scenario = _load(
        _reply("memory_flushing", 'abort = "honoured"\n')
        + _recover(720_000, allow=True, extra=window)
        + ADVANCE.format(ms=915_000)
        + _recover(915_000, allow=True, extra=window)
        + _recover(1, 0),
        head,
    )
    run = model_engine("fixed@2026.9.6").replay(scenario)
    # The direct call's 915 s window keeps the flush beside the handle; the heartbeat passes
    # the default compaction timeout (180 s: a 300 s window), so at 360 s it aborts both.
    assert run.runtime_outcomes == (
        "skipped/active_reply_work",
        "aborted/abort_embedded_run",
        "released/no_active_work",
        "released/no_active_work",
    )
    ended = [e for e in run.events if e.type == "session.state"]
    assert [(e.at_ms, e.get("reason")) for e in ended] == [(360_000, "run_completed")]
