"""pytest plugin: `pytest --probe-scenarios PATH` collects scenario files, one item per strategy.

Registered through the `pytest11` entry point, so it is loaded by every pytest run in an
environment where probe is installed; without the option it does nothing. probe's own modules
are imported only once a scenario is collected, to keep pytest's start-up as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from probe.report.failures import Failure
    from probe.scenario.values import Scenario
    from probe.strategies import DedupStrategy


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("probe", "probe scenarios")
    group.addoption(
        "--probe-scenarios",
        action="append",
        default=[],
        metavar="PATH",
        help="collect probe scenario files (*.toml) in PATH, a file or a folder searched "
        "recursively, as tests: one per scenario and strategy (repeatable)",
    )
    group.addoption(
        "--probe-strategy",
        action="append",
        default=[],
        metavar="NAME",
        help="with --probe-scenarios: only this strategy (repeatable; default: all)",
    )
    group.addoption(
        "--probe-engine",
        action="append",
        default=[],
        metavar="ENGINE",
        help="with --probe-scenarios: also replay each scenario on this real build "
        "(openclaw@VERSION or the path of a build), judged by the expectations of its design; "
        "one Node process per build for the whole session (repeatable)",
    )


def _roots(config: pytest.Config) -> list[Path]:
    return [Path(p).resolve() for p in config.getoption("probe_scenarios") or []]


def pytest_configure(config: pytest.Config) -> None:
    roots = _roots(config)
    if not roots:
        return
    for root in roots:
        if not root.exists():
            raise pytest.UsageError(f"--probe-scenarios {root}: no such file or folder")
    # Collect the scenario paths in the same run as the tests the project already has.
    given = [Path(a.split("::")[0]).resolve() for a in config.args]
    for root in roots:
        if not any(root == g or g in root.parents for g in given):
            config.args.append(str(root))


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix != ".toml":
        return None
    roots = _roots(parent.config)
    resolved = file_path.resolve()
    if any(resolved == r or r in resolved.parents for r in roots):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFile(pytest.File):
    """One scenario file: a bad one is a collection error with probe's own message."""

    def collect(self) -> Iterator[pytest.Item]:
        from probe.errors import ScenarioError
        from probe.scenario.files import read_scenario
        from probe.strategies import REGISTRY, get_strategy

        shown = (
            self.path.relative_to(self.config.rootpath).as_posix()
            if self.path.is_relative_to(self.config.rootpath)
            else str(self.path)
        )
        try:
            scenario = read_scenario(self.path, REGISTRY.keys(), shown)
        except ScenarioError as exc:
            raise self.CollectError(exc.render()) from None
        key_lines = _key_lines(self.path)
        names = self.config.getoption("probe_strategy") or list(REGISTRY)
        for name in names:
            try:
                design, at, version = name.partition("@")
                strategy = get_strategy(design)
                if at:  # fixed@VERSION: the model of that openclaw version
                    from probe.strategies import AtVersion

                    strategy = AtVersion(strategy, version)
            except Exception as exc:
                raise self.CollectError(f"--probe-strategy: {exc}") from None
            yield ScenarioItem.from_parent(
                self,
                name=name,
                scenario=scenario,
                strategy=strategy,
                shown=shown,
                key_lines=key_lines,
            )
        for spec in self.config.getoption("probe_engine") or []:
            yield EngineItem.from_parent(
                self, name=spec, scenario=scenario, spec=spec, shown=shown, key_lines=key_lines
            )


def _key_lines(path: Path) -> dict[str, int]:
    from probe.scenario.files import read_text
    from probe.scenario.toml_lines import index_lines

    text = read_text(path)
    return {} if text is None else index_lines(text)


class ScenarioFailed(Exception):
    """The strategy's run broke an expectation or an invariant."""

    def __init__(self, lines: list[str], reasons: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines  # each reason, located in the scenario file
        self.reasons = reasons


class ScenarioItem(pytest.Item):
    """One scenario replayed against one strategy, judged as `probe run` judges it."""

    def __init__(
        self,
        *,
        scenario: Scenario,
        strategy: DedupStrategy,
        shown: str,
        key_lines: dict[str, int],
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario
        self.strategy = strategy
        self.shown = shown
        self.key_lines = key_lines

    def runtest(self) -> None:
        from probe.replay import replay
        from probe.report.failures import failures
        from probe.report.results import judge

        sr = judge(self.scenario, self.shown, [replay(self.scenario, self.strategy)])
        name, result = sr.strategies[0]
        found = failures(sr, name, result)
        if found:
            raise ScenarioFailed([self._locate(f) for f in found], [f.render() for f in found])

    def _locate(self, failure: Failure) -> str:
        from probe.report.failures import step_line
        from probe.scenario.toml_lines import line_of

        if failure.kind == "invariant":
            line = step_line(self.scenario, failure.step)
        else:
            line = line_of(self.key_lines, f"expect.{self.strategy.name}.{failure.key}")
        from probe.report.escape import terminal

        shown = terminal(self.shown)
        where = f"{shown}:{line}" if line is not None else shown
        return f"{where}: {terminal(failure.render())}"

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str:
        if isinstance(excinfo.value, ScenarioFailed):
            from probe.report.escape import terminal

            # pytest's short summary shows the first line: make it the reason, not the name.
            failed = excinfo.value
            more = f" (and {len(failed.reasons) - 1} more)" if len(failed.reasons) > 1 else ""
            head = terminal(f"{self.scenario.name} [{self.strategy.name}]")
            return "\n".join([terminal(failed.reasons[0]) + more, head, *failed.lines])
        return str(super().repr_failure(excinfo, style=style))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        # Not the node id's own tail: pytest would turn every dot of such a "domain" into "::"
        # (a Python class path), showing issue-bump-hold::toml and openclaw@2026::9::6.
        return self.path, 0, f"{self.shown} [{self.name}]"


_ENGINES: dict[str, Any] = {}


class EngineItem(ScenarioItem):
    """One scenario replayed on a real build (resolved once per session, so one Node process
    replays every scenario of the session on it), judged by its design's expectations."""

    def __init__(self, *, spec: str, **kwargs: Any) -> None:
        from probe.strategies import get_strategy

        kwargs.setdefault("strategy", get_strategy("fixed"))
        super().__init__(**kwargs)
        self.spec = spec

    def runtest(self) -> None:
        from probe.engines.base import CannotExpress
        from probe.engines.engine import resolve
        from probe.report.failures import failures
        from probe.report.results import judge
        from probe.strategies import get_strategy

        engine = _ENGINES.get(self.spec)
        if engine is None:
            engine = _ENGINES[self.spec] = resolve(self.spec)
        try:
            run = engine.replay(self.scenario)
        except CannotExpress as exc:
            pytest.skip(f"{self.spec} cannot express this scenario: {exc}")
        if engine.design is not None:
            self.strategy = get_strategy(engine.design)
        sr = judge(self.scenario, self.shown, [run])
        name, result = sr.strategies[0]
        found = failures(sr, name, result)
        if found:
            raise ScenarioFailed([self._locate(f) for f in found], [f.render() for f in found])
