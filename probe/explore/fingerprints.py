"""State fingerprints: stable 64-bit lanes of a state key, folded alike for mirror sessions."""

from __future__ import annotations

from dataclasses import fields, replace

from probe.model.heartbeat import RecoveryRequest
from probe.model.world import RECORD_KEY_WIDTH
from probe.scenario.values import Scenario
from probe.strategies import DedupStrategy

_MASK64 = (1 << 64) - 1


def _stable_lane(value: object) -> int:
    """A 64-bit value of `value` that no run, process or PYTHONHASHSEED changes.

    str hashes are salted per process and hash(None) is an address in Python 3.11, so the
    fingerprint is built from these lanes instead. bool and int read alike (True == 1 are
    one dict key, whichever was met first); a frozenset by its sorted members.
    """
    import hashlib  # once per distinct value: the import is found in sys.modules after

    if isinstance(value, frozenset):
        text = "f" + repr(sorted(repr(v) for v in value))
    elif isinstance(value, str):
        text = "s" + value
    elif isinstance(value, int):  # bool included: True is 1 for the memo too
        text = "i" + repr(int(value))
    else:
        text = "r" + repr(value)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


class _Lanes(dict[object, int]):
    """value -> its stable lane, computed once per distinct value."""

    def __missing__(self, value: object) -> int:
        lane = self[value] = _stable_lane(value)
        return lane


_SELF = "\x00self"


