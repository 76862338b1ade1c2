"""The JSON report of SCENARIOS.md: one object, keys sorted, byte-identical run to run."""

from __future__ import annotations

import json
from typing import Any

from probe.report.results import Report, ScenarioResult, StrategyResult


def strategy_dict(result: StrategyResult) -> dict[str, Any]:
    run = result.run
    return {
        "ok": result.ok,
        "engine": run.engine,
        "drain": run.drain,
        "requested": run.requested,
        "requested_generations": run.requested_generations,
        "completed": run.completed,
        "runtime_outcomes": list(run.runtime_outcomes),
        "absorbed_by": run.absorbed_by,
        "violations": [v.as_dict() for v in run.violations],
        "expectations": [e.as_dict() for e in result.expectations],
        "coverage": dict(run.coverage),
        "events": [e.as_dict() for e in run.events],
    }


def scenario_dict(result: ScenarioResult) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": result.scenario.name,
        "path": result.path,
        "ok": result.ok,
        "variant": "bump" if result.scenario.has_bump else "control",
        "divergence_step": result.divergence,
        "notes": list(result.scenario.notes),
        "strategies": {name: strategy_dict(r) for name, r in result.strategies},
    }
    if result.not_comparable:  # only then, so that model-only reports keep their bytes
        doc["not_comparable"] = [
            {
                "engine": nc.engine,
                "items": [
                    {"key": i.key, "line": i.line, "reason": i.reason} for i in nc.items
                ],
            }
            for nc in result.not_comparable
        ]
    if result.failed:  # likewise: only when a build failed on the scenario
        doc["failed"] = [{"engine": ef.engine, "reason": ef.reason} for ef in result.failed]
    return doc


def render_json(report: Report) -> str:
    doc = {"ok": report.ok, "scenarios": [scenario_dict(s) for s in report.scenarios]}
    return json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
