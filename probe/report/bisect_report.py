"""bisect's reports (table, JSON, JUnit XML, GitHub annotations): the probes and the boundary."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from probe.report.escape import terminal
from probe.report.github import workflow_command
from probe.report.junit import junit_stamp, tree_document
from probe.report.timing import seconds as junit_seconds

if TYPE_CHECKING:
    from probe.bisect import BisectResult, Probe


def _shown_verdict(verdict: str | None, on: str) -> str:
    if verdict is None:
        return "-"
    value = json.loads(verdict)
    if on == "violations":
        return ", ".join(value) if value else "no violation"
    if on.startswith("violation:"):
        name = on.removeprefix("violation:")
        return f"violates {name}" if value else f"does not violate {name}"
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 60 else text[:57] + "..."


def probe_text(p: Probe, on: str) -> str:
    """A probe's verdict on the --on key, or why the build was stepped over."""
    from probe.bisect import CANNOT_EXPRESS, LAYOUT, NO_CODE

    label = {
        NO_CODE: "stepped over: no recovery code",
        LAYOUT: "stepped over: layout",
        CANNOT_EXPRESS: "stepped over: cannot express",
    }.get(p.status, "stepped over: failed")
    if p.usable:
        return _shown_verdict(p.verdict, on)
    return f"{label}: {p.reason}"


def _probe_dict(p: Probe, on: str) -> dict[str, Any]:
    return {
        "version": p.version,
        "status": p.status,
        "verdict": json.loads(p.verdict) if p.verdict is not None else None,
        "reason": p.reason,
        "key": p.key.as_dict(),
        "downloaded": p.downloaded,
        "seconds": round(p.seconds, 3),
    }


def _bisect_counts(result: BisectResult) -> dict[str, int]:
    return {
        "versions": len(result.versions),
        "probed": len(result.probes),
        "installed": sum(1 for p in result.probes if p.usable and p.downloaded),
        "downloaded": sum(1 for p in result.probes if p.downloaded),
        "from_cache": sum(1 for p in result.probes if not p.downloaded),
        "stepped_over": sum(1 for p in result.probes if not p.usable),
    }


def render_bisect(result: BisectResult, shown: str, on: str, seconds: float) -> str:
    from probe.bisect import boundary_diff

    shown = terminal(shown)
    versions = result.versions
    lines = [
        f"bisect {shown} on {on}: {len(versions)} version(s), "
        + (f"{versions[0]} .. {versions[-1]}" if versions else "none")
        + (
            " (probe versions' order, their models)"
            if result.models
            else " (the registry's order)"
        ),
        "",
    ]
    position = {v: i for i, v in enumerate(versions)}
    width = max((len(p.version) for p in result.probes), default=7)
    lines.append(f"  {'version':<{width}}  {'key':<14}  verdict")
    for p in sorted(result.probes, key=lambda p: position.get(p.version, -1)):
        mark = " (baseline)" if result.baseline is not None and p is result.baseline else ""
        how = "model" if result.models else "downloaded" if p.downloaded else "cached"
        lines.append(
            f"  {p.version:<{width}}  {p.key.shape:<14}  {probe_text(p, on)}{mark}"
            f"  [{how}, {p.seconds:.1f} s]"
        )
    left_out = result.unprobed_before_baseline
    if left_out:
        lines.append(
            f"  ({len(left_out)} version(s) before the baseline not probed: "
            f"{left_out[0]} .. {left_out[-1]}; no recovery code, or not drivable, judging by "
            "the probes around them)"
        )
    lines.append("")
    if result.after is not None and result.before is not None:
        before, after = result.before, result.after
        lines.append(f"boundary: {result.name(before.version)} -> {result.name(after.version)}")
        for p in (before, after):
            lines.append(
                f"  {p.version:<{width}}  {_shown_verdict(p.verdict, on)}  "
                f"(key {p.key.shape}"
                + (f", {p.key.where}: {p.key.line}" if p.key.line else "")
                + ")"
            )
        if result.between:
            lines.append(
                "  between them, stepped over (no verdict): "
                + ", ".join(p.version for p in result.between)
            )
        diff = boundary_diff(result)
        lines.append("")
        if diff:
            lines.append(f"event streams (- {before.version}, + {after.version}):")
            lines.extend(f"  {terminal(line)}" for line in diff)
        else:
            lines.append("event streams: identical (the verdict differs in another key)")
    else:
        lines.append(f"no boundary: {result.note}")
    counts = _bisect_counts(result)
    lines.append("")
    if result.models:
        lines.append(
            f"{counts['probed']} of {counts['versions']} version(s) probed, on their models; "
            f"{seconds:.1f} s"
        )
        return "\n".join(lines) + "\n"
    lines.append(
        f"{counts['probed']} of {counts['versions']} version(s) probed: "
        f"{counts['installed']} installed now, {counts['downloaded']} downloaded in all, "
        f"{counts['from_cache']} from the cache, {counts['stepped_over']} stepped over; "
        f"{seconds:.1f} s"
    )
    return "\n".join(lines) + "\n"


