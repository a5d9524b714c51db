"""The run as an animated GIF or MP4, from the replay's stored frames, off the GUI thread."""

import queue
import shutil
import subprocess
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QThreadPool

from bn_studio.core.training.trainer import TrainConfig
from bn_studio.gui.animation import (HOLD_LAST_S, AnimationError, AnimationFeeder,
                                     AnimationSettings, encode_frames, pick_frames)
from bn_studio.gui.animation_dialog import AnimationDialog
from bn_studio.gui.export_runner import ExportRunner
from studio_helpers import advance

SMALL = TrainConfig(hidden=(8, 8), activation="tanh", batch=16, eval_every=5)
SETTINGS = AnimationSettings(size=(320, 180), fps=10, layer=1)


@pytest.fixture
def trained(model, qtbot):
    """A model whose replay holds step 0 and a dozen later frames."""
    model.set_config(SMALL)
    model.flush()
    for _ in range(12):
        advance(model, 5)
    qtbot.waitUntil(lambda: len(model.stored) >= 10, timeout=10_000)
    return model


def export(model, qtbot, path, settings=SETTINGS, most=150):
    runner = ExportRunner(None)
    feeder = AnimationFeeder(model, model.stored.frames(), model.newest(),
                             settings.checked(), most)
    with qtbot.waitSignal(runner.ended, timeout=60_000):
        runner.start(lambda: encode_frames(feeder.queue, len(feeder.frames), path,
                                           settings.checked()), path, "Drawing",
                     on_cancel=feeder.stop)
        feeder.start()
    feeder.stop()
    assert QThreadPool.globalInstance().waitForDone(10_000)     # the job's thread has ended
    return feeder, runner


def frames_of(path):
    with Image.open(path) as im:
        out = []
        for k in range(im.n_frames):
            im.seek(k)
            out.append((np.asarray(im.convert("RGB")), im.info.get("duration")))
        return out


def test_gif_has_one_frame_per_stored_step_and_holds_the_last(trained, qtbot, tmp_path):
    path = tmp_path / "run.gif"
    feeder, _ = export(trained, qtbot, path)
    frames = frames_of(path)
    stored = trained.worker.replay.frames()
    assert len(frames) == len(feeder.frames) == len(stored) + (
        trained.worker.peek().step > stored[-1].step)
    first, last = frames[0][0], frames[-1][0]
    assert first.shape == (180, 320, 3)
    assert np.abs(first.astype(int) - last).mean() > 1.0       # the regions moved
    assert frames[0][1] == 100 and frames[-1][1] == 100 + 1000 * HOLD_LAST_S
    # Below the caption the decision regions are drawn: many colours, not a blank panel.
    body = last[40:120].reshape(-1, 3)
    assert len(np.unique(body // 16, axis=0)) > 20
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.gif"]


@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffmpeg is not installed")
def test_mp4_plays_with_the_right_size_and_length(trained, qtbot, tmp_path):
    path = tmp_path / "run.mp4"
    feeder, _ = export(trained, qtbot, path)
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames",
                          "-show_entries", "stream=width,height,nb_read_frames,codec_name",
                          "-of", "csv=p=0", str(path)], capture_output=True, text=True,
                         check=True).stdout.strip().split(",")
    assert out[0] == "h264" and out[1:3] == ["320", "180"]
    assert int(out[3]) == len(feeder.frames) + round(HOLD_LAST_S * SETTINGS.fps)


def test_cancel_leaves_no_file(trained, qtbot, tmp_path):
    path = tmp_path / "run.gif"
    runner = ExportRunner(None)
    feeder = AnimationFeeder(trained, trained.worker.replay.frames(),
                             trained.worker.peek(), SETTINGS.checked(), 150)
    runner.start(lambda: encode_frames(feeder.queue, len(feeder.frames), path,
                                       SETTINGS.checked()), path, "Drawing",
                 on_cancel=feeder.stop)
    feeder.start()
    qtbot.wait(50)
    with qtbot.waitSignal(runner.cancelled, timeout=5_000):
        runner.cancel()
    # The job's thread notices at its next report. Wait until it has ended: the runner is
    # this test's local, and a thread still emitting to it once it is freed crashed the
    # test process (SIGSEGV in two full runs).
    assert QThreadPool.globalInstance().waitForDone(10_000)
    qtbot.wait(50)
    assert list(tmp_path.iterdir()) == [] and feeder.renderer is None


