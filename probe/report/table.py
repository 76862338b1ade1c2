"""The before/after comparison and per-strategy timelines, described once for both layouts."""

from __future__ import annotations

from probe.model.events import COMPLETED, QUEUED, REQUESTED, STATE, Event
from probe.report.escape import terminal
from probe.report.layout import Block, Cell, Column, Grid, Spans, render_plain
from probe.report.results import Report, ScenarioResult, StrategyResult


def _render(blocks: list[Block], width: int | None, color: bool) -> str:
    """Plain lines when width is None; else Rich's layout, imported only then (it is slow)."""
    if width is None:
        return render_plain(blocks)
    from probe.report.styled import render_styled

    return render_styled(blocks, width=width, color=color)


def _verdict(ok: bool) -> Spans:
    return (("PASS", "bold green"),) if ok else (("FAIL", "bold red"),)


def _absorber(result: StrategyResult) -> str:
    absorbed = result.run.absorbed_by
    parts = [f"{layer} ({n})" for layer, n in absorbed.items() if n]
    return "\n".join(parts) if parts else "-"


def _violations(result: StrategyResult) -> str:
    names = terminal(", ".join(result.run.violation_names))
    if not names:
        return "none"
    # A design whose table expects the bug passes by showing it: the row must not read as
    # "this design is fine" beside a green PASS.
    return f"{names}\n(expected)" if result.ok and result.expectations else names


_COMPARE_COLUMNS = (
    Column("scenario", min_width=12),
    *(Column(h) for h in ("strategy", "req", "generations", "runtime outcomes", "absorbed by")),
    Column("done"),
    Column("violated"),
    Column("verdict", min_width=8, no_wrap=True),
)


def _comparison_table(title: str, results: list[ScenarioResult]) -> Grid:
    rows: list[tuple[Cell, ...] | None] = []
    for sr in results:
        for i, (name, r) in enumerate(sr.strategies):
            run = r.run
            label = ""
            if i == 0:
                label = terminal(_stem(sr.path))
            elif i == 1 and sr.divergence is not None:
                label = f"(diverges at step {sr.divergence})"
            rows.append(
                (
                    label,
                    terminal(name),
                    str(run.requested),
                    str(run.requested_generations),
                    "\n".join(terminal(o) for o in run.runtime_outcomes) or "-",
                    _absorber(r),
                    str(run.completed),
                    _violations(r),
                    _verdict_with_count(r),
                )
            )
        for j, nc in enumerate(sr.not_comparable):
            label = _stem(sr.path) if j == 0 and not sr.strategies else ""
            engine = terminal(nc.engine)
            rows.append((label, engine, "-", "-", "-", "-", "-", "-", (("n/c", "yellow"),)))
        for j, ef in enumerate(sr.failed):
            first = j == 0 and not sr.strategies and not sr.not_comparable
            label = _stem(sr.path) if first else ""
            engine = terminal(ef.engine)
            rows.append((label, engine, "-", "-", "-", "-", "-", "-", (("FAILED", "bold red"),)))
        rows.append(None)
    return Grid(title, _COMPARE_COLUMNS, tuple(rows))


