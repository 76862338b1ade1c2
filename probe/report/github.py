"""GitHub Actions workflow commands: an `::error` annotation on the scenario line at fault."""

from __future__ import annotations

from collections.abc import Mapping

from probe.report.escape import github_message, github_property
from probe.report.failures import Failure, failures, step_line
from probe.report.results import Report, ScenarioResult
from probe.scenario.toml_lines import line_of


def workflow_command(kind: str, props: list[tuple[str, str]], message: str) -> str:
    """One workflow command (`::kind props::message`), message and properties escaped."""
    inner = ",".join(f"{k}={github_property(v)}" for k, v in props)
    return f"::{kind} {inner}::{github_message(message)}"


def _line(
    sr: ScenarioResult, name: str, failure: Failure, key_lines: Mapping[str, int]
) -> int | None:
    if failure.kind == "invariant":
        return step_line(sr.scenario, failure.step)
    return line_of(dict(key_lines), f"expect.{name}.{failure.key}")


def render_github(report: Report, key_lines: Mapping[str, Mapping[str, int]] | None = None) -> str:
    """One annotation per failure, pointing at the step (an invariant) or the expectation.

    `key_lines[path]` maps key paths of that scenario file to lines
    (probe.scenario.toml_lines); without it an expectation's annotation names the file only.
    """
    out: list[str] = []
    for sr in report.scenarios:
        lines = (key_lines or {}).get(sr.path, {})
        for note in sr.scenario.notes:
            out.append(
                workflow_command("warning", [("file", sr.path), ("title", "probe note")], note)
            )
        for nc in sr.not_comparable:
            for item in nc.items:
                props = [("file", sr.path)] + ([("line", str(item.line))] if item.line else [])
                props.append(("title", f"probe: not comparable on {nc.engine}"))
                out.append(workflow_command("warning", props, f"{item.key}: {item.reason}"))
        for ef in sr.failed:
            props = [("file", sr.path), ("title", f"probe: {ef.engine} failed")]
            out.append(workflow_command("error", props, ef.reason))
        for name, result in sr.strategies:
            for f in failures(sr, name, result):
                props = [("file", sr.path)]
                line = _line(sr, name, f, lines)
                if line is not None:
                    props.append(("line", str(line)))
                what = "violates" if f.kind == "invariant" else "breaks expectation"
                props.append(("title", f"probe: {name} {what} {f.key}"))
                out.append(workflow_command("error", props, f"{sr.scenario.name}: {f.render()}"))
    runs = sum(len(sr.strategies) for sr in report.scenarios)
    failed = sum(1 for sr in report.scenarios for _, r in sr.strategies if not r.ok)
    failed += report.failed_engines
    verdict = "PASS" if report.ok else f"FAIL ({failed} failed)"
    out.append(f"probe: {len(report.scenarios)} scenario(s), {runs} strategy run(s): {verdict}")
    return "\n".join(out) + "\n"
