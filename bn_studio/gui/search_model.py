"""The studio's searches as one Qt model: the panels that show searches are views of it.

It owns every running ``Search`` (by name: "tuning", "alpha_range", a lesson's "grid" and
"random"), one timer that polls them all, the tuning searches' history and what a workspace
saves of the tuning search (its settings and results). Each run's ``results`` list is THE
table of its results: views connect to ``resultsAdded`` (the new rows), ``progressChanged``,
``finished`` and ``restored`` and read that list; none polls a search or keeps a copy.

Every tuning search is kept: each has its own store file in the app's data folder, so a
later search (even one cancelled at once) never replaces an earlier one, and ``history()``
lists them all, this session's and earlier ones', to reopen or resume.
"""

from __future__ import annotations

import logging
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, QTimer, Signal

from bn_studio.core import limits
from bn_studio.core.search import (DEFAULT_EXECUTOR, Progress, Search, SearchSpace,
                                   SearchSpaceError, SearchSpec, StoreError, TrialResult,
                                   TrialStore, best_result)
from bn_studio.core.search.trials import as_result
from bn_studio.core.training.trainer import TrainConfig

log = logging.getLogger(__name__)

POLL_INTERVAL_MS = 200
MAX_STORED = 50           # stored searches kept in the app's data folder; older ones go
TUNING = "tuning"


@dataclass
class SearchRun:
    """One search: its spec, its results (the one table of them) and the search running
    them (None for results restored from a workspace or a stored search)."""

    name: str
    spec: SearchSpec | _SpaceOnly | None      # _SpaceOnly: restored results, no spec
    search: Search | None = None
    results: list[TrialResult] = field(default_factory=list)
    store_path: str | None = None
    reported: bool = False          # 'finished' was emitted
    started: float = field(default_factory=time.time)
    cancelled: bool = False

    @property
    def running(self) -> bool:
        return self.search is not None and not self.search.finished.is_set()

    @property
    def space(self) -> SearchSpace | None:
        return self.spec.space if self.spec is not None else None

    @property
    def total(self) -> int:
        if self.search is not None:
            return self.search.total
        return getattr(self.spec, "trials", None) or len(self.results)

    @property
    def label(self) -> str:
        """What the history calls it: its store's name ("tuning-003") or "workspace"."""
        return Path(self.store_path).stem if self.store_path else self.name

    def best(self) -> TrialResult | None:
        return best_result(self.results)


