"""What a search takes and gives: config, counterexamples, results, progress, the issue's seed."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import NamedTuple

from probe.invariants import PHANTOM_REQUEST
from probe.scenario.values import Scenario, SessionSeed, Settings, Step, Tick

# The width of a state's fingerprint: what bounds the chance of two states colliding.
FINGERPRINT_BITS = 64

ACTIONS = ("tick", "bump", "release", "advance", "state", "progress", "own")
# `own` (a run registering mid-scenario, which class 9's identity failure needs) is asked for
# by name: the default search and its figures stay those of the six.
DEFAULT_ACTIONS = ACTIONS[:6]
DEFAULT_DEPTH = 6

ISSUE_SEED = Scenario(
    name="issue #88010 seed",
    description="One session idle with queued work, owned by an embedded run that ignores "
    "abort, progress 370 s stale; the recovery is held until its run ends.",
    sessions=(
        SessionSeed(
            ref="agent:main:direct",
            state="idle",
            generation=0,
            queue_depth=1,
            owner="embedded_run",
            abort="ignored",
            work="embedded_run",
            progress_age_ms=370_000,
        ),
    ),
    steps=(Tick(),),
    settings=Settings(drain="hold"),
)


def default_expected(strategy: str) -> frozenset[str]:
    """Without [expect.NAME].violations: the buggy design must show the phantom, others nothing."""
    return frozenset({PHANTOM_REQUEST}) if strategy == "buggy" else frozenset()


def expected_violations(
    scenario: Scenario | None,
    strategy: str,
    version: str | None = None,
    unjudged: Collection[str] = (),
) -> frozenset[str]:
    """The violations a search of the strategy must find: the seed's [expect.NAME], or the
    default.

    `version` (a model:NAME@VERSION search) picks the seed's `[expect."NAME@V"]` table as
    `probe run` does, so a seed whose failure is fixed at V is not expected to fail there.
    `unjudged`: properties the search does not judge (a --fixpoint search leaves out those
    the abstraction does not cover): a search cannot be expected to find what it never
    looks for, so they are dropped rather than reported missing."""
    exp = scenario.expectation(strategy, version) if scenario is not None else None
    if exp is not None and exp.violations is not None:
        return frozenset(exp.violations) - frozenset(unjudged)
    return default_expected(strategy) - frozenset(unjudged)


@dataclass(frozen=True, slots=True)
class ExploreConfig:
    depth: int = DEFAULT_DEPTH
    actions: tuple[str, ...] = DEFAULT_ACTIONS
    advance_ms: int | None = None  # default: the scenario's settle_ms
    max_states: int | None = None
    dedup: bool = True
    # Stop with bound_hit "memory" once the search's processes hold more (bytes, as the
    # caller's `memory` callback measures them); None: no bound.
    max_memory: int | None = None
    symmetry: bool = True
    reduction: bool = True
    workers: int = 1
    # Memory a search may spend keeping the next layer's states (snapshots) rather than
    # rebuilding them from the tree when it expands them: faster, at about tree.KEPT_STATE_BYTES
    # a state. 0: always rebuild (the least memory a state can take).
    keep_bytes: int = 256 << 20
    # Search to a fixpoint over the finite abstraction (probe.explore.abstraction): no depth
    # bound (`depth` is then unread), the answer a proof modulo that abstraction.
    fixpoint: bool = False
    # Fingerprint the abstract state at a depth bound too (what the soundness test compares).
    abstract: bool = False
    # A composed search's one session: the environment (the other sessions) may prune the
    # store between any two steps (probe.explore.composition).
    environment: bool = False
    # --fixpoint over several sessions: prove them one session at a time where the
    # composition's premises hold (probe.explore.composition), else search them together.
    compose: bool = True
    # Stop at the first violation (bound_hit "violation"): a composed search's, which only
    # proves, and hands a violation to the search of the sessions together.
    first_violation: bool = False


class Composed(NamedTuple):
    """How a composed proof was made: the seed's sessions it covers, the ones searched alone
    (one per class of sessions alike but for their ref), and whether each search's
    environment could prune the store."""

    sessions: int
    searched: tuple[str, ...]
    environment: bool


@dataclass(frozen=True, slots=True)
class Counterexample:
    invariant: str
    trace: tuple[Step, ...]
    message: str


@dataclass(frozen=True, slots=True)
class ExploreResult:
    strategy: str
    states_expanded: int
    distinct_states: int
    transitions: int
    depth: int
    bound_hit: str | None
    counterexamples: tuple[Counterexample, ...]
    coverage: tuple[tuple[str, int], ...]
    # Distinct states first reached at each depth (index 0: the seed).
    per_depth: tuple[int, ...] = ()
    # Whether each reduction was in effect (asked for and applicable to this seed).
    symmetry: bool = False
    reduction: bool = False
    # Steps the partial-order reduction did not take (each leads where another order does).
    pruned: int = 0
    workers: int = 1
    # Largest growth of the search processes' memory over the run (bytes; 0 unmeasured).
    peak_memory: int = 0
    # A fixpoint search: whether it reached the fixpoint (every abstract state expanded).
    fixpoint: bool = False
    verified: bool = False
    sessions: int = 0  # the seed's (what a verified answer is about)
    # The properties the search judged (a fixpoint's: those the abstraction covers).
    judged: tuple[str, ...] = ()
    # A verified answer proved one session at a time (probe.explore.composition): the
    # sessions searched alone, each with its environment; None: the sessions together.
    composed: Composed | None = None

    @property
    def violated(self) -> frozenset[str]:
        return frozenset(c.invariant for c in self.counterexamples)

    @property
    def collision_probability(self) -> float:
        """An upper bound on the chance that two distinct states shared a fingerprint.

        With n states and a 64-bit fingerprint that behaves as a uniform hash, the chance of
        any collision is at most n(n-1)/2 / 2^64, about n^2 / 2^65 (TLC states the same bound).
        A collision can only hide states (the second is taken for the first), never add one.
        """
        n = self.distinct_states
        return min(1.0, n * (n - 1) / 2 / 2.0**FINGERPRINT_BITS)

    @property
    def memory_per_state(self) -> float:
        return self.peak_memory / self.distinct_states if self.distinct_states else 0.0


class SearchProgress(NamedTuple):
    """What a search reports while it runs (the caller adds the wall clock)."""

    depth: int
    distinct_states: int
    transitions: int
    memory: int



@dataclass
class RandomResult:
    strategy: str
    runs: int
    steps: int
    counterexamples: list[Counterexample] = field(default_factory=list)
