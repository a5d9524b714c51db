"""The GUI process hands freed memory back: the receiver thread trims the heaps
(procs.release_free_memory), and large blocks get mappings of their own
(procs.return_large_blocks). Without them a thread that allocates arrays and frees most of
them leaves its malloc arena full of free chunks that glibc keeps, and the process's
resident memory only grew."""

import subprocess
import sys

import pytest

from bn_studio.core import procs

# In a fresh process: the resident size is the test's own, not the whole suite's.
CHECK = """
import threading, numpy as np
from bn_studio.core.procs import release_free_memory
def rss():
    with open('/proc/self/status') as f:
        return next(int(l.split()[1]) / 1024 for l in f if l.startswith('VmRSS'))
kept = []
def receive():                    # like the receiver: arrays made in a thread of its own
    arrays = [np.ones(1000) for _ in range(20000)]          # 8 kB each, 160 MB
    kept.extend(arrays[::8])                                # the rest freed between them
t = threading.Thread(target=receive); t.start(); t.join()
before = rss(); trimmed = release_free_memory(); after = rss()
print(before, after, trimmed)
"""


@pytest.mark.skipif(procs._TRIM is None or not sys.platform.startswith("linux"),
                    reason="glibc's malloc_trim only")
def test_freed_arrays_of_a_thread_leave_the_resident_memory():
    out = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True,
                         check=True, timeout=120).stdout.split()
    before, after, trimmed = float(out[0]), float(out[1]), out[2]
    assert trimmed == "True"
    assert before - after > 80, (before, after)    # of the 140 MB freed, most given back


LARGE = """
import numpy as np
from bn_studio.core.procs import return_large_blocks
def rss():
    with open('/proc/self/status') as f:
        return next(int(l.split()[1]) / 1024 for l in f if l.startswith('VmRSS'))
pinned = return_large_blocks()
big = np.ones(1 << 17); del big         # a freed 1 MB block: glibc's own threshold rises
arrays = [np.ones(25000) for _ in range(800)]           # 200 kB each, 160 MB
kept = arrays[::10]; del arrays                         # 144 MB of them freed
print(rss(), pinned)
"""


@pytest.mark.skipif(procs._MALLOPT is None or not sys.platform.startswith("linux"),
                    reason="glibc's mallopt only")
def test_freed_large_blocks_leave_the_resident_memory():
    out = subprocess.run([sys.executable, "-c", LARGE], capture_output=True, text=True,
                         check=True, timeout=120).stdout.split()
    assert out[1] == "True"
    assert float(out[0]) < 100, out          # ~40 MB (~180 MB with glibc's own threshold)


def test_without_malloc_trim_it_does_nothing(monkeypatch):
    monkeypatch.setattr(procs, "_TRIM", None)
    monkeypatch.setattr(procs, "_MALLOPT", None)
    assert procs.release_free_memory() is False
    assert procs.return_large_blocks() is False
