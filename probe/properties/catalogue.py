"""The built-in catalogue: every property, by name, in the order of FAILURES.md's classes."""

from __future__ import annotations

from probe.properties.aborts import ABORTS
from probe.properties.base import Property
from probe.properties.convergence import CONVERGENCE
from probe.properties.detection import DETECTION
from probe.properties.futility import FUTILITY
from probe.properties.identity import IDENTITY
from probe.properties.liveness import LIVENESS
from probe.properties.pairing import PAIRING

CATALOGUE: dict[str, Property] = {
    p.name: p
    for p in sorted(
        (*PAIRING, *LIVENESS, *DETECTION, *CONVERGENCE, *FUTILITY, *ABORTS, *IDENTITY),
        key=lambda p: p.failure_class,
    )
}
