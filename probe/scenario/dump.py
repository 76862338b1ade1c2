"""Write a Scenario back as TOML (tomli-w) in the contract's format, ready for `probe run`."""

from __future__ import annotations

from typing import Any, assert_never

import tomli_w

from probe.properties.selection import Choice
from probe.scenario.run_ids import other_session_id
from probe.scenario.values import (
    DEFAULT_PROGRESS_REASON,
    MAIN_MARKER,
    Advance,
    Answer,
    Backend,
    Bump,
    Deliver,
    End,
    Enqueue,
    Expectation,
    Key,
    Own,
    Progress,
    Recover,
    Release,
    Reply,
    Scenario,
    Settings,
    Start,
    StateChange,
    Step,
    Tick,
)


def step_table(step: Step) -> dict[str, Any]:
    """A step in the scenario's own [[step]] form."""
    table = _step_table(step)
    via = getattr(step, "via", None)
    if via is not None:  # named by the session's id: the call passes the id alone
        table["session"] = via
    return table


def _step_table(step: Step) -> dict[str, Any]:
    match step:
        case Tick(late_ms=late):
            return {"do": "tick"} if late is None else {"do": "tick", "late_ms": late}
        case Bump(session=ref):
            return {"do": "bump", "session": ref}
        case Advance(ms=ms):
            return {"do": "advance", "ms": ms}
        case Release(session=ref, failed=failed):
            table: dict[str, Any] = {"do": "release"}
            if ref is not None:
                table["session"] = ref
            if failed:
                table["outcome"] = "failed"
            return table
        case StateChange(session=ref, to=to):
            return {"do": "state", "session": ref, "to": to}
        case Progress(session=ref, target=target, reason=reason, ago_ms=ago):
            table = {"do": "progress", "session": ref}
            # Only what differs from the plain verb, so plain progress dumps as before.
            if target != "both":
                table["target"] = target
            if reason != DEFAULT_PROGRESS_REASON:
                table["reason"] = reason
            if ago:
                table["ago_ms"] = ago
            if step.semantic:
                table["semantic"] = True
            return table
        case Start(session=ref, work=kind, id=marker, timeout_ms=timeout, deadline_ms=deadline):
            table = {"do": "start", "session": ref, "work": kind, **_marker_key(marker)}
            if timeout is not None:
                table["timeout_ms"] = timeout
            if deadline is not None:
                table["deadline_ms"] = deadline
            if step.held:
                table["delivery"] = "held"
            if step.attempt:
                table["attempt"] = True
            return table
        case End(session=ref, work=kind, id=marker, clear=clear):
            table = {"do": "end", "session": ref, "work": kind, **_marker_key(marker)}
            if not clear:
                table["clear"] = False
            return table
        case Recover():
            return _recover_table(step)
        case Enqueue(session=ref, task=task):
            return {"do": "enqueue", "session": ref, "task": task}
        case Own(session=ref, abort=abort):
            return {"do": "own", "session": ref, "abort": abort}
        case Backend(session=ref, action=action, allowance_ms=allowance):
            table = {"do": "backend", "session": ref, "action": action}
            if allowance is not None:
                table["allowance_ms"] = allowance
            return table
        case Answer():
            return _answer_table(step)
        case Key(session=ref, key=key):
            return {"do": "key", "session": ref, "key": key}
        case Reply(session=ref, phase=phase, abort=abort):
            table = {"do": "reply", "session": ref, "phase": phase}
            if abort != "ignored":
                table["abort"] = abort
            return table
        case Deliver():
            return {"do": "deliver"}
        case _:
            assert_never(step)


def _marker_key(marker: str) -> dict[str, str]:
    """A marker's key: none for "main", `session_id` for a run under another id, else `id`."""
    if marker == MAIN_MARKER:
        return {}
    other = other_session_id(marker)
    return {"id": marker} if other is None else {"session_id": other}


def _recover_table(step: Recover) -> dict[str, Any]:
    """Only the arguments the step passes beyond the defaults (see the loader's _recover)."""
    table: dict[str, Any] = {"do": "recover", "session": step.session}
    if step.allow_active_abort:
        table["allow_active_abort"] = True
    if step.age_ms:
        table["age_ms"] = step.age_ms
    if step.queue_depth:
        table["queue_depth"] = step.queue_depth
    if step.generation is not None:
        table["generation"] = step.generation
        if step.expected_state != "processing":
            table["expected_state"] = step.expected_state
    if step.stale_abort_ms is not None:
        table["stale_abort_ms"] = step.stale_abort_ms
    if step.compaction_safety_ms is not None:
        table["compaction_safety_ms"] = step.compaction_safety_ms
    return table


