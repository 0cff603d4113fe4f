"""glibc's allocator tuned for a small, long-running, threaded process (the Pi has little RAM).

By default glibc gives each thread that allocates its own arena and raises its mmap threshold after a
large block is freed, so the 16 MB that one scrypt password hash allocates in a web thread stays
resident for the life of the process. Two arenas and a fixed 256 kB mmap threshold return such
blocks to the system: measured in docs/performance.md ("Memory"), about 18 MB less after a login.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
MMAP_THRESHOLD = 256 * 1024
ARENA_MAX = 2


def tune() -> bool:
    """Apply the settings (glibc only; elsewhere nothing happens). Return whether they took."""
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False  # not glibc (musl, macOS): its own allocator, its own behaviour
    ok = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_ARENA_MAX, ARENA_MAX))
    if not ok:
        log.debug("mallopt refused the allocator settings")
    return ok


def trim() -> bool:
    """Give freed heap back to the system (after a burst such as a backfill); False where glibc is missing."""
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        return bool(ctypes.CDLL(name).malloc_trim(0))
    except (OSError, AttributeError):
        return False
