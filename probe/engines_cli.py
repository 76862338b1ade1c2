"""`probe engines ...` and `probe conform`: real openclaw builds beside the model."""

from __future__ import annotations

import difflib
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from probe.engines import real
from probe.engines.engine import (
    DEFAULT_PAIRS,
    CannotExpress,
    Engine,
    RealEngine,
    key_shape,
)
from probe.engines.engine import resolve as resolve_engine
from probe.errors import Problem, ScenarioError, UsageError
from probe.files import library_files, read_scenario
from probe.run import Run
from probe.scenario import Scenario
from probe.strategies import REGISTRY

PROBE_ONLY_KEYS = ("seq", "step", "generation", "layer")


def _say(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def _comparable(event: dict[str, Any]) -> str:
    """One event as a line: the payload openclaw emits, without probe's bookkeeping."""
    return json.dumps({k: v for k, v in event.items() if k not in PROBE_ONLY_KEYS}, sort_keys=True)


@dataclass(frozen=True, slots=True)
class PairResult:
    model: str
    real: str
    status: str  # agree | differ | not_comparable
    detail: tuple[str, ...]  # the diff, or why it could not be compared
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "real": self.real,
            "status": self.status,
            "detail": list(self.detail),
            "seconds": round(self.seconds, 3),
        }


def diff_runs(model: Run, real_run: Run) -> list[str]:
    """A unified diff of event streams and runtime outcomes; empty when they agree."""
    a = [_comparable(e.as_dict()) for e in model.events]
    b = [_comparable(e.as_dict()) for e in real_run.events]
    a += [f"runtime_outcomes {json.dumps(list(model.runtime_outcomes))}"]
    b += [f"runtime_outcomes {json.dumps(list(real_run.runtime_outcomes))}"]
    if a == b:
        return []
    return list(difflib.unified_diff(a, b, model.engine, real_run.engine, lineterm="", n=2))


def _conform_one(scenario: Scenario, model: Engine, build: Engine) -> PairResult:
    start = time.perf_counter()
    try:
        real_run = build.replay(scenario)
    except CannotExpress as exc:
        reasons = tuple(f"{i.key}: {i.reason}" for i in exc.items)
        return PairResult(
            model.name, build.name, "not_comparable", reasons, time.perf_counter() - start
        )
    model_run = model.replay(scenario)
    diff = diff_runs(model_run, real_run)
    return PairResult(
        model.name,
        build.name,
        "differ" if diff else "agree",
        tuple(diff),
        time.perf_counter() - start,
    )


def _pairs(specs: list[str] | None) -> list[tuple[Engine, Engine]]:
    if not specs:
        return [(resolve_engine(m), resolve_engine(r)) for m, r in DEFAULT_PAIRS]
    pairs = []
    for spec in specs:
        model, sep, build = spec.partition("=")
        if not sep or not model.startswith("model:"):
            raise UsageError(f"--pair {spec!r}: expected model:NAME=openclaw@VERSION")
        pairs.append((resolve_engine(model), resolve_engine(build)))
    return pairs


def _load(files: list[Path] | None) -> list[tuple[Scenario, str]]:
    chosen = [(f, str(f)) for f in files] if files else library_files()
    loaded, problems = [], []
    for path, shown in chosen:
        try:
            loaded.append((read_scenario(path, REGISTRY.keys(), shown), shown))
        except ScenarioError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ScenarioError(problems)
    return loaded


