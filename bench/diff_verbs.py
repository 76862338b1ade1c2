"""Differential check of issue 21's verbs: random scenarios that use them, model vs build.

    python bench/diff_verbs.py --count 300 --seed 1 2026.5.31-beta.1 2026.6.35 2026.7.1 ...

Each scenario comes from probe.scenario.generate with the newer verbs drawn in every one
(`verbs_chance = 1.0`: abort_ms in half, every progress step with a target, a reason and a
back-dating, start / end steps in 60 %, id-only sessions and session_ids beside keys, own
steps in 40 %, steps naming a session by its id, the empty key; and `recover_chance = 1.0` and
`lanes_chance = 1.0`: direct `recover` steps and `enqueue`d command-lane tasks in every
scenario, as far as `max_steps` leaves room; `held_chance = 1.0`: a held start and its
`deliver` wherever there is room) and
without late heartbeats (their own checks are the late-ticks ones). Each is replayed on
`model:DESIGN@VERSION` and on `openclaw@VERSION` (one reused build process, as `probe diff`
does) and compared event for event. Prints one line per version and writes every
disagreement, with its TOML and diff, to --out (JSON).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

from probe.diff import EnginePair, compare_engines
from probe.engines.base import ModelEngine
from probe.engines.real import RealEngine
from probe.scenario.dump import dump_scenario
from probe.scenario.generate import GenerateOptions, generate_many
from probe.strategies import REGISTRY
from probe.versions import behaviour_of, design_of

OPTIONS = GenerateOptions(
    late_ticks=False,
    verbs_chance=1.0,
    recover_chance=1.0,
    lanes_chance=1.0,
    scripted_chance=0.3,
    held_chance=1.0,
)


def uses_new_verbs(toml: str) -> bool:
    keys = ("abort_ms", "target =", "reason =", "ago_ms", 'do = "start"', 'do = "end"')
    keys += ("session_id =", 'do = "own"', "timeout_ms", 'do = "recover"', 'do = "enqueue"')
    keys += ("deadline_ms", 'do = "backend"')
    keys += ('runtime = "scripted"',)
    keys += ('do = "key"',)
    keys += ('do = "reply"',)
    keys += ('do = "deliver"',)
    keys += ("attempt = true", "semantic = true")
    return any(k in toml for k in keys)


def check(
    version: str, seed: int, count: int, requests_chance: float, replies_chance: float
) -> dict[str, object]:
    model = ModelEngine(REGISTRY[design_of(version)], version)
    pair = EnginePair(model, RealEngine(version))
    # From 2026.8.1 (switch reply-own-activity) reply steps only where the model plays them.
    alone = behaviour_of(version).reply_own_activity
    options = replace(
        OPTIONS,
        requests_chance=requests_chance,
        replies_chance=replies_chance,
        replies_alone=alone,
    )
    scenarios = generate_many(seed, count, options)
    with_verbs = sum(uses_new_verbs(dump_scenario(s)) for _, s in scenarios)
    replies = sum('do = "reply"' in dump_scenario(s) for _, s in scenarios)
    timed = sum("timeout_ms" in dump_scenario(s) for _, s in scenarios)
    deadlines = sum("deadline_ms" in dump_scenario(s) for _, s in scenarios)
    backends = sum('do = "backend"' in dump_scenario(s) for _, s in scenarios)
    scripted = sum(s.settings.runtime == "scripted" for _, s in scenarios)
    held = sum('do = "deliver"' in dump_scenario(s) for _, s in scenarios)
    start = time.perf_counter()
    result = compare_engines(pair, scenarios, shrinking=False)
    seconds = time.perf_counter() - start
    print(
        f"{version:<18} agree {result.same:>4}  differ {len(result.differences):>4}  "
        f"not comparable {len(result.not_comparable):>4}  (new verbs in {with_verbs}, "
        f"timed model calls in {timed}, tool deadlines in {deadlines}, "
        f"backends in {backends}, scripted runtime in {scripted}, reply steps in {replies}, "
        f"held starts in {held})  "
        f"{seconds:7.1f} s",
        flush=True,
    )
    return {
        "seed": seed,
        "count": count,
        "with_new_verbs": with_verbs,
        "with_timed_model_calls": timed,
        "with_tool_deadlines": deadlines,
        "with_backends": backends,
        "requests_chance": requests_chance,
        "replies_chance": replies_chance,
        "with_reply_steps": replies,
        "with_held_starts": held,
        "agree": result.same,
        "differ": len(result.differences),
        "not_comparable": len(result.not_comparable),
        "seconds": round(seconds, 1),
        "differences": [
            {"label": d.source, "toml": dump_scenario(d.minimal), "diff": list(d.diff)}
            for d in result.differences
        ],
    }


def _with_attempts(seed: int, count: int, requests_chance: float, replies_chance: float) -> int:
    """How many of check's scenarios have model request attempts (the same draws)."""
    options = replace(OPTIONS, requests_chance=requests_chance, replies_chance=replies_chance)
    return sum("attempt = true" in dump_scenario(s) for _, s in generate_many(seed, count, options))


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("versions", nargs="+")
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("diff-verbs.json"))
    parser.add_argument(
        "--requests-chance",
        type=float,
        default=OPTIONS.requests_chance,
        help="share of scenarios given timed model calls (default: the generator's)",
    )
    parser.add_argument(
        "--replies-chance",
        type=float,
        default=OPTIONS.replies_chance,
        help="share of scenarios given `reply` steps (default: none; the model of a version "
        "from 2026.7.2-beta.1 refuses them, so give it only for earlier ones)",
    )
    parser.add_argument(
        "--attempts-chance",
        type=float,
        default=OPTIONS.attempts_chance,
        help="share of scenarios given model request attempts (default: the generator's)",
    )
    parser.add_argument(
        "--max-steps",
        type=int,
        default=OPTIONS.max_steps,
        help="steps a scenario may have (default: the generator's; more leaves the streams "
        "drawn last, attempts among them, more room)",
    )
    args = parser.parse_args()
    # The generator's options for check() (a module global, as it reads them).
    globals()["OPTIONS"] = replace(
        OPTIONS, attempts_chance=args.attempts_chance, max_steps=args.max_steps
    )
    report: dict[str, object] = json.loads(args.out.read_text()) if args.out.exists() else {}
    for version in args.versions:
        report[version] = check(
            version, args.seed, args.count, args.requests_chance, args.replies_chance
        )
        attempts = _with_attempts(args.seed, args.count, args.requests_chance, args.replies_chance)
        print(f"{'':<18} (request attempts in {attempts})", flush=True)
        args.out.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
