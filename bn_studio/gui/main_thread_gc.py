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


_frozen = False


def freeze_startup() -> None:
    """Once per process, when the window is first shown: collect, then move every object
    alive (modules, widgets, plot items: ~10⁵ of them) out of the collector's reach
    (gc.freeze). A full collection then walks only what was made since, not the whole app:
    it blocked the event loop for tens of milliseconds every few seconds while training."""
    global _frozen
    if not _frozen:
        _frozen = True
        import gc
        gc.collect()
        gc.freeze()
