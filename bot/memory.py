"""The C allocator of a long-running `oneteam run`.

glibc gives each thread that allocates its own malloc arena (up to 8 per core): aiosqlite runs one thread per
database connection and asyncio's executor a few more, and what they free stays scattered over those arenas.
In the soak (bench/soak.py, 5,000 members, 40 requests/s) the bot's RSS kept growing while its live Python
heap did not; two shared arenas take a part of that back (single runs: 10-60 MB), and the threads do little
besides waiting on SQLite, so they hardly contend for them.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_ARENA_MAX = -8  # mallopt parameter (glibc malloc.h)
ARENAS = 2


def glibc() -> ctypes.CDLL | None:
    """The process's C library when it is glibc (the arena settings are glibc's), else None."""
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    libc = ctypes.CDLL(name)
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_info") else None


def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Caps glibc's malloc arenas for threads started from now on; False where that is not possible."""
    libc = glibc()
    return libc is not None and bool(libc.mallopt(M_ARENA_MAX, arenas))