def _answer_table(step: Answer) -> dict[str, Any]:
    """A scripted answer: its status, and the outcome's fields beyond the status's defaults."""
    table: dict[str, Any] = {"do": "answer", "session": step.session, "status": step.status}
    if step.status == "none":
        return table
    table["action"] = step.action
    if step.reason is not None:
        table["reason"] = step.reason
    if step.released:
        table["released"] = step.released
    if step.queued_count is not None:
        table["queued_count"] = step.queued_count
    if step.work is not None:
        table["work"] = step.work
    return table


def _settings(s: Settings) -> dict[str, Any]:
    table: dict[str, Any] = {
        "heartbeat_ms": s.heartbeat_ms,
        "warn_ms": s.warn_ms,
        "settle_ms": s.settle_ms,
        "drain": s.drain,
    }
    if s.abort_ms is not None:
        table["abort_ms"] = s.abort_ms
    # The lateness keys only when they say something, so on-time scenarios dump as before.
    if s.tick_late_ms:
        table["tick_late_ms"] = s.tick_late_ms
    if s.tick_jitter_ms is not None:
        table["tick_jitter_ms"] = list(s.tick_jitter_ms)
        table["jitter_seed"] = s.jitter_seed
    if s.runtime != "real":
        table["runtime"] = s.runtime
    return table


def expectation_table(e: Expectation) -> dict[str, Any]:
    """An expectation as its [expect.NAME] table: the keys it sets, in the contract's order."""
    out: dict[str, Any] = {}
    if e.requested is not None:
        out["requested"] = e.requested
    if e.requested_generations is not None:
        out["requested_generations"] = list(e.requested_generations)
    if e.completed is not None:
        out["completed"] = e.completed
    if e.runtime_outcomes is not None:
        out["runtime_outcomes"] = list(e.runtime_outcomes)
    if e.violations is not None:
        out["violations"] = list(e.violations)
    absorbed = {
        k: v
        for k, v in (("coordinator", e.absorbed_by_coordinator), ("runtime", e.absorbed_by_runtime))
        if v is not None
    }
    if absorbed:
        out["absorbed_by"] = absorbed
    return out


def _table(header: str, values: dict[str, Any]) -> str:
    return f"\n[{header}]\n" + tomli_w.dumps(values)


def properties_table(choice: Choice) -> str:
    """[properties] as the loader reads it; nothing for the whole catalogue at its defaults."""
    values: dict[str, Any] = {}
    if choice.only is not None:
        values["only"] = list(choice.only)
    if choice.skip:
        values["skip"] = list(choice.skip)
    for name, given in choice.params:
        if given:
            values[name] = dict(given)
    return "\n" + tomli_w.dumps({"properties": values}) if values else ""


def dump_scenario(scenario: Scenario) -> str:
    """Sections in the order people write them: [[step]] tables, not an inline array."""
    head: dict[str, Any] = {"name": scenario.name}
    if scenario.description:
        head["description"] = scenario.description
    parts = [
        tomli_w.dumps(head, multiline_strings=True),
        _table("settings", _settings(scenario.settings)),
    ]
    for s in scenario.sessions:
        identity = {"ref": s.ref} if s.keyed else {"session_id": s.ref}
        if s.keyed and s.session_id is not None:
            identity["session_id"] = s.session_id
        session = {
            **identity,
            "state": s.state,
            "generation": s.generation,
            "queue_depth": s.queue_depth,
            "owner": s.owner,
            "abort": s.abort,
            "work": s.work,
            "progress_age_ms": s.progress_age_ms,
        }
        if s.session_file is not None:
            session["session_file"] = s.session_file
        if s.owner == "none" and s.abort == "ignored":
            del session["abort"]  # the default, and without an owner the loader notes it is moot
        parts.append(_table("[session]", session))
    parts.extend(_table("[step]", step_table(step)) for step in scenario.steps)
    parts.append(properties_table(scenario.properties))
    # Through one nested document, so that a sub-table comes out as [expect.NAME.absorbed_by]
    # and a name that needs quotes ("fixed@2026.7.1") gets them.
    parts.extend(
        "\n" + tomli_w.dumps({"expect": {name: expectation_table(e)}})
        for name, e in scenario.expect
    )
    return "".join(parts)
