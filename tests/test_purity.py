"""The domain core stays pure: no terminal, CLI, file or clock libraries behind replay()."""

from __future__ import annotations

import subprocess
import sys

CORE = [
    "probe.replay", "probe.model.world", "probe.invariants", "probe.expectations",
    "probe.strategies", "probe.run", "probe.diff", "probe.versions", "probe.notes",
    "probe.baseline", "probe.plugins",
    # what moved out of the CLI modules into the core
    "probe.conform", "probe.resources", "probe.bisect",
    # the scenario files, one module per job
    "probe.scenario.values", "probe.scenario.loader", "probe.scenario.dump",
    "probe.scenario.limits", "probe.scenario.files", "probe.scenario.generate",
    "probe.scenario.toml_lines", "probe.scenario.skeleton", "probe.scenario.record",
    # the search, one module per job
    "probe.explore.values", "probe.explore.steps", "probe.explore.fingerprints",
    "probe.explore.reduction", "probe.explore.tree", "probe.explore.search", "probe.explore.workers",
    "probe.explore.walks", "probe.explore.counterexamples", "probe.explore.sweep",
    # the property catalogue: pure checks over a trace
    "probe.properties.catalogue", "probe.properties.judge", "probe.properties.flags",
    "probe.properties.trace", "probe.properties.selection",
    # where scenarios run: engines report through values and callbacks, never the terminal
    "probe.engines.engine", "probe.engines.real", "probe.engines.local", "probe.engines.inspection",
    "probe.engines.install", "probe.engines.process", "probe.engines.drive",
]


def test_core_imports_neither_typer_nor_rich() -> None:
    code = (
        "import sys\n"
        f"for m in {CORE!r}: __import__(m)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('typer', 'rich', 'click'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_model_never_reads_wall_time_or_sleeps() -> None:
    import pathlib

    import probe

    root = pathlib.Path(probe.__file__).parent
    for path in [*root.glob("model/*.py"), root / "replay.py", root / "invariants.py"]:
        text = path.read_text()
        for banned in ("import time", "datetime", "sleep(", "random"):
            assert banned not in text, f"{path.name} uses {banned}"
