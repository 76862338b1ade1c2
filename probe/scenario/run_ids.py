"""Several session ids under one key: embedded runs started under another id of a session's key.

openclaw keys run activity by both `id:SESSIONID` and `key:SESSIONKEY`, so a run registered as
`markDiagnosticEmbeddedRunStarted({ sessionId: "older-run-1", sessionKey })` joins the keyed
session's activity under its own work key (its session id). A recovery's clear removes the
recovered owner's runs started before its cut-off, and is blocked by any run, whoever's, that
started after it (otherwise every run goes): which id a run has changes nothing the heartbeat
or the coordinator can see afterwards, in every published version, so the model keeps such a
run as one more embedded-run marker, `@ID`, beside the session's own (`main`, `start` ids).
"""

from __future__ import annotations

from probe.scenario.values import OTHER_ID_MARKER, End, SessionSeed, Start, Step

# The harness names its own ids so (scenario-session-N, scenario-run-N): a step's other id
# must not be mistaken for one of them.
HARNESS_ID_PREFIX = "scenario-"


def marker_of(session_id: str) -> str:
    """The marker id of an embedded run under another session id."""
    return OTHER_ID_MARKER + session_id


def other_session_id(marker: str) -> str | None:
    """The other session id a marker runs under, or None for the session's own markers."""
    return marker[len(OTHER_ID_MARKER) :] if marker.startswith(OTHER_ID_MARKER) else None


def misnamed(
    sessions: list[SessionSeed] | tuple[SessionSeed, ...], steps: list[Step]
) -> list[tuple[int, str]]:
    """(1-based step, why) for each `session_id` step openclaw would not file under the key.

    The session must have a key (an empty key or an id-only session files the run under the id
    alone: an activity of its own), the step must name it by its key (an id-only call passes no
    key), and the id must be no session's name, no other session's other id, nor one of the
    harness's own (openclaw would merge their activities with another session's).
    """
    names = {s.ref for s in sessions} | {s.session_id for s in sessions if s.session_id}
    by_ref = {s.ref: s for s in sessions}
    owner: dict[str, str] = {}  # other id -> the session whose key it first ran under
    found: list[tuple[int, str]] = []
    for number, step in enumerate(steps, start=1):
        if not isinstance(step, Start | End):
            continue
        other = other_session_id(step.id)
        if other is None:
            continue
        seed = by_ref.get(step.session)
        if seed is None:
            continue
        if not seed.keyed or seed.ref == "":
            why = (
                f"session {seed.ref!r} has no key (an empty key or an id-only session): a run "
                "under another id would not join its activity"
            )
        elif step.via is not None:
            why = (
                f"names session {seed.ref!r} by its session_id: name it by its ref, so that the "
                "call passes the key beside the other id"
            )
        elif other in names:
            why = f"{other!r} is already a session's ref or session_id"
        elif other.startswith(HARNESS_ID_PREFIX):
            why = f"{other!r}: ids starting with {HARNESS_ID_PREFIX!r} are the harness's own"
        elif owner.setdefault(other, seed.ref) != seed.ref:
            why = (
                f"{other!r} already runs under session {owner[other]!r}'s key: openclaw "
                "would merge the two sessions' activities through the shared id"
            )
        else:
            continue
        found.append((number, why))
    return found
