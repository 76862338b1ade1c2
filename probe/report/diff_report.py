"""`probe diff`'s report (table, json, markdown) and the scenario file of each difference."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from probe.diff import Difference, DiffResult, Kind, expectation_lines
from probe.errors import ScenarioError
from probe.expectations import expectation_of
from probe.report.escape import markdown, markdown_code, terminal, xml_attribute, xml_text
from probe.scenario.dump import dump_scenario, step_table
from probe.strategies import REGISTRY

if TYPE_CHECKING:
    from probe.engines.base import Engine


@dataclass(frozen=True, slots=True)
class Sources:
    """What the command replayed, for the report's head."""

    files: int
    random: int
    seed: int
    traces: int
    depth: int | None

    def describe(self) -> str:
        parts = []
        if self.files:
            parts.append(f"{self.files} file(s)")
        if self.random:
            parts.append(f"{self.random} random (seed {self.seed})")
        if self.depth is not None:
            parts.append(f"{self.traces} explore trace(s) (depth {self.depth})")
        return ", ".join(parts) or "nothing"


@dataclass(frozen=True, slots=True)
class Written:
    """Where each difference's minimal scenario went (None: not written)."""

    files: tuple[str | None, ...]  # one per DiffResult.differences entry


def _steps_text(d: Difference) -> list[str]:
    lines = []
    for i, step in enumerate(d.minimal.steps, start=1):
        table = step_table(step)
        extra = ", ".join(f"{k} = {json.dumps(v)}" for k, v in table.items() if k != "do")
        lines.append(f"{i}. {table['do']}" + (f" ({extra})" if extra else ""))
    return lines


def _counts(result: DiffResult) -> str:
    return (
        f"{result.same} same, {len(result.differences)} differ, "
        f"{len(result.not_comparable)} not comparable"
    )


def property_label(name: str | None, side: str | None, a: str, b: str) -> str:
    """One group of `DiffResult.by_property`, in words."""
    if name is None:
        return "no property: both sides violate the same ones"
    return f"{name}: violated by {a if side == 'a' else b} only"


def _property_kinds(found: list[Difference]) -> list[tuple[Kind, int]]:
    """The kinds within one property's group, most frequent first (ties: first seen)."""
    counts: dict[Kind, int] = {}
    for d in found:
        counts[d.kind] = counts.get(d.kind, 0) + 1
    order = list(counts)
    return sorted(counts.items(), key=lambda kv: (-kv[1], order.index(kv[0])))


def _property_lines(result: DiffResult) -> list[str]:
    a, b = result.a, result.b
    groups = result.by_property()
    if not groups:
        return []
    lines = ["", f"differences by property ({len(groups)} group(s)):"]
    for name, side, found in groups:
        label = terminal(property_label(name, side, a, b))
        lines.append(f"  [{len(found)}] {label}")
        for kind, count in _property_kinds(found):
            lines.append(f"      [{count}] {terminal(kind.describe(a, b))}")
    return lines


def render_table(result: DiffResult, sources: Sources, written: Written) -> str:
    """Plain lines; every string from a file or a build is shown inert (probe.report.escape)."""
    a, b = terminal(result.a), terminal(result.b)
    lines = [
        f"probe diff {a} {b}: {sources.describe()}",
        "",
        f"{_counts(result)} ({result.replays} replays, shrinking included)",
    ]
    lines.extend(_property_lines(result))
    index = {id(d): i for i, d in enumerate(result.differences)}
    groups = result.groups()
    if groups:
        lines.append("")
        lines.append(f"differences by kind ({len(groups)} kind(s)):")
    for kind, found in groups:
        example = found[0]
        where = written.files[index[id(example)]]
        sessions = len(example.minimal.sessions)
        lines.append("")
        lines.append(f"  [{len(found)}] {terminal(kind.describe(result.a, result.b))}")
        lines.append(
            f"      minimal example: {sessions} session(s), {len(example.minimal.steps)} step(s), "
            f"shrunk from {terminal(example.source)}"
        )
        if where:
            shown = terminal(where)
            lines.append(
                f"      written to {shown} (replay: probe run --engine {a} --engine {b} {shown})"
            )
        lines.extend(f"        {terminal(s)}" for s in _steps_text(example))
        lines.append(f"      - {a}, + {b}:")
        lines.extend(f"        {terminal(line)}" for line in example.diff)
        others = [terminal(d.source) for d in found[1:]]
        if others:
            more = f", ... ({len(others) - 5} more)" if len(others) > 5 else ""
            lines.append(f"      also in: {', '.join(others[:5])}{more}")
    if result.not_comparable:
        lines.append("")
        lines.append(f"not comparable ({len(result.not_comparable)}):")
        for nc in result.not_comparable:
            lines.append(f"  {terminal(nc.source)}: {terminal(nc.engine)} cannot express it")
            lines.extend(f"    {terminal(reason)}" for reason in nc.reasons)
    return "\n".join(lines) + "\n"


