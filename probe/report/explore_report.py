"""`probe explore`'s findings per strategy, rendered as table, JSON, JUnit, Markdown or GitHub."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from probe.report.escape import markdown, markdown_code, terminal
from probe.report.timing import seconds
from probe.scenario.dump import step_table

if TYPE_CHECKING:
    from collections.abc import Sequence

    from probe.engines.confirm import Confirmation
    from probe.explore.liveness import Lasso
    from probe.explore.values import Counterexample, ExploreConfig, ExploreResult
    from probe.scenario.values import Step


@dataclass(frozen=True, slots=True)
class Written:
    example: Counterexample
    file: str | None
    # One per --confirm engine: the counterexample replayed on a real build.
    confirmations: tuple[Confirmation, ...] = ()


@dataclass(frozen=True, slots=True)
class StrategyOutcome:
    result: ExploreResult
    seconds: float
    written: tuple[Written, ...]
    expected: frozenset[str]

    @property
    def ok(self) -> bool:
        return self.result.violated == self.expected

    @property
    def disagreements(self) -> int:
        return sum(1 for w in self.written for c in w.confirmations if c.failed)

    @property
    def passed(self) -> bool:
        return self.ok and not self.disagreements


def stopped_by(bound: str) -> str:
    return "interrupted" if bound == "interrupted" else f"stopped by {bound}"


def problems(name: str, o: StrategyOutcome) -> list[str]:
    """Why a strategy failed, one line each (empty when it passed)."""
    lines = []
    for invariant in sorted(o.result.violated - o.expected):
        example = next(w for w in o.written if w.example.invariant == invariant)
        lines.append(
            f"{name} violates {invariant} in {len(example.example.trace)} step(s), "
            f"which is not expected" + (f" (written to {example.file})" if example.file else "")
        )
    for invariant in sorted(o.expected - o.result.violated):
        bound = stopped_by(o.result.bound_hit) if o.result.bound_hit else "exhaustively"
        lines.append(
            f"{name} is expected to violate {invariant}, but no trace up to depth "
            f"{o.result.depth} does (searched {bound})"
        )
    for w in o.written:
        for c in w.confirmations:
            if c.failed:
                lines.append(
                    f"{name}: the model disagrees with {c.engine} on the {w.example.invariant} "
                    "counterexample"
                )
    return lines


def _step(step: Step) -> str:
    table = step_table(step)
    extra = " ".join(f"{k}={v}" for k, v in table.items() if k != "do")
    return f"{table['do']}" + (f" {extra}" if extra else "")


def _trace(example: Counterexample) -> str:
    return "; ".join(_step(step) for step in example.trace)


def render_explore_junit(
    outcomes: Mapping[str, StrategyOutcome], seed: str, started: datetime
) -> str:
    """One testsuite for the search, one testcase per strategy."""
    from probe.report.escape import xml_text as _text
    from probe.report.junit import xml_tag  # only this format needs the XML helpers

    failed = sum(1 for o in outcomes.values() if not o.passed)
    total = sum(o.seconds for o in outcomes.values())
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        xml_tag(
            "testsuites",
            [
                ("name", "probe explore"),
                ("tests", len(outcomes)),
                ("failures", failed),
                ("errors", 0),
                ("time", seconds(total)),
            ],
        ),
        "  "
        + xml_tag(
            "testsuite",
            [
                ("name", f"explore {seed}"),
                ("tests", len(outcomes)),
                ("failures", failed),
                ("errors", 0),
                ("skipped", 0),
                ("time", seconds(total)),
                ("timestamp", started.isoformat(timespec="seconds")),
            ],
        ),
    ]
    for name, o in outcomes.items():
        r = o.result
        lines.append(
            "    "
            + xml_tag(
                "testcase", [("name", name), ("classname", "explore"), ("time", seconds(o.seconds))]
            )
        )
        found = problems(name, o)
        if found:
            lines.append(
                "      "
                + xml_tag("failure", [("message", found[0]), ("type", "explore")])
                + _text("\n".join(found))
                + "</failure>"
            )
        figures = [
            f"states expanded {r.states_expanded}, distinct states {r.distinct_states}, "
            f"transitions {r.transitions}, depth {r.depth}",
            *(f"{w.example.invariant}: {_trace(w.example)}" for w in o.written),
        ]
        lines.append("      <system-out>" + _text("\n".join(figures)) + "</system-out>")
        lines.append("    </testcase>")
    lines += ["  </testsuite>", "</testsuites>", ""]
    return "\n".join(lines)


def render_explore_markdown(
    outcomes: Mapping[str, StrategyOutcome],
    seed: str,
    depth: int,
    started: datetime,
    interrupted: str = "",
) -> str:
    stamp = started.strftime("%Y-%m-%d %H:%M:%S UTC")
    stopped = f" Interrupted by {interrupted}: what was found until then." if interrupted else ""
    lines = [
        f"## probe explore: {markdown(seed)}",
        "",
        f"Depth bound {depth}; run at {stamp}.{stopped}",
        "",
        "| strategy | verdict | states expanded | distinct states | transitions | depth | "
        "seconds | violations (shortest trace) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, o in outcomes.items():
        r = o.result
        found = ", ".join(
            f"{markdown_code(w.example.invariant)} ({len(w.example.trace)})" for w in o.written
        )
        lines.append(
            f"| {markdown(name)} | {'PASS' if o.passed else '**FAIL**'} | {r.states_expanded} | "
            f"{r.distinct_states} | {r.transitions} | {r.depth} | {o.seconds:.3f} | "
            f"{found or 'none'} |"
        )
    for name, o in outcomes.items():
        for w in o.written:
            lines += [
                "",
                f"**{markdown(name)}: {markdown_code(w.example.invariant, in_table=False)}**"
                + (f" ({markdown_code(w.file, in_table=False)})" if w.file else ""),
                "",
            ]
            lines += [
                f"{i}. {markdown_code(_step(step), in_table=False)}"
                for i, step in enumerate(w.example.trace, start=1)
            ]
        lines += [f"- {markdown(p)}" for p in problems(name, o)]
    return "\n".join(lines) + "\n"


def render_explore_github(
    outcomes: Mapping[str, StrategyOutcome], seed_file: str | None, interrupted: str = ""
) -> str:
    """An ::error per failure, on the counterexample file when one was written."""
    from probe.report.github import workflow_command

    out = []
    if interrupted:
        title = [("title", "probe explore: interrupted")]
        out.append(workflow_command("warning", title, f"interrupted by {interrupted}"))
    for name, o in outcomes.items():
        for message in problems(name, o):
            files = [w.file for w in o.written if w.file and w.example.invariant in message]
            target = files[0] if files else seed_file
            props = [("file", target), ("line", "1")] if target else []
            out.append(
                workflow_command("error", [*props, ("title", f"probe explore: {name}")], message)
            )
    return "\n".join(out) + ("\n" if out else "")


def size_text(n: float) -> str:
    """Bytes in B, KiB, MiB or GiB, as progress and the table show them."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


