import json
import os

import numpy as np
import pytest

from bn_studio import workspace
from bn_studio.workspace import WorkspaceError, load_workspace, save_workspace

STATE = {"dataset": {"name": "moons", "n": 300, "noise": 0.1, "classes": None, "seed": 0},
         "config": {"hidden": (16, 16), "lr": 0.01, "optimizer": "adam"},
         "points": np.array([[0.5, 1.0], [2.0, -1.0]]), "labels": np.array([0, 1]),
         "search": {"results": [{"val_loss": float("nan"), "status": "diverged"}]}}


def test_round_trip(tmp_path):
    p = tmp_path / "w.json"
    save_workspace(p, STATE)
    doc = load_workspace(p)
    assert doc["config"]["hidden"] == [16, 16]
    assert doc["points"] == [[0.5, 1.0], [2.0, -1.0]]
    assert doc["search"]["results"][0]["val_loss"] is None      # NaN is not JSON
    assert doc["version"] == 1          # no file reference: older versions can still open it


def test_crash_mid_write_keeps_the_old_file(tmp_path, monkeypatch):
    p = tmp_path / "w.json"
    save_workspace(p, STATE)
    before = p.read_bytes()

    def crash(*a, **k):
        raise KeyboardInterrupt("power cut")
    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        save_workspace(p, {"config": {"lr": 1.0}})
    assert p.read_bytes() == before
    assert [f.name for f in tmp_path.iterdir()] == ["w.json"]      # no temp file left behind


@pytest.mark.parametrize("content, words", [
    ("{not json", "broken JSON"),
    ('{"format": "something-else", "version": 1}', "not a BN Studio workspace"),
    ('[1, 2, 3]', "not a BN Studio workspace"),
    ('{"format": "bn-studio-workspace"}', "version"),
    ('{"format": "bn-studio-workspace", "version": 99}', "newer"),
])
def test_bad_files_are_refused_clearly(tmp_path, content, words):
    p = tmp_path / "w.json"
    p.write_text(content)
    with pytest.raises(WorkspaceError, match=words) as e:
        load_workspace(p)
    assert "\n" not in str(e.value)


def test_missing_and_binary_files(tmp_path):
    with pytest.raises(WorkspaceError, match="no such file"):
        load_workspace(tmp_path / "nope.json")
    p = tmp_path / "bin.json"
    p.write_bytes(b"\x00\xff\xfe\x80")
    with pytest.raises(WorkspaceError):
        load_workspace(p)


def test_written_file_is_plain_json(tmp_path):
    p = tmp_path / "w.json"
    save_workspace(p, STATE)
    assert json.loads(p.read_text())["format"] == "bn-studio-workspace"


def _doc(**parts):
    base = {"format": "bn-studio-workspace", "version": 1,
            "config": {"hidden": [8, 8], "lr": 0.01},
            "dataset": {"kind": "generated", "name": "moons", "n": 200, "noise": 0.1,
                        "classes": None, "seed": 0}}
    return {**base, **parts}


