"""conform's reports: table, JSON, and for CI JUnit XML and GitHub annotations."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from probe.report.escape import terminal
from probe.report.github import workflow_command
from probe.report.junit import junit_stamp, tree_document
from probe.report.timing import seconds

if TYPE_CHECKING:
    from probe.conform import PairResult

ConformResults = Sequence[tuple[str, Sequence["PairResult"]]]


def render_conform_table(results: ConformResults) -> str:
    """A line per pair, then each difference's diff, then the counts."""
    results = [(terminal(path), pairs) for path, pairs in results]
    lines = []
    width = max(len(p) for p, _ in results)
    model_width = max([12, *(len(pr.model) for _, prs in results for pr in prs)])
    for path, pairs in results:
        for pr in pairs:
            verdict = {
                "agree": "agree",
                "differ": "DIFFER",
                "not_comparable": "not comparable",
                "failed": "FAILED",
            }
            lines.append(
                f"{path:<{width}}  {pr.model:<{model_width}} vs {pr.real:<26} "
                f"{verdict[pr.status]:<15} {pr.seconds:6.2f} s"
            )
            if pr.status in ("not_comparable", "failed"):
                lines.extend(f"    {terminal(reason)}" for reason in pr.detail)
    for path, pairs in results:
        for pr in pairs:
            if pr.status == "differ":
                lines.append("")
                lines.append(f"{path}: {pr.model} and {pr.real} differ (- model, + real):")
                lines.extend(f"  {terminal(line)}" for line in pr.detail)
    counts = {
        s: sum(1 for _, ps in results for p in ps if p.status == s)
        for s in ("agree", "differ", "not_comparable", "failed")
    }
    lines.append("")
    lines.append(
        f"{counts['agree']} agree, {counts['differ']} differ, "
        f"{counts['not_comparable']} not comparable"
        + (f", {counts['failed']} failed" if counts["failed"] else "")
    )
    return "\n".join(lines) + "\n"


def render_conform_json(results: ConformResults) -> str:
    """ok: nothing differs and something agrees."""
    statuses = [p.status for _, ps in results for p in ps]
    doc = {
        "ok": "differ" not in statuses and "failed" not in statuses and "agree" in statuses,
        "scenarios": [{"path": p, "pairs": [x.as_dict() for x in ps]} for p, ps in results],
    }
    return json.dumps(doc, sort_keys=True, indent=2) + "\n"


def render_conform_junit(results: ConformResults, started: datetime) -> str:
    """One testsuite per scenario, one testcase per model/build pair: DIFFER is a failure
    (the diff in it), not comparable is skipped (with the reason)."""
    pairs = [p for _, ps in results for p in ps]
    root = ET.Element(
        "testsuites",
        name="probe conform",
        tests=str(len(pairs)),
        failures=str(sum(p.status in ("differ", "failed") for p in pairs)),
        errors="0",
        time=seconds(sum(p.seconds for p in pairs)),
    )
    for path, ps in results:
        suite = ET.SubElement(
            root,
            "testsuite",
            name=path,
            tests=str(len(ps)),
            failures=str(sum(p.status in ("differ", "failed") for p in ps)),
            errors="0",
            skipped=str(sum(p.status == "not_comparable" for p in ps)),
            time=seconds(sum(p.seconds for p in ps)),
            timestamp=junit_stamp(started),
            file=path,
        )
        stem = path.rsplit("/", 1)[-1].removesuffix(".toml")
        for p in ps:
            case = ET.SubElement(
                suite,
                "testcase",
                name=f"{p.model} vs {p.real}",
                classname=stem,
                time=seconds(p.seconds),
            )
            if p.status == "differ":
                failure = ET.SubElement(
                    case,
                    "failure",
                    message=f"{p.model} and {p.real} differ",
                    type="differ",
                )
                failure.text = "\n".join(p.detail)
            elif p.status == "failed":
                failure = ET.SubElement(
                    case, "failure", message=f"{p.real} failed", type="engine_failed"
                )
                failure.text = "\n".join(p.detail)
            elif p.status == "not_comparable":
                ET.SubElement(case, "skipped", message="not comparable: " + "; ".join(p.detail))
    return tree_document(root)


def render_conform_github(results: ConformResults) -> str:
    """An ::error per DIFFER pair and a ::warning per pair that is not comparable, on the
    scenario file; then the counts."""
    out: list[str] = []
    for path, ps in results:
        for p in ps:
            if p.status == "differ":
                title = f"probe conform: {p.model} and {p.real} differ"
                changed = sum(
                    1 for line in p.detail if line[:1] in "+-" and line[:3] not in ("---", "+++")
                )
                out.append(
                    workflow_command(
                        "error",
                        [("file", path), ("title", title)],
                        f"{changed} line(s) of the event streams differ (- model, + real)",
                    )
                )
            elif p.status == "failed":
                title = f"probe conform: {p.real} failed"
                out.append(
                    workflow_command("error", [("file", path), ("title", title)], p.detail[0])
                )
            elif p.status == "not_comparable":
                title = f"probe conform: not comparable on {p.real}"
                out.append(
                    workflow_command(
                        "warning", [("file", path), ("title", title)], "; ".join(p.detail)
                    )
                )
    statuses = [p.status for _, ps in results for p in ps]
    out.append(
        f"probe conform: {statuses.count('agree')} agree, {statuses.count('differ')} differ, "
        f"{statuses.count('not_comparable')} not comparable"
        + (f", {statuses.count('failed')} failed" if "failed" in statuses else "")
    )
    return "\n".join(out) + "\n"