def test_a_frame_that_cannot_be_drawn_ends_with_one_line(tmp_path):
    frames = queue.Queue()
    frames.put(b"\0" * (320 * 180 * 3))
    frames.put(AnimationError("the frame of step 40 could not be drawn (ValueError: x)"))
    job = encode_frames(frames, 5, tmp_path / "run.gif", SETTINGS.checked())
    with pytest.raises(AnimationError, match=r"^run.gif: the frame of step 40"):
        for _ in job:
            pass
    assert list(tmp_path.iterdir()) == []


def test_pick_frames_keeps_first_and_last_and_adds_the_newest_state():
    frames = [SimpleNamespace(step=s) for s in range(0, 300, 10)]
    latest = SimpleNamespace(step=305)
    chosen = pick_frames(frames, latest, 7)
    assert len(chosen) == 7 and chosen[0] is frames[0] and chosen[-1] is latest
    steps = [f.step for f in chosen]
    assert steps == sorted(steps)
    assert pick_frames(frames, SimpleNamespace(step=290), 100) == frames


def test_settings_are_checked_with_one_line():
    assert AnimationSettings((961, 541), 10).checked().size == (960, 540)
    with pytest.raises(AnimationError, match="frames per second"):
        AnimationSettings(fps=0).checked()
    with pytest.raises(AnimationError, match="frame size"):
        AnimationSettings(size=(10, 10)).checked()


def test_dialog_says_what_is_wrong_and_remembers_its_choices(qtbot, tmp_path, monkeypatch):
    from bn_studio.gui import animation_dialog
    store = {}
    fake = SimpleNamespace(value=lambda k, d=None: store.get(k, d),
                           setValue=lambda k, v: store.__setitem__(k, v))
    monkeypatch.setattr(animation_dialog, "qsettings", lambda: fake)
    d = AnimationDialog(None, 40, 0, 800, 3)
    qtbot.addWidget(d)
    assert d.layer_box.currentIndex() == 2              # the deepest layer by default
    d.file_edit.setText(str(tmp_path / "run.png"))
    assert "choose a .gif or .mp4" in d.problem()
    d.file_edit.setText(str(tmp_path / "missing" / "run.gif"))
    assert "no such folder" in d.problem()
    d.file_edit.setText(str(tmp_path / "run.gif"))
    assert d.problem() is None and "41 frames" in d.summary.text()
    d.fps_box.setValue(20)
    d.layer_box.setCurrentIndex(0)
    d.accept()
    again = AnimationDialog(None, 40, 0, 800, 3)
    qtbot.addWidget(again)
    assert again.fps_box.value() == 20 and again.layer_box.currentIndex() == 0
    assert again.path().parent == tmp_path
    store[animation_dialog.SETTINGS_KEY] = "{not json"
    damaged = AnimationDialog(None, 40, 0, 800, 3)   # defaults, no exception
    qtbot.addWidget(damaged)
    assert damaged.fps_box.value() == 10


def test_the_frame_model_has_every_signal_of_the_studio_model():
    """The off-screen panels connect to whatever the real model offers."""
    from PySide6.QtCore import QMetaMethod

    from bn_studio.gui.animation import _FrameModel
    from bn_studio.gui.model import StudioModel

    def signals(cls):
        meta = cls.staticMetaObject
        return {bytes(meta.method(i).name()).decode() for i in range(meta.methodCount())
                if meta.method(i).methodType() == QMetaMethod.Signal}
    assert signals(StudioModel) <= signals(_FrameModel)
