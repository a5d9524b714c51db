"""Writing an export off the GUI thread, with a progress dialog and Cancel when it is slow.

An export is read from the scene on the GUI thread (exports.prepare_plot: a few tens of
milliseconds), then encoded and written here on a worker thread, so a large plot, a long
animation or a slow disk never freezes the window. The file appears only when complete:
a job writes to a temporary name that is renamed at the end (exports.partial_path: a
cancelled or failed export leaves nothing behind, and never a half-overwritten earlier file).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget
from superqt.utils import thread_worker

from .exports import ExportError

SHOW_AFTER_MS = 400          # a quick export never flashes a dialog
PROGRESS_STEPS = 1000


def _run(job: Callable):
    """Run ``job`` on the worker thread; a generator job yields progress fractions."""
    result = job()
    if hasattr(result, "__next__"):
        result = yield from result
    return result


def failure_text(path: Path, error: BaseException) -> str:
    if isinstance(error, ExportError):
        return str(error)
    if isinstance(error, OSError):
        return f"{path.name}: cannot write ({error.strerror or error})"
    return f"{path.name}: export failed ({error.__class__.__name__}: {error})".splitlines()[0]


class ExportRunner(QObject):
    """One export at a time; ``finished`` with the written path, or ``failed`` with one line.
    ``cancelled`` when the user stops it (nothing is written then)."""

    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    ended = Signal()            # after any of the three

    def __init__(self, parent_widget) -> None:
        # Qt's parent, not an attribute: a child QObject is kept alive by its C++ parent,
        # so an attribute naming the parent made a cycle no collector sees (the window
        # was never freed).
        super().__init__(parent_widget)
        self._worker = None
        self._dialog: QProgressDialog | None = None
        self._path: Path | None = None
        self._on_cancel: Callable | None = None

    @property
    def busy(self) -> bool:
        return self._worker is not None

    def start(self, job: Callable, path, label: str, on_cancel: Callable | None = None) -> bool:
        """Run ``job()`` (returns the path, or is a generator yielding fractions done and
        returning it) on a worker thread. ``on_cancel`` runs on the GUI thread on Cancel.
        False (and ``failed``) if another export is still running."""
        if self.busy:
            self.failed.emit("An export is still running: wait for it or cancel it first")
            return False
        self._path, self._on_cancel = Path(path), on_cancel
        worker = thread_worker(_run, start_thread=False, ignore_errors=True)(job)
        worker.yielded.connect(self._progress)
        worker.returned.connect(lambda p, w=worker: self._done(w, p))
        worker.errored.connect(lambda e, w=worker: self._error(w, e))
        self._worker = worker
        parent = self.parent()
        dialog = QProgressDialog(label, "Cancel", 0, PROGRESS_STEPS,
                                 parent if isinstance(parent, QWidget) else None)
        dialog.setWindowTitle("Export")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(SHOW_AFTER_MS)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setValue(0)
        dialog.canceled.connect(self.cancel)
        self._dialog = dialog
        worker.start()
        return True

    def progress_dialog(self) -> QProgressDialog | None:
        return self._dialog

    def _progress(self, fraction) -> None:
        if self._dialog is not None:
            self._dialog.setValue(int(max(0.0, min(1.0, float(fraction))) * PROGRESS_STEPS))

    def cancel(self) -> None:
        """Stop the running export; its job stops at its next progress report."""
        worker = self._worker
        if worker is None:
            return
        worker.quit()
        if self._on_cancel is not None:
            self._on_cancel()
        self._end()
        self.cancelled.emit()

    def _done(self, worker, path) -> None:
        if worker is self._worker:
            self._end()
            self.finished.emit(path)

    def _error(self, worker, error) -> None:
        if worker is self._worker:
            path = self._path
            assert path is not None                 # set when the export started
            self._end()
            self.failed.emit(failure_text(path, error))

    def _end(self) -> None:
        self._worker = None
        if self._dialog is not None:
            self._dialog.canceled.disconnect(self.cancel)
            self._dialog.close()
            self._dialog.deleteLater()
            self._dialog = None
        self.ended.emit()
