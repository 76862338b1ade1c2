"""The machine's resources a search may use: this process's memory, the memory free, the cores."""

from __future__ import annotations

import os


def _page_size() -> int:
    return os.sysconf("SC_PAGE_SIZE")


def process_memory() -> int:
    """This process's resident memory that is its own (RSS less shared pages), in bytes.

    Read from /proc/self/statm; 0 where there is none (the bound then never fires). A
    forked worker measures itself the same way, without the pages it still shares.
    """
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            fields = f.read().split()
    except OSError:
        return 0
    return (int(fields[1]) - int(fields[2])) * _page_size()


def available_memory() -> int | None:
    """MemAvailable from /proc/meminfo, in bytes (None when unknown)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def default_workers() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)
