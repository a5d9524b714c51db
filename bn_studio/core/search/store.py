"""Finished trials in SQLite: a search survives a crash and resumes where it stopped."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading

import numpy as np

from .trials import STATUSES, TrialResult, as_result


class StoreError(Exception):
    """A trial store that cannot be used (locked by another search, damaged, read-only);
    the message is one line for the user."""


class TrialStore:
    """Finished trials in SQLite, one row each, written as they end (a crash loses at most the
    trials that were running).

    A file store is held with an exclusive lock for as long as it is open: one search writes
    to it at a time, and a second one is refused at once rather than both running every trial
    and overwriting each other's spec. A damaged or read-only file is refused the same way.
    """

    def __init__(self, path: str | os.PathLike = ":memory:") -> None:
        self.path = str(path)
        self.name = os.path.basename(self.path) or self.path
        self.lock = threading.Lock()
        try:
            self.db = sqlite3.connect(self.path, check_same_thread=False, timeout=0)
        except sqlite3.Error as e:
            raise StoreError(f"{self.name}: cannot open ({e})") from None
        try:
            self._open()
        except sqlite3.Error as e:
            self.db.close()
            raise StoreError(self._why(e)) from None

    def _open(self) -> None:
        if self.path != ":memory:":
            self.db.execute("PRAGMA locking_mode=EXCLUSIVE")
            self.db.execute("BEGIN EXCLUSIVE")          # held until close(): one writer
            if self.db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("damaged")
            self.db.commit()
        with self.db:
            self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            self.db.execute(
                "CREATE TABLE IF NOT EXISTS trials (trial INTEGER PRIMARY KEY, seed INTEGER, "
                "status TEXT, params TEXT, val_loss REAL, val_accuracy REAL, diverged_at "
                "INTEGER, error TEXT, curve TEXT, seconds REAL)")
            # A write now, so a read-only file is found before the search, not after it.
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('format', 'bn-studio-trials')")
        self.results()                  # a table of another shape or undecodable rows
        self.spec()

    def _why(self, e: sqlite3.Error) -> str:
        text = str(e)
        if "locked" in text:
            return (f"{self.name}: another search is using this file; wait for it to end or "
                    "choose another --out")
        if "readonly" in text or "read-only" in text:
            return f"{self.name}: the file is read-only; choose another --out"
        return f"{self.name}: not a usable search file ({text or e.__class__.__name__})"

    def _query(self, sql: str):
        try:
            with self.lock:
                return self.db.execute(sql).fetchall()
        except sqlite3.Error as e:
            raise StoreError(self._why(e)) from None

    def spec(self) -> dict | None:
        rows = self._query("SELECT value FROM meta WHERE key = 'spec'")
        try:
            spec = json.loads(rows[0][0]) if rows else None
        except (TypeError, ValueError, RecursionError):
            spec = "damaged"
        if spec is not None and not isinstance(spec, dict):
            raise StoreError(f"{self.name}: not a usable search file (its spec is damaged)")
        return spec

    def set_spec(self, spec: dict) -> None:
        with self.lock, self.db:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('spec', ?)", (json.dumps(spec),))

    def add(self, r: TrialResult) -> None:
        r = as_result(r)
        with self.lock, self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO trials VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (r.trial, r.seed, r.status, json.dumps(r.params), r.val_loss, r.val_accuracy,
                 r.diverged_at, r.error, json.dumps(r.curve), r.seconds))

    def results(self) -> list[TrialResult]:
        rows = self._query("SELECT trial, seed, status, params, val_loss, val_accuracy, "
                           "diverged_at, error, curve, seconds FROM trials ORDER BY trial")
        try:
            out = [TrialResult(t, s, json.loads(p), st, vl, va, d, e, json.loads(c), sec)
                   for t, s, st, p, vl, va, d, e, c, sec in rows]
        except (TypeError, ValueError, RecursionError):
            raise StoreError(f"{self.name}: not a usable search file (a trial row is "
                             "damaged)") from None
        if any(r.status not in STATUSES or not isinstance(r.params, dict) for r in out):
            raise StoreError(f"{self.name}: not a usable search file (a trial row is damaged)")
        return out

    def finished(self) -> set[int]:
        """Trials that need no re-run: ok or diverged. A cancelled trial, or one that failed
        (say, its worker was killed), runs again on resume."""
        return {r[0] for r in self._query("SELECT trial FROM trials WHERE status IN "
                                          "('ok', 'diverged')")}

    def close(self) -> None:
        with self.lock:
            self.db.close()


class ExtrasTrialStore(TrialStore):
    """A TrialStore that also keeps the twins' outcomes (bn_* / no_bn_* keys), in a table of
    their own, so a resumed twins search reports them too."""

    def __init__(self, path: str | os.PathLike = ":memory:") -> None:
        super().__init__(path)
        with self.lock, self.db:
            self.db.execute("CREATE TABLE IF NOT EXISTS extras (trial INTEGER PRIMARY KEY, "
                            "data TEXT)")

    def add(self, r: TrialResult) -> None:
        r = as_result(r)
        super().add(r)
        with self.lock, self.db:
            self.db.execute("INSERT OR REPLACE INTO extras VALUES (?, ?)",
                            (r.trial, json.dumps(r.twin_dict())))

    def results(self) -> list[TrialResult]:
        with self.lock:         # TrialStore's own checks read results before extras exists
            has = self.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                                  "name = 'extras'").fetchone()
            rows = dict(self.db.execute("SELECT trial, data FROM extras").fetchall()) if has \
                else {}
        out = super().results()
        return [TrialResult.from_dict({**r.to_dict(), **json.loads(rows.get(r.trial, "{}"))})
                for r in out]


def split_fingerprint(split) -> str:
    """A short hash of a split's arrays: resuming refuses a search whose data changed."""
    h = hashlib.sha1()
    for a in (split.X_train, split.y_train, split.X_val, split.y_val):
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()[:16]


