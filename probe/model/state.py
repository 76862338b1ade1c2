"""Session state store: one record per session ref, forgotten the way openclaw prunes them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from probe.scenario.values import SessionState

SESSION_STATE_TTL_MS = 1_800_000
PRUNE_INTERVAL_MS = 60_000
MAX_ENTRIES = 2_000


_new_object = object.__new__


@dataclass(slots=True)
class SessionRecord:
    ref: str
    state: SessionState
    generation: int
    queue_depth: int
    last_activity: int
    last_stuck_warn_age: int | None = None
    last_long_running_warn_age: int | None = None
    # activeQueuedTurn: the processing turn came from the queue (kept only with switch
    # queued-backlog, F16, the one reader of it).
    active_queued_turn: bool = False

    def copy(self) -> SessionRecord:
        # Field by field into a bare instance: half the cost of the generated __init__,
        # and every write to a record shared with a snapshot starts with a copy.
        twin: SessionRecord = _new_object(SessionRecord)
        twin.ref = self.ref
        twin.state = self.state
        twin.generation = self.generation
        twin.queue_depth = self.queue_depth
        twin.last_activity = self.last_activity
        twin.last_stuck_warn_age = self.last_stuck_warn_age
        twin.last_long_running_warn_age = self.last_long_running_warn_age
        twin.active_queued_turn = self.active_queued_turn
        return twin

    def touch(self, now: int) -> None:
        """What every mutator and applied outcome does: new activity, new generation."""
        self.last_activity = now
        self.generation += 1
        self.last_stuck_warn_age = None
        self.last_long_running_warn_age = None


StoreState: TypeAlias = tuple[dict[str, SessionRecord], int | None]


class SessionStore:
    """diagnostic-session-state.ts: a Map in insertion order plus the prune clock.

    A saved state (see `state`) shares the records, and the dict of them, with the store
    until either side changes one: whoever means to change a record gets it from `lookup`
    or `writable`, which copy a shared record (and a shared dict) first.
    """

    __slots__ = (
        "_own",
        "_shared",
        "last_prune_at",
        "prune_empty_key",
        "prune_on_create",
        "records",
    )

    def __init__(self, *, prune_on_create: bool = True, prune_empty_key: bool = False) -> None:
        self.records: dict[str, SessionRecord] = {}
        self.last_prune_at: int | None = None
        # Whether `records` is shared with a saved state, and the refs whose record this
        # store alone holds, and may change in place.
        self._shared = False
        self._own: set[str] = set()
        # Off with switch no-prune-on-create (F33): creating a record prunes only when due.
        self.prune_on_create = prune_on_create
        # Switch prune-empty-key (F30): before it, the cap's eviction loop stopped at an empty
        # key (`if (!key) break;`), so an oldest record keyed "" kept every record.
        self.prune_empty_key = prune_empty_key

    def state(self) -> StoreState:
        """The records and the prune clock; both sides share the records from now on."""
        self._shared = True
        self._own.clear()
        return (self.records, self.last_prune_at)

    def restore(self, state: StoreState) -> None:
        self.records, self.last_prune_at = state
        self._shared = True
        self._own.clear()

    def _own_records(self) -> dict[str, SessionRecord]:
        """The dict of records, to change: a shared one is copied first."""
        if self._shared:
            self.records = self.records.copy()
            self._shared = False
        return self.records

    def writable(self, rec: SessionRecord) -> SessionRecord:
        """`rec`, or a copy in its place if it is shared: the record to change.

        A record no longer in the store (pruned meanwhile) is copied but not put back, so
        changing it changes nothing, as changing the forgotten record itself would.
        """
        ref = rec.ref
        if ref in self._own and self.records.get(ref) is rec:
            return rec
        twin = rec.copy()
        if self.records.get(ref) is rec:
            self._own_records()[ref] = twin
            self._own.add(ref)
        return twin

    def peek(self, ref: str) -> SessionRecord | None:
        return self.records.get(ref)

    def prune(self, now: int, *, force: bool = False) -> list[str]:
        """Forget idle, empty, long-quiet records, then the oldest above the cap."""
        over_cap = len(self.records) > MAX_ENTRIES
        due = self.last_prune_at is None or now - self.last_prune_at >= PRUNE_INTERVAL_MS
        if not (force or over_cap or due):
            return []
        self.last_prune_at = now
        forgotten = [
            ref
            for ref, rec in self.records.items()
            if rec.state == "idle"
            and rec.queue_depth <= 0
            and now - rec.last_activity > SESSION_STATE_TTL_MS
        ]
        for ref in forgotten:
            del self._own_records()[ref]
            self._own.discard(ref)
        excess = len(self.records) - MAX_ENTRIES
        if excess > 0:
            # A stable sort, as Array.prototype.toSorted is: ties keep insertion order.
            oldest = sorted(self.records.values(), key=lambda r: r.last_activity)[:excess]
            for rec in oldest:
                if rec.ref == "" and not self.prune_empty_key:
                    break
                del self._own_records()[rec.ref]
                self._own.discard(rec.ref)
                forgotten.append(rec.ref)
        return forgotten

    def create(self, ref: str, now: int) -> SessionRecord:
        rec = SessionRecord(ref=ref, state="idle", generation=0, queue_depth=0, last_activity=now)
        self._own_records()[ref] = rec
        self._own.add(ref)
        self.prune(now, force=self.prune_on_create)
        return rec

    def lookup(self, ref: str, now: int) -> SessionRecord:
        """getDiagnosticSessionState: prune when due, then find or create the record.

        The record returned is this store's own, to be changed.
        """
        last = self.last_prune_at
        if last is None or now - last >= PRUNE_INTERVAL_MS or len(self.records) > MAX_ENTRIES:
            self.prune(now)  # (prune's own test, asked here to skip the call when not due)
        rec = self.records.get(ref)
        if rec is not None:
            return self.writable(rec)
        return self.create(ref, now)

    def is_current(self, ref: str, generation: int, state: SessionState) -> bool:
        rec = self.records.get(ref)
        return rec is not None and rec.generation == generation and rec.state == state