def _render(results: list[tuple[str, list[PairResult]]]) -> str:
    lines = []
    width = max(len(p) for p, _ in results)
    for path, pairs in results:
        for pr in pairs:
            verdict = {"agree": "agree", "differ": "DIFFER", "not_comparable": "not comparable"}
            lines.append(
                f"{path:<{width}}  {pr.model:<12} vs {pr.real:<26} "
                f"{verdict[pr.status]:<15} {pr.seconds:6.2f} s"
            )
            if pr.status == "not_comparable":
                lines.extend(f"    {reason}" for reason in pr.detail)
    for path, pairs in results:
        for pr in pairs:
            if pr.status == "differ":
                lines.append("")
                lines.append(f"{path}: {pr.model} and {pr.real} differ (- model, + real):")
                lines.extend(f"  {line}" for line in pr.detail)
    counts = {
        s: sum(1 for _, ps in results for p in ps if p.status == s)
        for s in ("agree", "differ", "not_comparable")
    }
    lines.append("")
    lines.append(
        f"{counts['agree']} agree, {counts['differ']} differ, "
        f"{counts['not_comparable']} not comparable"
    )
    return "\n".join(lines) + "\n"


def register(app: typer.Typer, guarded: Callable[[Callable[[], None]], None]) -> None:
    engines_app = typer.Typer(help="Install and list real openclaw builds.", no_args_is_help=True)
    app.add_typer(engines_app, name="engines")

    @engines_app.command("install")
    def install(
        specs: Annotated[list[str], typer.Argument(help="openclaw@VERSION (repeatable).")],
    ) -> None:
        """Fetch builds from the npm registry into the cache, with only what the harness needs."""

        def body() -> None:
            for spec in specs:
                engine = resolve_engine(spec)
                if not isinstance(engine, RealEngine):
                    raise UsageError(f"{spec}: only openclaw@VERSION builds are installed")
                start = time.perf_counter()

                def progress(message: str, spec: str = spec) -> None:
                    _say(f"{spec}: {message}")

                dist = real.install(engine.version, progress=progress)
                size = dict(real.list_installed()).get(engine.version, 0)
                sys.stdout.write(
                    f"{spec}: installed at {dist.parent.parent} "
                    f"({size / 1e6:.1f} MB, {time.perf_counter() - start:.1f} s)\n"
                )

        guarded(body)

    @engines_app.command("list")
    def list_() -> None:
        """The installed builds and their sizes."""

        def body() -> None:
            found = real.list_installed()
            if not found:
                sys.stdout.write(f"no builds installed in {real.cache_dir()}\n")
            for version, size in found:
                shape, _ = key_shape(real.dist_dir(version))
                sys.stdout.write(f"openclaw@{version:<24} {size / 1e6:8.1f} MB  key {shape}\n")

        guarded(body)

    @app.command()
    def conform(
        files: Annotated[
            list[Path] | None, typer.Argument(help="Scenario files (default: the shipped library).")
        ] = None,
        pair: Annotated[
            list[str] | None,
            typer.Option(
                help="model:NAME=openclaw@VERSION (repeatable; default: buggy and fixed "
                "against the last buggy and first fixed builds)."
            ),
        ] = None,
        format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
    ) -> None:
        """Replay every scenario on the model and on the real build; diff the event streams."""

        def body() -> None:
            if format not in ("table", "json"):
                raise UsageError(f"--format {format!r}: conform writes table or json")
            pairs = _pairs(pair)
            loaded = _load(files)
            results: list[tuple[str, list[PairResult]]] = []
            for scenario, shown in loaded:
                row = []
                for model, build in pairs:
                    if sys.stderr.isatty():
                        _say(f"{shown}: {build.name}")
                    row.append(_conform_one(scenario, model, build))
                results.append((shown, row))
            statuses = [p.status for _, ps in results for p in ps]
            if format == "json":
                doc = {
                    "ok": "differ" not in statuses and "agree" in statuses,
                    "scenarios": [
                        {"path": p, "pairs": [x.as_dict() for x in ps]} for p, ps in results
                    ],
                }
                sys.stdout.write(json.dumps(doc, sort_keys=True, indent=2) + "\n")
            else:
                sys.stdout.write(_render(results))
            if "agree" not in statuses and "differ" not in statuses:
                raise ScenarioError(
                    [
                        Problem(
                            "conform",
                            "",
                            None,
                            "nothing could be compared: every scenario uses "
                            "a feature the real builds cannot express",
                        )
                    ]
                )
            raise typer.Exit(1 if "differ" in statuses else 0)

        guarded(body)
