"""Reading scenario files and finding the shipped library: the only file I/O outside the CLI."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from probe.errors import Problem, ScenarioError
from probe.loader import parse_scenario
from probe.scenario import Scenario


def read_scenario(path: Path, strategies: Collection[str], shown: str | None = None) -> Scenario:
    name = shown or str(path)
    if path.is_dir():
        raise ScenarioError([Problem(name, "", None, "is a directory, not a scenario file")])
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError([Problem(name, "", None, "no such file")]) from None
    except OSError as exc:
        raise ScenarioError([Problem(name, "", None, f"cannot read: {exc.strerror}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError(
            [
                Problem(
                    name, "", line, f"not UTF-8 text (byte {exc.start} is 0x{raw[exc.start]:02x})"
                )
            ]
        ) from None
    return parse_scenario(text, name, strategies)


def read_all(
    files: list[tuple[Path, str]], strategies: Collection[str]
) -> list[tuple[Scenario, str]]:
    """Read every file, reporting the problems of all of them at once, as a compiler does."""
    loaded: list[tuple[Scenario, str]] = []
    problems: list[Problem] = []
    for path, shown in files:
        try:
            loaded.append((read_scenario(path, strategies, shown), shown))
        except ScenarioError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ScenarioError(problems)
    return loaded


def library_dir() -> Path:
    """The shipped scenarios: packaged in the wheel, else beside the package in a checkout."""
    here = Path(__file__).resolve().parent
    packaged = here / "scenarios"
    return packaged if packaged.is_dir() else here.parent / "scenarios"


def shown_path(path: Path) -> str:
    """A path the user can open from where they are: relative to the current folder when
    under it, else absolute."""
    absolute = path.absolute()
    try:
        return str(absolute.relative_to(Path.cwd()))
    except ValueError:
        return str(absolute)


def library_files() -> list[tuple[Path, str]]:
    """(file, the path to show) for every shipped scenario, in name order."""
    return [(p, shown_path(p)) for p in sorted(library_dir().glob("*.toml"))]


def scenario_files(paths: list[Path]) -> list[tuple[Path, str]]:
    """(file, the path to show) for each argument: a file as given, a folder's *.toml files
    (searched recursively, in path order) under the folder as given."""
    chosen: list[tuple[Path, str]] = []
    for path in paths:
        if not path.is_dir():
            chosen.append((path, str(path)))
            continue
        found = sorted(p for p in path.rglob("*.toml") if p.is_file())
        if not found:
            raise ScenarioError([Problem(str(path), "", None, "no scenario files (*.toml) here")])
        chosen += [(p, str(p)) for p in found]
    return chosen


def default_files() -> tuple[list[tuple[Path, str]], str]:
    """The scenarios a command runs without arguments, and a line saying which they are:
    ./scenarios (where `probe new` writes) when it exists, else the bundled library."""
    local = Path("scenarios")
    if local.is_dir() and any(local.rglob("*.toml")):
        files = scenario_files([local])
        return files, f"probe: {len(files)} scenario(s) from ./scenarios"
    files = library_files()
    why = "no *.toml in ./scenarios" if local.is_dir() else "no ./scenarios here"
    where = shown_path(library_dir())
    return files, f"probe: {why}; {len(files)} bundled scenario(s) from {where}"
