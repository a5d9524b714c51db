"""Logging for the app: a rotating file in the user's data folder, warnings to the status bar,
and a dialog (not a crash) for an exception that escapes a Qt slot."""

from __future__ import annotations

import logging
import logging.handlers
import sys
import traceback
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, Signal

LOG_FILE_NAME = "bn-studio.log"
LOG_MAX_BYTES = 1_000_000
LOG_BACKUPS = 3


def log_dir() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    path = Path(base or Path.home() / ".local" / "share" / "bn-studio")
    path.mkdir(parents=True, exist_ok=True)
    return path


class StatusBridge(QObject, logging.Handler):
    """Forwards WARNING and above to the GUI thread as a signal (thread-safe: queued)."""

    record = Signal(str)

    def __init__(self) -> None:
        QObject.__init__(self)
        logging.Handler.__init__(self, level=logging.WARNING)

    # logging.Handler's emit; QObject.emit (PySide6's string-signal emit) is never used here.
    def emit(self, rec: logging.LogRecord) -> None:  # type: ignore[override]
        try:
            self.record.emit(rec.getMessage().splitlines()[0][:300])
        except RuntimeError:          # the window is gone while shutting down
            pass


def setup_logging(level: int = logging.INFO) -> Path:
    """Log to a rotating file once per process; returns the file's path."""
    root = logging.getLogger()
    path = log_dir() / LOG_FILE_NAME
    if not any(isinstance(h, logging.handlers.RotatingFileHandler) for h in root.handlers):
        fh = logging.handlers.RotatingFileHandler(path, maxBytes=LOG_MAX_BYTES,
                                                  backupCount=LOG_BACKUPS, encoding="utf-8")
        fh.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(fh)
        root.setLevel(level)
    return path


def install_excepthook(show) -> None:
    """Route uncaught exceptions to the log and to ``show(title, text)`` instead of aborting."""
    def hook(exc_type, exc, tb):
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        logging.getLogger("bn_studio").error(
            "uncaught exception:\n%s", "".join(traceback.format_exception(exc_type, exc, tb)))
        try:
            show("Unexpected error", f"{exc_type.__name__}: {exc}\n\nDetails are in the log "
                 f"file {log_dir() / LOG_FILE_NAME}. Your work is still here.")
        except Exception:
            pass
    sys.excepthook = hook
