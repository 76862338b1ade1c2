"""What `probe explore` found per strategy, and its JUnit, Markdown and GitHub renderers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from probe.escape import markdown, markdown_code
from probe.report.timing import seconds
from probe.scenario.dump import step_table

if TYPE_CHECKING:
    from probe.engines.confirm import Confirmation
    from probe.explore import Counterexample, ExploreResult
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
        bound = f"stopped by {o.result.bound_hit}" if o.result.bound_hit else "exhaustively"
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
    from probe.report.junit import _tag, _text  # only this format needs the XML helpers

    failed = sum(1 for o in outcomes.values() if not o.passed)
    total = sum(o.seconds for o in outcomes.values())
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        _tag(
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
        + _tag(
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
            + _tag(
                "testcase", [("name", name), ("classname", "explore"), ("time", seconds(o.seconds))]
            )
        )
        found = problems(name, o)
        if found:
            lines.append(
                "      "
                + _tag("failure", [("message", found[0]), ("type", "explore")])
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
    outcomes: Mapping[str, StrategyOutcome], seed: str, depth: int, started: datetime
) -> str:
    stamp = started.strftime("%Y-%m-%d %H:%M:%S UTC")
    lines = [
        f"## probe explore: {markdown(seed)}",
        "",
        f"Depth bound {depth}; run at {stamp}.",
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


def render_explore_github(outcomes: Mapping[str, StrategyOutcome], seed_file: str | None) -> str:
    """An ::error per failure, on the counterexample file when one was written."""
    from probe.report.github import _command

    out = []
    for name, o in outcomes.items():
        for message in problems(name, o):
            files = [w.file for w in o.written if w.file and w.example.invariant in message]
            target = files[0] if files else seed_file
            props = [("file", target), ("line", "1")] if target else []
            out.append(_command("error", [*props, ("title", f"probe explore: {name}")], message))
    return "\n".join(out) + ("\n" if out else "")
