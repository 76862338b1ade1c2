"""Wall time and differences found by `probe diff A B --random N`, beside the model-only diff.

    python bench/diff_bench.py [--a openclaw@2026.8.1] [--b openclaw@2026.9.6] [--random 500]
                               [--seed 0] [--no-shrink]

The builds are installed first (timed apart), so the figure is the diff itself: every replay
on both engines, shrinking included. The same N random scenarios between model:buggy and
model:fixed are timed beside it for scale. A command that fails (no Node, a build the harness
cannot drive yet) is reported with its exit code and last message; the script still exits 0.
On real builds the cost is one Node process per replay until the build process of issue 12
serves a whole command; the replay count in the report says how many there were.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time

from startup import ENV, probe_command  # bench/ is on the path when run as a script


def run(args: list[str]) -> tuple[int, float, str, str]:
    start = time.perf_counter()
    proc = subprocess.run(
        [*probe_command(), *args], capture_output=True, text=True, env=ENV, check=False
    )
    return proc.returncode, time.perf_counter() - start, proc.stdout, proc.stderr


def message(err: str) -> str:
    """The first line of a failure that is not a stack frame."""
    lines = [line for line in err.splitlines() if line.strip()]
    plain = [line for line in lines if not line.startswith((" ", "\t"))]
    return (plain or lines or ["(no message)"])[0][:300]


def diff(a: str, b: str, count: int, seed: int, shrink: bool) -> None:
    args = ["diff", a, b, "--random", str(count), "--seed", str(seed), "--no-write", "-f", "json"]
    if not shrink:
        args.append("--no-shrink")
    code, seconds, out, err = run(args)
    label = f"probe diff {a} {b} --random {count} --seed {seed}"
    label += "" if shrink else " --no-shrink"
    if code not in (0, 1):
        print(f"{label}: exit {code} after {seconds:.1f} s: {message(err)}")
        return
    doc = json.loads(out)
    counts = doc["counts"]
    replays = counts["replays"]
    print(
        f"{label}: {seconds:.1f} s wall; {counts['compared']} compared, {counts['differ']} "
        f"differ in {counts['kinds']} kind(s), {counts['not_comparable']} not comparable; "
        f"{replays} replays ({seconds / max(1, replays) * 1000:.1f} ms each, start-up included)"
    )
    for kind in doc["kinds"]:
        steps = ", ".join(s["do"] for s in kind["example"]["steps"])
        print(f"    [{kind['count']}] {kind['kind']}  (minimal: {steps})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--a", default="openclaw@2026.8.1")
    parser.add_argument("--b", default="openclaw@2026.9.6")
    parser.add_argument("--random", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-shrink", action="store_true")
    opts = parser.parse_args()
    for spec in (opts.a, opts.b):
        if spec.startswith("openclaw@"):
            code, seconds, _, err = run(["engines", "install", spec])
            state = "ready" if code == 0 else f"exit {code}: {message(err)}"
            print(f"install {spec}: {seconds:.1f} s ({state})")
    diff("model:buggy", "model:fixed", opts.random, opts.seed, not opts.no_shrink)
    diff(opts.a, opts.b, opts.random, opts.seed, not opts.no_shrink)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
