"""Markdown for a pull request or `$GITHUB_STEP_SUMMARY`: the comparison table and verdicts."""

from __future__ import annotations

from datetime import UTC

from probe import __version__
from probe.report.escape import markdown as _md
from probe.report.escape import markdown_code as _code
from probe.report.failures import failures, show
from probe.report.results import Report, ScenarioResult, StrategyResult
from probe.report.timing import Timing


def _verdict(ok: bool) -> str:
    return "✅ PASS" if ok else "❌ FAIL"


def _stem(path: str) -> str:
    return path.rsplit("/", 1)[-1].removesuffix(".toml")


def _absorbed(result: StrategyResult) -> str:
    parts = [f"{layer} ({n})" for layer, n in result.run.absorbed_by.items() if n]
    return _md(", ".join(parts)) or "-"


def _row(sr: ScenarioResult, first: bool, name: str, result: StrategyResult) -> str:
    run = result.run
    label = ""
    if first:
        label = f"**{_md(_stem(sr.path))}**"
        if sr.divergence is not None:
            label += f"<br>diverges at step {sr.divergence}"
    verdict = _verdict(result.ok)
    if result.expectations:
        held = sum(1 for e in result.expectations if e.ok)
        verdict += f" {held}/{len(result.expectations)}"
    cells = [
        label,
        _md(name),
        str(run.requested),
        show(run.requested_generations),
        "<br>".join(_code(o) for o in run.runtime_outcomes) or "-",
        _absorbed(result),
        str(run.completed),
        ", ".join(_code(v) for v in run.violation_names) or "none",
        verdict,
    ]
    return "| " + " | ".join(cells) + " |"


_HEADER = (
    "| scenario | strategy | requested | generations | runtime outcomes | absorbed by "
    "| completed | violated | verdict |\n"
    "|---|---|--:|---|---|---|--:|---|---|"
)


def _table(title: str, results: list[ScenarioResult]) -> list[str]:
    lines = [f"### {title}", "", _HEADER]
    for sr in results:
        for i, (name, result) in enumerate(sr.strategies):
            lines.append(_row(sr, i == 0, name, result))
    return [*lines, ""]


def _failure_section(report: Report) -> list[str]:
    lines: list[str] = []
    for sr in report.scenarios:
        for name, result in sr.strategies:
            found = failures(sr, name, result)
            if not found:
                continue
            lines.append(f"- **{_md(sr.path)}**, {_md(name)}:")
            lines += [f"  - {_md(f.render())}" for f in found]
        for ef in sr.failed:
            why = _md(ef.reason)
            lines.append(f"- **{_md(sr.path)}**, {_md(ef.engine)}: the build failed: {why}")
    if not lines:
        return []
    return ["### Failures", "", *lines, ""]


def render_markdown(report: Report, timing: Timing) -> str:
    runs = sum(len(sr.strategies) for sr in report.scenarios)
    failed = sum(1 for sr in report.scenarios for _, r in sr.strategies if not r.ok)
    failed += report.failed_engines
    count = f"{len(report.scenarios)} scenario(s), {runs} strategy run(s)"
    if failed:
        count += f", {failed} failed"
    when = timing.started.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    lines = [
        f"## probe: {_verdict(report.ok)}",
        "",
        f"{count}. probe {__version__}, {when}.",
        "",
    ]
    bump = [s for s in report.scenarios if s.scenario.has_bump]
    control = [s for s in report.scenarios if not s.scenario.has_bump]
    if bump:
        lines += _table("With bump", bump)
    if control:
        lines += _table("Control (no bump)", control)
    lines += _failure_section(report)
    notes = [f"- {_md(sr.path)}: {_md(n)}" for sr in report.scenarios for n in sr.scenario.notes]
    if notes:
        lines += ["### Notes", "", *notes, ""]
    return "\n".join(lines)
