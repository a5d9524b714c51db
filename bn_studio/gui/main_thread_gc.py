"""Garbage collection on the GUI thread only.

Python's cyclic collector runs in whichever thread happens to allocate when a threshold is
crossed: in this app, often the snapshot receiver thread. If that collection frees a Qt
wrapper, PySide defers the C++ deletion to the main thread, and that path has crashed the
app (SIGSEGV in Shiboken's runDeletionInMainThread). pyqtgraph's GarbageCollector turns the
automatic collector off and collects on a GUI-thread timer instead.
"""

from __future__ import annotations

from pyqtgraph.util.garbage_collector import GarbageCollector

COLLECT_INTERVAL_S = 0.5
_collector: GarbageCollector | None = None


def install() -> None:
    """Once per process, after the QApplication exists."""
    global _collector
    if _collector is None:
        _collector = GarbageCollector(interval=COLLECT_INTERVAL_S)
