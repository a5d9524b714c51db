"""Reading a CSV file on a worker thread: a progress bar and Cancel while it loads."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QPushButton, QWidget
from superqt.utils import thread_worker

from bn_studio.core.data.csv_read import load_csv_steps
from bn_studio.core.data.datasets import DatasetError, split_and_standardize

PROGRESS_STEPS = 1000           # resolution of the import progress bar


def _load_and_split(path, read_steps):
    """The worker thread's job: read the file (yielding progress), then split it, so that
    neither freezes the window on a million rows."""
    ds = yield from read_steps(path)
    return ds, split_and_standardize(ds, seed=0)


def failure_text(error: BaseException) -> str:
    """One line for a file that could not be read."""
    if isinstance(error, DatasetError):
        return str(error)
    return f"could not read the file ({error.__class__.__name__}: {error})".splitlines()[0]


class CsvImportRow(QWidget):
    """Shown while a file loads; the data in use changes only when the whole file has
    loaded (``loaded``), never on Cancel or on an error (``failed``, one line)."""

    loaded = Signal(object, object)         # the dataset, its train/validation split
    failed = Signal(str)
    running = Signal(bool)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.progress = QProgressBar()
        self.progress.setRange(0, PROGRESS_STEPS)
        self.progress.setFormat("reading %p %")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop reading the file and keep the data in use")
        self.cancel_button.clicked.connect(self.cancel)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.progress, 1)
        lay.addWidget(self.cancel_button)
        self.hide()
        self._loader = None

    @property
    def importing(self) -> bool:
        return self._loader is not None

    def start(self, path, read_steps=load_csv_steps) -> None:
        """Read ``path`` with ``read_steps`` (a generator of progress fractions that returns
        the dataset) on a worker thread."""
        self.cancel()
        worker = thread_worker(_load_and_split, start_thread=False,
                               ignore_errors=True)(path, read_steps)
        worker.yielded.connect(self._show_progress)
        worker.returned.connect(lambda result, w=worker: self._done(w, *result))
        worker.errored.connect(lambda e, w=worker: self._failed(w, e))
        worker.finished.connect(lambda w=worker: self._ended(w))
        self._loader = worker
        self._show_progress(0.0)
        self.show()
        self.running.emit(True)
        worker.start()

    def cancel(self) -> None:
        """Stop a background import (it stops between chunks); the data in use stays."""
        worker = self._loader
        if worker is not None:
            worker.quit()
            self._ended(worker)

    def _show_progress(self, fraction) -> None:
        """The share of the file read; a busy bar while no share is known (one fast pass over
        the whole file, or the split after the last row)."""
        f = float(fraction)
        self.progress.setRange(0, PROGRESS_STEPS if 0 < f < 1 else 0)
        self.progress.setValue(int(f * PROGRESS_STEPS))

    def _done(self, worker, ds, split) -> None:
        if worker is self._loader:                  # not cancelled, not replaced
            self._ended(worker)
            self.loaded.emit(ds, split)

    def _failed(self, worker, error) -> None:
        if worker is self._loader:
            self._ended(worker)
            self.failed.emit(failure_text(error))

    def _ended(self, worker) -> None:
        if worker is self._loader:
            self._loader = None
            self.hide()
            self.running.emit(False)
