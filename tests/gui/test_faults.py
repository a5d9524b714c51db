"""Faults reach the user and the app recovers: a trainer the training process cannot build, a
dataset or network beyond the limits, malformed saved settings, Ctrl-C or SIGTERM to the app."""

import dataclasses
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from bn_studio.core import limits
from bn_studio.core.data.datasets import Dataset, DatasetSpec
from bn_studio.core.training.defaults import DEFAULT_CONFIG, DEFAULT_DATASET
from bn_studio.core.training.trainer import TrainConfig
from bn_studio.gui import settings


@pytest.mark.real_worker
def test_a_reset_the_child_cannot_build_is_shown_logged_and_recovered(model, qtbot, caplog):
    model.set_spec(DatasetSpec("moons", n=200))
    model.set_config(TrainConfig(hidden=(6,)))
    model.flush()
    broken = dataclasses.replace(model.split, X_train="not an array")   # fails in the child
    with caplog.at_level(logging.ERROR), qtbot.waitSignal(model.errorOccurred, timeout=10_000) \
            as blocker:
        model.worker.reset(model.config, broken)
        model.flush()
    assert "Training could not start" in blocker.args[0]
    assert "Training could not start" in caplog.text
    assert model.config == DEFAULT_CONFIG and model.spec == DEFAULT_DATASET
    model.flush()
    assert model.snapshot is not None and model.snapshot.config == DEFAULT_CONFIG
    model.step(3)
    model.flush()
    assert model.snapshot.step == 3                     # training works again


def test_a_net_or_dataset_too_large_for_the_other_is_refused_and_the_old_one_kept(model,
                                                                              qtbot):
    model.set_spec(DatasetSpec("moons", n=5000))
    before = model.config
    with qtbot.waitSignal(model.errorOccurred, timeout=5000) as blocker:
        model.set_config(TrainConfig(hidden=(512,) * 8))       # 5,000 × 4,096 units
    assert "points × units" in blocker.args[0] and model.config == before
    model.set_config(TrainConfig(hidden=(512,) * 4))
    n = 9_000                                                  # 9,000 × 2,048 units
    big = Dataset(np.random.default_rng(0).normal(size=(n, 2)), np.arange(n) % 2, ["a", "b"],
                  "big")
    with qtbot.waitSignal(model.errorOccurred, timeout=5000) as blocker:
        assert model.set_dataset(big) is False
    assert "points × units" in blocker.args[0] and model.dataset.X.shape[0] == 5000


@pytest.mark.parametrize("key, value", [
    ("config", "x"), ("config", "[]"), ("config", '"text"'), ("config", '{"hidden": 5}'),
    ("config", '{"hidden": [4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4]}'), ("config", 42),
    ("dataset", '{"name": "moons", "n": 1e9}'), ("dataset", '{"name": "moons", "n": "x"}'),
    ("dataset", '{"name": ["moons"]}'), ("dataset", '{"nope": 1}'), ("dataset", "[" * 5000),
    ("window/geometry", "a string"), ("window/state", 12345), ("theme", ["dark"]),
])
def test_malformed_saved_settings_fall_back_to_defaults(key, value, caplog, settings_window):
    s = settings.settings()
    s.clear()
    s.setValue(key, value)
    win = settings_window()
    try:
        with caplog.at_level(logging.WARNING):
            settings.restore_window(win)
    finally:
        s.clear()
    assert win.model.config == DEFAULT_CONFIG and win.model.spec == DEFAULT_DATASET
    if key != "theme":
        assert "using the default" in caplog.text


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _has_numpy(pid: int) -> bool:
    try:
        return "numpy" in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="POSIX signals, /proc")
@pytest.mark.parametrize("sig, when", [(signal.SIGINT, "starting"), (signal.SIGTERM, "training")])
def test_the_app_quits_cleanly_on_ctrl_c_and_sigterm(tmp_path, sig, when):
    """Whenever the signal comes: while the app still imports its modules (numpy loaded, the
    window not built: a Ctrl-C there was lost and the app ran on) or once it trains."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data"),
           "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    p = subprocess.Popen([sys.executable, "-m", "bn_studio"], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    children: list[int] = []
    try:
        # Generous deadlines (a loaded machine starts the app slowly), left as soon as what
        # they wait for has happened: only a failure waits them out.
        deadline = time.time() + 120
        if when == "starting":
            while not _has_numpy(p.pid) and time.time() < deadline and p.poll() is None:
                time.sleep(0.01)
        else:
            while len(_children(p.pid)) < 2 and time.time() < deadline and p.poll() is None:
                time.sleep(0.1)             # the resource tracker and the training process
            children = _children(p.pid)
            assert len(children) >= 2
            time.sleep(1.0)
        assert p.poll() is None
        p.send_signal(sig)
        _, err = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 0, err.decode()[-2000:]
    assert b"Traceback" not in err
    deadline = time.time() + 30
    while [c for c in children if _alive(c)] and time.time() < deadline:
        time.sleep(0.05)
    assert [c for c in children if _alive(c)] == []


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for its reaper counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def test_the_window_refuses_more_points_than_it_can_draw(model, qtbot):
    n = limits.MAX_APP_POINTS + 1
    big = Dataset(np.random.default_rng(0).normal(size=(n, 2)), np.arange(n) % 2, ["a", "b"],
                  "big.csv")
    before = model.dataset
    with qtbot.waitSignal(model.errorOccurred, timeout=5000) as blocker:
        assert model.set_dataset(big) is False
    assert blocker.args[0].startswith("big.csv: ")
    assert f"at most {limits.MAX_APP_POINTS:,}" in blocker.args[0]
    assert model.dataset is before
