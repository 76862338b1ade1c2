"""Check probe.versions against the code: read each tarball's switches, compare with the table.

    python bench/check_switches.py DIR   (a folder of `npm pack openclaw@V` tarballs)

For every openclaw-VERSION.tgz in the folder whose version is in probe.versions, reads the
recovery chunks (package/dist/diagnostic*) straight from the tarball and runs
probe.engines.switches over them. Prints one line per version; exit 1 on any disagreement.
"""

from __future__ import annotations

import re
import sys
import tarfile
from pathlib import Path

from probe.engines.switches import read_switches
from probe.versions import VERSIONS

_CHUNK = re.compile(r"^package/dist/diagnostic[^/]*\.m?js$")


def chunks(tarball: Path) -> list[str]:
    texts = []
    with tarfile.open(tarball) as tar:
        for member in tar:
            if member.isfile() and _CHUNK.match(member.name):
                data = tar.extractfile(member)
                if data is not None:
                    texts.append(data.read().decode("utf-8", "replace"))
    return texts


def main() -> int:
    if len(sys.argv) != 2:
        sys.exit("usage: python bench/check_switches.py DIR (a folder of npm pack tarballs)")
    folder = Path(sys.argv[1])
    bad = checked = 0
    for version, table in VERSIONS.items():
        tarball = folder / f"openclaw-{version}.tgz"
        if not tarball.exists():
            print(f"{version:<18} missing {tarball}")
            continue
        read = read_switches(chunks(tarball))
        unreadable = [n for n, v in read.items() if v is None]
        code = {n for n, v in read.items() if v}
        wrong = sorted(code ^ set(table))
        checked += 1
        if wrong or unreadable:
            bad += 1
        status = (
            "agree"
            if not wrong
            else "DIFFER " + ", ".join(f"{'+' if n in code else '-'}{n}" for n in wrong)
        )
        note = f" (cannot tell: {', '.join(unreadable)})" if unreadable else ""
        print(f"{version:<18} {len(code):>2} switches  {status}{note}")
    print(f"{checked} versions checked, {checked - bad} agree with probe.versions, {bad} do not")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
