"""Terminal renderers (Rich): the before/after comparison and per-strategy timelines."""

from __future__ import annotations

from io import StringIO

from rich import box
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from probe.model.events import COMPLETED, QUEUED, REQUESTED, STATE, Event
from probe.report.results import Report, ScenarioResult, StrategyResult


def _console(width: int, color: bool) -> Console:
    return Console(
        file=StringIO(),
        width=width,
        color_system="standard" if color else None,
        force_terminal=color,
        no_color=not color,
        highlight=False,
        emoji=False,
        legacy_windows=False,
        _environ={},
    )


def _render(items: list[RenderableType], width: int, color: bool) -> str:
    console = _console(width, color)
    for item in items:
        console.print(item)
    out = console.file
    assert isinstance(out, StringIO)
    return out.getvalue()


def _verdict(ok: bool) -> Text:
    return Text("PASS", style="bold green") if ok else Text("FAIL", style="bold red")


def _absorber(result: StrategyResult) -> str:
    absorbed = result.run.absorbed_by
    parts = [f"{layer} ({n})" for layer, n in absorbed.items() if n]
    return "\n".join(parts) if parts else "-"


def _violations(result: StrategyResult) -> str:
    return ", ".join(result.run.violation_names) or "none"


def _comparison_table(title: str, results: list[ScenarioResult]) -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
    table.add_column("scenario", overflow="fold", min_width=12)
    for header in ("strategy", "req", "generations", "runtime outcomes", "absorbed by", "done"):
        table.add_column(header, overflow="fold")
    table.add_column("violated", overflow="fold")
    table.add_column("verdict", no_wrap=True, min_width=8)
    for sr in results:
        for i, (name, r) in enumerate(sr.strategies):
            run = r.run
            label = ""
            if i == 0:
                label = _stem(sr.path)
            elif i == 1 and sr.divergence is not None:
                label = f"(diverges at step {sr.divergence})"
            table.add_row(
                label,
                name,
                str(run.requested),
                str(run.requested_generations),
                "\n".join(run.runtime_outcomes) or "-",
                _absorber(r),
                str(run.completed),
                _violations(r),
                _verdict_with_count(r),
            )
        table.add_section()
    return table


def _stem(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    return name.removesuffix(".toml")


def _verdict_with_count(r: StrategyResult) -> Text:
    text = _verdict(r.ok)
    if r.expectations:
        held = sum(1 for e in r.expectations if e.ok)
        text.append(f" {held}/{len(r.expectations)}")
    return text


def render_compare(report: Report, *, width: int = 140, color: bool = False) -> str:
    items: list[RenderableType] = []
    bump = [s for s in report.scenarios if s.scenario.has_bump]
    control = [s for s in report.scenarios if not s.scenario.has_bump]
    if bump:
        items.append(_comparison_table("With bump", bump))
    if control:
        items.append(_comparison_table("Control (no bump)", control))
    items.append(_summary_line(report))
    return _render(items, width, color)


def _summary_line(report: Report) -> Text:
    total = sum(len(s.strategies) for s in report.scenarios)
    failed = sum(1 for s in report.scenarios for _, r in s.strategies if not r.ok)
    text = Text(f"{len(report.scenarios)} scenario(s), {total} strategy run(s): ")
    text.append_text(_verdict(report.ok))
    if failed:
        text.append(f" ({failed} failed)")
    return text


def describe(event: Event) -> str:
    """One line of what an event says, in openclaw's own words."""
    f = event.get
    if event.type == REQUESTED:
        extra = ", allowActiveAbort" if f("allowActiveAbort") else ""
        return (
            f"gen {f('stateGeneration')}, {f('state')}, q={f('queueDepth')}, {f('reason')}{extra}"
        )
    if event.type == COMPLETED:
        what = f"{f('status')}/{f('outcomeReason') or f('action')}"
        by = f" (by {event.layer})" if event.layer else ""
        return f"gen {f('stateGeneration')}: {what}{by}"
    if event.type == STATE:
        return f"{f('prevState')} -> {f('state')} ({f('reason')}), q={f('queueDepth')}"
    if event.type == QUEUED:
        return f"q={f('queueDepth')}"
    what = f"{f('classification')}/{f('reason')}"
    return f"{what}, {f('state')}, age {f('ageMs')} ms, q={f('queueDepth')}"


def _timeline(sr: ScenarioResult, name: str, result: StrategyResult) -> Table:
    table = Table(
        title=f"{name} ({result.run.engine}, drain={result.run.drain})",
        box=box.SIMPLE_HEAD,
        title_justify="left",
    )
    for header in ("step", "t (ms)", "event", "ref", "gen", "detail", "stale"):
        table.add_column(header, overflow="fold")
    for e in result.run.events:
        mark = ""
        if sr.divergence is not None and e.step == sr.divergence:
            mark = " <- diverges"
        table.add_row(
            f"{e.step}{mark}",
            str(e.at_ms),
            e.type,
            e.ref,
            "" if e.generation is None else str(e.generation),
            describe(e),
            "stale" if e.get("stale") else "",
        )
    return table


def _strategy_summary(name: str, r: StrategyResult) -> Text:
    run = r.run
    rows: list[tuple[str, str | Text]] = [
        (f"{name} verdict", _verdict(r.ok)),
        ("requested", f"{run.requested} at generations {run.requested_generations}"),
        ("completed", str(run.completed)),
        ("runtime outcomes", ", ".join(run.runtime_outcomes) or "-"),
        ("repeat asks absorbed by", _absorber(r).replace("\n", ", ")),
    ]
    rows += [(f"violated {v.invariant}", f"step {v.step}: {v.message}") for v in run.violations]
    if not run.violations:
        rows.append(("invariants", "all hold"))
    for e in r.expectations:
        rows.append(
            (
                f"expect {e.key}",
                "holds" if e.ok else f"BROKEN: expected {e.expected}, got {e.actual}",
            )
        )
    coverage = ", ".join(f"{k}={v}" for k, v in run.coverage)
    if coverage:
        rows.append(("coverage", coverage))
    width = max(len(label) for label, _ in rows)
    text = Text()
    for label, value in rows:
        text.append(f"  {label:<{width}}  ", style="bold")
        text.append(value if isinstance(value, Text) else Text(value))
        text.append("\n")
    return text


def render_run(report: Report, *, width: int = 120, color: bool = False) -> str:
    items: list[RenderableType] = []
    for sr in report.scenarios:
        head = Text(f"{sr.scenario.name}", style="bold")
        head.append(f"  [{sr.path}]", style="dim")
        items.append(head)
        for note in sr.scenario.notes:
            items.append(Text(f"note: {note}", style="yellow"))
        if sr.divergence is not None:
            items.append(
                Text(f"The strategies' event streams first diverge at step {sr.divergence}.")
            )
        for name, r in sr.strategies:
            items.append(_timeline(sr, name, r))
            items.append(_strategy_summary(name, r))
            items.append(Text(""))
    items.append(_summary_line(report))
    return _render(items, width, color)
