"""Choosing properties: --invariant/--skip-invariant, [properties], and --plugin properties."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from probe.properties.catalogue import CATALOGUE
from tests.conftest import SCENARIOS
from tests.helpers import invoke

SETTLE = SCENARIOS / "issue-control-settle.toml"  # expects truthful-outcome (issue 145152)

PLUGIN = '''
from dataclasses import dataclass, field

from probe.invariants import Violation
from probe.properties.base import Param
from probe.properties.trace import Reported


@dataclass
class CountAsks:
    """Flags the (limit+1)th request for one session."""

    name: str
    limit: int
    seen: dict = field(default_factory=dict)
    reads = (Reported,)

    def observe(self, moment, truth):
        event = moment.event
        if event.type != "session.recovery.requested":
            return []
        n = self.seen[event.ref] = self.seen.get(event.ref, 0) + 1
        if n == self.limit + 1:
            return [Violation(self.name, event.step, f"{event.ref}: asked {n} times")]
        return []

    def finish(self, truth, *, settled, step):
        return []

    def clone(self):
        return CountAsks(self.name, self.limit, dict(self.seen))

    def key(self):
        return frozenset(self.seen.items())


class TooManyAsks:
    name = "too-many-asks"
    kind = "bounded repeats"
    params = (Param("max_asks", 0, "requests one session may get"),)
    meaning = "a session is asked for at most max_asks times"
    issues = ()

    def monitor(self, params):
        return CountAsks(self.name, params["max_asks"])


class BadName(TooManyAsks):
    name = "Too Many"


class Clash(TooManyAsks):
    name = "truthful-outcome"
'''


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PROBE_FORMAT", raising=False)
    (tmp_path / "props_plugin.py").write_text(PLUGIN)
    return tmp_path


def _violations(out: str) -> dict[str, list[str]]:
    strategies = json.loads(out)["scenarios"][0]["strategies"]
    return {
        name: sorted({v["invariant"] for v in s["violations"]}) for name, s in strategies.items()
    }


def test_the_whole_catalogue_judges_by_default() -> None:
    code, out, err = invoke("run", "-f", "json", str(SETTLE))
    assert (code, err) == (0, "")
    assert _violations(out) == {"buggy": ["truthful-outcome"], "fixed": ["truthful-outcome"]}


def test_skip_invariant_leaves_a_property_out_of_the_verdict_and_the_expectation() -> None:
    code, out, _ = invoke("run", "-f", "json", "--skip-invariant", "truthful-outcome", str(SETTLE))
    assert code == 0  # the expectation names a property left out: it neither holds nor fails
    assert _violations(out) == {"buggy": [], "fixed": []}


def test_invariant_chooses_only_these() -> None:
    code, out, _ = invoke("run", "-f", "json", "--invariant", "phantom-request", str(SETTLE))
    assert code == 0 and _violations(out) == {"buggy": [], "fixed": []}


@pytest.mark.parametrize("command", ["run", "compare", "conform", "bisect", "explore", "diff"])
def test_an_unknown_name_is_a_usage_error_with_a_guess(command: str) -> None:
    args = {
        "run": [str(SETTLE)],
        "compare": [str(SETTLE)],
        "conform": [str(SETTLE)],
        "bisect": [str(SETTLE)],
        "explore": ["--no-write"],
        "diff": ["model:buggy", "model:fixed"],
    }[command]
    code, out, err = invoke(command, *args, "--invariant", "phantom-requst")
    assert code == 2 and out == ""
    assert (
        "--invariant phantom-requst: unknown invariant 'phantom-requst', did you mean "
        "'phantom-request'? (known: fresh-run-untouched, futile-repeats, " in err
    )
    assert "Traceback" not in err
    code, _, err = invoke(command, *args, "--skip-invariant", "nothing-like-it")
    assert code == 2 and "unknown invariant 'nothing-like-it' (known: " in err


def test_a_properties_table_chooses_and_sets(tmp_path: Path) -> None:
    text = SETTLE.read_text().replace(
        "[settings]", '[properties]\nskip = ["truthful-outcome"]\n\n[settings]'
    )
    path = tmp_path / "s.toml"
    path.write_text(text)
    code, out, _ = invoke("run", "-f", "json", str(path))
    assert code == 0 and _violations(out) == {"buggy": [], "fixed": []}


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            '[properties]\nonly = ["phantom-requst"]\n',
            "properties.only: unknown invariant 'phantom-requst', did you mean 'phantom-request'?",
        ),
        ("[properties]\nonly = 3\n", "properties.only: must be an array of property names"),
        (
            "[properties.request-liveness]\nwithin_heartbeats = 0\n",
            "properties.request-liveness.within_heartbeats: 0 is out of range (1..",
        ),
        (
            "[properties.request-liveness]\nwithin = 3\n",
            "properties.request-liveness.within: unknown key (expected one of: within_heartbeats, "
            "tool_abort_floor_ms)",
        ),
        (
            "[properties.truthful-outcome]\nx = 1\n",
            "properties.truthful-outcome.x: unknown key (truthful-outcome takes no parameters)",
        ),
        (
            "[properties.nonesuch]\nx = 1\n",
            "properties.nonesuch: unknown key (expected one of: only, skip, ",
        ),
    ],
)
def test_properties_table_errors_are_located(tmp_path: Path, table: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(SETTLE.read_text() + "\n" + table)
    code, out, err = invoke("validate", str(path))
    assert code == 2 and out == ""
    assert f"{path}:" in err and message in err, err


def test_a_plugin_property_judges_lists_and_can_be_expected(here: Path) -> None:
    code, out, err = invoke("invariants", "--plugin", "props_plugin:TooManyAsks")
    assert (code, err) == (0, "")
    assert "too-many-asks        bounded repeats   max_asks = 0" in out
    scenario = here / "s.toml"
    scenario.write_text(
        SETTLE.read_text().replace(
            'violations = ["truthful-outcome"]',
            'violations = ["too-many-asks", "truthful-outcome"]',
        )
    )
    code, out, err = invoke(
        "run", "-f", "json", "--plugin", "props_plugin:TooManyAsks", str(scenario)
    )
    assert (code, err) == (0, "")
    assert _violations(out)["fixed"] == ["too-many-asks", "truthful-outcome"]
    # Without the plugin the name is unknown, located in the file.
    code, _, err = invoke("validate", str(scenario))
    assert code == 2 and "expect.buggy.violations: unknown invariant 'too-many-asks'" in err


def test_a_plugin_property_takes_parameters_from_the_file(here: Path) -> None:
    scenario = here / "s.toml"
    scenario.write_text(SETTLE.read_text() + "\n[properties.too-many-asks]\nmax_asks = 1\n")
    code, out, _ = invoke(
        "run", "-f", "json", "--plugin", "props_plugin:TooManyAsks", str(scenario)
    )
    assert code == 0 and _violations(out)["fixed"] == ["truthful-outcome"]


@pytest.mark.parametrize(
    ("attr", "message"),
    [
        ("BadName", "a property needs a kebab-case `name`"),
        ("Clash", "a property named 'truthful-outcome' is already known"),
    ],
)
def test_plugin_property_errors_are_usage_errors(here: Path, attr: str, message: str) -> None:
    code, _, err = invoke("run", "--plugin", f"props_plugin:{attr}", str(SETTLE))
    assert code == 2 and message in err and "Traceback" not in err


def test_the_listing_names_every_property_with_kind_and_defaults() -> None:
    code, out, _ = invoke("invariants")
    assert code == 0
    for name, prop in CATALOGUE.items():
        line = next(line for line in out.splitlines() if line.startswith(name + " "))
        assert prop.kind in line
        for p in prop.params:
            assert f"{p.name} = {p.default}" in line


pytest_plugins = ["pytester"]


def test_the_pytest_plugin_chooses_properties(pytester: pytest.Pytester) -> None:
    scen = pytester.path / "scen"
    scen.mkdir()
    (scen / "settle.toml").write_text(SETTLE.read_text().replace("truthful-outcome", ""))
    args = ("--probe-scenarios", "scen", "-p", "no:cacheprovider")
    # `violations = [""]`: an unknown name is a collection error naming the file.
    pytester.runpytest(*args).assert_outcomes(errors=1)
    (scen / "settle.toml").write_text(
        SETTLE.read_text().replace('violations = ["truthful-outcome"]', "violations = []")
    )
    pytester.runpytest(*args).assert_outcomes(failed=2)  # the force-clear (issue 145152)
    skipped = pytester.runpytest(*args, "--probe-skip-invariant", "truthful-outcome")
    skipped.assert_outcomes(passed=2)
    wrong = pytester.runpytest(*args, "--probe-invariant", "truthful-outcom")
    assert wrong.ret == pytest.ExitCode.USAGE_ERROR
    assert "did you mean 'truthful-outcome'?" in "\n".join(wrong.errlines)
