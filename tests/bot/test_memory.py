"""The C allocator's arenas: `oneteam run` caps them, so RSS does not spread over one arena per thread."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from bot.memory import glibc

# Eight threads each allocate and keep large objects (> 512 bytes: C malloc, not Python's small-object
# allocator), as aiosqlite's connection threads do for SQLite's page cache; then glibc lists its heaps.
PROGRAM = textwrap.dedent("""
    import ctypes, os, sys, tempfile, threading
    from bot.memory import glibc, limit_malloc_arenas
    if sys.argv[1] == "limited":
        assert limit_malloc_arenas()
    kept, start = [], threading.Barrier(8)
    def work():
        start.wait()
        kept.append([bytes(4096) + bytes([i % 256]) for i in range(2000)])
    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads: t.start()
    for t in threads: t.join()
    libc = glibc()
    libc.fopen.restype = ctypes.c_void_p
    libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
    libc.fclose.argtypes = [ctypes.c_void_p]
    path = tempfile.mktemp()
    f = libc.fopen(path.encode(), b"w")
    libc.malloc_info(0, f)
    libc.fclose(f)
    print(open(path).read().count("<heap nr="))
    os.unlink(path)
""")


def heaps(mode: str) -> int:
    out = subprocess.run([sys.executable, "-c", PROGRAM, mode], capture_output=True, text=True, check=True)
    return int(out.stdout)


@pytest.mark.skipif(glibc() is None, reason="the arena cap is a glibc setting")
def test_threads_share_the_capped_arenas() -> None:
    assert heaps("default") > 2  # one arena per allocating thread, up to 8 per core
    assert heaps("limited") <= 2
