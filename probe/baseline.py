"""Compare a report with a saved JSON report: what changed, per scenario, strategy and key."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, cast

from probe.errors import UsageError
from probe.report.escape import terminal
from probe.scenario.limits import LIMITS
from probe.scenario.toml_lines import nesting_past

# Keys of a scenario object that are not per strategy, in the order changes are listed.
_SCENARIO_KEYS = ("name", "ok", "variant", "divergence_step", "notes")


@dataclass(frozen=True, slots=True)
class Change:
    """One difference; `strategy` is None for a scenario-level key, `key` None for presence."""

    scenario: str
    strategy: str | None
    key: str | None
    before: str
    after: str

    def render(self) -> str:
        where = self.scenario if self.strategy is None else f"{self.scenario}: {self.strategy}"
        if self.key is None:
            return f"{where}: {self.after}" if self.after else f"{where}: {self.before}"
        return f"{where}: {self.key}: {self.before} -> {self.after}"


def _show(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def parse_baseline(text: str, path: str) -> dict[str, Any]:
    """A saved JSON report, or a UsageError saying why the file is not one."""
    shown = terminal(path)
    deep = nesting_past(text, LIMITS.nesting, toml=False)
    if deep is not None:
        raise UsageError(
            f"{shown}:{deep.line}: column {deep.column}: arrays and objects nest deeper than "
            f"{LIMITS.nesting} levels here, the limit of a baseline report"
        )
    try:
        doc: object = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{shown}:{exc.lineno}: not a JSON report: {exc.msg}") from None
    except RecursionError:  # nesting_past should have caught it: never a traceback regardless
        raise UsageError(f"{shown}: not a JSON report: nested too deeply to parse") from None
    scenarios = doc.get("scenarios") if isinstance(doc, dict) else None
    if not isinstance(scenarios, list) or not all(
        isinstance(s, dict)
        and isinstance(s.get("path"), str)
        and isinstance(s.get("strategies"), dict)
        and all(isinstance(v, dict) for v in s["strategies"].values())
        for s in scenarios
    ):
        raise UsageError(
            f"{shown}: not a probe JSON report (expected an object with `scenarios`, "
            "each with `path` and `strategies`; write one with --update-baseline)"
        )
    return cast(dict[str, Any], doc)


def _keyed(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Scenarios by path; a path given twice gets `#2`, `#3`, ... so neither is lost."""
    out: dict[str, dict[str, Any]] = {}
    # Where each path's numbering got to: counting from 1 again for every copy was
    # quadratic (20 000 equal paths: 28 s).
    last: dict[str, int] = {}
    for scenario in doc["scenarios"]:
        path = scenario["path"]
        key, n = path, last.get(path, 1)
        while key in out:
            n += 1
            key = f"{path}#{n}"
        last[path] = n
        out[key] = scenario
    return out


def _event_brief(event: object) -> str:
    if not isinstance(event, dict):
        return _show(event)
    where = f"step {event.get('step')}, {event.get('at_ms')} ms"
    return f"{event.get('type')} {event.get('ref')} ({where})"


def _events_change(before: list[Any], after: list[Any]) -> tuple[str, str]:
    """The first event that differs, briefly; the whole streams are in the reports."""
    for i, (b, a) in enumerate(zip(before, after, strict=False)):
        if b == a:
            continue
        if isinstance(b, dict) and isinstance(a, dict) and b.get("type") == a.get("type"):
            keys = sorted(k for k in set(b) | set(a) if b.get(k) != a.get(k))
            shown_b = ", ".join(f"{k}={_show(b.get(k))}" for k in keys)
            shown_a = ", ".join(f"{k}={_show(a.get(k))}" for k in keys)
            return (
                f"{len(before)} events, #{i + 1} {_event_brief(b)} {shown_b}",
                f"{len(after)} events, #{i + 1} {shown_a}",
            )
        return (
            f"{len(before)} events, #{i + 1} {_event_brief(b)}",
            f"{len(after)} events, #{i + 1} {_event_brief(a)}",
        )
    n = min(len(before), len(after))
    extra = before[n:] or after[n:]
    return (
        f"{len(before)} events",
        f"{len(after)} events (from #{n + 1}: {_event_brief(extra[0])})",
    )


