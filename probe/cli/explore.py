"""`probe explore`: parse, search, write counterexamples, render, choose the exit code."""

from __future__ import annotations

import gc
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from probe.cli.exits import EXIT_INPUT, guarded
from probe.cli.interrupts import Interrupts, deferred_interrupts
from probe.cli.options import (
    InvariantOpt,
    Judging,
    NodeOpt,
    OutputOpt,
    PluginOpt,
    SkipInvariantOpt,
    use_node,
)
from probe.errors import SystemRefused, UsageError

# option defaults and the search's values (values.py is light)
from probe.explore.values import (
    DEFAULT_ACTIONS,
    DEFAULT_DEPTH,
    ISSUE_SEED,
    ExploreConfig,
    ExploreResult,
    expected_violations,
)
from probe.report.escape import terminal
from probe.scenario.values import Scenario
from probe.strategies import REGISTRY, DedupStrategy, get_strategy

if TYPE_CHECKING:  # imported where used: the engine and report modules are slow to import
    from rich.status import Status

    from probe.engines.base import Engine
    from probe.engines.confirm import Confirmation
    from probe.explore.liveness import LivenessResult
    from probe.explore.values import Counterexample, SearchProgress
    from probe.report.explore_report import StrategyOutcome

VARY_KEYS = ("heartbeat_ms", "warn_ms", "settle_ms", "tick_late_ms")
EXPLORE_FORMATS = ("table", "json", "junit", "markdown", "github")
_VARY = re.compile(r"^(\w+)=(\d+)\.\.(\d+)(?::(\d+))?$")
MAX_VARY_VALUES = 200


def _parse_actions(text: str) -> tuple[str, ...]:
    from probe.explore.values import ACTIONS

    actions = tuple(a.strip() for a in text.split(",") if a.strip())
    unknown = [a for a in actions if a not in ACTIONS]
    if unknown or not actions:
        raise UsageError(
            f"--actions: unknown {', '.join(unknown) or '(none given)'}; "
            f"choose from {','.join(ACTIONS)}"
        )
    return actions


def _parse_vary(text: str) -> tuple[str, list[int]]:
    match = _VARY.match(text.strip())
    if not match:
        raise UsageError(
            f"--vary {text!r}: expected KEY=a..b:step, e.g. settle_ms=5000..60000:5000"
        )
    key, low, high, step = match.group(1), int(match.group(2)), int(match.group(3)), match.group(4)
    if key not in VARY_KEYS:
        raise UsageError(f"--vary: {key!r} is not a setting that can vary ({', '.join(VARY_KEYS)})")
    stride = int(step) if step else 1
    if stride <= 0 or high < low:
        raise UsageError(f"--vary {text!r}: needs a <= b and a positive step")
    values = list(range(low, high + 1, stride))
    if len(values) > MAX_VARY_VALUES:
        raise UsageError(
            f"--vary {text!r}: {len(values)} values, over the limit of {MAX_VARY_VALUES}"
        )
    if key == "heartbeat_ms" and low == 0:
        raise UsageError("--vary heartbeat_ms must start at 1 or more")
    return key, values


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
# Without --max-memory a search may hold this share of the memory available when it starts.
DEFAULT_MEMORY_SHARE = 0.5


def parse_size(text: str, option: str = "--max-memory") -> int:
    """A size: bytes, or a number with K, M, G or T (powers of 1024; KB, MiB alike)."""
    match = _SIZE.match(text)
    if not match:
        raise UsageError(f"{option} {text!r}: expected a size such as 800M, 2G or 500000000")
    size = int(float(match.group(1)) * _UNITS[match.group(2).lower()])
    if size <= 0:
        raise UsageError(f"{option} {text!r}: must be more than 0")
    return size


_DURATION = re.compile(
    r"^(?:(?P<h>\d+(?:\.\d+)?)h)?(?:(?P<m>\d+(?:\.\d+)?)m)?(?:(?P<s>\d+(?:\.\d+)?)s?)?$"
)