class SearchModel(QObject):
    """Every search of the studio; one timer delivers their new results to the views."""

    started = Signal(str)                   # name
    resultsAdded = Signal(str, object)      # name, list[TrialResult] new since the last signal
    progressChanged = Signal(str, object)   # name, Progress
    finished = Signal(str)                  # name (its search's ``error`` says if it failed)
    restored = Signal(str)                  # name: results loaded, no search running
    historyChanged = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runs: dict[str, SearchRun] = {}
        self.kept: list[SearchRun] = []     # this session's tuning searches, oldest first
        self.settings: dict = {}            # the tuning panel's editor (space, trials, …)
        self.store_dir: Path | None = None  # where app searches are stored (None: app data)
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_INTERVAL_MS)
        self.timer.timeout.connect(self.poll)

    def start(self, name: str, spec: SearchSpec, split, *, workers: int | None = None,
              store: bool = False, resume_path: str | None = None,
              dataset_info: dict | None = None,
              executor: str = DEFAULT_EXECUTOR) -> SearchRun:
        """Start a search named ``name`` (it is shown in place of the last one of that name,
        which stays in the history). With ``store`` its trials go to a new SQLite file in
        ``stores()``; ``resume_path`` continues the search in that file. Raises
        SearchSpaceError, StoreError, ValueError with one line for the user."""
        if self.running(name):
            raise ValueError(f"the {name} search is still running")
        db, path = self._open_store(name, store, resume_path)
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
        if name == TUNING:
            self.kept = [r for r in self.kept if not (path and r.store_path == path)]
            self.kept.append(run)
            self.historyChanged.emit()
        search.start()
        self.started.emit(name)
        self.timer.start()
        self.poll()
        return run

    def _open_store(self, name: str, store: bool, resume_path: str | None):
        """(the trial store, its file or None): the resumed file, a new file in the app's
        data folder, or memory — a folder that cannot be written only costs the resume."""
        if resume_path:
            return TrialStore(resume_path), resume_path
        if store:
            try:
                path = str(self._new_store_path(name))
                return TrialStore(path), path
            except (OSError, StoreError) as e:
                log.warning("search not stored (%s)", e)
        return TrialStore(":memory:"), None

    def cancel(self, name: str) -> None:
        run = self.runs.get(name)
        if run is not None and run.search is not None:
            run.cancelled = True
            run.search.cancel()

    def running(self, name: str) -> bool:
        run = self.runs.get(name)
        return run is not None and run.running

    def run(self, name: str) -> SearchRun | None:
        return self.runs.get(name)

    def results(self, name: str) -> list[TrialResult]:
        """The results of the search shown under ``name`` (the model's own list: read it,
        do not change it)."""
        run = self.runs.get(name)
        return run.results if run is not None else []

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
                if name == TUNING:
                    self._forget_if_empty(run)
            else:
                active = True
        if not active:
            self.timer.stop()

    def _forget_if_empty(self, run: SearchRun) -> None:
        """A search cancelled before any trial finished leaves nothing to keep: its file
        goes, and the search before it is shown again (its results are never lost)."""
        if any(r.finished for r in run.results):
            self.historyChanged.emit()
            return
        if run in self.kept:
            self.kept.remove(run)
        if run.store_path:
            Path(run.store_path).unlink(missing_ok=True)
        earlier = [r for r in self.kept if r is not run]
        if earlier:
            self.runs[TUNING] = earlier[-1]
            self.restored.emit(TUNING)
        self.historyChanged.emit()

    def shutdown(self, timeout: float = 5.0) -> None:
        """Closing the window: stop every search and its processes; finished trials stay."""
        self.timer.stop()
        for run in self.runs.values():
            if run.search is not None:
                run.search.cancel()
        for run in self.runs.values():
            if run.search is not None:
                run.search.join(timeout)

    def restore(self, name: str, space: SearchSpace, results: list[TrialResult],
                spec: SearchSpec | None = None) -> SearchRun:
        """Show results that were saved (a workspace) with no search running."""
        if self.running(name):
            self.cancel(name)
        run = SearchRun(name, spec or _SpaceOnly(space), None, list(results))
        self.runs[name] = run
        self.restored.emit(name)
        return run

    def stores(self) -> Path:
        """The folder where searches started in the app are stored."""
        if self.store_dir is None:
            base = (QStandardPaths.writableLocation(
                        QStandardPaths.StandardLocation.AppDataLocation)
                    or os.path.join(os.path.expanduser("~"), ".bn-studio"))
            self.store_dir = Path(base) / "searches"
        return self.store_dir

    def _new_store_path(self, name: str) -> Path:
        folder = self.stores()
        folder.mkdir(parents=True, exist_ok=True)
        old = sorted(folder.glob("*.sqlite"), key=_mtime)
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
        """The stored searches, newest first: path, name, date, trials done of planned, best
        validation loss, the net, and the spec (as stored) — what the history and the
        'Resume' list show. A file in use, damaged or crafted is left out; one bad file never
        hides the others."""
        folder = self.stores()
        try:
            paths = sorted(folder.glob("*.sqlite"), key=_mtime, reverse=True) \
                if folder.is_dir() else []
        except OSError:
            return []
        out = []
        for path in paths[:MAX_STORED * 2]:
            live = next((r for r in self.runs.values() if r.running and r.store_path and
                         Path(r.store_path) == path), None)
            if live is not None:
                continue                          # its own run says more, and holds the lock
            try:
                entry = _describe(path)
            except (StoreError, SearchSpaceError, ValueError, TypeError, KeyError,
                    OSError) as e:
                log.info("stored search %s left out: %s", path.name, e)
                continue
            out.append(entry)
        return out

    def resume(self, path: str, split, *, workers: int | None = None,
               dataset_info: dict | None = None) -> SearchRun:
        """Continue the stored search in ``path`` on ``split``: it runs under the name it was
        stored as ("tuning-003" → "tuning"). Raises ValueError (one line) if the file is not
        a stored search or was searched on other data."""
        name, spec, data = self._stored_spec(path)
        if dataset_info is not None and data.get("sha1") != dataset_info.get("sha1"):
            raise ValueError(f"{_shown(path)} searched other data ("
                             f"{limits.shown(data.get('dataset', 'unknown'))}): open that "
                             "dataset first")
        return self.start(name, spec, split, workers=workers, resume_path=str(path),
                          dataset_info=data)

    def reopen(self, path: str) -> SearchRun:
        """Show a stored search's results (no search runs): the history's 'Open'."""
        kept = next((r for r in self.kept if r.store_path and Path(r.store_path) == Path(path)),
                    None)
        if kept is not None and not kept.running:
            self.runs[kept.name] = kept
            self.restored.emit(kept.name)
            return kept
        name, spec, _data = self._stored_spec(path)
        if self.running(name):
            raise ValueError(f"the {name} search is still running: cancel it first")
        try:
            db = TrialStore(path)
        except StoreError as e:
            raise ValueError(str(e)) from None
        try:
            results = db.results()
        except StoreError as e:
            raise ValueError(str(e)) from None
        finally:
            db.close()
        run = SearchRun(name, spec, None, results, str(path), reported=True,
                        started=_mtime(Path(path)))
        self.runs[name] = run
        self.restored.emit(name)
        return run

    def _stored_spec(self, path) -> tuple[str, SearchSpec, dict]:
        """(name, spec, data info) of the search stored in ``path``; ValueError (one line)
        if it is not a usable stored search."""
        try:
            db = TrialStore(path)
        except StoreError as e:
            raise ValueError(str(e)) from None
        try:
            stored = db.spec()
        except StoreError as e:
            raise ValueError(str(e)) from None
        finally:
            db.close()
        if not stored:
            raise ValueError(f"{_shown(path)}: not a stored search")
        spec = spec_from_stored(stored, _shown(path))
        name = Path(path).stem.rsplit("-", 1)[0]
        data = stored["data"] if isinstance(stored.get("data"), dict) else {}
        return name, spec, data

    def history(self) -> list[dict]:
        """Every tuning search to reopen, newest first: this session's (including the one
        running, and those kept only in memory) and the stored ones of earlier sessions.
        Each: label, path (None: memory only), started (epoch s), done, trials, best
        (val loss or None), net, seed, running, shown."""
        shown = self.runs.get(TUNING)
        out, paths = [], set()
        for run in reversed(self.kept):
            best = run.best()
            out.append({"label": run.label, "path": run.store_path, "started": run.started,
                        "done": sum(r.finished for r in run.results), "trials": run.total,
                        "best": best.val_loss if best else None, "net": _net(run.spec),
                        "seed": getattr(run.spec, "seed", None), "running": run.running,
                        "shown": run is shown, "run": run})
            if run.store_path:
                paths.add(str(Path(run.store_path)))
        for s in self.stored_searches():
            if s["path"] in paths or not s["name"].startswith(f"{TUNING}-"):
                continue
            out.append({"label": s["name"], "path": s["path"], "started": s["date"],
                        "done": s["done"], "trials": s["trials"], "best": s["best"],
                        "net": s["net"], "seed": s["seed"], "running": False,
                        "shown": shown is not None and shown.store_path is not None and
                        Path(shown.store_path) == Path(s["path"]), "run": None})
        return out

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
        self.settings = {k: state[k] for k in ("space", "trials", "steps", "strategy", "seed",
                                               "fixed_seed", "net") if k in state}
        if state.get("searched_space") and state.get("results"):
            self.restore(TUNING, SearchSpace.from_list(state["searched_space"]),
                         [as_result(r) for r in state["results"]])
        else:
            self.restored.emit(TUNING)