def render_bisect_json(result: BisectResult, shown: str, on: str, seconds: float) -> str:
    from probe.bisect import boundary_diff

    doc = {
        "scenario": shown,
        "on": on,
        "models": result.models,
        "versions": list(result.versions),
        "baseline": result.baseline.version if result.baseline else None,
        "probes": [_probe_dict(p, on) for p in result.probes],
        "boundary": None
        if result.after is None or result.before is None
        else {
            "before": result.before.version,
            "after": result.after.version,
            "stepped_over": [p.version for p in result.between],
            "diff": boundary_diff(result),
        },
        "note": result.note,
        "not_probed_before_baseline": list(result.unprobed_before_baseline),
        "counts": _bisect_counts(result),
        "seconds": round(seconds, 3),
    }
    return json.dumps(doc, sort_keys=True, indent=2) + "\n"


def render_bisect_junit(
    result: BisectResult, shown: str, on: str, started: datetime, texts: Sequence[str]
) -> str:
    """One testcase per probed version (stepped over: skipped, with why; `texts[i]` is what
    the table says of probe i), and a `boundary` testcase that fails when none was found."""
    probes = list(result.probes)
    found = result.before is not None and result.after is not None
    root = ET.Element(
        "testsuites",
        name="probe bisect",
        tests=str(len(probes) + 1),
        failures="0" if found else "1",
        errors="0",
        time=junit_seconds(sum(p.seconds for p in probes)),
    )
    suite = ET.SubElement(
        root,
        "testsuite",
        name=f"bisect {shown} on {on}",
        tests=str(len(probes) + 1),
        failures="0" if found else "1",
        errors="0",
        skipped=str(sum(not p.usable for p in probes)),
        time=junit_seconds(sum(p.seconds for p in probes)),
        timestamp=junit_stamp(started),
        file=shown,
    )
    for p, text in zip(probes, texts, strict=True):
        case = ET.SubElement(
            suite,
            "testcase",
            name=result.name(p.version),
            classname="bisect",
            time=junit_seconds(p.seconds),
        )
        if not p.usable:
            ET.SubElement(case, "skipped", message=text)
        else:
            ET.SubElement(case, "system-out").text = f"{on}: {text} (key {p.key.shape})"
    boundary = ET.SubElement(suite, "testcase", name="boundary", classname="bisect", time="0.000")
    if found:
        assert result.before is not None and result.after is not None
        ET.SubElement(
            boundary, "system-out"
        ).text = f"{result.name(result.before.version)} -> {result.name(result.after.version)}"
    else:
        ET.SubElement(boundary, "failure", message=f"no boundary: {result.note}", type="bisect")
    return tree_document(root)


def render_bisect_github(result: BisectResult, shown: str) -> str:
    """A ::notice with the boundary on the scenario file, or an ::error when there is none."""
    if result.before is not None and result.after is not None:
        boundary = f"{result.name(result.before.version)} -> {result.name(result.after.version)}"
        line = workflow_command("notice", [("file", shown), ("title", "probe bisect")], boundary)
        return f"{line}\nprobe bisect: {boundary}\n"
    line = workflow_command(
        "error", [("file", shown), ("title", "probe bisect")], f"no boundary: {result.note}"
    )
    return f"{line}\nprobe bisect: no boundary\n"