def parse_duration(text: str, option: str = "--time-limit") -> float:
    """Seconds from 90, 90s, 1.5, 1m30s, 2m or 1h (hours, minutes, seconds in that order)."""
    match = _DURATION.match(text.strip().lower())
    if not text.strip() or match is None:
        raise UsageError(f"{option} {text!r}: expected a duration such as 90, 90s, 1m30s, 2m or 1h")
    parts = {k: float(v) for k, v in match.groupdict().items() if v is not None}
    seconds = parts.get("h", 0.0) * 3600 + parts.get("m", 0.0) * 60 + parts.get("s", 0.0)
    if seconds <= 0:
        raise UsageError(f"{option} {text!r}: must be more than 0")
    return seconds


def _past(deadline: float | None) -> bool:
    return deadline is not None and time.perf_counter() > deadline


def _stopping(deadline: float | None, interrupts: Interrupts) -> bool:
    return interrupts() or _past(deadline)


def _nothing() -> None:
    pass


@dataclass(slots=True)
class _SearchLine:
    """Depth, distinct states, states per second and memory, as one progress line."""

    label: str
    start: float = field(default_factory=time.perf_counter)

    def __call__(self, p: SearchProgress) -> str:
        from probe.report.explore_report import size_text

        took = time.perf_counter() - self.start
        rate = p.distinct_states / took if took > 0 else 0.0
        return (
            f"{self.label}: depth {p.depth}, {p.distinct_states:,} distinct states, "
            f"{rate:,.0f} states/s, {p.transitions:,} transitions, memory {size_text(p.memory)}"
        )


@dataclass(slots=True)
class _ProgressLines:
    """Plain progress lines on stderr, one a second at most."""

    line: _SearchLine
    last: float = 0.0

    def __call__(self, p: SearchProgress) -> None:
        now = time.perf_counter()
        if now - self.last >= 1.0:
            self.last = now
            sys.stderr.write(self.line(p) + "\n")
            sys.stderr.flush()


@dataclass(frozen=True, slots=True)
class _ProgressStatus:
    """Progress as a Rich status line on a terminal."""

    line: _SearchLine
    status: Status

    def __call__(self, p: SearchProgress) -> None:
        self.status.update(self.line(p))


def _progress(
    label: str, forced: bool
) -> tuple[_ProgressLines | _ProgressStatus | None, Callable[[], None]]:
    """Progress on stderr: a Rich status on a terminal, plain lines with --progress elsewhere;
    nothing off a terminal unless asked."""
    line = _SearchLine(label)
    if not sys.stderr.isatty():
        return (_ProgressLines(line) if forced else None), _nothing
    from rich.console import Console

    status = Console(stderr=True).status(f"{label}: exploring")
    status.start()
    return _ProgressStatus(line, status), status.stop


def _check_out(out: Path) -> None:
    """Refuse a counterexample folder that cannot be one, before the search."""
    shown = terminal(str(out))
    if out.exists() and not out.is_dir():
        raise UsageError(f"{shown}: is not a folder; --out takes the folder for counterexamples")
    ancestor = out
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise UsageError(f"{shown}: {terminal(str(ancestor))} is not a folder")


def _write(
    out: Path,
    seed: Scenario,
    strategy: str,
    example: Counterexample,
    force: bool,
    strategies: list[DedupStrategy],
    conflicts: list[str],
) -> str | None:
    """The counterexample's file, written whole; None when another counterexample holds its
    name or the system refuses the write (a message in `conflicts`: the search's result is
    reported all the same, and probe exits 2)."""
    from probe.cli.output import emit
    from probe.explore.counterexamples import counterexample_scenario
    from probe.scenario.dump import dump_scenario

    target = out / f"{strategy}-{example.invariant}.toml"
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        conflicts.append(f"{terminal(str(out))}: cannot create the folder: {exc.strerror or exc}")
        return None
    text = dump_scenario(counterexample_scenario(seed, example, strategy, strategies))
    if target.exists() and not force:
        try:
            same = target.read_text(encoding="utf-8") == text
        except (OSError, UnicodeDecodeError):
            same = False
        if same:  # a second run finding the same counterexample: nothing to overwrite
            return str(target)
        conflicts.append(
            f"{terminal(str(target))}: already exists with another counterexample, not replaced "
            "(use --force to overwrite it)"
        )
        return None
    try:
        emit(text, target)  # a temporary file of its own beside it, renamed into place
    except SystemRefused as exc:  # a full disk, a read-only folder: the report still goes out
        conflicts.append(exc.render())
        return None
    return str(target)


