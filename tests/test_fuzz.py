"""Fuzz the loader: whatever a scenario file holds, probe answers with a report or an exit-2 message.

Three Hypothesis tests, 800 examples each (2 400 in all): random TOML documents built from the
scenario vocabulary (so they reach deep into the loader), mostly valid documents (so the replay
and every renderer see many shapes of run), and random mutations of the shipped scenarios (lines deleted, duplicated, swapped, cut; numbers, strings and keys replaced; stray
characters). A document that loads is replayed against every strategy and rendered in every
format; one that does not must raise ScenarioError (a ProbeError) with located, one-line
problems. Any other exception fails the test with the offending document.

`PROBE_FUZZ_EXAMPLES` changes the number of examples per test (default 800); under `CI` the
examples are derandomized so a run never fails on luck.
"""

from __future__ import annotations

import json
import os
import resource
import string
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from probe.errors import ProbeError, ScenarioError
from probe.replay import replay
from probe.report.github import render_github
from probe.report.json_report import render_json
from probe.report.junit import render_junit
from probe.report.markdown import render_markdown
from probe.report.results import Report, judge
from probe.report.svg import render_svg
from probe.report.timing import Timing
from probe.scenario.limits import Limits, static_clock
from probe.scenario.loader import (
    EXPECT_KEYS,
    SESSION_KEYS,
    SETTINGS_KEYS,
    STEP_KEYS,
    TOP_KEYS,
    parse_scenario,
)
from probe.scenario.values import ABORT_ANSWERS, DRAINS, OWNERS, SESSION_STATES, WORK_KINDS
from probe.strategies import REGISTRY
from tests.conftest import ROOT, SCENARIOS

EXAMPLES = int(os.environ.get("PROBE_FUZZ_EXAMPLES", "800"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),  # CI: the same examples every run, never flaky
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
SHIPPED = [p.read_text(encoding="utf-8") for p in sorted(SCENARIOS.glob("*.toml"))]
TIMING = Timing(datetime(2026, 11, 1, tzinfo=UTC))
# Longer replays are left out here (the fuzz is about input); the hostile-size tests below
# run the largest ones.
SMALL = Limits(heartbeats=3_000, visits=20_000)

INTS = (
    st.sampled_from(
        [
            0,
            1,
            2,
            3,
            30_000,
            120_000,
            999,
            86_400_001,
            2**32 - 1,
            2**32,
            2**53 - 1,
            2**53,
            2**63 - 1,
            -1,
            -(2**63),
        ]
    )
    | st.integers()
)
WORDS = st.sampled_from(
    [
        *SESSION_STATES,
        *OWNERS,
        *ABORT_ANSWERS,
        *WORK_KINDS,
        *DRAINS,
        *STEP_KEYS,
        *sorted(REGISTRY),
        "completed",
        "failed",
        "phantom-request",
        "unmatched-request",
        "swallowed-request",
        "agent:main:direct",
        "a",
        "b",
        "",
        " a",
        "x\ny",
        "\x00",
        "é",
        "skipped/already_in_flight",
        "aborted/abort_embedded_run",
    ]
)
SCALARS = INTS | WORDS | st.booleans() | st.floats(allow_nan=False) | st.text(max_size=8)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(WORDS, inner, max_size=4),
    max_leaves=12,
)
ALL_KEYS = sorted(
    {
        *TOP_KEYS,
        *SETTINGS_KEYS,
        *SESSION_KEYS,
        *EXPECT_KEYS,
        "do",
        "ms",
        "session",
        "outcome",
        "to",
        "coordinator",
        "runtime",
    }
)
KEYS = st.sampled_from(ALL_KEYS) | st.text(string.ascii_lowercase + "_.-", max_size=6)


def table(keys: list[str]) -> st.SearchStrategy[dict[str, object]]:
    known = st.dictionaries(st.sampled_from(keys), VALUES | WORDS | INTS, max_size=len(keys))
    return st.tuples(known, st.dictionaries(KEYS, VALUES, max_size=1)).map(
        lambda kv: {**kv[0], **kv[1]}
    )


