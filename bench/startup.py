"""Wall time of `probe run` on one scenario against `python -c "import typer, rich"`.

The two commands run in turn (A B A B ...) in fresh processes so that drift on a shared, noisy
machine hits both alike; the figure to quote is the median of the per-pair ratios.

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


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV, check=False
    )
    return time.perf_counter() - start


def probe_command() -> list[str]:
    """The `probe` script a user runs (installed beside this Python), else `python -m probe`."""
    script = Path(sys.executable).parent / "probe"
    return [str(script)] if script.exists() else [sys.executable, "-m", "probe"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "issue-bump-hold.toml"))
    args = parser.parse_args()
    probe = [*probe_command(), "run", args.scenario]
    baseline = [sys.executable, "-c", "import typer, rich"]
    wall(probe), wall(baseline)  # warm the file cache
    a: list[float] = []
    b: list[float] = []
    for _ in range(args.runs):
        a.append(wall(probe))
        b.append(wall(baseline))
    ratios = [x / y for x, y in zip(a, b, strict=True)]
    print(f"runs: {args.runs} pairs, interleaved; probe is {' '.join(probe[:-2])}")
    print(f"probe run {Path(args.scenario).name}: median {statistics.median(a) * 1000:.1f} ms "
          f"(min {min(a) * 1000:.1f}, max {max(a) * 1000:.1f})")
    print(f"import typer, rich: median {statistics.median(b) * 1000:.1f} ms "
          f"(min {min(b) * 1000:.1f}, max {max(b) * 1000:.1f})")
    print(f"ratio probe/baseline: median {statistics.median(ratios):.2f} "
          f"(min {min(ratios):.2f}, max {max(ratios):.2f}); target <= 2.0")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