def _difference_dict(d: Difference, a: str, b: str, file: str | None) -> dict[str, Any]:
    return {
        "source": d.source,
        "kind": d.kind.describe(a, b),
        "file": file,
        "sessions": len(d.minimal.sessions),
        "steps": [step_table(s) for s in d.minimal.steps],
        "diff": list(d.diff),
        "properties": _split_dicts(d, a, b),
    }


def _split_dicts(d: Difference, a: str, b: str) -> list[dict[str, str]]:
    return [
        {"property": name, "violated_by": a if side == "a" else b} for name, side in d.properties
    ]


def result_dict(result: DiffResult, sources: Sources, written: Written) -> dict[str, Any]:
    a, b = result.a, result.b
    files = {id(d): f for d, f in zip(result.differences, written.files, strict=True)}
    return {
        "ok": not result.differences,
        "a": a,
        "b": b,
        "sources": {
            "files": sources.files,
            "random": sources.random,
            "seed": sources.seed,
            "traces": sources.traces,
            "depth": sources.depth,
        },
        "counts": {
            "compared": result.compared,
            "same": result.same,
            "differ": len(result.differences),
            "not_comparable": len(result.not_comparable),
            "kinds": len(result.groups()),
            "replays": result.replays,
        },
        "kinds": [
            {
                "kind": kind.describe(a, b),
                **{f"first_{k}": v for k, v in kind.as_dict().items()},
                "count": len(found),
                "sources": [d.source for d in found],
                "example": _difference_dict(found[0], a, b, files[id(found[0])]),
            }
            for kind, found in result.groups()
        ],
        "properties": [
            {
                "property": name,
                "violated_by": None if side is None else (a if side == "a" else b),
                "count": len(found),
                "kinds": [
                    {"kind": kind.describe(a, b), "count": count}
                    for kind, count in _property_kinds(found)
                ],
                "sources": [d.source for d in found],
            }
            for name, side, found in result.by_property()
        ],
        "differences": [
            {
                "source": d.source,
                "kind": d.kind.describe(a, b),
                "file": files[id(d)],
                "properties": _split_dicts(d, a, b),
            }
            for d in result.differences
        ],
        "not_comparable": [
            {"source": nc.source, "engine": nc.engine, "reasons": list(nc.reasons)}
            for nc in result.not_comparable
        ],
    }


def render_json(result: DiffResult, sources: Sources, written: Written) -> str:
    return json.dumps(result_dict(result, sources, written), sort_keys=True, indent=2) + "\n"


def render_markdown(result: DiffResult, sources: Sources, written: Written) -> str:
    a, b = result.a, result.b
    verdict = "no difference" if not result.differences else "DIFFER"
    lines = [
        f"## probe diff: {verdict}",
        "",
        f"{markdown_code(a, in_table=False)} vs {markdown_code(b, in_table=False)} over "
        f"{sources.describe()}: {_counts(result)}.",
    ]
    files = {id(d): f for d, f in zip(result.differences, written.files, strict=True)}
    by_property = result.by_property()
    if by_property:
        lines += ["", "| count | property | kinds |", "|---:|---|---|"]
        for name, side, found in by_property:
            kinds = "; ".join(f"{kind.describe(a, b)} ({n})" for kind, n in _property_kinds(found))
            lines.append(
                f"| {len(found)} | {markdown(property_label(name, side, a, b))} | "
                f"{markdown(kinds)} |"
            )
    groups = result.groups()
    if groups:
        lines += ["", "| count | kind | minimal example | file |", "|---:|---|---|---|"]
        for kind, found in groups:
            ex = found[0]
            steps = ", ".join(s.split(". ", 1)[1] for s in _steps_text(ex))
            file = files[id(ex)]
            lines.append(
                f"| {len(found)} | {markdown(kind.describe(a, b))} | "
                f"{len(ex.minimal.sessions)} session(s): {markdown(steps)} | "
                f"{markdown_code(file) if file else '-'} |"
            )
    if result.not_comparable:
        lines += ["", f"Not comparable ({len(result.not_comparable)}):", ""]
        for nc in result.not_comparable:
            lines.append(
                f"- {markdown_code(nc.source, in_table=False)} on "
                f"{markdown_code(nc.engine, in_table=False)}: {markdown('; '.join(nc.reasons))}"
            )
    return "\n".join(lines) + "\n"


def render_junit(result: DiffResult, sources: Sources, written: Written) -> str:
    """One testsuite; one testcase per scenario replayed: a failure where the engines differ
    (the kind, the minimal scenario's steps and diff), skipped where one cannot express it."""
    _attr, _text = xml_attribute, xml_text
    a, b = result.a, result.b
    by_source = {d.source: (d, f) for d, f in zip(result.differences, written.files, strict=True)}
    unexpressed = {nc.source: nc for nc in result.not_comparable}
    suite = f"probe diff {a} {b}"
    head = (
        f"<testsuite name={_attr(suite)} tests={_attr(str(len(result.verdicts)))} "
        f'failures={_attr(str(len(result.differences)))} errors="0" '
        f"skipped={_attr(str(len(result.not_comparable)))}>"
    )
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<testsuites>", "  " + head]
    for source, verdict in result.verdicts:
        case = f"    <testcase name={_attr(source)} classname={_attr(suite)}"
        if verdict == "same":
            lines.append(case + "/>")
            continue
        lines.append(case + ">")
        if verdict == "not_comparable":
            nc = unexpressed[source]
            message = f"{nc.engine} cannot express it: " + "; ".join(nc.reasons)
            lines.append(f"      <skipped message={_attr(message)}/>")
        else:
            d, file = by_source[source]
            body = [f"minimal scenario: {file}" if file else "minimal scenario:"]
            body += _steps_text(d)
            body += [f"- {a}, + {b}:", *d.diff]
            kind = d.kind.describe(a, b)
            lines.append(
                f'      <failure message={_attr(kind)} type="difference">'
                f"{_text(chr(10).join(body))}</failure>"
            )
        lines.append("    </testcase>")
    lines += ["  </testsuite>", "</testsuites>"]
    return "\n".join(lines) + "\n"