class Fingerprints:
    """The fingerprint of (world, checker): a stable 64-bit hash of the state key.

    Symmetry. Sessions whose seeds are equal but for their ref are interchangeable when the
    strategy's key holds its ref and renames with it (checked: the key of b's request is
    the key of a's with a -> b, so two refs never share a key). Then the model lets sessions
    meet nowhere but in the order one heartbeat visits the records (insertion order) and in
    which settle timers due at one instant fire: those orders change only the order of
    events of different refs and the numbering of runtime calls, which neither an invariant
    (each judges one ref's events) nor the state key reads. So exchanging the whole state
    of two interchangeable sessions (record, run activity, handle, waiter, keys in flight,
    the checker's open requests) maps every behaviour onto one with the refs exchanged,
    violating the same invariants at the same steps. Everything the key says about one such
    session is gathered into its slice, its ref written as _SELF, and a group's slices are
    sorted: mirror images get one fingerprint. A counterexample is still the concrete path
    the search took, so `probe run` replays it to the same verdict. `sigma` maps each
    session's index to its place in that canonical order (identity outside a group).
    """

    def __init__(self, scenario: Scenario, strategy: DedupStrategy, symmetry: bool) -> None:
        self.lanes = _Lanes()
        refs = [s.ref for s in scenario.sessions]
        self.refs = refs
        self.index = {r: i for i, r in enumerate(refs)}
        self.identity = tuple(range(len(refs)))
        self.groups: list[list[str]] = []
        if symmetry:
            self.groups = _symmetric_groups(scenario, strategy)
        self.symmetric = frozenset(r for g in self.groups for r in g)
        # Per group: its (ref, session index) pairs, and those indices in order.
        self.layout = [
            ([(r, self.index[r]) for r in g], sorted(self.index[r] for r in g))
            for g in self.groups
        ]
        self._owner: dict[str, bool] = {}

    @property
    def active(self) -> bool:
        return bool(self.groups)

    def __call__(self, key: tuple[object, ...], checker: object) -> tuple[int, tuple[int, ...]]:
        lanes = self.lanes
        # Properties beyond pairing key their state in shapes of their own: mirror images
        # are then told apart (a larger search, never a wrong one).
        if self.groups and isinstance(checker, frozenset):
            found = self._canonical(key, checker)
            if found is not None:
                return found
        values = list(map(lanes.__getitem__, key))
        values.append(lanes[checker])
        return hash(tuple(values)) & _MASK64, self.identity

    def _clean(self, text: str) -> bool:
        """No interchangeable ref inside this string (a key of some other session)."""
        clean = self._owner.get(text)
        if clean is None:
            clean = self._owner[text] = not any(r in text for r in self.symmetric)
        return clean

    def _canonical(
        self, key: tuple[object, ...], checker: object
    ) -> tuple[int, tuple[int, ...]] | None:
        """None when the state names a symmetric ref where its owner is not known."""
        # One call per transition: plain loops over the key's fixed layout (see
        # World.state_key), the empty sets shared so their hash and lane are found at once.
        parts: dict[object, list[object]] = {r: [] for r in self.symmetric}
        owner = parts.get
        rest: list[object] = []
        n = key[0]
        assert isinstance(n, int)
        i = 1
        held = []  # where the interchangeable sessions' records stand, not whose is where
        width = RECORD_KEY_WIDTH
        for pos in range(n):
            part = owner(key[i])
            if part is not None:
                part.append("r")
                part += key[i + 1 : i + width]
                held.append(pos)
            else:
                rest += key[i : i + width]
            i += width
        rest.append(tuple(held))
        rest.append(key[i])  # prune age
        count = key[i + 1]
        assert isinstance(count, int)
        i += 2
        for _ in range(count):
            part = owner(key[i])
            if part is not None:
                part.append("a")
                part += key[i + 1 : i + 6]
            else:
                rest += key[i : i + 6]
            i += 6
        count = key[i]
        assert isinstance(count, int)
        i += 1
        for _ in range(count):
            part = owner(key[i])
            if part is not None:
                part.append("h")
                part.append(key[i + 1])
            else:
                rest += key[i : i + 2]
            i += 2
        coordinator, runtime, count = key[i], key[i + 1], key[i + 2]
        assert isinstance(coordinator, frozenset) and isinstance(runtime, frozenset)
        assert isinstance(count, int)
        i += 3
        owned_keys: list[str] = []
        for _ in range(count):
            ref = key[i]
            part = owner(ref)
            if part is not None:
                assert isinstance(ref, str)
                fields = list(key[i + 1 : i + 11])
                wkey = fields[7]
                assert isinstance(wkey, str)
                if fields[0] != ref or not self._clean(wkey.replace(ref, "")):
                    return None
                held_key = wkey in coordinator
                if held_key:
                    owned_keys.append(wkey)
                fields[0] = _SELF
                fields[7] = wkey.replace(ref, _SELF)
                part.append("w")
                part += fields
                part.append(held_key)
            else:
                rest += key[i : i + 11]
            i += 11
        rest.append(key[i])  # the heartbeat
        if i + 1 != len(key):
            raise AssertionError("World.state_key's layout changed: update Fingerprints")
        if coordinator:
            others = coordinator.difference(owned_keys) if owned_keys else coordinator
            if others and not all(self._clean(k) for k in others):
                return None
            rest.append(others or _EMPTY)
        else:
            rest.append(_EMPTY)
        if runtime:
            for ref in runtime:
                part = owner(ref)
                if part is not None:
                    part.append("in-flight")
            rest.append(runtime - self.symmetric or _EMPTY)
        else:
            rest.append(_EMPTY)
        assert isinstance(checker, frozenset)
        if checker:
            plain_checks = []
            for ref, identities in checker:
                part = owner(ref)
                if part is not None:
                    for ident in identities:
                        part.append("o")
                        part += ident[1:]
                else:
                    plain_checks.append((ref, identities))
            rest.append(frozenset(plain_checks) if plain_checks else _EMPTY)
        else:
            rest.append(_EMPTY)
        get = self.lanes.__getitem__
        values = list(map(get, rest))
        sigma = list(self.identity)
        for members, places in self.layout:
            slices = sorted(
                [(hash(tuple(map(get, parts[r]))) & _MASK64, concrete) for r, concrete in members]
            )
            for place, (lane, concrete) in zip(places, slices, strict=True):
                values.append(lane)
                sigma[concrete] = place
        return hash(tuple(values)) & _MASK64, tuple(sigma)


_EMPTY: frozenset[object] = frozenset()


def _symmetric_groups(scenario: Scenario, strategy: DedupStrategy) -> list[list[str]]:
    """Sessions whose seeds are equal but for their ref, where the strategy renames alike."""
    by_seed: dict[tuple[object, ...], list[str]] = {}
    for s in scenario.sessions:
        rest = tuple(getattr(s, f.name) for f in fields(s) if f.name != "ref")
        by_seed.setdefault(rest, []).append(s.ref)
    groups = [g for g in by_seed.values() if len(g) > 1]
    checked = []
    for group in groups:
        # The strategy's key must rename with the ref (key of b = key of a with a -> b),
        # else two mirror states could hold keys that do not mirror each other.
        first = group[0]
        alike = first in strategy.key(RecoveryRequest(first, "idle", 0, 400_000, 1, False, None))
        for generation in (0, 7):
            base = RecoveryRequest(first, "idle", generation, 400_000, 1, False, None)
            key = strategy.key(base)
            for other in group[1:]:
                if any(r != other and r in key.replace(first, "") for r in group):
                    alike = False
                if strategy.key(replace(base, ref=other)) != key.replace(first, other):
                    alike = False
        if alike and not any(
            r != o and r in o for r in group for o in (s.ref for s in scenario.sessions)
        ):
            checked.append(group)
    return checked
