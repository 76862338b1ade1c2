"""SVG timelines: the strategies side by side, one lane per layer, hand-written and deterministic.

Each scenario is one row; each strategy one panel in it. Time runs left to right, one slot per
reported event, grouped by step (the columns line up across panels). Lanes, top to bottom:
heartbeat (classification), coordinator (requests and their in-flight span), runtime (each call
and its in-flight span) and session state (queued messages, state changes, generation). A
request made while one for the same ref is in flight (the phantom) and the runtime call that can
only absorb it are drawn in red.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from probe.invariants import request_identity
from probe.model.events import COMPLETED, QUEUED, REQUESTED, STATE, Event
from probe.report.escape import xml_text
from probe.report.results import Report, ScenarioResult, StrategyResult
from probe.run import RUNTIME_ABSORBED
from probe.scenario.values import Advance, step_verb

LANES = ("heartbeat", "coordinator", "runtime", "session state")
HEARTBEAT, COORDINATOR, RUNTIME, STATE_LANE = range(4)
MAX_SLOTS = 240  # events drawn per panel; the rest are counted in a note

SLOT = 30
MIN_STEP_SLOTS = 2
STEP_GAP = 10
ROW = 34
LABEL_W = 118
PANEL_GAP = 36
MARGIN = 16
HEADER_H = 44
TITLE_H = 46

INK = "#1f2933"
MUTED = "#6b7785"
GRID = "#d9dee4"
COLOURS = {
    HEARTBEAT: "#6b7785",
    COORDINATOR: "#1d5fd1",
    RUNTIME: "#7a3fc7",
    STATE_LANE: "#0f7b5f",
}
RED = "#d12f2f"
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"


_esc = xml_text


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


@dataclass(frozen=True, slots=True)
class _Mark:
    lane: int
    ref: str
    slot: int
    shape: str  # dot, ring, square, cross, diamond, bar-end
    label: str
    title: str
    colour: str
    depth: int = 0  # overlapping requests for one ref are drawn one below the other


@dataclass(frozen=True, slots=True)
class _Span:
    lane: int
    ref: str
    start: int
    end: int | None  # None: still in flight when the scenario ends
    colour: str
    title: str
    depth: int = 0


@dataclass
class _Panel:
    name: str
    result: StrategyResult
    slots: dict[int, int] = field(default_factory=dict)  # event seq -> slot
    marks: list[_Mark] = field(default_factory=list)
    spans: list[_Span] = field(default_factory=list)
    dropped: int = 0


def _describe(e: Event) -> str:
    from probe.report.table import describe  # the timeline table's wording, without its console

    return f"step {e.step}, {e.at_ms} ms, {e.type} {e.ref}: {describe(e)}"


def _panel(name: str, result: StrategyResult, slot_of: dict[tuple[int, int], int]) -> _Panel:
    """Marks and spans of one strategy's run; `slot_of[(step, i)]` is the i-th event of a step."""
    panel = _Panel(name, result)
    events = result.run.events
    seen_in_step: dict[int, int] = {}
    for e in events:
        step = e.step or 0
        i = seen_in_step.get(step, 0)
        seen_in_step[step] = i + 1
        if (step, i) in slot_of:
            panel.slots[e.seq] = slot_of[(step, i)]
        else:
            panel.dropped += 1
    outcomes = list(result.run.runtime_outcomes)
    open_requests: dict[str, list[tuple[object, Event, bool, int]]] = {}
    calls = 0
    for e in events:
        slot = panel.slots.get(e.seq)
        if slot is None:
            continue
        title = _describe(e)
        gen = e.get("stateGeneration")
        if e.type == REQUESTED:
            pending = open_requests.setdefault(e.ref, [])
            phantom = bool(pending)
            depth = _free_depth(pending)
            outcome = outcomes[calls] if calls < len(outcomes) else "pending"
            calls += 1
            pending.append((request_identity(e), e, outcome == RUNTIME_ABSORBED, depth))
            colour = RED if phantom else COLOURS[COORDINATOR]
            label = f"g{gen}"
            panel.marks.append(
                _Mark(
                    COORDINATOR,
                    e.ref,
                    slot,
                    "dot",
                    label,
                    title + _phantom(phantom),
                    colour,
                    depth,
                )
            )
            status = outcome.split("/", 1)[0]
            if outcome == RUNTIME_ABSORBED:
                panel.marks.append(
                    _Mark(
                        RUNTIME,
                        e.ref,
                        slot,
                        "cross",
                        "absorbed",
                        f"runtime call {calls}: {outcome} (no work behind it)",
                        RED,
                    )
                )
            else:
                panel.marks.append(
                    _Mark(
                        RUNTIME,
                        e.ref,
                        slot,
                        "square",
                        status,
                        f"runtime call {calls}: {outcome}",
                        COLOURS[RUNTIME],
                    )
                )
        elif e.type == COMPLETED and e.layer == "coordinator":
            panel.marks.append(
                _Mark(COORDINATOR, e.ref, slot, "ring", "absorbed", title, COLOURS[COORDINATOR])
            )
        elif e.type == COMPLETED:
            pending = open_requests.get(e.ref, [])
            ident = request_identity(e)
            depth = 0
            for k, (other, req, absorbed, depth) in enumerate(pending):
                if other == ident:
                    del pending[k]
                    start = panel.slots[req.seq]
                    colour = RED if absorbed else COLOURS[COORDINATOR]
                    panel.spans.append(_Span(COORDINATOR, e.ref, start, slot, colour, title, depth))
                    if not absorbed:
                        panel.spans.append(
                            _Span(RUNTIME, e.ref, start, slot, COLOURS[RUNTIME], title)
                        )
                    break
            what = f"{e.get('status')}"
            stale = ", stale" if e.get("stale") else ""
            panel.marks.append(
                _Mark(COORDINATOR, e.ref, slot, "bar-end", what + stale, title, INK, depth)
            )
        elif e.type == QUEUED:
            panel.marks.append(
                _Mark(
                    STATE_LANE,
                    e.ref,
                    slot,
                    "diamond",
                    f"bump g{e.generation}",
                    title,
                    COLOURS[STATE_LANE],
                )
            )
        elif e.type == STATE:
            panel.marks.append(
                _Mark(
                    STATE_LANE,
                    e.ref,
                    slot,
                    "square",
                    f"{e.get('state')} g{e.generation}",
                    title,
                    COLOURS[STATE_LANE],
                )
            )
        else:
            kind = e.type.rsplit(".", 1)[-1]
            panel.marks.append(
                _Mark(HEARTBEAT, e.ref, slot, "diamond", kind, title, COLOURS[HEARTBEAT])
            )
    for pending in open_requests.values():
        for _, req, absorbed, depth in pending:
            start = panel.slots[req.seq]
            title = f"requested at step {req.step} and still in flight at the end"
            colour = RED if absorbed else COLOURS[COORDINATOR]
            panel.spans.append(_Span(COORDINATOR, req.ref, start, None, colour, title, depth))
            if not absorbed:
                panel.spans.append(_Span(RUNTIME, req.ref, start, None, COLOURS[RUNTIME], title))
    return panel


