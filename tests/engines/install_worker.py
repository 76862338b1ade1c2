"""`install.install` in a process of its own, for the cache tests: the download and the npm install
are replaced by links to an installed build, so nothing reaches the network.

    python install_worker.py SOURCE_ENTRY VERSION LOG [--no-lock] [--hang]

Waits for a file named `go` beside LOG before installing (so that two workers start together),
notes each download in LOG, prints the dist/ folder. --hang: stops for good in the middle of the
download (after writing `hanging` beside LOG), to be killed.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from probe.engines import install


def main() -> None:
    source, version, log = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    flags = sys.argv[4:]

    def fetch(_version: str, into: Path, _say: Callable[[str], None]) -> Path:
        with log.open("a") as handle:
            handle.write(f"download {os.getpid()}\n")
        (into / "package").symlink_to(source / "package", target_is_directory=True)
        if "--hang" in flags:
            log.with_name("hanging").write_text(str(into))
            time.sleep(600)
        time.sleep(0.3)  # a download takes a while: let the other worker get there
        return into / "package"

    def install_packages(work: Path, _wanted: Mapping[str, str], _spec: str) -> None:
        (work / "node_modules").symlink_to(source / "node_modules", target_is_directory=True)

    @contextlib.contextmanager
    def no_lock(_root: Path, _name: str, _say: Callable[[str], None]) -> Iterator[bool]:
        yield False

    install.fetch_package = fetch  # type: ignore[assignment]
    install.install_packages = install_packages  # type: ignore[assignment]
    if "--no-lock" in flags:
        install.install_lock = no_lock  # type: ignore[assignment,attr-defined]
    go = log.with_name("go")
    deadline = time.monotonic() + 60
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    print(install.install(version))


if __name__ == "__main__":
    main()
