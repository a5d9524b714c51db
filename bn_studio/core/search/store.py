"""Finished trials in SQLite: a search survives a crash and resumes where it stopped.

One schema (SCHEMA_VERSION 2): a ``meta`` table (format, schema, spec) and a ``trials``
table, one row per trial, whose ``extras`` column holds what only some searches have (the
twins' outcomes) as JSON. A version-1 store (no ``extras`` column, twins in a table of their
own) is migrated when opened. A store is a file anyone can hand over, so it is checked before
it is read: tables exactly as written here (no views, no triggers, no other objects), every
cell of its type and size, at most MAX_TRIALS rows; anything else is refused in one line.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading

import numpy as np

from .. import limits
from .trials import CURVE_POINTS, STATUSES, TrialResult

SCHEMA_VERSION = 2
FORMAT = "bn-studio-trials"
MAX_CELL_BYTES = 64 * CURVE_POINTS * 4 + 65536   # a curve of 4 × 200 numbers in JSON, and more
MAX_SPEC_BYTES = 1024 * 1024
MAX_TOTAL_BYTES = 512 * 1024 * 1024   # every cell together: 10,000 trials of 200-point curves
#                                        take about 160 MB

META = ("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
TRIALS = ("CREATE TABLE trials (trial INTEGER PRIMARY KEY, seed INTEGER, status TEXT, "
          "params TEXT, val_loss REAL, val_accuracy REAL, diverged_at INTEGER, error TEXT, "
          "curve TEXT, seconds REAL, extras TEXT)")
EXTRAS_V1 = "CREATE TABLE extras (trial INTEGER PRIMARY KEY, data TEXT)"
# (column, declared type, the SQLite storage classes its cells may have)
COLUMNS = (("trial", "INTEGER", ("integer",)), ("seed", "INTEGER", ("integer",)),
           ("status", "TEXT", ("text",)), ("params", "TEXT", ("text",)),
           ("val_loss", "REAL", ("real", "integer", "null")),
           ("val_accuracy", "REAL", ("real", "integer", "null")),
           ("diverged_at", "INTEGER", ("integer", "null")), ("error", "TEXT", ("text", "null")),
           ("curve", "TEXT", ("text",)), ("seconds", "REAL", ("real", "integer")),
           ("extras", "TEXT", ("text", "null")))
V1_COLUMNS = COLUMNS[:-1]
SELECT = "SELECT " + ", ".join(c for c, _, _ in COLUMNS) + " FROM trials ORDER BY trial"


class StoreError(Exception):
    """A trial store that cannot be used (locked by another search, damaged, read-only,
    crafted); the message is one line for the user."""


class TrialStore:
    """Finished trials in SQLite, one row each, written as they end (a crash loses at most the
    trials that were running).

    A file store is held with an exclusive lock for as long as it is open: one search writes
    to it at a time, and a second one is refused at once rather than both running every trial
    and overwriting each other's spec. A damaged, crafted or read-only file is refused the
    same way, before the search starts.
    """

    def __init__(self, path: str | os.PathLike = ":memory:") -> None:
        self.path = str(path)
        self.name = limits.shown(os.path.basename(self.path) or self.path).strip("'\"")
        self.lock = threading.Lock()
        try:
            self.db = sqlite3.connect(self.path, check_same_thread=False, timeout=0,
                                      isolation_level=None)
        except sqlite3.Error as e:
            raise StoreError(f"{self.name}: cannot open ({e})") from None
        try:
            self._open()
        except (sqlite3.Error, StoreError) as e:
            self.db.close()
            raise (e if isinstance(e, StoreError) else StoreError(self._why(e))) from None

    def _open(self) -> None:
        db = self.db
        db.execute("PRAGMA trusted_schema=OFF")      # no SQL functions run from the file
        if self.path != ":memory:":
            db.execute("PRAGMA locking_mode=EXCLUSIVE")
            db.execute("BEGIN EXCLUSIVE")          # held until close(): one writer
            version = self._check_schema()
            if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("damaged")
            db.execute("COMMIT")
        else:
            version = 0
        if version == 0:
            with self._transaction():
                db.execute(META)
                db.execute(TRIALS)
        elif version == 1:
            self._migrate()
        self._check_rows()
        with self._transaction():
            # A real write (it needs a journal beside the file), so a read-only file or
            # folder is found now, before the search, not when the first trial ends.
            db.execute("INSERT OR REPLACE INTO meta VALUES ('format', ?)", (FORMAT,))
            db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)",
                       (str(SCHEMA_VERSION),))
        self.spec()

    def _transaction(self):
        return _Transaction(self.db)

    def _refuse(self, why: str) -> StoreError:
        return StoreError(f"{self.name}: not a usable search file ({why})")

    def _check_schema(self) -> int:
        """0 for an empty file, else the schema version its tables are exactly written in;
        anything else (views, triggers, other tables, other columns) is refused."""
        db = self.db
        if db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 8:
            raise self._refuse("it holds other tables")
        objects = set(db.execute("SELECT substr(type, 1, 20), substr(name, 1, 60) "
                                 "FROM sqlite_master"))
        if not objects:
            return 0
        for kind, name in objects:
            if kind != "table" and not (kind == "index" and name == "sqlite_autoindex_meta_1"):
                raise self._refuse(f"it has a {kind} {limits.shown(name)}")
        tables = {n for k, n in objects if k == "table"}
        if tables not in ({"meta", "trials"}, {"meta", "trials", "extras"}):
            raise self._refuse("its tables are not a search's")
        if _columns(db, "meta") != [("key", "TEXT", 1), ("value", "TEXT", 0)]:
            raise self._refuse("its meta table is not a search's")
        cols = _columns(db, "trials")
        want = [(c, t, int(c == "trial")) for c, t, _ in COLUMNS]
        if cols == want and "extras" not in tables:
            return SCHEMA_VERSION
        if cols == want[:-1] and (
                "extras" not in tables or
                _columns(db, "extras") == [("trial", "INTEGER", 1), ("data", "TEXT", 0)]):
            return 1
        raise self._refuse("its trials table has other columns")

    def _migrate(self) -> None:
        """Version 1 → 2: the twins' table becomes the trials' extras column."""
        has_extras = self.db.execute("SELECT count(*) FROM sqlite_master WHERE name = "
                                     "'extras'").fetchone()[0]
        if has_extras:
            self._check_cells("extras", (("trial", ("integer",)), ("data", ("text",))))
        with self._transaction():
            self.db.execute("ALTER TABLE trials ADD COLUMN extras TEXT")
            if has_extras:
                self.db.execute("UPDATE trials SET extras = (SELECT data FROM extras WHERE "
                                "extras.trial = trials.trial)")
                self.db.execute("DROP TABLE extras")

    def _check_rows(self) -> None:
        """At most MAX_TRIALS rows, every cell of its column's type and bounded in size, so
        reading them never takes more than a few MB (checked in SQL, nothing loaded)."""
        rows = self.db.execute("SELECT count(*) FROM trials").fetchone()[0]
        if rows > limits.MAX_TRIALS:
            raise self._refuse(f"{rows:,} trials; the limit is {limits.MAX_TRIALS:,}")
        self._check_cells("trials", [(c, kinds) for c, _, kinds in COLUMNS])
        total = self.db.execute(
            "SELECT sum(" + " + ".join(f"coalesce(length(CAST({c} AS BLOB)), 0)" for c, _, k
                                        in COLUMNS if "text" in k) + ") FROM trials"
        ).fetchone()[0] or 0
        if total > MAX_TOTAL_BYTES:
            raise self._refuse(f"{total / 2**20:,.0f} MB of trials; the limit is "
                               f"{MAX_TOTAL_BYTES // 2**20} MB")
        statuses = ",".join("?" * len(STATUSES))
        bad = self.db.execute(f"SELECT count(*) FROM trials WHERE status NOT IN ({statuses}) OR "
                              "trial < 0 OR seed < 0 OR seed > ?",
                              (*STATUSES, limits.MAX_SEED)).fetchone()[0]
        if bad:
            raise self._refuse("a trial row is damaged")
        meta = self.db.execute("SELECT count(*) FROM meta "
                               "WHERE typeof(key) != 'text' OR typeof(value) != 'text' OR "
                               "length(CAST(value AS BLOB)) > ?",
                               (MAX_SPEC_BYTES,)).fetchone()[0]
        if meta or self.db.execute("SELECT count(*) FROM meta").fetchone()[0] > 8:
            raise self._refuse("its meta table is damaged")
        spec = self.db.execute("SELECT count(*) FROM meta WHERE key = 'spec'").fetchone()[0]
        if rows and not spec:
            raise self._refuse("it holds trials but no search spec")

    def _check_cells(self, table: str, columns) -> None:
        for column, kinds in columns:
            names = ",".join(f"'{k}'" for k in kinds)
            q = (f"SELECT count(*) FROM {table} WHERE typeof({column}) NOT IN ({names})"
                 f" OR (typeof({column}) IN ('text', 'blob') AND "
                 f"length(CAST({column} AS BLOB)) > {MAX_CELL_BYTES})")
            if self.db.execute(q).fetchone()[0]:
                raise self._refuse(f"a trial's {column} is not of its type or too large")

    def _why(self, e: sqlite3.Error) -> str:
        text = str(e)
        if "locked" in text:
            return (f"{self.name}: another search is using this file; wait for it to end or "
                    "choose another --out")
        folder = os.path.dirname(os.path.abspath(self.path))
        if ("readonly" in text or "unable to open" in text) and self.path != ":memory:" \
                and os.access(self.path, os.W_OK) and not os.access(folder, os.W_OK):
            return (f"{self.name}: its folder is read-only (a search writes a journal beside "
                    "the file); copy the file elsewhere or choose another --out")
        if "readonly" in text or "read-only" in text:
            return f"{self.name}: the file is read-only; choose another --out"
        if "unable to open" in text:
            return (f"{self.name}: cannot write beside the file (is its folder read-only?); "
                    "choose another --out")
        return f"{self.name}: not a usable search file ({text or e.__class__.__name__})"

    def _query(self, sql: str, args: tuple = ()):
        try:
            with self.lock:
                return self.db.execute(sql, args).fetchall()
        except sqlite3.Error as e:
            raise StoreError(self._why(e)) from None

    def spec(self) -> dict | None:
        rows = self._query("SELECT value FROM meta WHERE key = 'spec'")
        try:
            spec = json.loads(rows[0][0]) if rows else None
        except (TypeError, ValueError, RecursionError):
            spec = "damaged"
        if spec is not None and not isinstance(spec, dict):
            raise self._refuse("its spec is damaged")
        return spec

    def set_spec(self, spec: dict) -> None:
        self._write("INSERT OR REPLACE INTO meta VALUES ('spec', ?)", (json.dumps(spec),))

    def add(self, r: TrialResult) -> None:
        extras = r.twin_dict()
        self._write("INSERT OR REPLACE INTO trials VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (r.trial, r.seed, str(r.status), json.dumps(r.params), r.val_loss,
                     r.val_accuracy, r.diverged_at, r.error, json.dumps(r.curve),
                     float(r.seconds), json.dumps(extras) if extras else None))

    def _write(self, sql: str, args: tuple) -> None:
        try:
            with self.lock, self._transaction():
                self.db.execute(sql, args)
        except sqlite3.Error as e:
            raise StoreError(self._why(e)) from None

    def results(self) -> list[TrialResult]:
        """Every stored trial, by trial, each checked (StoreError with one line if not)."""
        out = []
        for t, s, st, p, vl, va, d, e, c, sec, extras in self._query(SELECT):
            try:
                d = {"trial": t, "seed": s, "params": json.loads(p), "status": st,
                     "val_loss": vl, "val_accuracy": va, "diverged_at": d, "error": e,
                     "curve": json.loads(c), "seconds": sec}
                more = json.loads(extras) if extras is not None else {}
                if not isinstance(more, dict) or set(more) & set(d):
                    raise ValueError("damaged extras")
                out.append(TrialResult.from_dict({**d, **more}))
            except (TypeError, ValueError, RecursionError):
                raise self._refuse("a trial row is damaged") from None
        return out

    def count(self) -> int:
        """How many trials the store holds (any status)."""
        return self._query("SELECT count(*) FROM trials")[0][0]

    def best_loss(self) -> float | None:
        """The lowest validation loss of a trial that ended ok (read in SQL, no rows loaded)."""
        return self._query("SELECT min(val_loss) FROM trials WHERE status = 'ok'")[0][0]

    def finished(self) -> set[int]:
        """Trials that need no re-run: ok or diverged. A cancelled trial, or one that failed
        (say, its worker was killed), runs again on resume."""
        return {r[0] for r in self._query("SELECT trial FROM trials WHERE status IN "
                                          "('ok', 'diverged')")}

    def close(self) -> None:
        with self.lock:
            self.db.close()


class _Transaction:
    """BEGIN … COMMIT (ROLLBACK on an error) on a connection in autocommit mode."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN")

    def __exit__(self, kind, _value, _tb) -> None:
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")


def _columns(db: sqlite3.Connection, table: str) -> list[tuple]:
    """(name, declared type, is primary key) of each column of ``table``."""
    return [(name, kind.upper(), int(bool(pk))) for _cid, name, kind, _nn, _dflt, pk in
            db.execute(f"PRAGMA table_info({table})")]


def split_fingerprint(split) -> str:
    """A short hash of a split's arrays: resuming refuses a search whose data changed."""
    h = hashlib.sha1()
    for a in (split.X_train, split.y_train, split.X_val, split.y_val):
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()[:16]