STEP = st.one_of(
    *[
        st.fixed_dictionaries(
            {"do": st.just(verb)}, optional={k: (WORDS | INTS) for k in keys if k != "do"}
        )
        for verb, keys in STEP_KEYS.items()
    ],
    table(["do", "ms", "session", "outcome", "to"]),
)
EXPECT = st.dictionaries(
    st.sampled_from([*sorted(REGISTRY), "other"]),
    table(list(EXPECT_KEYS)) | VALUES,
    max_size=3,
)
DOCUMENT = st.fixed_dictionaries(
    {},
    optional={
        "name": WORDS | st.text(max_size=10) | VALUES,
        "description": st.text(max_size=10),
        "settings": table(list(SETTINGS_KEYS)) | VALUES,
        "session": st.lists(table(list(SESSION_KEYS)), max_size=4) | VALUES,
        "step": st.lists(STEP, max_size=8) | VALUES,
        "expect": EXPECT | VALUES,
        "extra": VALUES,
    },
)


REFS = st.sampled_from(["agent:main:a", "agent:main:b", "c"])
VALID_STEP = st.one_of(
    st.just({"do": "tick"}),
    st.builds(lambda late: {"do": "tick", "late_ms": late}, st.integers(0, 100_000)),
    st.builds(lambda r: {"do": "bump", "session": r}, REFS),
    st.builds(lambda ms: {"do": "advance", "ms": ms}, st.integers(0, 400_000)),
    st.builds(
        lambda r, o: {"do": "release", **({"session": r} if r else {}), **o},
        REFS | st.none(),
        st.sampled_from([{}, {"outcome": "completed"}, {"outcome": "failed"}]),
    ),
    st.builds(
        lambda r, to: {"do": "state", "session": r, "to": to}, REFS, st.sampled_from(SESSION_STATES)
    ),
    st.builds(lambda r: {"do": "progress", "session": r}, REFS),
)
VALID_SESSION = st.fixed_dictionaries(
    {"ref": REFS},
    optional={
        "state": st.sampled_from(SESSION_STATES),
        "generation": st.integers(0, 2**32 - 1),
        "queue_depth": st.integers(0, 3),
        "owner": st.sampled_from(OWNERS),
        "abort": st.sampled_from(ABORT_ANSWERS),
        "work": st.sampled_from(WORK_KINDS),
        "progress_age_ms": st.integers(0, 1_000_000),
    },
)
VALID_EXPECT = st.fixed_dictionaries(
    {},
    optional={
        "requested": st.integers(0, 4),
        "requested_generations": st.lists(st.integers(0, 3), max_size=3),
        "completed": st.integers(0, 4),
        "runtime_outcomes": st.lists(
            st.sampled_from(
                [
                    "aborted/abort_embedded_run",
                    "skipped/already_in_flight",
                    "pending",
                    "failed/exception",
                ]
            ),
            max_size=3,
        ),
        "violations": st.lists(
            st.sampled_from(["phantom-request", "unmatched-request", "swallowed-request"]),
            max_size=2,
        ),
        "absorbed_by": st.fixed_dictionaries(
            {}, optional={"coordinator": st.integers(0, 2), "runtime": st.integers(0, 2)}
        ),
    },
)
# Mostly valid documents, so the replay and every renderer see many shapes of run.
NEAR_VALID = st.fixed_dictionaries(
    {
        "name": st.text(min_size=1, max_size=12).filter(lambda n: n.strip() and "\n" not in n),
        "session": st.lists(VALID_SESSION, min_size=1, max_size=3, unique_by=lambda s: s["ref"]),
        "step": st.lists(VALID_STEP, min_size=1, max_size=10),
    },
    optional={
        "settings": st.fixed_dictionaries(
            {},
            optional={
                "heartbeat_ms": st.integers(1, 60_000),
                "warn_ms": st.integers(0, 100_000_000),
                "settle_ms": st.integers(0, 60_000),
                "drain": st.sampled_from(DRAINS),
                "tick_late_ms": st.integers(0, 5_000),
                "tick_jitter_ms": st.tuples(st.integers(0, 3_000), st.integers(0, 3_000)).map(
                    lambda p: sorted(p)
                ),
                "jitter_seed": st.integers(0, 2**53 - 1),
            },
        ),
        "expect": st.dictionaries(st.sampled_from(sorted(REGISTRY)), VALID_EXPECT, max_size=2),
    },
)


