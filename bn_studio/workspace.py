"""Workspace files: the user's dataset, network, optimizer, seed and search, as plain JSON.

Written atomically (temp file in the same folder, fsync, rename), so a crash mid-write leaves
the previous file intact. No pickle: a workspace is data, never code.

The dataset is stored as the gallery's settings (``generated``), as points (``points``: drawn
data, and imported data of up to limits.MAX_INLINE_POINTS points) or, for a larger imported
file, as a reference to that file (``csv``, version 2; core/csv_source.py), read again and
checked when the workspace opens. A file is written with the lowest version that holds it,
so that older BN Studio versions still open what they can read.
"""

from __future__ import annotations

import json
import math
import numbers
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bn_studio.core.data import csv_source
from bn_studio.core import limits
from bn_studio.core.data.datasets import DatasetError
from bn_studio.errors import checked

if TYPE_CHECKING:
    from bn_studio.core.data.csv_source import CsvReference
    from bn_studio.core.data.datasets import Dataset
    from bn_studio.core.training.trainer import TrainConfig

FORMAT = "bn-studio-workspace"
VERSION = 2                     # the newest this version reads; 2 added the "csv" dataset kind


class WorkspaceError(ValueError):
    """A workspace file that cannot be used; the message is one line for the user."""


def save_workspace(path, state: dict) -> None:
    """Write ``state`` (JSON-able dict) to ``path`` atomically."""
    path = Path(path)
    doc = _clean({"format": FORMAT, "version": _version_for(state), **state})
    text = json.dumps(doc, indent=1, allow_nan=False)
    if len(text) > limits.MAX_WORKSPACE_BYTES:      # still loadable without the indentation?
        text = json.dumps(doc, separators=(",", ":"), allow_nan=False)
    limits.check_file_size(len(text.encode("utf-8")), path.name, limits.MAX_WORKSPACE_BYTES,
                           WorkspaceError, "workspace file")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
            os.chmod(tmp, _file_mode(path))     # mkstemp's 0600 would ignore the umask
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _version_for(state: dict) -> int:
    dataset = state.get("dataset")
    return 2 if isinstance(dataset, dict) and dataset.get("kind") == "csv" else 1


def dataset_section(ds, folder=None) -> dict:
    """The ``dataset`` section for imported or drawn points: the points themselves, or a
    reference to the imported file when there are more than limits.MAX_INLINE_POINTS (the
    workspace being saved in ``folder``, so that the file can be found if both move)."""
    if ds.source is not None and ds.X.shape[0] > limits.MAX_INLINE_POINTS:
        return csv_source.to_dict(csv_source.reference_of(ds, folder or "."))
    return {"kind": "points", "name": ds.name, "X": ds.X, "y": ds.y,
            "class_names": list(ds.class_names), "feature_names": list(ds.feature_names)}


def stale_reference(section: dict) -> str | None:
    """For a ``csv`` section about to be saved: why its file no longer holds the data (the
    workspace would open without it), or None."""
    if section.get("kind") != "csv":
        return None
    return csv_source.stale(csv_source.from_dict(section, WorkspaceError).source)


