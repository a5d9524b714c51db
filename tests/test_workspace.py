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
    assert doc["version"] == workspace.VERSION


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