HOSTILE = [
    ('{"format": "bn-studio-workspace", "version": ' + "9" * 5000 + "}", "not a valid"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    (json.dumps(_doc(version=True)), "version"),
    (json.dumps(_doc(dataset={"name": "moons", "n": 10_000_000})), "limit on points"),
    (json.dumps(_doc(dataset={"name": "moons", "n": "600"})), "whole number"),
    (json.dumps(_doc(dataset={"name": "moons", "n": 600, "noise": 1e400})).replace(
        "Infinity", "1e400"), "finite"),
    (json.dumps(_doc(config={"hidden": [4] * 1000})), "limit on depth"),
    (json.dumps(_doc(config={"hidden": [1_000_000, 1_000_000]})), "limit on width"),
    (json.dumps(_doc(config={"hidden": 5})), "list of layer widths"),
    (json.dumps(_doc(config={"seed": -1})), "seed must be at least 0"),
    (json.dumps(_doc(config={"lr": "fast"})), "lr must be a number"),
    (json.dumps(_doc(config=[1, 2])), "'config' must be an object"),
    (json.dumps(_doc(dataset={"kind": "points", "X": [[0, 0, 0]] * 20, "y": [0, 1] * 10,
                              "class_names": ["a", "b"]})), "pairs"),
    (json.dumps(_doc(dataset={"kind": "points", "X": [[i, i % 3] for i in range(20)],
                              "y": [0] * 20, "class_names": ["a"]})), "classes"),
    (json.dumps(_doc(dataset={"kind": "points", "X": [[i, i % 3] for i in range(20)],
                              "y": [0, 1] * 10, "class_names": ["a"]})), "classes"),
    (json.dumps(_doc(dataset={"kind": "points", "X": [[i, 1] for i in range(20)],
                              "y": [0, 5] * 10, "class_names": ["a", "b"]})), "labels must be"),
    (json.dumps(_doc(dataset={"kind": "magic"})), "kind"),
    (json.dumps(_doc(search={"space": [{"name": "lr", "scale": "log", "low": 1, "high": 0}]})),
     "low"),
    (json.dumps(_doc(search={"trials": 10**9})), "limit on trials"),
    (json.dumps(_doc(search={"searched_space": [{"name": "lr", "scale": "log", "low": 0.001,
                                                 "high": 1}],
                             "results": [{"trial": 0, "status": "ok", "params": {}}]})),
     "lr is missing"),
    (json.dumps(_doc(search={"searched_space": [{"name": "lr", "scale": "log", "low": 0.001,
                                                 "high": 1}],
                             "results": [{"trial": 0, "status": "ok", "params": {"lr": 7}}]})
     ).replace(": 7", ": 1" + "0" * 400), "lr is missing or not usable"),    # beyond a float
    (json.dumps(_doc(search={"searched_space": [{"name": "lr", "scale": "log", "low": 0.001,
                                                 "high": 1}],
                             "results": [{"trial": 0, "seed": 7, "status": "ok",
                                          "params": {"lr": 0.1}}]})
     ).replace(": 7", ": 1" + "0" * 400), "seed must be a whole number"),
    (json.dumps(_doc(search="everything")), "'search' must be an object"),
]


@pytest.mark.parametrize("text, words", HOSTILE)
def test_hostile_workspaces_are_one_line_errors(tmp_path, text, words):
    p = tmp_path / "w.json"
    p.write_text(text)
    with pytest.raises(WorkspaceError) as e:
        workspace.check_workspace(load_workspace(p))
    assert words in str(e.value) and "\n" not in str(e.value)


def test_an_oversized_workspace_is_refused_before_reading(tmp_path):
    p = tmp_path / "big.json"
    with open(p, "wb") as f:
        f.truncate(workspace.limits.MAX_WORKSPACE_BYTES + 1)
    with pytest.raises(WorkspaceError, match="limit on workspace file size"):
        load_workspace(p)


def test_millions_of_empty_lists_are_refused_before_parsing(tmp_path):
    p = tmp_path / "lists.json"
    p.write_text('{"format": "bn-studio-workspace", "version": 1, "x": ['
                 + "[]," * workspace.limits.MAX_WORKSPACE_CONTAINERS + "[]]}")
    with pytest.raises(WorkspaceError, match="limit on workspace contents"):
        load_workspace(p)


def test_a_workspace_too_large_to_load_is_not_saved(tmp_path, monkeypatch):
    monkeypatch.setattr(workspace.limits, "MAX_WORKSPACE_BYTES", 2000)
    with pytest.raises(WorkspaceError, match="limit on workspace file size"):
        save_workspace(tmp_path / "w.json", {"config": {"x": list(range(1000))}})
    assert list(tmp_path.iterdir()) == []


def test_a_good_workspace_checks_clean():
    ws = workspace.check_workspace(_doc())
    assert ws.config.hidden == (8, 8) and ws.generated["name"] == "moons" and ws.dataset is None


def test_saved_workspaces_respect_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        save_workspace(tmp_path / "w.json", STATE)
    finally:
        os.umask(old)
    assert (tmp_path / "w.json").stat().st_mode & 0o777 == 0o644
