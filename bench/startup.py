"""Wall time of `probe run` on one scenario against `python -c "import typer, rich"`.

The commands run in turn in fresh processes so that drift on a shared, noisy machine hits them
alike; the figure to quote is the median of the per-round ratios of the piped run (what CI and
scripts see). The same run with the terminal's layout (Rich) is printed beside it.

    python bench/startup.py [--runs N] [--scenario FILE]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


# Let the warm-up runs write bytecode even where PYTHONDONTWRITEBYTECODE is set: otherwise
# every run recompiles any module changed since it was installed, which users never pay.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def wall(cmd: list[str], extra_env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(
        cmd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**ENV, **(extra_env or {})},
        check=False,
    )
    return time.perf_counter() - start


def probe_command() -> list[str]:
    """The `probe` script a user runs (installed beside this Python), else `python -m probe`."""
    script = Path(sys.executable).parent / "probe"
    return [str(script)] if script.exists() else [sys.executable, "-m", "probe"]


def summary(label: str, times: list[float]) -> str:
    return (f"{label}: median {statistics.median(times) * 1000:.1f} ms "
            f"(min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f})")


def ratio(label: str, a: list[float], b: list[float]) -> str:
    r = [x / y for x, y in zip(a, b, strict=True)]
    return (f"{label}: median {statistics.median(r):.2f} "
            f"(min {min(r):.2f}, max {max(r):.2f})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "issue-bump-hold.toml"))
    args = parser.parse_args()
    probe = [*probe_command(), "run", args.scenario]
    baseline = [sys.executable, "-c", "import typer, rich"]
    # Piped output is the figure (CI, scripts); FORCE_COLOR gives the terminal's layout, which
    # imports Rich's console and table, and is shown beside it.
    terminal = {"FORCE_COLOR": "1"}
    wall(probe), wall(probe, terminal), wall(baseline)  # warm the file cache, write bytecode
    a: list[float] = []
    t: list[float] = []
    b: list[float] = []
    for _ in range(args.runs):
        a.append(wall(probe))
        b.append(wall(baseline))
        t.append(wall(probe, terminal))
    name = Path(args.scenario).name
    print(f"runs: {args.runs} rounds, interleaved; probe is {' '.join(probe[:-2])}")
    print(summary(f"probe run {name} (output piped)", a))
    print(summary(f"probe run {name} (terminal layout, FORCE_COLOR=1)", t))
    print(summary("python -c 'import typer, rich'", b))
    print(ratio("ratio piped/baseline", a, b) + "; target <= 2.0")
    print(ratio("ratio terminal layout/baseline", t, b))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
