"""probe run FILE --record: what each strategy did, written into the file's [expect.*] tables."""

from __future__ import annotations

import difflib
import json
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from probe.cli import app
from tests.conftest import SCENARIOS
from tests.helpers import CLI_ENV

AUTHORED = """\
# my scenario: notes the author keeps
name = "recorded"   # one line

[[session]]
ref = "s"
owner = "embedded_run"
queue_depth = 1
progress_age_ms = 370000

[settings]
drain = "hold"

[[step]]
do = "tick"     # first heartbeat

[[step]]
do = "bump"
session = "s"

[[step]]
do = "tick"

# what the fixed design must do
[expect.fixed]
"""


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=CLI_ENV)
    return result.exit_code, result.stdout, result.stderr


def _changed(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.ndiff(before.splitlines(), after.splitlines())
        if line[:1] in "+-"
    ]


def test_record_fills_the_tables_and_keeps_every_authored_line(tmp_path: Path) -> None:
    target = tmp_path / "mine.toml"
    target.write_text(AUTHORED)
    code, _, err = _invoke("run", str(target), "--record")
    assert code == 0, err
    assert f"{target}: recorded buggy, fixed into [expect.*]" in err
    after = target.read_text()
    assert all(line.startswith("+") for line in _changed(AUTHORED, after))  # only additions
    # What was written is what the run did: the JSON report, and it now holds.
    code, out, _ = _invoke("run", "-f", "json", str(target))
    assert code == 0
    strategies = json.loads(out)["scenarios"][0]["strategies"]
    assert strategies["buggy"]["requested"] == 2
    for name in ("buggy", "fixed"):
        checks = strategies[name]["expectations"]
        assert {c["key"] for c in checks} == {
            "requested", "requested_generations", "completed", "runtime_outcomes",
            "violations", "absorbed_by.coordinator", "absorbed_by.runtime",
        }
        assert all(c["ok"] for c in checks)
    assert 'violations = ["phantom-request"]' in after.split("[expect.buggy]")[1]


def test_existing_expectations_are_refused_without_force(tmp_path: Path) -> None:
    target = tmp_path / "issue.toml"
    original = (SCENARIOS / "issue-bump-hold.toml").read_text()
    target.write_text(original)
    code, out, err = _invoke("run", str(target), "--record")
    assert (code, out) == (2, "")
    lines = original.splitlines()
    buggy_line = lines.index("[expect.buggy]") + 1
    assert f"{target}:{buggy_line}: expect.buggy: has expectations already" in err
    assert "--force" in err and target.read_text() == original


def test_force_replaces_only_the_values_that_changed(tmp_path: Path) -> None:
    target = tmp_path / "issue.toml"
    original = (SCENARIOS / "issue-bump-hold.toml").read_text()
    wrong = original.replace("[expect.buggy]\nrequested = 2", "[expect.buggy]\nrequested = 9")
    assert wrong != original
    target.write_text(wrong)
    os.chmod(target, 0o640)
    assert _invoke("run", str(target))[0] == 1  # the wrong value fails
    code, _, err = _invoke("run", str(target), "--record", "--force")
    assert code == 0, err
    after = target.read_text()
    changed = _changed(wrong, after)
    assert "- requested = 9" in changed and "+ requested = 2" in changed
    # The table had no absorbed_by: that is the one key added; nothing else moved.
    assert sorted(changed) == sorted(
        ["- requested = 9", "+ requested = 2", "+ absorbed_by = {coordinator = 0, runtime = 1}",
         "+ absorbed_by = {coordinator = 1, runtime = 0}"]
    )
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_nothing_is_written_when_one_file_is_refused(tmp_path: Path) -> None:
    fresh, taken = tmp_path / "fresh.toml", tmp_path / "taken.toml"
    fresh.write_text(AUTHORED)
    taken.write_text((SCENARIOS / "issue-bump-hold.toml").read_text())
    code, _, err = _invoke("run", str(fresh), str(taken), "--record")
    assert code == 2 and "taken.toml" in err
    assert fresh.read_text() == AUTHORED


def test_the_readmes_recording_recipe_works_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's two commands, run as written (the editor left out), in an empty folder."""
    import re
    import shlex

    from tests.conftest import ROOT
    from tests.helpers import invoke

    text = (ROOT / "docs" / "scenarios.md").read_text()
    block = re.search(r"<!-- recipe: record -->\n```bash\n(.*?)```", text, flags=re.S)
    assert block is not None
    monkeypatch.chdir(tmp_path)
    for line in block.group(1).splitlines():
        command = line.split("#")[0].split("&&")[0]
        args = shlex.split(command)
        assert args[0] == "probe"
        code, _, err = invoke(*args[1:])
        assert code == 0, err
    recorded = (tmp_path / "scenarios" / "mine.toml").read_text()
    assert "[expect.buggy]" in recorded and "runtime_outcomes" in recorded