def trace_lines(example: Counterexample) -> list[str]:
    lines = []
    for i, step in enumerate(example.trace, start=1):
        table = step_table(step)
        extra = ", ".join(f"{k} = {json.dumps(v)}" for k, v in table.items() if k != "do")
        lines.append(f"    {i}. {table['do']}" + (f" ({extra})" if extra else ""))
    return lines


def render_lassos(
    strategy: str,
    lassos: Sequence[Lasso],
    states: int,
    complete: bool,
    stopped: bool = False,
    composed: Sequence[str] = (),
) -> str:
    """Liveness: each starved session's lasso, the loop written out three times."""
    head = f"{strategy}: liveness over {states:,} abstract states"
    if composed:
        head += f" (one session at a time: {', '.join(composed)} alone with its environment)"
    if stopped:
        head += " (graph cut by the time limit: a partial answer)"
    elif not complete:
        head += " (graph cut at its state bound: a partial answer)"
    lines = [head]
    if not lassos:
        lines.append(
            "  every session that needs recovery is eventually asked for (weak fairness of "
            "the heartbeat)"
        )
    for lasso in lassos:
        need = (
            "needs recovery"
            if lasso.need == "recovery"
            else "has an owned stale run the heartbeat passes over"
        )
        lines.append(
            f"  starves {lasso.session}: {need} forever and is never asked for; "
            f"{len(lasso.prefix)} step(s), then a loop of {len(lasso.loop)}:"
        )
        for i, step in enumerate(lasso.unrolled(3), start=1):
            table = step_table(step)
            extra = ", ".join(f"{k} = {json.dumps(v)}" for k, v in table.items() if k != "do")
            mark = "" if i <= len(lasso.prefix) else "  (loop)"
            lines.append(f"    {i}. {table['do']}" + (f" ({extra})" if extra else "") + mark)
        lines.append("    ... the loop repeats forever")
    return "\n".join(lines) + "\n"


