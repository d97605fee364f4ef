"""This process's resident memory, and giving freed heap back to the system (glibc keeps it otherwise)."""

from __future__ import annotations

import contextlib
import ctypes
import os


def resident_bytes() -> int:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):  # not Linux
        return 0


def release_memory() -> None:
    """``malloc_trim``: costs 10-30 ms of re-faulted pages afterwards, so only after a big image."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)