def spec_from_stored(stored: dict, name: str) -> SearchSpec:
    """The SearchSpec a store holds, checked as a file's content: ValueError (one line)."""
    try:
        trials = limits.check_trials(stored["trials"])
        spec = SearchSpec(SearchSpace.from_list(stored["space"]), trials,
                          TrainConfig.from_dict(stored["base"]),
                          seed=limits.check_seed(stored.get("seed", 0), "its seed"),
                          strategy=stored.get("strategy", "random"),
                          twins=stored.get("twins", False) is True,
                          same_seed=stored.get("same_seed", False) is True)
    except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as e:
        why = str(e).splitlines()[0] if str(e) else e.__class__.__name__
        raise ValueError(f"{name}: its stored search is damaged ({limits.shown(why)})") \
            from None
    return spec


def _describe(path: Path) -> dict:
    """A stored search's line in the history (StoreError, ValueError if unusable)."""
    db = TrialStore(path)
    try:
        stored, done, best = db.spec(), len(db.finished()), db.best_loss()
    finally:
        db.close()
    if not stored:
        raise ValueError("no search in it")
    spec = spec_from_stored(stored, path.name)
    return {"path": str(path), "name": path.stem, "date": _mtime(path), "done": done,
            "trials": spec.trials, "best": best,
            "net": _net(spec), "seed": spec.seed, "spec": stored}


def _net(spec) -> str:
    """Which net a search's trials train: "BN", "no BN", "both" or "as drawn" (a bn choice
    of 0 and 1)."""
    if spec is None or not hasattr(spec, "trials"):
        return ""
    if getattr(spec, "twins", False):
        return "both"
    bn = next((p for p in spec.space if p.name == "bn"), None)
    if bn is None:
        return "BN"
    values = set(bn.low) if bn.scale == "choice" else {0, 1}
    return "no BN" if values == {0} else "BN" if values == {1} else "BN or not"


def _mtime(path: Path) -> float:
    try:
        value = path.stat().st_mtime
    except OSError:
        return 0.0
    return value if math.isfinite(value) else 0.0


def _shown(path) -> str:
    return limits.shown(Path(path).name).strip("'\"")


class _SpaceOnly:
    """A stand-in spec for restored results: only the space is known."""

    twins = False

    def __init__(self, space: SearchSpace) -> None:
        self.space = space