def _render(
    format: str,
    outcomes: dict[str, StrategyOutcome],
    config: ExploreConfig,
    seed_name: str,
    seed_file: Path | None,
    started: datetime,
    *,
    confirming: bool,
    walks: tuple[int, int] | None = None,
    interrupted: str = "",
) -> str:
    from probe.report.explore_report import (
        render_explore_github,
        render_explore_json,
        render_explore_junit,
        render_explore_markdown,
        render_explore_table,
    )

    if format == "json":
        return render_explore_json(
            outcomes, config, confirming=confirming, walks=walks, interrupted=interrupted
        )
    if format == "junit":
        return render_explore_junit(outcomes, seed_name, started)
    if format == "markdown":
        return render_explore_markdown(outcomes, seed_name, config.depth, started, interrupted)
    if format == "github":
        shown = None if seed_file is None else str(seed_file)
        return render_explore_github(outcomes, shown, interrupted)
    return render_explore_table(outcomes, config, seed_name, walks, interrupted)


@guarded
def explore_command(
    scenario_file: Annotated[
        Path | None,
        typer.Argument(
            metavar="[SCENARIO]",
            help="Seed: sessions and settings of this scenario (default: the issue's seed).",
        ),
    ] = None,
    strategy: Annotated[
        list[str] | None, typer.Option("--strategy", "-s", help="Strategy (repeatable).")
    ] = None,
    engine: Annotated[
        list[str] | None,
        typer.Option(
            "--engine",
            "-e",
            help="Model to search (repeatable): model:NAME, or model:NAME@VERSION for the "
            "behaviour of that openclaw version (see probe versions).",
        ),
    ] = None,
    depth: Annotated[int, typer.Option(min=1, max=64, help="Steps per trace.")] = DEFAULT_DEPTH,
    fixpoint: Annotated[
        bool,
        typer.Option(
            "--fixpoint",
            help="No depth bound: search to the fixpoint of a finite abstraction of the "
            "state; no violation there is a proof for the seed's sessions (--depth unread).",
        ),
    ] = False,
    liveness: Annotated[
        bool,
        typer.Option(
            "--liveness",
            help="With --fixpoint: also find sessions that need recovery forever and are "
            "never asked for (cycles of the abstract graph with a heartbeat on them).",
        ),
    ] = False,
    actions: Annotated[
        str,
        typer.Option(
            help="Comma-separated actions to interleave (own, a run registering, only when "
            "named)."
        ),
    ] = ",".join(DEFAULT_ACTIONS),
    advance_ms: Annotated[
        int | None, typer.Option(min=1, help="What one `advance` moves (default: settle_ms).")
    ] = None,
    out: Annotated[Path, typer.Option(help="Folder for counterexample scenarios.")] = Path(
        "counterexamples"
    ),
    no_write: Annotated[bool, typer.Option("--no-write", help="Write no files.")] = False,
    force: Annotated[
        bool,
        typer.Option(help="Overwrite existing counterexample files and the --output file."),
    ] = False,
    max_states: Annotated[
        int | None, typer.Option(min=1, help="Stop after this many states.")
    ] = None,
    time_limit: Annotated[
        str | None,
        typer.Option(
            metavar="DURATION",
            help="Stop the whole command's search after this long: 90, 90s, 1m30s, 2m, 1h.",
        ),
    ] = None,
    vary: Annotated[
        str | None,
        typer.Option(help="Sweep a setting: KEY=a..b:step (e.g. settle_ms=5000..60000:5000)."),
    ] = None,
    random_walk: Annotated[
        bool, typer.Option("--random", help="Seeded random walks instead of exhaustive search.")
    ] = False,
    seed: Annotated[int, typer.Option(help="Seed for --random.")] = 0,
    runs: Annotated[int, typer.Option(min=1, help="Walks for --random.")] = 1000,
    drain: Annotated[
        str | None, typer.Option(help="Override the seed's drain: settle or hold.")
    ] = None,
    format: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            envvar="PROBE_FORMAT",
            help="table, json, junit, markdown or github (annotations).",
        ),
    ] = "table",
    output: OutputOpt = None,
    max_memory: Annotated[
        str | None,
        typer.Option(
            metavar="SIZE",
            help="Stop once the search holds this much memory (e.g. 800M, 4G; "
            "default: half the memory available).",
        ),
    ] = None,
    no_symmetry: Annotated[
        bool,
        typer.Option("--no-symmetry", help="Keep mirror images of interchangeable sessions."),
    ] = False,
    no_reduction: Annotated[
        bool,
        typer.Option("--no-reduction", help="Take every order of commuting steps."),
    ] = False,
    no_composition: Annotated[
        bool,
        typer.Option(
            "--no-composition",
            help="With --fixpoint: search several sessions together, not one at a time.",
        ),
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1, max=256, metavar="N", help="Processes to search with (default: the cores)."
        ),
    ] = None,
    keep_memory: Annotated[
        str | None,
        typer.Option(
            metavar="SIZE",
            help="Memory for keeping a layer's states rather than rebuilding them from the "
            "tree (default 256M, at most a quarter of --max-memory; 0: always rebuild).",
        ),
    ] = None,
    show_progress: Annotated[
        bool,
        typer.Option("--progress", help="Progress on stderr even when it is not a terminal."),
    ] = False,
    confirm_on: Annotated[
        list[str] | None,
        typer.Option(
            "--confirm",
            metavar="ENGINE",
            help="Replay every counterexample on this real build (repeatable): "
            "openclaw@VERSION or the path of a build of your own.",
        ),
    ] = None,
    node: NodeOpt = None,
    invariant: InvariantOpt = None,
    skip_invariant: SkipInvariantOpt = None,
    plugin: PluginOpt = None,
) -> None:
    """Search every interleaving breadth-first; write the shortest counterexamples."""
    begun = time.perf_counter()
    use_node(node)
    from probe.cli.output import check_output, emit
    from probe.report.explore_report import StrategyOutcome, Written
    from probe.resources import available_memory, default_workers

    if format not in EXPLORE_FORMATS:
        raise UsageError(f"--format {format!r}: explore writes {', '.join(EXPLORE_FORMATS)}")
    if vary is not None and format not in ("table", "json"):
        raise UsageError(f"--format {format!r}: a --vary sweep prints table or json")
    check_output(output, force)
    deadline = None if time_limit is None else begun + parse_duration(time_limit)
    if not no_write:
        _check_out(out)
    picked = [get_strategy(n) for n in strategy] if strategy else []
    picked += _model_strategies(engine)
    names = [p.name for p in picked]
    if vary is None and len(set(names)) < len(names):
        # A search's results are keyed by design (its expectations, its report): two versions
        # of one design would silently become the last one (a --vary sweep keeps them apart).
        raise UsageError(
            "--engine: one engine per design in a search (a --vary sweep takes several); "
            "search each version of that design in a run of its own"
        )
    if not picked:
        picked = list(REGISTRY.values())
    judging = Judging(plugin, invariant, skip_invariant)
    loaded = None
    if scenario_file is not None:
        # and with it the TOML parser: only for a file
        from probe.scenario.files import read_scenario

        loaded = read_scenario(scenario_file, REGISTRY.keys(), None, judging.catalogue)
        if loaded.settings.runtime == "scripted":
            # explore has no answer action: every scripted call would stay pending.
            raise UsageError(
                f"{terminal(str(scenario_file))}: settings.runtime = \"scripted\" cannot be "
                "explored (the search has no answer step); use the real runtime"
            )
    # Every selected property is searched for: its monitor's state joins the state key.
    seed_scenario = judging.apply(loaded or ISSUE_SEED)
    if drain is not None:
        if drain not in ("settle", "hold"):
            raise UsageError(f"--drain {drain!r}: choose settle or hold")
        settings = replace(seed_scenario.settings, drain="settle" if drain == "settle" else "hold")
        seed_scenario = replace(seed_scenario, settings=settings)
    if max_memory is not None:
        memory_bound: int | None = parse_size(max_memory)
    else:
        available = available_memory()
        memory_bound = None if available is None else int(available * DEFAULT_MEMORY_SHARE)
    if liveness and (not fixpoint or format != "table"):
        raise UsageError("--liveness needs --fixpoint and the table format")
    if fixpoint and "own" in _parse_actions(actions):
        raise UsageError(
            "--fixpoint: the abstraction does not cover the own action (run handles that "
            "replace each other); search it with --depth N"
        )
    left_out: tuple[str, ...] = ()
    if fixpoint:
        from probe.cli.output import say
        from probe.explore.abstraction import ABSTRACTED, narrowed

        seed_scenario, left_out = narrowed(seed_scenario)
        if left_out:
            covered = ", ".join(sorted(ABSTRACTED))
            if not seed_scenario.properties.only:
                raise UsageError(
                    f"--fixpoint: the abstraction covers {covered}; none of them is chosen "
                    "(search the others with --depth N)"
                )
            say(
                f"probe explore --fixpoint: the abstraction covers {covered}; "
                f"{', '.join(left_out)} need a bounded search (--depth N)"
            )
        if random_walk or vary is not None:
            raise UsageError("--fixpoint searches every interleaving: not with --random or --vary")
        if seed_scenario.settings.tick_jitter_ms is not None:
            raise UsageError(
                f"{scenario_file or 'the seed'}: [settings] tick_jitter_ms draws each firing's "
                "lateness by its number, which grows without bound: --fixpoint needs a uniform "
                "lateness (tick_late_ms), or search with --depth"
            )
    config = ExploreConfig(
        fixpoint=fixpoint,
        depth=depth,
        actions=_parse_actions(actions),
        advance_ms=advance_ms,
        max_states=max_states,
        max_memory=memory_bound,
        symmetry=not no_symmetry,
        reduction=not no_reduction,
        compose=not no_composition,
        workers=workers if workers is not None else default_workers(),
    )
    if keep_memory is not None:
        keep = 0 if keep_memory.strip() == "0" else parse_size(keep_memory, "--keep-memory")
        config = replace(config, keep_bytes=keep)
    builds = _confirm_engines(confirm_on)
    if vary is not None:
        if builds:
            raise UsageError("--confirm replays counterexamples; --vary writes none")
        text = _run_vary(seed_scenario, picked, config, vary, format, partial(_past, deadline))
        emit(text, output, table=format == "table")
        return
    outcomes: dict[str, StrategyOutcome] = {}
    started = datetime.now(UTC)
    conflicts: list[str] = []
    with deferred_interrupts() as interrupts:
        stop = partial(_stopping, deadline, interrupts)
        for s in picked:
            if interrupts():
                break  # the strategies not searched are left out of the report
            start = time.perf_counter()
            if random_walk:
                result = _walks(seed_scenario, s, config, seed, runs, stop)
            else:
                result = _search(seed_scenario, s, config, stop, show_progress)
            if interrupts() and result.bound_hit is not None:
                result = replace(result, bound_hit="interrupted")
            seconds = time.perf_counter() - start
            written = []
            for c in result.counterexamples:
                file = None
                if not no_write:
                    file = _write(out, seed_scenario, s.name, c, force, picked, conflicts)
                confirmed = (
                    () if interrupts() else _confirm(seed_scenario, s.name, c, picked, builds)
                )
                written.append(Written(c, file, confirmed))
            expected = expected_violations(loaded, s.name, getattr(s, "version", None), left_out)
            outcomes[s.name] = StrategyOutcome(result, seconds, tuple(written), expected)
    text = _render(
        format,
        outcomes,
        config,
        seed_scenario.name,
        scenario_file,
        started,
        confirming=bool(builds),
        walks=(seed, runs) if random_walk else None,
        interrupted=interrupts.name,
    )
    if liveness and not interrupts():
        from probe.explore.liveness import find_starvation
        from probe.report.explore_report import render_lassos

        for s in picked:
            # The command's one deadline bounds the graph's building too.
            found = _composed_liveness(seed_scenario, s, config, partial(_past, deadline))
            if found is None:
                found = find_starvation(seed_scenario, s, config, stop=partial(_past, deadline))
            text += "\n" + render_lassos(
                s.name, found.lassos, found.states, found.complete, found.stopped, found.composed
            )
    emit(text, output, table=format == "table")
    for message in conflicts:  # each escaped where it was made
        sys.stderr.write(message + "\n")
    if interrupts():
        sys.stderr.write(f"interrupted ({interrupts.name}): reported what was found so far\n")
        raise typer.Exit(interrupts.exit_code)
    if conflicts:
        raise typer.Exit(EXIT_INPUT)
    ok = all(o.passed for o in outcomes.values())
    raise typer.Exit(0 if ok else 1)