def confirmation_lines(written: Written) -> list[str]:
    if not written.confirmations:
        return []  # confirm.py pulls in the engine modules, slow to import
    from probe.engines.confirm import CANNOT_EXPRESS, CONFIRMED, DISAGREES

    lines = []
    invariant = written.example.invariant
    for c in written.confirmations:
        design = f" ({c.design} design)" if c.design else ""
        head = f"    on {c.engine}{design}: "
        took = f" [{c.seconds:.1f} s]"
        if c.status == CONFIRMED:
            lines.append(f"{head}confirmed: the real code violates {invariant} too{took}")
        elif c.status == CANNOT_EXPRESS:
            lines.append(f"{head}cannot express it{took}")
            lines.extend(f"      {terminal(reason)}" for reason in c.detail)
        elif c.status == DISAGREES:
            lines.append(f"{head}MODEL DISAGREES (- {c.model}, + real){took}")
            lines.extend(f"      {terminal(line)}" for line in c.detail)
        else:
            lines.append(
                f"{head}agrees: no {invariant} on this design, as {c.model} predicts{took}"
            )
    return lines


def fixpoint_line(r: ExploreResult, config: ExploreConfig) -> str:
    """What a search to the fixpoint answers: a proof, a counterexample, or no fixpoint."""
    sessions = "this session" if r.sessions == 1 else f"these {r.sessions} sessions"
    from probe.invariants import INVARIANTS

    graph = f"{r.distinct_states:,} abstract states, {r.transitions:,} transitions"
    if r.verified and r.composed is not None:
        alone = ", ".join(r.composed.searched)
        environment = "with its environment's prunes" if r.composed.environment else "alone"
        return (
            f"verified: no interleaving of {sessions} under {','.join(config.actions)} "
            f"violates {', '.join(sorted(r.judged or INVARIANTS))} (proved one session at a "
            f"time: {alone}, {environment}: {graph}; a proof modulo the abstraction and the "
            "composition's premises, for this seed's sessions)"
        )
    if r.verified:
        return (
            f"verified: no interleaving of {sessions} under {','.join(config.actions)} "
            f"violates {', '.join(sorted(r.judged or INVARIANTS))} ({graph}; a proof modulo the "
            "abstraction, for this seed's sessions)"
        )
    if r.fixpoint:
        return f"fixpoint reached at depth {r.depth} ({graph}): the violations below, no others"
    return (
        f"no fixpoint: stopped by {r.bound_hit} at depth {r.depth} ({graph}); "
        "nothing is proved past the counterexamples shown"
    )


def render_explore_table(
    outcomes: Mapping[str, StrategyOutcome],
    config: ExploreConfig,
    seed_name: str,
    walks: tuple[int, int] | None = None,
    interrupted: str = "",
) -> str:
    """`walks` is (seed, runs) in random mode, which samples: it never proves anything.
    `interrupted`: the signal that stopped the command (its report is what was found)."""
    bound = "to a fixpoint (abstract states)" if config.fixpoint else f"depth {config.depth}"
    lines = [f"explore {seed_name!r}: {bound}, actions {','.join(config.actions)}"]
    if interrupted:
        lines.append(
            f"interrupted by {interrupted}: what was found until then; strategies not "
            "reached are left out"
        )
    if walks is not None:
        lines[0] += f"; random walks: seed {walks[0]}, {walks[1]} run(s) (a sample, not a proof)"
    for name, o in outcomes.items():
        r = o.result
        rate = r.distinct_states / o.seconds if o.seconds > 0 else 0.0
        lines.append("")
        lines.append(f"{name}: {'PASS' if o.ok else 'FAIL'}")
        if walks is not None:  # random mode counts walks and their steps, not states
            lines.append(
                f"  random walks {r.states_expanded}, steps {r.transitions}, depth {r.depth}"
            )
        else:
            lines.append(
                f"  states expanded {r.states_expanded}, distinct states {r.distinct_states}, "
                f"transitions {r.transitions}, depth reached {r.depth}"
            )
        unit = "walks/s" if walks is not None else "states/s"
        lines.append(
            f"  {o.seconds:.3f} s, {rate:,.0f} {unit}"
            + (f", {stopped_by(r.bound_hit)}" if r.bound_hit else "")
        )
        if walks is None and (r.peak_memory or r.symmetry or r.reduction or r.workers > 1):
            lines.append("  " + search_line(r))
        if not r.counterexamples and walks is not None:
            lines.append(
                f"  no violation in {r.states_expanded} random walk(s) of depth {config.depth} "
                f"(seed {walks[0]}): not a proof, deeper or other walks may find one"
            )
        elif config.fixpoint:
            lines.append("  " + fixpoint_line(r, config))
        elif not r.counterexamples:
            if r.bound_hit:
                lines.append(f"  no violation found up to depth {r.depth} (search stopped early)")
            else:
                lines.append(
                    f"  no violation up to depth {r.depth}: a bounded proof for these actions"
                )
        for w in o.written:
            lines.append(f"  violates {w.example.invariant} in {len(w.example.trace)} step(s):")
            lines.extend(trace_lines(w.example))
            if w.file:
                shown = terminal(w.file)
                lines.append(f"    written to {shown} (replay: probe run {shown})")
            lines.extend(confirmation_lines(w))
        expected = ", ".join(sorted(o.expected)) or "none"
        lines.append(f"  expected violations: {expected}")
        lines.append("  coverage: " + ", ".join(f"{k}={v}" for k, v in r.coverage))
    return "\n".join(lines) + "\n"


