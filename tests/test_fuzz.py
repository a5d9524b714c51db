"""Fuzzing the three readers of outside data: whatever the bytes, the CSV loader, the workspace
loader and the settings reader either give usable data or one clear line, never another
exception. A small example budget keeps CI fast; raise it locally with HYPOTHESIS_EXAMPLES."""

import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bn_studio.core import limits
from bn_studio.core.data.csv_read import load_csv
from bn_studio.core.data.datasets import DatasetError, split_and_standardize
from bn_studio.workspace import WorkspaceError, check_workspace, load_workspace, read_dataset

EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "50"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

FIELDS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10**30, 10**30).map(str),
    st.sampled_from(["", "NA", "nan", "?", "-", "x", "label", "a,b", '"q"', '"un', "1e300",
                     "-1e308", "1e-320", "٣", "\x00", "\ufeff", " 1 ", "0x10", "1_000"]),
    st.text(max_size=8),
)
SEPARATORS = st.sampled_from([",", ";", "\t", "|", " "])
ENDINGS = st.sampled_from(["\n", "\r\n", "\r", "\n\n"])


@st.composite
def csv_texts(draw):
    """Mostly CSV-shaped text (rows of mixed fields), sometimes with a broken row."""
    width = draw(st.integers(1, 6))
    sep, end = draw(SEPARATORS), draw(ENDINGS)
    rows = draw(st.lists(st.lists(FIELDS, min_size=width, max_size=width), max_size=40))
    if draw(st.booleans()):
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        rows += [[f"{a:.3f}", f"{b:.3f}", str(c)] + ["0"] * (width - 3)
                 for a, b, c in zip(rng.normal(size=30), rng.normal(size=30),
                                    rng.integers(0, 3, 30))]
    return end.join(sep.join(r) for r in rows)


def _write(data) -> Path:
    fd, name = tempfile.mkstemp(suffix=".csv", prefix="bn-fuzz-")
    with os.fdopen(fd, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass"))
    return Path(name)


def _load_or_refuse(data) -> None:
    path = _write(data)
    try:
        ds = load_csv(path)
    except DatasetError as e:
        assert "\n" not in str(e) and str(e).startswith(path.name)
        return
    finally:
        path.unlink()
    assert ds.X.shape[1] == 2 and np.all(np.isfinite(ds.X))
    assert limits.MIN_POINTS <= len(ds.y) <= limits.MAX_POINTS
    assert 2 <= ds.classes <= limits.MAX_CLASSES and ds.y.max() < ds.classes
    try:
        split_and_standardize(ds)
    except DatasetError as e:
        assert "\n" not in str(e)


@FUZZ
@given(csv_texts())
def test_csv_loader_on_csv_shaped_text(text):
    _load_or_refuse(text)


@FUZZ
@given(st.binary(max_size=4000))
def test_csv_loader_on_any_bytes(data):
    _load_or_refuse(data)


# Workspaces
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats(allow_nan=False)
    | st.text(max_size=10),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=30)

GOOD = {"format": "bn-studio-workspace", "version": 1,
        "config": {"hidden": [8, 8], "lr": 0.01, "optimizer": "adam", "seed": 0},
        "dataset": {"kind": "generated", "name": "moons", "n": 200, "noise": 0.1,
                    "classes": None, "seed": 0},
        "search": {"space": [{"name": "lr", "scale": "log", "low": 0.001, "high": 1}],
                   "trials": 20, "steps": 300, "strategy": "random"}}
PATHS = [("config",), ("config", "hidden"), ("config", "lr"), ("config", "seed"),
         ("config", "batch"), ("config", "activation"), ("dataset",), ("dataset", "n"),
         ("dataset", "name"), ("dataset", "kind"), ("dataset", "noise"), ("dataset", "classes"),
         ("dataset", "X"), ("dataset", "y"), ("search",), ("search", "space"),
         ("search", "trials"), ("search", "results"), ("search", "searched_space"), ("version",)]
# A dataset that refers to its CSV file (workspace version 2): each field replaced by any JSON,
# or the path by a hostile place (a device, a folder, nothing, a relative path).
GOOD_CSV = {**GOOD, "version": 2,
            "dataset": {"kind": "csv", "name": "d.csv", "path": "/nonexistent/d.csv",
                        "relative_path": "d.csv", "columns": None, "bytes": 1000,
                        "sha256": "a" * 64, "points": 100, "class_names": ["0", "1"],
                        "data_sha256": "b" * 64}}
CSV_PATHS = [("dataset", k) for k in GOOD_CSV["dataset"]]
HOSTILE_PATHS = st.sampled_from(["/dev/zero", "/dev/null", "/", "/proc/self/mem", "/etc",
                                 "relative.csv", "", "/nonexistent/x.csv", "/tmp/\x00.csv",
                                 "/" + "a" * 5000, "../../../../etc/passwd", "~/d.csv"])


@st.composite
def workspaces(draw, good=GOOD, paths=PATHS):
    """A good workspace with a few parts replaced by arbitrary JSON."""
    doc = json.loads(json.dumps(good))
    for path in draw(st.lists(st.sampled_from(paths), min_size=1, max_size=3)):
        node = doc
        for key in path[:-1]:
            if not isinstance(node.get(key), dict):
                node[key] = {}
            node = node[key]
        hostile = path[-1] in ("path", "relative_path") and draw(st.booleans())
        node[path[-1]] = draw(HOSTILE_PATHS if hostile else JSON)
    return doc


def _check_doc(text: str) -> None:
    fd, name = tempfile.mkstemp(suffix=".json", prefix="bn-fuzz-")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    try:
        ws = check_workspace(load_workspace(name))
        if ws.reference is not None:                # find, check and read its file
            read_dataset(ws.reference, Path(name).parent)
    except WorkspaceError as e:
        assert "\n" not in str(e)
    finally:
        os.unlink(name)


@FUZZ
@given(workspaces())
def test_workspace_loader_on_mutated_workspaces(doc):
    _check_doc(json.dumps(doc))


@FUZZ
@given(workspaces(GOOD_CSV, PATHS + CSV_PATHS))
def test_workspace_loader_on_mutated_file_references(doc):
    _check_doc(json.dumps(doc))


@FUZZ
@given(st.text(max_size=300))
def test_workspace_loader_on_any_text(text):
    _check_doc(text)


# Saved settings
# What QSettings can hold: text (JSON or not), 64-bit integers, floats, bytes, lists of text.
SETTING_VALUES = st.one_of(JSON.map(json.dumps), st.text(max_size=50),
                           st.integers(-2**63, 2**63 - 1), st.floats(), st.binary(max_size=20),
                           st.lists(st.text(max_size=5), max_size=3))


@pytest.fixture(scope="module")
def qsettings(qapp):
    from bn_studio.gui import settings as gui_settings
    return gui_settings


@FUZZ
@given(st.dictionaries(st.sampled_from(["config", "dataset", "theme", "window/geometry",
                                        "window/state", "version"]),
                       SETTING_VALUES, min_size=1))
def test_settings_reader_on_any_saved_values(qsettings, settings_window, values):
    s = qsettings.settings()
    s.clear()
    for key, value in values.items():
        s.setValue(key, value)
    try:
        qsettings.restore_window(settings_window())
    finally:
        s.clear()
