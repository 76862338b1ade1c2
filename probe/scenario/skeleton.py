"""The commented scenario skeleton that `probe new` writes."""

from __future__ import annotations

_TEMPLATE = '''\
# A probe scenario. Every key is documented in the README ("Scenario files").
name = "{name}"
description = """
What this scenario demonstrates, and why the expected figures are what they are.
"""

[settings]              # optional; every default mirrors openclaw
drain = "hold"          # "settle": the real 15 s timer force-clears an ignored abort;
                        # "hold": the recovery stays in flight until a `release` step
# heartbeat_ms = 30000  # openclaw's interval; above it every firing is late against it
# warn_ms = 120000      # abort threshold = max(300000, 3 x warn_ms)
# abort_ms = 60000      # or set it apart (openclaw's stuckSessionAbortMs; up to 7.2-beta.3
                        # raised to at least warn_ms)
# settle_ms = 15000
# tick_late_ms = 1200   # every heartbeat fires this late (from 7.2-beta.2 openclaw defers
                        # the recovery of a tick 1000 ms or more overdue)
# tick_jitter_ms = [0, 2000]  # plus a seeded draw in this range per firing
# jitter_seed = 1

[[session]]
ref = "agent:main:direct"   # the session key both layers derive their dedup ref from
state = "idle"              # idle | processing | waiting
generation = 0
queue_depth = 1
owner = "embedded_run"      # embedded_run (a run handle recovery may abort) | none
abort = "ignored"           # ignored | honoured (the run ends at once when aborted) | refused
work = "embedded_run"       # embedded_run | tool_call | model_call | none
progress_age_ms = 370000    # age of the last progress mark when the scenario starts

[[step]]
do = "tick"             # the next heartbeat fires (late_ms = N: N ms after it was due)

[[step]]
do = "bump"             # a queued message: generation + 1, queue depth + 1
session = "agent:main:direct"

[[step]]
do = "tick"

[[step]]
do = "release"          # the owning run ends; in-flight recoveries finish

# Other verbs: advance (ms = N), state (session, to), progress (session),
# release with outcome = "failed" (the in-flight runtime call rejects).

[expect.buggy]
requested = 2
requested_generations = [0, 1]
violations = ["phantom-request"]

[expect.fixed]
requested = 1
requested_generations = [0]
violations = []
'''


def skeleton(name: str) -> str:
    """`name` is already restricted to letters, digits, ".", "_" and "-"."""
    return _TEMPLATE.format(name=name)