def check(text: str) -> str:
    """Load, then replay and render; only ScenarioError may stop it. Returns what happened."""
    try:
        scenario = parse_scenario(text, "fuzz.toml", REGISTRY.keys())
    except ScenarioError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.path == "fuzz.toml"
            assert problem.message and "\n" not in problem.message, problem
            assert problem.line is None or problem.line >= 1
        assert exc.render()
        return "refused"
    if static_clock(scenario.settings, list(scenario.sessions), list(scenario.steps), SMALL):
        return "loaded (too long to replay here)"
    try:
        runs = [replay(scenario, s) for s in REGISTRY.values()]
        report = Report((judge(scenario, "fuzz.toml", runs),))
        for text_out in (
            render_json(report),
            render_junit(report, TIMING),
            render_markdown(report, TIMING),
            render_github(report),
            render_svg(report),
        ):
            assert text_out.endswith("\n")
    except ProbeError:
        return "refused while running"
    return "replayed"


@FUZZ
@given(DOCUMENT)
def test_random_documents_load_or_are_refused(doc: dict[str, object]) -> None:
    try:
        text = tomli_w.dumps(doc)
    except (TypeError, ValueError):
        return  # something TOML cannot hold (e.g. a float key); not an input probe can see
    event(check(text))


@FUZZ
@given(NEAR_VALID)
def test_near_valid_documents_replay_and_render(doc: dict[str, object]) -> None:
    event(check(tomli_w.dumps(doc)))


def _mutate(text: str, data: st.DataObject) -> str:
    lines = text.split("\n")
    for _ in range(data.draw(st.integers(1, 4))):
        kind = data.draw(
            st.sampled_from(
                ["delete", "duplicate", "swap", "number", "string", "key", "insert", "cut", "value"]
            )
        )
        i = data.draw(st.integers(0, max(0, len(lines) - 1)))
        line = lines[i] if lines else ""
        match kind:
            case "delete" if lines:
                del lines[i]
            case "duplicate" if lines:
                lines.insert(i, line)
            case "swap" if lines:
                j = data.draw(st.integers(0, len(lines) - 1))
                lines[i], lines[j] = lines[j], lines[i]
            case "number":
                digits = [n for n, c in enumerate(line) if c.isdigit()]
                if digits:
                    at = data.draw(st.sampled_from(digits))
                    end = at
                    while end < len(line) and line[end].isdigit():
                        end += 1
                    lines[i] = line[:at] + str(data.draw(INTS)) + line[end:]
            case "string" if '"' in line:
                head, _, rest = line.partition('"')
                _, _, tail = rest.partition('"')
                word = data.draw(WORDS).replace("\\", "\\\\").replace('"', '\\"')
                word = word.replace("\n", "\\n").replace("\x00", "\\u0000")
                lines[i] = f'{head}"{word}"{tail}'
            case "key" if "=" in line:
                _, _, value = line.partition("=")
                lines[i] = f"{data.draw(st.sampled_from(ALL_KEYS))} ={value}"
            case "value" if "=" in line:
                key, _, _ = line.partition("=")
                inline = SCALARS | st.lists(SCALARS, max_size=3)
                try:
                    value = tomli_w.dumps({"v": data.draw(inline)}).split("=", 1)[1].strip()
                except (TypeError, ValueError, IndexError):
                    value = "1"
                lines[i] = f"{key}= {value}"
            case "insert":
                at = data.draw(st.integers(0, len(line)))
                lines[i : i + 1] = [line[:at] + data.draw(st.text(max_size=3)) + line[at:]]
            case "cut":
                return "\n".join(lines)[: data.draw(st.integers(0, len(text)))]
            case _:
                pass
    return "\n".join(lines)


@FUZZ
@given(st.sampled_from(SHIPPED), st.data())
def test_mutated_shipped_scenarios_load_or_are_refused(text: str, data: st.DataObject) -> None:
    event(check(_mutate(text, data)))