def _free_depth(pending: list[tuple[object, Event, bool, int]]) -> int:
    taken = {depth for *_, depth in pending}
    return next(d for d in range(len(pending) + 1) if d not in taken)


def _phantom(phantom: bool) -> str:
    return " (phantom: a recovery for this ref is already in flight)" if phantom else ""


@dataclass(frozen=True, slots=True)
class _Columns:
    """Where each step's column starts (in slots) and how many slots it has."""

    steps: tuple[int, ...]
    start: dict[int, int]
    width: dict[int, int]
    total: int


def _columns(sr: ScenarioResult) -> tuple[_Columns, dict[tuple[int, int], int]]:
    counts: dict[int, int] = {}
    for _, r in sr.strategies:
        per: dict[int, int] = {}
        for e in r.run.events:
            per[e.step or 0] = per.get(e.step or 0, 0) + 1
        for step, n in per.items():
            counts[step] = max(counts.get(step, 0), n)
    steps = sorted(set(range(1, len(sr.scenario.steps) + 1)) | set(counts))
    start: dict[int, int] = {}
    width: dict[int, int] = {}
    slot_of: dict[tuple[int, int], int] = {}
    at = 0
    for step in steps:
        n = counts.get(step, 0)
        room = max(0, MAX_SLOTS - at)
        drawn = min(n, room)
        start[step] = at
        width[step] = max(MIN_STEP_SLOTS, drawn) if room else 0
        for i in range(drawn):
            slot_of[(step, i)] = at + i
        at += width[step]
    return _Columns(tuple(s for s in steps if width[s]), start, width, at), slot_of