def _walks(
    seed_scenario: Scenario,
    strategy: DedupStrategy,
    config: ExploreConfig,
    seed: int,
    runs: int,
    stop: Callable[[], bool],
) -> ExploreResult:
    """--random: seeded walks, reported in the shape of a search's result."""
    from probe.explore.walks import explore_random

    rr = explore_random(seed_scenario, strategy, config, seed=seed, runs=runs, stop=stop)
    return ExploreResult(
        strategy.name,
        rr.runs,
        rr.runs,
        rr.steps,
        config.depth,
        "time_limit" if rr.runs < runs else None,
        tuple(rr.counterexamples),
        (),
    )


def _search(
    seed_scenario: Scenario,
    strategy: DedupStrategy,
    config: ExploreConfig,
    stop: Callable[[], bool],
    show_progress: bool,
) -> ExploreResult:
    """The breadth-first search of one strategy, with its progress on stderr."""
    from probe.explore.search import explore
    from probe.resources import process_memory

    update, done = _progress(strategy.name, show_progress)
    # The search allocates millions of short-lived objects and frees none until it ends:
    # the cyclic collector would only rescan them (half the run time).
    gc.disable()
    try:
        if config.fixpoint and config.compose and len(seed_scenario.sessions) > 1:
            composed = _composed(seed_scenario, strategy, config, stop, update)
            if composed is not None:
                return composed
        return explore(
            seed_scenario, strategy, config, stop=stop, progress=update, memory=process_memory
        )
    finally:
        gc.enable()
        done()