def _file_mode(path: Path) -> int:
    """The mode a new file gets here (0666 less the umask), or the mode of the file replaced."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def load_workspace(path) -> dict:
    """Read a workspace; refuse broken, foreign, oversized or newer files with a clear message."""
    path = Path(path)
    data = limits.read_small_file(path, limits.MAX_WORKSPACE_BYTES, WorkspaceError,
                                  "workspace file")
    try:
        text = limits.json_text(data)
    except UnicodeDecodeError as e:
        raise WorkspaceError(f"{path.name}: cannot be read ({e.__class__.__name__})") from None
    if text.count("[") + text.count("{") > limits.MAX_WORKSPACE_CONTAINERS:
        raise WorkspaceError(f"{path.name}: more than {limits.MAX_WORKSPACE_CONTAINERS:,} lists "
                             "and objects (the limit on workspace contents)")
    if text.count('"') > 2 * limits.MAX_WORKSPACE_TEXTS:      # (an escaped quote counts too)
        raise WorkspaceError(f"{path.name}: more than {limits.MAX_WORKSPACE_TEXTS:,} texts "
                             "(the limit on workspace contents)")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise WorkspaceError(f"{path.name}: not a valid workspace (broken JSON at line "
                             f"{e.lineno}, column {e.colno})") from None
    except RecursionError:
        raise WorkspaceError(f"{path.name}: not a valid workspace (nested too deeply)") from None
    except ValueError as e:                 # e.g. a number with more than 4300 digits
        raise WorkspaceError(f"{path.name}: not a valid workspace ({e})".splitlines()[0]) \
            from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise WorkspaceError(f"{path.name}: not a BN Studio workspace file")
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise WorkspaceError(f"{path.name}: workspace has no valid version number")
    if version > VERSION:
        raise WorkspaceError(f"{path.name}: made by a newer BN Studio (workspace version "
                             f"{version}, this version reads up to {VERSION}); please update")
    return doc


@dataclass
class Workspace:
    """A checked workspace, ready to apply: every part is usable, so applying cannot fail
    halfway. ``generated`` holds a gallery dataset's settings, ``dataset`` drawn/imported
    points, ``reference`` an imported file still to read (read_dataset; exactly one of the
    three is set)."""

    config: TrainConfig
    generated: dict | None
    dataset: Dataset | None
    search: dict | None
    reference: CsvReference | None = None


def preflight(path) -> None:
    """What opening the workspace at ``path`` would refuse before its data file is read, as
    one WorkspaceError: a broken or invalid file, or a data file in none of its places."""
    ws = check_workspace(load_workspace(path))
    if ws.reference is not None:
        problem = csv_source.missing(ws.reference, Path(path).parent)
        if problem is not None:
            raise WorkspaceError(problem)


def read_dataset(ref, folder=None):
    """The dataset a ``csv`` section refers to, read and checked here and now (scripts, the
    command line); WorkspaceError with one line naming the file and what differs."""
    try:
        return csv_source.read_reference(ref, folder)
    except DatasetError as e:
        raise WorkspaceError(str(e)) from None


def check_workspace(doc: dict) -> Workspace:
    """Validate the whole document before anything is applied (all or nothing). Every problem,
    whatever its type (a string for a number, a huge list, 1e400), is one WorkspaceError."""
    return checked(_check, doc, WorkspaceError, "workspace has invalid settings")


def _section(doc: dict, key: str) -> dict:
    value = doc.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise WorkspaceError(f"workspace's {key!r} must be an object, not {limits.shown(value)}")
    return value


def _check(doc: dict) -> Workspace:
    from bn_studio.core.data.datasets import (Dataset, check_dataset, make_dataset,
                                              split_and_standardize)
    from bn_studio.core.training.trainer import TrainConfig
    config = TrainConfig.from_dict(_section(doc, "config"))
    d = _section(doc, "dataset")
    generated, ds, ref = None, None, None
    if d.get("kind") == "csv":
        ref = csv_source.from_dict(d, WorkspaceError)
        points = ref.points
    elif d.get("kind") == "points":
        X, y = _array(d.get("X"), "dataset X", 2), _array(d.get("y"), "dataset y", 1)
        names = d.get("class_names")
        if not isinstance(names, list) or len(names) > limits.MAX_CLASSES:
            raise WorkspaceError(f"workspace's class_names must be a list of at most "
                                 f"{limits.MAX_CLASSES} names")
        name = d.get("name", "workspace")
        ds = Dataset(X.astype("float64"), y.astype("int64"), [str(c) for c in names],
                     name if isinstance(name, str) and name else "workspace",
                     feature_names=_feature_names(d.get("feature_names")))
        check_dataset(ds)
        split_and_standardize(ds, seed=0)
        points = ds.X.shape[0]
    else:
        if d.get("kind", "generated") != "generated":
            raise WorkspaceError("workspace's dataset kind must be 'generated', 'points' or "
                                 f"'csv', not {limits.shown(d.get('kind'))}")
        if "name" not in d:
            from bn_studio.core.data.datasets import DATASETS
            raise WorkspaceError(("workspace has no dataset" if not d else
                                  "workspace's dataset has no name")
                                 + f": it needs a \"dataset\" object naming one of "
                                 f"{', '.join(DATASETS)} (or holding points, or a CSV file)")
        generated = {k: d[k] for k in ("name", "n", "noise", "classes", "seed") if k in d}
        made = make_dataset(**generated)
        split_and_standardize(made, seed=0)
        points = made.X.shape[0]
    limits.check_trainer_size(points, config.hidden)      # as the model checks it
    search = _check_search(doc.get("search"))
    return Workspace(config, generated, ds, search, ref)


def _feature_names(value) -> tuple[str, str]:
    """The two columns imported points came from (older workspaces: x₁, x₂)."""
    from bn_studio.core.data.datasets import FEATURE_NAMES
    if value is None:
        return FEATURE_NAMES
    if (not isinstance(value, list) or len(value) != 2
            or not all(isinstance(n, str) and 0 < len(n) <= limits.MAX_NAME_CHARS
                       and "\0" not in n for n in value)):
        raise WorkspaceError(f"workspace's feature_names must be two names of 1 to "
                             f"{limits.MAX_NAME_CHARS} characters, not {limits.shown(value)}")
    return value[0], value[1]


def _array(value, what: str, ndim: int):
    """A list of numbers (ndim 1) or of pairs (ndim 2), no larger than the point limit."""
    import numpy as np
    if not isinstance(value, list):
        raise WorkspaceError(f"workspace's {what} must be a list")
    limits.check_int(len(value), f"workspace's {what}: points", high=limits.MAX_POINTS,
                     exc=WorkspaceError, limit="the limit on points")
    for v in value:
        row = v if ndim == 2 and isinstance(v, list) and len(v) == 2 else \
            [v] if ndim == 1 else None
        if row is None or not all(isinstance(x, numbers.Real) and not isinstance(x, bool)
                                  for x in row):
            raise WorkspaceError(f"workspace's {what} must hold "
                                 f"{'(x, y) pairs' if ndim == 2 else 'whole numbers'}")
    return np.asarray(value, dtype=np.float64).reshape((-1, 2) if ndim == 2 else (-1,))


def _check_search(search) -> dict | None:
    """The tuning panel's section: a usable space, counts within the limits, and results the
    panel can show (each with the searched parameters, a known status, numbers or null)."""
    from bn_studio.core.search import STATUSES, SearchSpace
    if search is None or search == {}:
        return None
    if not isinstance(search, dict):
        raise WorkspaceError("workspace's 'search' must be an object")
    out = dict(search)
    if search.get("space"):
        SearchSpace.from_list(search["space"])
    for key, check in (("trials", limits.check_trials), ("steps", limits.check_steps)):
        if key in search:
            out[key] = check(search[key])
    if search.get("strategy", "random") not in ("random", "grid"):
        raise WorkspaceError("workspace's search strategy must be random or grid")
    results = search.get("results") or []
    if not isinstance(results, list) or len(results) > limits.MAX_TRIALS:
        raise WorkspaceError(f"workspace's search results must be a list of at most "
                             f"{limits.MAX_TRIALS:,} trials")
    if search.get("searched_space") and results:
        space = SearchSpace.from_list(search["searched_space"])
        # Checked once, kept as built: 10,000 results are not read twice.
        out["results"] = [_check_result(r, space, STATUSES) for r in results]
    return out


def _check_result(r, space, statuses):
    """A saved result as a TrialResult: its own checks (every field's type), then the
    searched parameters present and usable, and the metrics finite."""
    from bn_studio.core.search import TrialResult
    if not isinstance(r, dict) or not isinstance(r.get("params"), dict):
        raise WorkspaceError("workspace's search results must be objects with params")
    limits.check_int(r.get("trial"), "a search result's trial", 0, exc=WorkspaceError)
    if r.get("status") not in statuses:
        raise WorkspaceError("a search result has an unknown status "
                             f"{limits.shown(r.get('status'))}")
    for p in space:
        v = r["params"].get(p.name)
        ok = v in p.low if p.scale == "choice" else _finite(v)
        if not ok:
            raise WorkspaceError(f"a search result's {p.name} is missing or not usable")
    curve = r.get("curve")
    if curve is not None and not (isinstance(curve, dict) and isinstance(curve.get("step"), list)
                                  and isinstance(curve.get("val_loss"), list)):
        raise WorkspaceError("a search result's curve must be lists of steps and losses")
    try:
        return TrialResult.from_dict({"seed": 0, **r})
    except (ValueError, TypeError) as e:
        raise WorkspaceError(f"{e}".splitlines()[0].replace("a trial result", "a search result")
                             ) from None


def _finite(v) -> bool:
    """A finite real number, not a bool (a JSON integer beyond any float is not)."""
    try:
        return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)
    except OverflowError:
        return False


def _clean(obj):
    """JSON-safe copy: tuples → lists, NumPy scalars/arrays → Python, NaN/inf → None."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if hasattr(obj, "tolist"):
        return _clean(obj.tolist())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