def _stem(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    return name.removesuffix(".toml")


def _verdict_with_count(r: StrategyResult) -> Spans:
    verdict = _verdict(r.ok)
    if r.ok and r.run.violations:
        verdict = (("PASS", "bold yellow"),)  # amber, as the SVG: shows the bug, as expected
    if not r.expectations:
        return verdict
    held = sum(1 for e in r.expectations if e.ok)
    return (*verdict, (f" {held}/{len(r.expectations)}", ""))


def render_compare(report: Report, *, width: int | None = None, color: bool = False) -> str:
    """The comparison; width None lays it out as plain lines, else Rich's at that width."""
    blocks: list[Block] = []
    bump = [s for s in report.scenarios if s.scenario.has_bump]
    control = [s for s in report.scenarios if not s.scenario.has_bump]
    if bump:
        blocks.append(_comparison_table("With bump", bump))
    if control:
        blocks.append(_comparison_table("Control (no bump)", control))
    blocks += _not_comparable(report)
    blocks += _engine_failures(report)
    blocks.append(_summary_line(report))
    return _render(blocks, width, color)


def _engine_failures(report: Report) -> list[Block]:
    """Why each FAILED row has no run: the build crashed, hung or broke the protocol."""
    lines = [
        terminal(f"  {sr.path}: {ef.engine}: {ef.reason}")
        for sr in report.scenarios
        for ef in sr.failed
    ]
    if not lines:
        return []
    head = ("FAILED = the build failed on this scenario (the others ran in a new process):", "red")
    return [(head, ("\n" + "\n".join(lines) + "\n", ""))]


def _not_comparable(report: Report) -> list[Block]:
    """Why each n/c row could not be compared: the scenario, the engine, the feature."""
    lines = [
        terminal(
            f"  {sr.path}" + (f":{item.line}" if item.line else "") + f": {item.key}: {item.reason}"
        )
        for sr in report.scenarios
        for nc in sr.not_comparable
        for item in nc.items
    ]
    if not lines:
        return []
    head = ("n/c = not comparable (nothing was approximated; the rest is judged):", "yellow")
    return [(head, ("\n" + "\n".join(lines) + "\n", ""))]


def _summary_line(report: Report) -> Spans:
    total = sum(len(s.strategies) for s in report.scenarios)
    failed = sum(1 for s in report.scenarios for _, r in s.strategies if not r.ok)
    failed += report.failed_engines
    skipped = f", {report.not_comparable} not comparable" if report.not_comparable else ""
    head = (f"{len(report.scenarios)} scenario(s), {total} strategy run(s){skipped}: ", "")
    tail = ((f" ({failed} failed)", ""),) if failed else ()
    return (head, *_verdict(report.ok), *tail)


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


def phantom_requests(events: tuple[Event, ...]) -> frozenset[int]:
    """The seq of each request made while one for the same ref is in flight (the phantom the
    SVG draws in red): open from its requested event to its completed one, as the SVG pairs
    them, a coordinator's own skip closing nothing."""
    from probe.invariants import request_identity

    open_requests: dict[str, list[object]] = {}
    phantoms: set[int] = set()
    for e in events:
        if e.type == REQUESTED:
            pending = open_requests.setdefault(e.ref, [])
            if pending:
                phantoms.add(e.seq)
            pending.append(request_identity(e))
        elif e.type == COMPLETED and e.layer != "coordinator":
            pending = open_requests.get(e.ref, [])
            ident = request_identity(e)
            if ident in pending:
                pending.remove(ident)
    return frozenset(phantoms)


PHANTOM = "PHANTOM"
_PHANTOM_LEGEND = (
    f"{PHANTOM}: requested while a recovery for the same ref is in flight; the runtime can "
    "only absorb it (no work behind it)"
)


_TIMELINE_COLUMNS = tuple(
    Column(h) for h in ("step", "t (ms)", "event", "ref", "gen", "detail", "stale")
)


def _timeline(sr: ScenarioResult, name: str, result: StrategyResult) -> Grid:
    rows: list[tuple[Cell, ...] | None] = []
    phantoms = phantom_requests(result.run.events)
    for e in result.run.events:
        mark = ""
        if sr.divergence is not None and e.step == sr.divergence:
            mark = " <- diverges"
        rows.append(
            (
                f"{e.step}{mark}",
                str(e.at_ms),
                terminal(e.type),
                terminal(e.ref),
                "" if e.generation is None else str(e.generation),
                ((f"{PHANTOM} ", "bold red"), (terminal(describe(e)), ""))
                if e.seq in phantoms
                else terminal(describe(e)),
                "stale" if e.get("stale") else "",
            )
        )
    title = terminal(f"{name} ({result.run.engine}, drain={result.run.drain})")
    return Grid(title, _TIMELINE_COLUMNS, tuple(rows))


def _strategy_summary(name: str, r: StrategyResult) -> Spans:
    run = r.run
    name = terminal(name)
    rows: list[tuple[str, Cell]] = [
        (f"{name} verdict", _verdict(r.ok)),
        ("requested", f"{run.requested} at generations {run.requested_generations}"),
        ("completed", str(run.completed)),
        ("runtime outcomes", terminal(", ".join(run.runtime_outcomes)) or "-"),
        ("repeat asks absorbed by", _absorber(r).replace("\n", ", ")),
    ]
    rows += [
        (terminal(f"violated {v.invariant}"), terminal(f"step {v.step}: {v.message}"))
        for v in run.violations
    ]
    if not run.violations:
        rows.append(("invariants", "all hold"))
    for e in r.expectations:
        rows.append(
            (
                terminal(f"expect {e.key}"),
                "holds" if e.ok else terminal(f"BROKEN: expected {e.expected}, got {e.actual}"),
            )
        )
    coverage = terminal(", ".join(f"{k}={v}" for k, v in run.coverage))
    if coverage:
        rows.append(("coverage", coverage))
    width = max(len(label) for label, _ in rows)
    spans: list[tuple[str, str]] = []
    for label, value in rows:
        spans.append((f"  {label:<{width}}  ", "bold"))
        spans += [(value, "")] if isinstance(value, str) else value
        spans.append(("\n", ""))
    return tuple(spans)


def render_run(report: Report, *, width: int | None = None, color: bool = False) -> str:
    """Per scenario, each strategy's timeline and summary; width as for render_compare."""
    blocks: list[Block] = []
    for sr in report.scenarios:
        blocks.append(((terminal(sr.scenario.name), "bold"), (f"  [{terminal(sr.path)}]", "dim")))
        for note in sr.scenario.notes:
            blocks.append(((f"note: {terminal(note)}", "yellow"),))
        if sr.divergence is not None:
            text = f"The strategies' event streams first diverge at step {sr.divergence}."
            blocks.append(((text, ""),))
        for name, r in sr.strategies:
            blocks.append(_timeline(sr, name, r))
            if phantom_requests(r.run.events):
                blocks.append(((_PHANTOM_LEGEND, "red"),))
            blocks.append(_strategy_summary(name, r))
            blocks.append((("", ""),))
        for nc in sr.not_comparable:
            why = "".join(
                f"\n  {terminal(item.key)}"
                + (f" (line {item.line})" if item.line else "")
                + f": {terminal(item.reason)}"
                for item in nc.items
            )
            head = f"{terminal(nc.engine)}: not comparable"
            blocks.append(((head, "bold yellow"), (why + "\n", "")))
        for ef in sr.failed:
            head = f"{terminal(ef.engine)}: FAILED"
            blocks.append(((head, "bold red"), (f"\n  {terminal(ef.reason)}\n", "")))
    blocks.append(_summary_line(report))
    return _render(blocks, width, color)