def _composed_liveness(
    seed_scenario: Scenario,
    strategy: DedupStrategy,
    config: ExploreConfig,
    stop: Callable[[], bool],
) -> LivenessResult | None:
    """--liveness over several sessions: one session at a time where composition's premises
    hold and no lasso alone takes the environment's prune; else None (the graph together)."""
    if not config.compose or len(seed_scenario.sessions) < 2:
        return None
    from probe.cli.output import say
    from probe.explore.composition import premises
    from probe.explore.liveness import composed_starvation

    plan = premises(seed_scenario, strategy, config)
    if isinstance(plan, str):
        return None  # the search above said why
    found = composed_starvation(plan.seeds, strategy, config, plan.environment, stop)
    if found is None:
        say(f"probe explore --liveness: {strategy.name}: a lasso alone takes the environment's "
            "prune: building the graph of the sessions together")
    return found


def _composed(
    seed_scenario: Scenario,
    strategy: DedupStrategy,
    config: ExploreConfig,
    stop: Callable[[], bool],
    update: Callable[[SearchProgress], None] | None,
) -> ExploreResult | None:
    """--fixpoint over several sessions: their proof one session at a time
    (probe.explore.composition), or None (said on stderr) to search them together."""
    from probe.cli.output import say
    from probe.explore.composition import explore_composed, premises
    from probe.explore.search import explore
    from probe.resources import process_memory

    n = len(seed_scenario.sessions)
    plan = premises(seed_scenario, strategy, config)
    if isinstance(plan, str):
        say(f"probe explore --fixpoint: {strategy.name}: not composed ({plan}): "
            f"searching the {n} sessions together")
        return None
    result, why = explore_composed(
        plan,
        seed_scenario,
        strategy,
        config,
        lambda seed, alone: explore(
            seed, strategy, alone, stop=stop, progress=update, memory=process_memory
        ),
    )
    if result is None:
        say(f"probe explore --fixpoint: {strategy.name}: composition inconclusive ({why}): "
            f"searching the {n} sessions together")
    return result