def test_the_shipped_scenarios_replay_through_the_same_check() -> None:
    assert {check(text) for text in SHIPPED} == {"replayed"}


# --- hostile sizes: refused quickly, or run in bounded time and memory ---------------------

HOSTILE_HEAD = 'name = "hostile"\n[settings]\ndrain = "hold"\n'
HOSTILE_SESSION = (
    '[[session]]\nref = "s{n}"\nstate = "processing"\nowner = "embedded_run"\n'
    "queue_depth = 1\nprogress_age_ms = 400000\n"
)


def _hostile(tmp_path: Path, sessions: int, steps: list[str]) -> Path:
    path = tmp_path / "hostile.toml"
    body = "".join(HOSTILE_SESSION.format(n=n) for n in range(sessions))
    path.write_text(HOSTILE_HEAD + body + "".join(steps), encoding="utf-8")
    return path


def _measured(*args: str) -> tuple[int, str, float, int]:
    """Run probe in a child capped at 2 GiB; (exit code, stderr, seconds, peak RSS in MiB)."""
    code = (
        "import atexit, resource, sys\n"
        "atexit.register(lambda: sys.stderr.write("
        "f'maxrss={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}\\n'))\n"
        f"sys.argv = ['probe', *{list(args)!r}]\n"
        "from probe.cli import main\nmain()\n"
    )

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        preexec_fn=cap,
        timeout=120,
        check=False,
    )
    took = time.perf_counter() - start
    *messages, last = proc.stderr.rstrip("\n").split("\n")
    assert last.startswith("maxrss="), proc.stderr
    return proc.returncode, "\n".join(messages), took, int(last.removeprefix("maxrss="))


def test_three_thousand_stalled_sessions_run_in_bounded_time_and_memory(tmp_path: Path) -> None:
    path = _hostile(tmp_path, 3000, ['[[step]]\ndo = "tick"\n'] * 2)
    out = tmp_path / "out.json"
    code, err, took, rss = _measured("run", "-f", "json", "-o", str(out), str(path))
    assert (code, err) == (0, "")
    assert json.loads(out.read_text())["scenarios"][0]["strategies"]["fixed"]["requested"] > 0
    assert took < 20 and rss < 600, (took, rss)


def test_forty_thousand_steps_load_and_replay_in_bounded_time(tmp_path: Path) -> None:
    path = _hostile(tmp_path, 1, ['[[step]]\ndo = "bump"\nsession = "s0"\n'] * 40_000)
    code, err, took, rss = _measured("validate", str(path))
    assert (code, err) == (0, "")
    assert took < 20 and rss < 400, (took, rss)
    # One strategy: with two, judging is quadratic in the steps (replay.first_divergence).
    out = tmp_path / "out.json"
    code, err, took, rss = _measured("run", "-s", "buggy", "-f", "json", "-o", str(out), str(path))
    assert code in (0, 1) and "Traceback" not in err
    assert took < 30 and rss < 800, (took, rss)


@pytest.mark.parametrize(
    ("sessions", "steps", "message"),
    [
        (
            1,
            ['[[step]]\ndo = "advance"\nms = 9223372036854775808\n'],
            "hostile.toml:12: step[1].ms: 9223372036854775808 is out of range "
            "(0..9007199254740991)",
        ),
        (
            5001,
            ['[[step]]\ndo = "tick"\n'],
            "hostile.toml: session: 5001 sessions exceed the limit of 5000",
        ),
        (
            1,
            ['[[step]]\ndo = "tick"\n'] * 50_001,
            "hostile.toml: step: 50001 steps exceed the limit of 50000",
        ),
    ],
    ids=["advance-2^63", "5001-sessions", "50001-steps"],
)
def test_oversized_scenarios_are_refused_quickly(
    tmp_path: Path, sessions: int, steps: list[str], message: str
) -> None:
    path = _hostile(tmp_path, sessions, steps)
    code, err, took, rss = _measured("run", str(path))
    assert code == 2
    assert err == message.replace("hostile.toml", str(path), 1)
    assert took < 20 and rss < 400, (took, rss)