def _x(cols: _Columns, slot: int) -> int:
    """Centre of a slot, with a gap after each step column."""
    gaps = sum(1 for s in cols.steps if cols.start[s] + cols.width[s] <= slot)
    return slot * SLOT + gaps * STEP_GAP + SLOT // 2


def _panel_width(cols: _Columns) -> int:
    return LABEL_W + cols.total * SLOT + len(cols.steps) * STEP_GAP


def _text(x: int, y: int, text: str, *, size: int = 11, anchor: str = "start", **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return (
        f'<text x="{x}" y="{y}" font-size="{size}" text-anchor="{anchor}"{extra}>'
        f"{_esc(text)}</text>"
    )


def _glyph(m: _Mark, x: int, y: int, label_dy: int = 17) -> list[str]:
    title = f"<title>{_esc(m.title)}</title>"
    c = m.colour
    match m.shape:
        case "dot":
            shape = f'<circle cx="{x}" cy="{y}" r="6" fill="{c}">{title}</circle>'
        case "ring":
            shape = (
                f'<circle cx="{x}" cy="{y}" r="6" fill="#ffffff" stroke="{c}" '
                f'stroke-width="2">{title}</circle>'
            )
        case "square":
            shape = (
                f'<rect x="{x - 5}" y="{y - 5}" width="10" height="10" fill="{c}">{title}</rect>'
            )
        case "cross":
            shape = (
                f'<path d="M{x - 6} {y - 6}L{x + 6} {y + 6}M{x + 6} {y - 6}L{x - 6} {y + 6}" '
                f'stroke="{c}" stroke-width="3">{title}</path>'
            )
        case "diamond":
            shape = (
                f'<path d="M{x} {y - 6}L{x + 6} {y}L{x} {y + 6}L{x - 6} {y}Z" fill="{c}">'
                f"{title}</path>"
            )
        case _:
            shape = f'<path d="M{x} {y - 8}V{y + 8}" stroke="{c}" stroke-width="2">{title}</path>'
    if not m.label:
        return [shape]
    label = _text(x, y + label_dy, _short(m.label, 15), size=9, anchor="middle", fill=c)
    return [shape, label]


def _draw_panel(
    panel: _Panel, cols: _Columns, refs: list[str], sr: ScenarioResult, x0: int, y0: int
) -> list[str]:
    run = panel.result.run
    width = _panel_width(cols)
    rows = max(1, len(refs))
    lane_h = ROW * rows
    out: list[str] = [f'<g transform="translate({x0},{y0})">']
    # PASS means "behaves as its expectations say": for a design expected to show the bug it
    # must not read as "this design is fine", so it says so, in amber rather than green.
    if not panel.result.ok:
        verdict, colour = "FAIL", RED
    elif run.violations:
        verdict, colour = "PASS: shows the bug, as expected", "#a35a00"
    else:
        verdict, colour = "PASS", "#0f7b5f"
    out.append(_text(0, 14, f"{panel.name}", size=14, font_weight="bold", fill=INK))
    out.append(_text(width, 14, verdict, size=12, anchor="end", font_weight="bold", fill=colour))
    violated = (
        ", ".join(f"{v.invariant} (step {v.step})" for v in run.violations)
        or "no invariant violated"
    )
    sub = f"{run.engine}, drain={run.drain}: requested {run.requested}, {violated}"
    out.append(_text(0, 31, _short(sub, max(20, width // 6)), size=10, fill=MUTED))
    if panel.dropped:
        out.append(
            _text(
                0,
                42,
                f"(first {MAX_SLOTS} slots drawn; {panel.dropped} events left out)",
                size=9,
                fill=MUTED,
            )
        )
    top = TITLE_H
    first_at: dict[int, int] = {}
    for e in run.events:
        if e.seq in panel.slots:
            first_at.setdefault(e.step or 0, e.at_ms)
    # Step columns: a header and a light band.
    for n, step in enumerate(cols.steps):
        sx = LABEL_W + _x(cols, cols.start[step]) - SLOT // 2
        sw = cols.width[step] * SLOT
        fill = "#f4f6f8" if n % 2 == 0 else "#ffffff"
        out.append(
            f'<rect x="{sx}" y="{top}" width="{sw}" height="{HEADER_H + lane_h * 4}" '
            f'fill="{fill}"/>'
        )
        verb = step_verb(sr.scenario.steps[step - 1]) if 1 <= step <= len(sr.scenario.steps) else ""
        if 1 <= step <= len(sr.scenario.steps):
            s = sr.scenario.steps[step - 1]
            if isinstance(s, Advance):
                verb = f"advance {s.ms} ms"
        out.append(_text(sx + 3, top + 13, f"step {step}", size=10, font_weight="bold", fill=INK))
        out.append(_text(sx + 3, top + 25, _short(verb, max(4, sw // 6)), size=9, fill=INK))
        if step in first_at:
            out.append(_text(sx + 3, top + 37, _seconds(first_at[step]), size=9, fill=MUTED))
    # Lanes.
    for lane, name in enumerate(LANES):
        ly = top + HEADER_H + lane * lane_h
        out.append(
            f'<line x1="0" y1="{ly}" x2="{width}" y2="{ly}" stroke="{GRID}" stroke-width="1"/>'
        )
        out.append(_text(0, ly + 15, name, size=11, font_weight="bold", fill=COLOURS[lane]))
        if len(refs) > 1:
            for r, ref in enumerate(refs):
                out.append(_text(8, ly + r * ROW + 27, _short(ref, 18), size=8, fill=MUTED))
    bottom = top + HEADER_H + 4 * lane_h
    out.append(
        f'<line x1="0" y1="{bottom}" x2="{width}" y2="{bottom}" stroke="{GRID}" stroke-width="1"/>'
    )

    row_of = {ref: n for n, ref in enumerate(refs)}

    def centre(lane: int, ref: str, depth: int = 0) -> int:
        row = row_of.get(ref, 0)
        return top + HEADER_H + lane * lane_h + row * ROW + ROW // 2 - 5 + min(depth, 2) * 7

    end_x = LABEL_W + _x(cols, max(cols.total - 1, 0)) + SLOT // 2
    for span in panel.spans:
        y = centre(span.lane, span.ref, span.depth)
        xa = LABEL_W + _x(cols, span.start)
        xb = end_x if span.end is None else LABEL_W + _x(cols, span.end)
        dash = ' stroke-dasharray="4 3"' if span.end is None else ""
        out.append(
            f'<line x1="{xa}" y1="{y}" x2="{xb}" y2="{y}" stroke="{span.colour}" '
            f'stroke-width="5" stroke-opacity="0.35" stroke-linecap="round"{dash}>'
            f"<title>{_esc(span.title)}</title></line>"
        )
    # Neighbouring labels in one row would overlap: repeat none, and lift every other one.
    last: dict[tuple[int, str, int], tuple[int, str, bool]] = {}
    for m in sorted(panel.marks, key=lambda m: (m.lane, m.ref, m.depth, m.slot)):
        row = (m.lane, m.ref, m.depth)
        prev = last.get(row)
        lifted = False
        if prev is not None and m.slot - prev[0] <= 1:
            if prev[1] == m.label:
                m = replace(m, label="")
            else:
                lifted = not prev[2]
        last[row] = (m.slot, m.label or (prev[1] if prev else ""), lifted)
        x, y = LABEL_W + _x(cols, m.slot), centre(m.lane, m.ref, m.depth)
        out += _glyph(m, x, y, -10 if lifted else 17)
    out.append("</g>")
    return out


def _seconds(ms: int) -> str:
    if ms % 1000 == 0:
        return f"{ms // 1000} s"
    return f"{ms / 1000:.3f} s"


def _refs(sr: ScenarioResult, panels: list[_Panel]) -> list[str]:
    """One row per session that has a drawn event, in seeding-file order."""
    touched = {m.ref for p in panels for m in p.marks}
    refs = [s.ref for s in sr.scenario.sessions if s.ref in touched]
    known = set(refs)
    refs += sorted(touched - known)
    return refs or [s.ref for s in sr.scenario.sessions[:1]]


LEGEND = (
    ("dot", COORDINATOR, "recovery requested (gN: generation)"),
    ("dot", -1, "requested while one for the ref is in flight: phantom"),
    ("ring", COORDINATOR, "ask absorbed by the coordinator"),
    ("bar-end", -2, "recovery completed"),
    ("square", RUNTIME, "runtime call and its outcome"),
    ("cross", -1, "runtime call absorbed as already_in_flight"),
    ("diamond", HEARTBEAT, "heartbeat classification"),
    ("diamond", STATE_LANE, "queued message (bump) / state change"),
)


def _legend(y: int, width: int) -> tuple[list[str], int]:
    """The key, wrapped to `width`; returns the drawing and the height it takes."""
    out: list[str] = []
    x = MARGIN
    height = 20
    items = [*LEGEND, ("span", COORDINATOR, "in flight (dashed: still at the end)")]
    for shape, lane, text in items:
        step = 26 + int(len(text) * 5.8)
        if x + step > width - MARGIN and x > MARGIN:
            x = MARGIN
            y += 20
            height += 20
        colour = RED if lane == -1 else INK if lane == -2 else COLOURS[lane]
        if shape == "span":
            out.append(
                f'<line x1="{x}" y1="{y}" x2="{x + 14}" y2="{y}" stroke="{colour}" '
                'stroke-width="5" stroke-opacity="0.35" stroke-linecap="round"/>'
            )
        else:
            out += _glyph(_Mark(0, "", 0, shape, "", text, colour), x + 6, y)[:1]
        out.append(_text(x + 18, y + 4, text, size=10, fill=INK))
        x += step
    return out, height


def render_svg(report: Report) -> str:
    """One picture for the whole report: a row per scenario, a panel per strategy."""
    body: list[str] = []
    y = MARGIN
    width = 0
    for sr in report.scenarios:
        cols, slot_of = _columns(sr)
        panels = [_panel(name, r, slot_of) for name, r in sr.strategies]
        refs = _refs(sr, panels)
        head = f"{sr.scenario.name}"
        body.append(_text(MARGIN, y + 16, _short(head, 150), size=15, font_weight="bold", fill=INK))
        where = sr.path
        if sr.divergence is not None:
            where += f": the strategies diverge at step {sr.divergence}"
        body.append(_text(MARGIN, y + 33, where, size=11, fill=MUTED))
        y += 44
        pw = _panel_width(cols)
        for n, panel in enumerate(panels):
            body += _draw_panel(panel, cols, refs, sr, MARGIN + n * (pw + PANEL_GAP), y)
        width = max(width, MARGIN * 2 + 40 + len(panels) * pw + (len(panels) - 1) * PANEL_GAP)
        y += TITLE_H + HEADER_H + 4 * ROW * max(1, len(refs)) + 28
    width = max(width, 900)
    legend, height = _legend(y + 6, width)
    body += legend
    y += height + 10
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{y}" '
        f'viewBox="0 0 {width} {y}" font-family="{FONT}">'
    )
    background = f'<rect x="0" y="0" width="{width}" height="{y}" fill="#ffffff"/>'
    return "\n".join([head, background, *body, "</svg>"]) + "\n"