def _model_strategies(specs: list[str] | None) -> list[DedupStrategy]:
    """--engine model:NAME[@VERSION]: the strategy to search, with that version's behaviour."""
    from probe.strategies import AtVersion
    from probe.versions import switches_of

    picked: list[DedupStrategy] = []
    for spec in specs or []:
        if not spec.startswith("model:"):
            raise UsageError(
                f"--engine {spec}: explore searches the model (model:NAME or "
                "model:NAME@VERSION); replay its counterexamples on a build with --confirm"
            )
        name, at, version = spec.removeprefix("model:").partition("@")
        design = get_strategy(name)
        if at:
            switches_of(version)
        picked.append(AtVersion(design, version) if at else design)
    return picked


def _confirm_engines(specs: list[str] | None) -> list[Engine]:
    """The --confirm engines, resolved before the search so that a bad one costs nothing."""
    if not specs:
        return []  # the engine modules are slow to import; most searches confirm nothing
    from probe.engines.base import ModelEngine
    from probe.engines.engine import resolve as resolve_engine

    engines: list[Engine] = []
    for spec in specs:
        engine = resolve_engine(spec)
        if isinstance(engine, ModelEngine):
            raise UsageError(
                f"--confirm {spec}: confirm on a real build (openclaw@VERSION or a path); "
                "the model is what found the counterexample"
            )
        if all(e.name != engine.name for e in engines):
            engines.append(engine)
    return engines


def _confirm(
    seed: Scenario,
    strategy: str,
    example: Counterexample,
    picked: list[DedupStrategy],
    builds: list[Engine],
) -> tuple[Confirmation, ...]:
    if not builds:
        return ()
    from probe.engines.confirm import confirm
    from probe.explore.counterexamples import counterexample_scenario

    scenario = counterexample_scenario(seed, example, strategy, picked)
    found = []
    for build in builds:
        if sys.stderr.isatty():
            sys.stderr.write(f"confirming {strategy}-{example.invariant} on {build.name}\n")
        found.append(confirm(scenario, strategy, example.invariant, build))
    return tuple(found)


def _run_vary(
    seed: Scenario,
    picked: list[DedupStrategy],
    config: ExploreConfig,
    vary: str,
    format: str,
    stop: Callable[[], bool],
) -> str:
    from probe.explore.sweep import column, sweep
    from probe.report.explore_report import render_sweep_json, render_sweep_table

    key, values = _parse_vary(vary)
    rows = sweep(seed, picked, config, key, values, stop=stop)
    if format == "json":
        return render_sweep_json(key, config.depth, rows)
    names = [column(s) for s in picked]
    return render_sweep_table(key, config.depth, seed.settings.drain, names, rows)
