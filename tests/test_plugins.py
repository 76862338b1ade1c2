"""--plugin module:attr: extra strategies for one invocation; a scenario file never runs code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from probe.strategies import REGISTRY
from tests.conftest import SCENARIOS
from tests.helpers import CLI_ENV, invoke

ENV = CLI_ENV

PLUGIN = '''
class ByRefAndState:
    """Keys on ref and the state the heartbeat saw: a bump keeps the state, so no phantom."""

    name = "refstate"
    summary = "coordinator keys on ref:state"

    def key(self, request):
        return f"{request.ref}:{request.expected_state}"


INSTANCE = ByRefAndState()
NOT_A_STRATEGY = object()


class Clash(ByRefAndState):
    name = "fixed"


class Broken(ByRefAndState):
    name = "broken"

    def key(self, request):
        return request.no_such_field
'''


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PROBE_FORMAT", raising=False)
    name = f"strats_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(PLUGIN)
    text = (SCENARIOS / "issue-bump-hold.toml").read_text()
    (tmp_path / "s.toml").write_text(text + "\n[expect.refstate]\nrequested = 1\nviolations = []\n")
    monkeypatch.setenv("PLUGIN_MODULE", name)
    return tmp_path


def module() -> str:
    import os

    return os.environ["PLUGIN_MODULE"]


def test_a_plugin_strategy_runs_for_this_invocation_only(here: Path) -> None:
    before = dict(REGISTRY)
    code, out, err = invoke("run", "-f", "json", "--plugin", f"{module()}:ByRefAndState", "s.toml")
    assert (code, err) == (0, "")
    strategies = json.loads(out)["scenarios"][0]["strategies"]
    assert list(strategies) == ["buggy", "fixed", "refstate"]
    assert strategies["refstate"]["requested"] == 1
    assert strategies["refstate"]["engine"] == "model:refstate"
    assert before == REGISTRY
    code, _, err = invoke("validate", "s.toml")
    assert code == 2
    assert "expect.refstate: unknown strategy 'refstate' (known: buggy, fixed)" in err


def test_an_instance_works_and_strategies_lists_it(here: Path) -> None:
    code, out, _ = invoke("strategies", "--plugin", f"{module()}:INSTANCE")
    assert code == 0 and "refstate coordinator keys on ref:state\n" in out
    assert invoke("validate", "--plugin", f"{module()}:INSTANCE", "s.toml")[0] == 0
    code, out, _ = invoke(
        "compare", "-f", "json", "--plugin", f"{module()}:INSTANCE", "-s", "refstate", "s.toml"
    )
    assert code == 0 and list(json.loads(out)["scenarios"][0]["strategies"]) == ["refstate"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nocolon", "--plugin nocolon: expected module:attribute, e.g. mystrategies:ByRef"),
        ("no_such_mod_xyz:A", "--plugin no_such_mod_xyz:A: no module named 'no_such_mod_xyz'"),
        ("{m}:Missing", "--plugin {m}:Missing: '{m}' has no attribute 'Missing'"),
        (
            "{m}:NOT_A_STRATEGY",
            "--plugin {m}:NOT_A_STRATEGY: a strategy needs a `name`: lower-case letters, "
            "digits, '-' and '_', at most 32 characters",
        ),
        ("{m}:Clash", "--plugin {m}:Clash: a strategy named 'fixed' is already registered"),
    ],
)
def test_plugin_errors_are_usage_errors(here: Path, spec: str, message: str) -> None:
    spec, message = spec.format(m=module()), message.format(m=module())
    assert invoke("run", "--plugin", spec, "s.toml") == (2, "", message + "\n")


def test_a_plugin_that_fails_to_import_is_a_usage_error(here: Path) -> None:
    (here / "broken_plugin_mod.py").write_text("raise RuntimeError('boom')\n")
    code, out, err = invoke("run", "--plugin", "broken_plugin_mod:X", "s.toml")
    assert (code, out) == (2, "")
    assert (
        err == "--plugin broken_plugin_mod:X: importing 'broken_plugin_mod' raised "
        "RuntimeError: boom\n"
    )


def test_a_plugin_that_fails_while_running_is_named(here: Path) -> None:
    code, out, err = invoke(
        "run", "--plugin", f"{module()}:INSTANCE", "--plugin", f"{module()}:Broken", "s.toml"
    )
    assert (code, out) == (2, "")
    assert err == (
        f"--plugin {module()}:Broken: broken.key() raised AttributeError: "
        "'RecoveryRequest' object has no attribute 'no_such_field'\n"
    )


def test_a_scenario_file_can_never_run_code(here: Path) -> None:
    marker = here / "imported"
    (here / "evil_mod.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    text = (SCENARIOS / "issue-bump-hold.toml").read_text()
    (here / "evil.toml").write_text(
        text.replace('drain = "hold"', 'drain = "hold"\nplugin = "evil_mod:X"')
        + '\n[expect."evil_mod:X"]\nrequested = 1\n'
    )
    code, out, err = invoke("run", "evil.toml")
    assert (code, out) == (2, "")
    assert "settings.plugin: unknown key" in err
    assert "expect.evil_mod:X: unknown strategy 'evil_mod:X'" in err
    assert not marker.exists()