def _violations_brief(value: object) -> str:
    if not isinstance(value, list):
        return _show(value)
    items = [
        f"{v.get('invariant')} at step {v.get('step')}" if isinstance(v, dict) else _show(v)
        for v in value
    ]
    return "[" + ", ".join(items) + "]"


def _by_key(items: object) -> dict[str, object] | None:
    """Expectation results by their key, when the list has that shape."""
    if not isinstance(items, list) or not all(
        isinstance(i, dict) and isinstance(i.get("key"), str) for i in items
    ):
        return None
    return {i["key"]: {k: v for k, v in i.items() if k != "key"} for i in items}


def _value_changes(prefix: str, before: object, after: object) -> list[tuple[str, str, str]]:
    """(key path, before, after) for one key; tables are opened one level down."""
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[tuple[str, str, str]] = []
        for k in sorted(set(before) | set(after), key=str):
            b, a = before.get(k, _ABSENT), after.get(k, _ABSENT)
            if b != a:
                out.append((f"{prefix}.{k}", _shown(b), _shown(a)))
        return out
    return [(prefix, _shown(before), _shown(after))]


_ABSENT = object()


def _shown(value: object) -> str:
    return "(absent)" if value is _ABSENT else _show(value)


def _strategy_changes(
    path: str, name: str, before: dict[str, Any], after: dict[str, Any]
) -> list[Change]:
    changes: list[Change] = []
    for key in sorted(set(before) | set(after)):
        b, a = before.get(key, _ABSENT), after.get(key, _ABSENT)
        if b == a:
            continue
        if key == "events" and isinstance(b, list) and isinstance(a, list):
            changes.append(Change(path, name, key, *_events_change(b, a)))
        elif key == "violations" and isinstance(b, list) and isinstance(a, list):
            changes.append(Change(path, name, key, _violations_brief(b), _violations_brief(a)))
        elif (
            key == "expectations"
            and (eb := _by_key(b)) is not None
            and (ea := _by_key(a)) is not None
        ):
            for exp in [*eb, *(k for k in ea if k not in eb)]:
                xb, xa = eb.get(exp, _ABSENT), ea.get(exp, _ABSENT)
                if xb != xa:
                    for k, vb, va in _value_changes(f"{key}.{exp}", xb, xa):
                        changes.append(Change(path, name, k, vb, va))
        else:
            for k, vb, va in _value_changes(key, b, a):
                changes.append(Change(path, name, k, vb, va))
    return changes


def diff_reports(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """Every difference between two JSON reports; the top-level `ok` follows from the rest."""
    old, new = _keyed(before), _keyed(after)
    changes: list[Change] = []
    for path in [*old, *(p for p in new if p not in old)]:
        if path not in new:
            changes.append(Change(path, None, None, "in the baseline only (not run now)", ""))
            continue
        if path not in old:
            changes.append(Change(path, None, None, "", "new (not in the baseline)"))
            continue
        b, a = old[path], new[path]
        for key in _SCENARIO_KEYS:
            if b.get(key) != a.get(key):
                changes.append(Change(path, None, key, _show(b.get(key)), _show(a.get(key))))
        bs, as_ = b["strategies"], a["strategies"]
        for name in [*bs, *(n for n in as_ if n not in bs)]:
            if name not in as_:
                changes.append(Change(path, name, None, "in the baseline only (not run now)", ""))
            elif name not in bs:
                changes.append(Change(path, name, None, "", "new (not in the baseline)"))
            else:
                changes += _strategy_changes(path, name, bs[name], as_[name])
    return changes


def render_changes(baseline: str, changes: list[Change]) -> str:
    """For stderr: paths and names from either report are shown escaped, one line each."""
    baseline = terminal(baseline)
    if not changes:
        return f"baseline {baseline}: no change\n"
    lines = [f"baseline {baseline}: {len(changes)} change(s)"]
    lines += [f"  {terminal(c.render())}" for c in changes]
    return "\n".join(lines) + "\n"
