"""Hostile but valid input: bounded by the event limit, refused with the step named."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from probe.cli import app
from probe.replay import first_divergence, replay
from probe.scenario.limits import LIMITS
from probe.scenario.values import Bump, Tick
from probe.strategies import REGISTRY
from tests.helpers import REF, scenario

HOLD_EVERY_MS = """name = "a stalled session, a heartbeat every millisecond"
[settings]
heartbeat_ms = 1
drain = "hold"
[[session]]
ref = "a"
owner = "embedded_run"
queue_depth = 1
progress_age_ms = 400000
[[step]]
do = "advance"
ms = 199999
"""


def test_a_run_past_the_event_limit_is_refused_at_its_step(tmp_path: Path) -> None:
    path = tmp_path / "flood.toml"
    path.write_text(HOLD_EVERY_MS)
    result = CliRunner().invoke(app, ["run", "-f", "json", str(path)], env={"NO_COLOR": "1"})
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == (
        f"{path}:10: step[1]: the replay reached {LIMITS.events} events here, the limit of one "
        "run's report; shorten the scenario (fewer steps or a shorter clock span)\n"
    )


def test_divergence_is_found_in_one_pass_over_long_runs() -> None:
    steps = tuple(s for _ in range(2_000) for s in (Tick(), Bump(REF)))
    sc = scenario(*steps, drain="hold")
    runs = [replay(sc, REGISTRY[n]) for n in ("buggy", "fixed")]
    assert first_divergence(runs) == 3


def test_divergence_ignores_payload_order() -> None:
    from dataclasses import replace as dc_replace

    run = replay(scenario(Tick(), Bump(REF), Tick(), drain="hold"), REGISTRY["fixed"])
    shuffled = dc_replace(
        run, events=tuple(dc_replace(e, fields=tuple(reversed(e.fields))) for e in run.events)
    )
    assert first_divergence([run, shuffled]) is None
