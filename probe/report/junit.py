"""JUnit XML: one testsuite per scenario, one testcase per strategy, a failure listing why."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import datetime

from probe.report.escape import xml_attribute, xml_chars, xml_text
from probe.report.failures import failures, show
from probe.report.results import Report, ScenarioResult, StrategyResult
from probe.report.timing import Timing, seconds


def junit_stamp(started: datetime) -> str:
    """A testsuite's timestamp as conform and bisect write it: to the second, no zone."""
    return started.strftime("%Y-%m-%dT%H:%M:%S")


def tree_document(root: ET.Element) -> str:
    """An ElementTree document as text, every value reduced to what XML 1.0 can hold."""
    for element in root.iter():  # scenario paths and builds' diffs may hold what XML cannot
        element.attrib = {k: xml_chars(v) for k, v in element.attrib.items()}
        if element.text:
            element.text = xml_chars(element.text)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _attr(value: object) -> str:
    return xml_attribute(str(value))


def xml_tag(name: str, attrs: Sequence[tuple[str, object]], close: bool = False) -> str:
    """An opening (or, with `close`, empty) element tag, its attributes escaped."""
    inner = "".join(f" {k}={_attr(v)}" for k, v in attrs)
    return f"<{name}{inner}{'/' if close else ''}>"


def _stem(path: str) -> str:
    return path.rsplit("/", 1)[-1].removesuffix(".toml")


def _summary(result: StrategyResult) -> str:
    run = result.run
    lines = [
        f"engine: {run.engine}, drain: {run.drain}",
        f"requested: {run.requested} at generations {show(run.requested_generations)}",
        f"completed: {run.completed}",
        f"runtime outcomes: {show(list(run.runtime_outcomes))}",
        f"absorbed by: {show(run.absorbed_by)}",
        f"violated: {show(run.violation_names)}",
    ]
    lines += [f"expect {e.key}: {'holds' if e.ok else 'BROKEN'}" for e in result.expectations]
    return "\n".join(lines)


def _testcase(sr: ScenarioResult, name: str, result: StrategyResult, time: float) -> list[str]:
    head = [("name", name), ("classname", _stem(sr.path)), ("time", seconds(time))]
    out = ["    " + xml_tag("testcase", head)]
    found = failures(sr, name, result)
    if found:
        kinds = {f.kind for f in found}
        kind = "expectation" if kinds == {"expectation"} else "invariant"
        if len(kinds) > 1:
            kind = "expectation-and-invariant"
        message = f"{len(found)} problem(s): " + "; ".join(f.render() for f in found)
        body = "\n".join(f.render() for f in found)
        failure = xml_tag("failure", [("message", message), ("type", kind)])
        out.append(f"      {failure}{xml_text(body)}</failure>")
    out.append(f"      <system-out>{xml_text(_summary(result))}</system-out>")
    out.append("    </testcase>")
    return out


def render_junit(report: Report, timing: Timing) -> str:
    """The report as JUnit XML (the Jenkins junit-10 schema that CI test reporters read)."""
    total_tests = sum(len(sr.strategies) + len(sr.failed) for sr in report.scenarios)
    total_failed = sum(1 for sr in report.scenarios for _, r in sr.strategies if not r.ok)
    total_failed += report.failed_engines
    total_time = sum(
        timing.of(i, j) for i, sr in enumerate(report.scenarios) for j in range(len(sr.strategies))
    )
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        xml_tag(
            "testsuites",
            [
                ("name", "probe"),
                ("tests", total_tests),
                ("failures", total_failed),
                ("errors", 0),
                ("time", seconds(total_time)),
            ],
        ),
    ]
    for i, sr in enumerate(report.scenarios):
        times = [timing.of(i, j) for j in range(len(sr.strategies))]
        failed = sum(1 for _, r in sr.strategies if not r.ok) + len(sr.failed)
        suite = [
            ("name", sr.path),
            ("tests", len(sr.strategies) + len(sr.failed)),
            ("failures", failed),
            ("errors", 0),
            ("skipped", 0),
            ("time", seconds(sum(times))),
            ("timestamp", timing.stamp()),
            ("file", sr.path),
        ]
        lines.append("  " + xml_tag("testsuite", suite))
        divergence = "none" if sr.divergence is None else str(sr.divergence)
        lines.append("    <properties>")
        for key, value in (
            ("scenario", sr.scenario.name),
            ("variant", "bump" if sr.scenario.has_bump else "control"),
            ("divergence_step", divergence),
        ):
            lines.append("      " + xml_tag("property", [("name", key), ("value", value)], True))
        lines.append("    </properties>")
        for j, (name, result) in enumerate(sr.strategies):
            lines += _testcase(sr, name, result, times[j])
        for ef in sr.failed:  # a build that failed on the scenario: a failing testcase
            head = [("name", ef.engine), ("classname", _stem(sr.path)), ("time", seconds(0))]
            failure = xml_tag("failure", [("message", ef.reason), ("type", "engine_failed")])
            lines += [
                "    " + xml_tag("testcase", head),
                f"      {failure}{xml_text(ef.reason)}</failure>",
                "    </testcase>",
            ]
        lines.append("  </testsuite>")
    lines.append("</testsuites>")
    return "\n".join(lines) + "\n"