def render_github(result: DiffResult, sources: Sources, written: Written) -> str:
    """One `::error` per kind of difference, on its minimal scenario's file when written."""
    from probe.report.github import workflow_command

    a, b = result.a, result.b
    files = {id(d): f for d, f in zip(result.differences, written.files, strict=True)}
    out = []
    for kind, found in result.groups():
        file = files[id(found[0])]
        props = [("file", file), ("line", "1")] if file else []
        message = f"{kind.describe(a, b)} ({len(found)} scenario(s); minimal: "
        message += ", ".join(s.split(". ", 1)[1] for s in _steps_text(found[0])) + ")"
        out.append(workflow_command("error", [*props, ("title", f"probe diff {a} {b}")], message))
    for nc in result.not_comparable:
        reasons = "; ".join(nc.reasons)
        out.append(
            workflow_command(
                "warning",
                [("title", "probe diff")],
                f"{nc.source}: {nc.engine} cannot express it: {reasons}",
            )
        )
    verdict = "no difference" if not result.differences else "DIFFER"
    out.append(f"probe diff {a} {b}: {verdict}: {_counts(result)}")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------
# The scenario file of one difference
# ---------------------------------------------------------------------------------------------


def scenario_text(d: Difference, a: str, b: str, names: tuple[str | None, str | None]) -> str:
    """The minimal scenario with an [expect.NAME] table per side (`names`; None: that side's
    record goes in a comment, its table name being taken or unknown), then the diff."""
    kind = d.kind.describe(a, b)
    expect = tuple(
        (name, expectation_of(run))
        for name, run in zip(names, d.runs, strict=True)
        if name is not None
    )
    scenario = replace(
        d.minimal,
        name=f"probe diff: {kind}",
        description=(
            f"A minimal scenario on which {a} and {b} differ: {kind}. Written by "
            f"`probe diff {a} {b}`; replay it on both with `probe run --engine {a} --engine {b} "
            "FILE`. Each [expect.*] table records what that side did."
        ),
        expect=expect,
    )
    lines = [dump_scenario(scenario).rstrip("\n")]
    for name, run, engine in zip(names, d.runs, (a, b), strict=True):
        if name is None:
            design = f" (design {run.strategy})" if run.strategy != engine else ""
            lines += [
                "",
                f"# What {engine}{design} did; the loader has no [expect.*] table name for it",
                "# here (one table per design, and the other side has it):",
            ]
            lines += [f"#   {line}" for line in expectation_lines(run)]
    lines += ["", f"# The difference (- {a}, + {b}):"]
    lines += [f"#   {line}" for line in d.diff]
    return "\n".join(lines) + "\n"


def file_name(kind: Kind, text: str) -> str:
    """The kind, and a digest of the content: the same minimal scenario, the same file."""
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    return f"{kind.slug()}-{digest}.toml"


def _table_names(engine: Engine) -> tuple[str | None, str | None]:
    """(design, design@version): the [expect.*] names this engine's record may go under."""
    design = engine.design
    if design not in REGISTRY:
        return None, None
    name = engine.name
    version = None
    if name.startswith("openclaw@"):
        version = name.removeprefix("openclaw@")
    elif name.startswith("model:") and "@" in name:
        version = name.partition("@")[2]
    return design, (f"{design}@{version}" if version else None)


def _accepted(text: str) -> bool:
    from probe.scenario.loader import parse_scenario

    try:
        parse_scenario(text, "diff", REGISTRY.keys())
    except ScenarioError:
        return False
    return True


def file_text(d: Difference, a: Engine, b: Engine) -> str:
    """The difference's scenario file: [expect.DESIGN] per side when the designs differ (so a
    plain `probe run FILE` replays it too); when they are the same, [expect."DESIGN@VERSION"]
    per side where the loader takes those, else one side's record in a comment."""
    (design_a, versioned_a), (design_b, versioned_b) = _table_names(a), _table_names(b)
    if design_a == design_b and versioned_a and versioned_b and versioned_a != versioned_b:
        text = scenario_text(d, a.name, b.name, (versioned_a, versioned_b))
        if _accepted(text):
            return text
    names = (design_a, design_b if design_b != design_a else None)
    text = scenario_text(d, a.name, b.name, names)
    assert _accepted(text), text
    return text