def search_line(r: ExploreResult) -> str:
    reductions = [
        "symmetry" if r.symmetry else "",
        f"partial-order reduction ({r.pruned:,} steps not taken)" if r.reduction else "",
    ]
    used = ", ".join(x for x in reductions if x) or "no reduction"
    memory = (
        f"peak memory {size_text(r.peak_memory)} (RSS), {r.memory_per_state:,.0f} bytes per state, "
        if r.peak_memory
        else ""
    )
    return (
        f"{memory}{r.workers} worker(s), {used}; 64-bit fingerprints: "
        f"collision chance at most {r.collision_probability:.1e}"
    )


def render_explore_json(
    outcomes: Mapping[str, StrategyOutcome],
    config: ExploreConfig,
    confirming: bool = False,
    walks: tuple[int, int] | None = None,
    interrupted: str = "",
) -> str:
    from probe.explore.values import FINGERPRINT_BITS

    doc: dict[str, Any] = {
        "ok": all(o.ok for o in outcomes.values()),
        "depth_bound": None if config.fixpoint else config.depth,
        "fixpoint_mode": config.fixpoint,
        "actions": list(config.actions),
        "mode": "exhaustive" if walks is None else "random",
        "strategies": {},
    }
    if walks is not None:
        doc["seed"], doc["runs"] = walks
    if interrupted:
        doc["interrupted"] = interrupted
    for name, o in outcomes.items():
        r = o.result
        doc["strategies"][name] = {
            "ok": o.ok,
            "states_expanded": r.states_expanded,
            "distinct_states": r.distinct_states,
            "transitions": r.transitions,
            "depth": r.depth,
            "per_depth": list(r.per_depth),
            "fixpoint": r.fixpoint,
            "verified": r.verified,
            # A proof made one session at a time (probe.explore.composition), else null.
            "composed": None
            if r.composed is None
            else {
                "sessions": r.composed.sessions,
                "searched_alone": list(r.composed.searched),
                "environment_prunes": r.composed.environment,
            },
            "seconds": round(o.seconds, 6),
            "states_per_second": round(r.distinct_states / o.seconds, 1) if o.seconds > 0 else None,
            "bound_hit": r.bound_hit,
            "symmetry": r.symmetry,
            "reduction": r.reduction,
            "pruned_steps": r.pruned,
            "workers": r.workers,
            "fingerprint_bits": FINGERPRINT_BITS,
            "collision_probability": r.collision_probability,
            "peak_memory_bytes": r.peak_memory,
            "memory_per_state_bytes": round(r.memory_per_state, 1),
            "memory_measure": "rss",
            "expected_violations": sorted(o.expected),
            "coverage": dict(r.coverage),
            "violations": [
                {
                    "invariant": w.example.invariant,
                    "message": w.example.message,
                    "trace": [step_table(s) for s in w.example.trace],
                    "file": w.file,
                    **({"confirm": [c.as_dict() for c in w.confirmations]} if confirming else {}),
                }
                for w in o.written
            ],
        }
    if confirming:
        doc["ok"] = doc["ok"] and not any(o.disagreements for o in outcomes.values())
    return json.dumps(doc, sort_keys=True, indent=2) + "\n"


def render_sweep_json(key: str, depth: int, rows: list[dict[str, Any]]) -> str:
    return json.dumps({"vary": key, "depth": depth, "rows": rows}, sort_keys=True, indent=2) + "\n"


def render_sweep_table(
    key: str, depth: int, drain: str, names: list[str], rows: list[dict[str, Any]]
) -> str:
    """A row per value of the setting: each strategy's reachable violations."""
    lines = [
        f"which values of {key} make each violation reachable within {depth} steps "
        f"(drain = {drain}; shortest trace length in brackets)",
        f"{key:>14}  " + "  ".join(f"{n:<34}" for n in names),
    ]
    for row in rows:
        cells = []
        for n in names:
            found = row[n]
            cell = ", ".join(f"{inv} ({length})" for inv, length in sorted(found.items())) or "-"
            bound = row.get("bound_hit", {}).get(n)
            cells.append(cell + (f" (stopped by {bound})" if bound else ""))
        lines.append(f"{row[key]:>14}  " + "  ".join(f"{c:<34}" for c in cells))
    return "\n".join(lines) + "\n"
