"""Workspaces that refer to their imported CSV file instead of holding its points: the round
trip, a moved, changed or missing file, hostile references, and the old format."""

import hashlib
import json
import os
import shutil

import numpy as np
import pytest

from bn_studio import workspace
from bn_studio.core.data import csv_source
from bn_studio.core import limits
from bn_studio.core.data.csv_read import load_csv
from bn_studio.workspace import (WorkspaceError, check_workspace, dataset_section,
                                 load_workspace, read_dataset, save_workspace)

ROWS = 60
INLINE = 20                     # below ROWS: the test files count as big


@pytest.fixture(autouse=True)
def small_inline_limit(monkeypatch):
    monkeypatch.setattr(limits, "MAX_INLINE_POINTS", INLINE)


def write_csv(path, rows=ROWS, shift=0.0):
    path.write_text("x1,x2,label\n" + "".join(
        f"{i / 7 + shift:.6f},{(i * 3) % 11 - 5:.3f},{'ab'[i % 2]}\n" for i in range(rows)))
    return path


def save_with(csv, ws_path, config=None):
    ds = csv_source.load_sourced(csv)
    save_workspace(ws_path, {"config": config or {"hidden": [8]},
                             "dataset": dataset_section(ds, ws_path.parent)})
    return ds


def reopen(ws_path):
    ws = check_workspace(load_workspace(ws_path))
    return ws, read_dataset(ws.reference, ws_path.parent)


def test_a_big_import_is_saved_as_a_reference_and_reopens_identical(tmp_path):
    csv = write_csv(tmp_path / "data.csv")
    ds = save_with(csv, tmp_path / "w.json")
    doc = json.loads((tmp_path / "w.json").read_text())
    assert doc["version"] == 2 and doc["dataset"]["kind"] == "csv"
    assert doc["dataset"]["path"] == str(csv) and doc["dataset"]["relative_path"] == "data.csv"
    assert doc["dataset"]["bytes"] == csv.stat().st_size and "X" not in doc["dataset"]
    ws, again = reopen(tmp_path / "w.json")
    assert ws.dataset is None and ws.generated is None and ws.config.hidden == (8,)
    np.testing.assert_array_equal(again.X, ds.X)
    np.testing.assert_array_equal(again.y, ds.y)
    assert again.class_names == ds.class_names and again.name == "data.csv"
    assert again.source == ds.source            # saved again, it refers to the same file


def test_small_imports_and_drawn_points_stay_inline_and_version_1(tmp_path):
    csv = write_csv(tmp_path / "small.csv", rows=INLINE)
    save_with(csv, tmp_path / "w.json")
    doc = json.loads((tmp_path / "w.json").read_text())
    assert doc["version"] == 1 and doc["dataset"]["kind"] == "points"
    assert len(doc["dataset"]["X"]) == INLINE


def test_a_file_that_moved_with_its_workspace_is_found(tmp_path):
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    ds = save_with(write_csv(project / "data" / "d.csv"), project / "w.json")
    moved = tmp_path / "elsewhere"
    shutil.move(project, moved)
    ws, again = reopen(moved / "w.json")
    np.testing.assert_array_equal(again.X, ds.X)
    assert again.source.path == str(moved / "data" / "d.csv")
    assert "elsewhere" in csv_source.moved_note(ws.reference, again)


