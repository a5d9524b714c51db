"""The studio's searches as one Qt model: the panels that show searches are views of it.

It owns every running ``Search`` (by name: "tuning", "alpha_range", a lesson's "grid" and
"random"), one timer that polls them all, and what a workspace saves of the tuning search
(its settings and results). Views connect to ``resultsAdded``, ``progressChanged``,
``finished`` and ``restored``; none polls a search or keeps a copy of its results.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, QTimer, Signal

from bn_studio.core.search import (DEFAULT_EXECUTOR, Progress, Search, SearchSpace, SearchSpec, StoreError,
                                   TrialResult, TrialStore, best_result)
from bn_studio.core.trainer import TrainConfig

log = logging.getLogger(__name__)

POLL_INTERVAL_MS = 200
MAX_STORED = 50           # stored searches kept in the app's data folder; older ones go
TUNING = "tuning"


@dataclass
class SearchRun:
    """One named search: its spec, its results so far and the search running them (None
    for results restored from a workspace or a stored search)."""

    name: str
    spec: SearchSpec | None
    search: Search | None = None
    results: list[TrialResult] = field(default_factory=list)
    store_path: str | None = None
    reported: bool = False          # 'finished' was emitted

    @property
    def running(self) -> bool:
        return self.search is not None and not self.search.finished.is_set()

    @property
    def space(self) -> SearchSpace | None:
        return self.spec.space if self.spec is not None else None

    @property
    def total(self) -> int:
        return self.search.total if self.search is not None else len(self.results)

    def best(self) -> TrialResult | None:
        return best_result(self.results)


class SearchModel(QObject):
    """Every search of the studio; one timer delivers their new results to the views."""

    started = Signal(str)                   # name
    resultsAdded = Signal(str, object)      # name, list[TrialResult] new since the last signal
    progressChanged = Signal(str, object)   # name, Progress
    finished = Signal(str)                  # name (its search's ``error`` says if it failed)
    restored = Signal(str)                  # name: results loaded, no search running

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runs: dict[str, SearchRun] = {}
        self.settings: dict = {}            # the tuning panel's editor (space, trials, …)
        self.store_dir: Path | None = None  # where app searches are stored (None: app data)
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_INTERVAL_MS)
        self.timer.timeout.connect(self.poll)

    # ---- running --------------------------------------------------------------------------
    def start(self, name: str, spec: SearchSpec, split, *, workers: int | None = None,
              store: bool = False, resume_path: str | None = None,
              dataset_info: dict | None = None, executor: str = DEFAULT_EXECUTOR) -> SearchRun:
        """Start a search named ``name`` (a finished one of that name is replaced). With
        ``store`` its trials go to a new SQLite file in ``stores()``; ``resume_path``
        continues the search in that file. Trials of one structure train together (the
        population executor, groups of a few so results stream in). Raises SearchSpaceError,
        StoreError, ValueError with one line for the user."""
        if self.running(name):
            raise ValueError(f"the {name} search is still running")
        db, path = self._open_store(name, spec.twins, store, resume_path)
        try:
            search = Search(spec, split, workers=workers, store=db,
                            resume=resume_path is not None, dataset_info=dataset_info,
                            executor=executor)
        except Exception:
            db.close()
            if path and not resume_path:          # the file this call created: no stray
                Path(path).unlink(missing_ok=True)
            raise
        run = SearchRun(name, spec, search, [], path)   # a resumed search's earlier results
        self.runs[name] = run                           # come with its first poll()
        search.start()
        self.started.emit(name)
        self.timer.start()
        self.poll()
        return run

    def _open_store(self, name: str, twins: bool, store: bool, resume_path: str | None):
        """(the trial store, its file or None): the resumed file, a new file in the app's
        data folder, or memory — a folder that cannot be written only costs the resume."""
        kind = TrialStore
        if resume_path:
            return kind(resume_path), resume_path
        if store:
            try:
                path = str(self._new_store_path(name))
                return kind(path), path
            except (OSError, StoreError) as e:
                log.warning("search not stored (%s)", e)
        return kind(":memory:"), None

    def cancel(self, name: str) -> None:
        run = self.runs.get(name)
        if run is not None and run.search is not None:
            run.search.cancel()

    def running(self, name: str) -> bool:
        run = self.runs.get(name)
        return run is not None and run.running

    def run(self, name: str) -> SearchRun | None:
        return self.runs.get(name)

    def results(self, name: str) -> list[TrialResult]:
        run = self.runs.get(name)
        return list(run.results) if run is not None else []

    def progress(self, name: str) -> Progress | None:
        run = self.runs.get(name)
        return run.search.progress() if run is not None and run.search is not None else None

    def poll(self) -> None:
        """The timer: new results and progress of every running search, then 'finished'."""
        active = False
        for name, run in list(self.runs.items()):
            s = run.search
            if s is None or run.reported:
                continue
            done = s.finished.is_set()        # read first: it is set after the last result
            new = s.poll()
            if new:
                run.results.extend(new)
                self.resultsAdded.emit(name, new)
            self.progressChanged.emit(name, s.progress())
            if done:
                run.reported = True
                if run.store_path:
                    s.store.close()
                self.finished.emit(name)
            else:
                active = True
        if not active:
            self.timer.stop()

    def shutdown(self, timeout: float = 5.0) -> None:
        """Closing the window: stop every search and its processes; finished trials stay."""
        self.timer.stop()
        for run in self.runs.values():
            if run.search is not None:
                run.search.cancel()
        for run in self.runs.values():
            if run.search is not None:
                run.search.join(timeout)

    # ---- results without a search ------------------------------------------------------
    def restore(self, name: str, space: SearchSpace, results: list[TrialResult],
                spec: SearchSpec | None = None) -> SearchRun:
        """Show results that were saved (a workspace) with no search running."""
        if self.running(name):
            self.cancel(name)
        spec = spec or _SpaceOnly(space)
        run = SearchRun(name, spec, None, list(results))
        self.runs[name] = run
        self.restored.emit(name)
        return run

    # ---- stored searches (resumable from the app) --------------------------------------
    def stores(self) -> Path:
        """The folder where searches started in the app are stored."""
        if self.store_dir is None:
            base = QStandardPaths.writableLocation(QStandardPaths.AppDataLocation) or \
                os.path.join(os.path.expanduser("~"), ".bn-studio")
            self.store_dir = Path(base) / "searches"
        return self.store_dir

    def _new_store_path(self, name: str) -> Path:
        folder = self.stores()
        folder.mkdir(parents=True, exist_ok=True)
        old = sorted(folder.glob("*.sqlite"), key=lambda p: p.stat().st_mtime)
        for path in old[:max(0, len(old) - MAX_STORED + 1)]:    # the folder never grows
            try:                                                 # past MAX_STORED files
                path.unlink()
            except OSError:
                pass
        k = 1
        while (folder / f"{name}-{k:03d}.sqlite").exists():
            k += 1
        return folder / f"{name}-{k:03d}.sqlite"

    def stored_searches(self) -> list[dict]:
        """The stored searches, newest first: path, name, trials done of planned, and the
        spec (as stored) — what a 'Resume' list shows."""
        folder = self.stores()
        out = []
        for path in sorted(folder.glob("*.sqlite"), key=lambda p: p.stat().st_mtime,
                           reverse=True) if folder.is_dir() else []:
            try:
                db = TrialStore(path)
            except StoreError:
                continue                          # in use or damaged: not offered
            try:
                spec, done = db.spec(), len(db.finished())
            finally:
                db.close()
            if spec:
                out.append({"path": str(path), "name": path.stem, "done": done,
                            "trials": spec.get("trials", 0), "spec": spec})
        return out

    def resume(self, path: str, split, *, workers: int | None = None,
               dataset_info: dict | None = None) -> SearchRun:
        """Continue the stored search in ``path`` on ``split``: it runs under the name it was
        stored as ("tuning-003" → "tuning"). Raises ValueError (one line) if the file is not
        a stored search or was searched on other data."""
        try:
            db = TrialStore(path)
        except StoreError as e:
            raise ValueError(str(e)) from None
        try:
            stored = db.spec()
        finally:
            db.close()
        if not stored:
            raise ValueError(f"{Path(path).name}: not a stored search")
        data = stored.get("data") or {}
        if dataset_info is not None and data.get("sha1") != dataset_info.get("sha1"):
            raise ValueError(f"{Path(path).name} searched other data ("
                             f"{data.get('dataset', 'unknown')}): open that dataset first")
        spec = SearchSpec(SearchSpace.from_list(stored["space"]), stored["trials"],
                          TrainConfig.from_dict(stored["base"]), seed=stored["seed"],
                          strategy=stored["strategy"], twins=bool(stored.get("twins")))
        name = Path(path).stem.rsplit("-", 1)[0]
        return self.start(name, spec, split, workers=workers, resume_path=str(path),
                          dataset_info=data)

    # ---- workspaces -------------------------------------------------------------------
    def workspace_state(self) -> dict:
        """The tuning search as a workspace saves it: the editor's settings, the space that
        was searched and its results (cancelled trials left out)."""
        run = self.runs.get(TUNING)
        state = dict(self.settings)
        state["searched_space"] = run.space.to_list() if run and run.space else None
        state["results"] = [r.to_dict() for r in (run.results if run else [])
                            if r.status != "cancelled"]
        return state

    def apply_workspace(self, state: dict) -> None:
        """A workspace's tuning search: its settings, then its results (``restored``)."""
        self.settings = {k: state[k] for k in ("space", "trials", "steps", "strategy")
                         if k in state}
        if state.get("searched_space") and state.get("results"):
            self.restore(TUNING, SearchSpace.from_list(state["searched_space"]),
                         [TrialResult.from_dict(r) for r in state["results"]])
        else:
            self.restored.emit(TUNING)


class _SpaceOnly:
    """A stand-in spec for restored results: only the space is known."""

    twins = False

    def __init__(self, space: SearchSpace) -> None:
        self.space = space