def test_a_file_next_to_the_workspace_is_found(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    ds = save_with(write_csv(tmp_path / "a" / "d.csv"), tmp_path / "a" / "w.json")
    shutil.move(tmp_path / "a" / "w.json", tmp_path / "b" / "w.json")
    shutil.move(tmp_path / "a" / "d.csv", tmp_path / "b" / "d.csv")
    np.testing.assert_array_equal(reopen(tmp_path / "b" / "w.json")[1].y, ds.y)


def test_a_missing_file_is_named(tmp_path):
    csv = write_csv(tmp_path / "gone.csv")
    save_with(csv, tmp_path / "w.json")
    csv.unlink()
    with pytest.raises(WorkspaceError) as e:
        reopen(tmp_path / "w.json")
    assert "gone.csv is missing" in str(e.value) and str(csv) in str(e.value)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("change, words", [
    (lambda p: write_csv(p, rows=ROWS + 1), "bytes now"),
    (lambda p: p.write_bytes(p.read_bytes().replace(b"0.142857", b"0.142858")),
     "same size"),
])
def test_a_changed_file_says_what_differs(tmp_path, change, words):
    csv = write_csv(tmp_path / "d.csv")
    save_with(csv, tmp_path / "w.json")
    change(csv)
    with pytest.raises(WorkspaceError, match=words) as e:
        reopen(tmp_path / "w.json")
    assert "has changed since the workspace was saved" in str(e.value)
    assert str(csv) in str(e.value)


def test_saving_warns_when_the_file_changed_since_the_import(tmp_path):
    csv = write_csv(tmp_path / "d.csv")
    ds = csv_source.load_sourced(csv)
    section = dataset_section(ds, tmp_path)
    assert workspace.stale_reference(section) is None
    write_csv(csv, shift=1.0)
    assert "has changed since it was imported" in workspace.stale_reference(section)
    assert workspace.stale_reference({"kind": "points"}) is None


def test_a_file_that_now_reads_differently_is_refused(tmp_path):
    csv = write_csv(tmp_path / "d.csv")
    save_with(csv, tmp_path / "w.json")
    doc = json.loads((tmp_path / "w.json").read_text())
    doc["dataset"]["data_sha256"] = "0" * 64
    (tmp_path / "w.json").write_text(json.dumps(doc))
    with pytest.raises(WorkspaceError, match="other values"):
        reopen(tmp_path / "w.json")
    doc["dataset"]["points"] = ROWS - 1
    (tmp_path / "w.json").write_text(json.dumps(doc))
    with pytest.raises(WorkspaceError, match=f"reads as {ROWS} points"):
        reopen(tmp_path / "w.json")


def test_a_file_changed_while_it_was_read_is_not_taken(tmp_path):
    csv = write_csv(tmp_path / "d.csv")
    ds = csv_source.load_sourced(csv)
    ref = csv_source.reference_of(ds, tmp_path)

    def rewritten_while_read(path):
        yield 0.5
        write_csv(csv, shift=2.0)
        return load_csv(path)
    steps = csv_source.read_reference_steps(ref, tmp_path, rewritten_while_read)
    with pytest.raises(csv_source.SourceError, match="changed while it was being read"):
        list(steps)


def test_an_import_of_a_file_that_changed_while_read_has_no_source(tmp_path):
    csv = write_csv(tmp_path / "d.csv")

    def rewritten_while_read(path):
        ds = load_csv(path)
        write_csv(csv, shift=3.0)
        return ds
    assert csv_source.load_sourced(csv, rewritten_while_read).source is None
    assert csv_source.load_sourced(csv).source.size == csv.stat().st_size


def _reference(tmp_path, **fields):
    csv = write_csv(tmp_path / "d.csv")
    section = dataset_section(csv_source.load_sourced(csv), tmp_path)
    return {"format": "bn-studio-workspace", "version": 2, "config": {"hidden": [8]},
            "dataset": {**section, **fields}}


@pytest.mark.parametrize("fields, words", [
    ({"path": 42}, "path must be text"),
    ({"path": None}, "path must be text"),
    ({"path": "relative/d.csv"}, "must be absolute"),
    ({"path": "/x" * 5000}, "path must be text of 1 to 4,096"),
    ({"path": "/tmp/a\0b.csv"}, "path must be text"),
    ({"relative_path": ["x"]}, "relative_path must be text"),
    ({"sha256": "abc"}, "sha256 must be 64 hexadecimal"),
    ({"sha256": "G" * 64}, "sha256 must be 64 hexadecimal"),
    ({"sha256": 10**70}, "sha256 must be 64 hexadecimal"),
    ({"data_sha256": None}, "data_sha256 must be 64"),
    ({"bytes": -1}, "bytes must be at least 1"),
    ({"bytes": 0}, "bytes must be at least 1"),     # an empty pseudo-file (/proc) is not read
    ({"bytes": 10**12}, "limit on CSV file size"),
    ({"bytes": "many"}, "bytes must be a whole number"),
    ({"points": 10**9}, "limit on points"),
    ({"class_names": ["only"]}, "class_names must be a list"),
    ({"class_names": [1, 2]}, "class_names must be a list"),
    ({"columns": 7}, "columns must be text"),
    ({"name": ""}, "name must be text"),
])
def test_malformed_references_refuse_the_workspace_in_one_line(tmp_path, fields, words):
    with pytest.raises(WorkspaceError) as e:
        check_workspace(_reference(tmp_path, **fields))
    assert words in str(e.value) and "\n" not in str(e.value)


def _hostile_target(tmp_path, kind):
    if kind == "fifo":
        os.mkfifo(tmp_path / "fifo")
        return str(tmp_path / "fifo")
    if kind == "folder":
        return str(tmp_path)
    if kind == "huge":
        with open(tmp_path / "huge.csv", "wb") as f:
            f.truncate(limits.MAX_CSV_BYTES + 1)        # sparse: takes no disk
        return str(tmp_path / "huge.csv")
    return "/dev/zero"


@pytest.mark.parametrize("kind, words", [("fifo", "not a regular file"),
                                         ("dev", "not a regular file"),
                                         ("folder", "is a folder"),
                                         ("huge", "limit on CSV file size")])
def test_a_reference_to_a_device_fifo_folder_or_huge_file_is_one_line(tmp_path, kind, words):
    """Refused from the file's type and size, before reading a byte: no hang, no traceback."""
    doc = _reference(tmp_path, path=_hostile_target(tmp_path, kind), relative_path=None)
    os.unlink(tmp_path / "d.csv")           # nor found next to the workspace
    ws = check_workspace(doc)
    with pytest.raises(WorkspaceError) as e:
        read_dataset(ws.reference, tmp_path)
    assert words in str(e.value) and "\n" not in str(e.value)
    assert "The workspace's data file" in str(e.value)


def test_a_version_1_workspace_with_inline_points_still_opens(tmp_path):
    """A file as BN Studio wrote it before references existed."""
    old = {"format": "bn-studio-workspace", "version": 1, "config": {"hidden": [8], "lr": 0.1},
           "dataset": {"kind": "points", "name": "old.csv", "X": [[i, i % 3] for i in range(20)],
                       "y": [i % 2 for i in range(20)], "class_names": ["a", "b"]}}
    (tmp_path / "old.json").write_text(json.dumps(old, indent=1))
    ws = check_workspace(load_workspace(tmp_path / "old.json"))
    assert ws.reference is None and ws.dataset.name == "old.csv" and ws.dataset.X.shape == (20, 2)


def test_a_workspace_from_a_newer_version_asks_for_an_update(tmp_path):
    (tmp_path / "w.json").write_text(json.dumps({"format": "bn-studio-workspace",
                                                 "version": workspace.VERSION + 1}))
    with pytest.raises(WorkspaceError, match="newer"):
        load_workspace(tmp_path / "w.json")


def test_a_fifo_workspace_is_refused_without_waiting_for_a_writer(tmp_path):
    os.mkfifo(tmp_path / "w.json")
    with pytest.raises(WorkspaceError, match="not a regular file"):
        load_workspace(tmp_path / "w.json")


def test_a_file_that_now_fails_to_read_names_it_once(tmp_path, monkeypatch):
    csv = write_csv(tmp_path / "d.csv")
    ref = csv_source.reference_of(csv_source.load_sourced(csv), tmp_path)

    def refuses(path, columns=None):
        raise csv_source.DatasetError(f"{os.path.basename(path)}: line 3: not a number")
        yield
    with pytest.raises(csv_source.SourceError) as e:
        list(csv_source.read_reference_steps(ref, tmp_path, refuses))
    assert str(e.value) == f"The workspace's data file {csv}: line 3: not a number"


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs /proc")
def test_pseudo_files_that_report_no_size_are_not_read():
    """/proc files say 0 bytes; some (/proc/kmsg) block when read: only st_size is hashed."""
    assert csv_source.file_sha256("/proc/self/status") == (0, hashlib.sha256(b"").hexdigest())


def test_long_class_names_from_the_file_round_trip(tmp_path):
    """Whatever the reader takes as a label (up to a field's limit) a reference takes too."""
    long = "x" * 5000
    csv = tmp_path / "d.csv"
    csv.write_text("a,b,label\n" + "".join(f"{i},{i % 3},{long if i % 2 else 'short'}\n"
                                            for i in range(ROWS)))
    ds = save_with(csv, tmp_path / "w.json")
    assert reopen(tmp_path / "w.json")[1].class_names == ds.class_names
