"""The command line: ``train`` prints per-twin results, ``screenshot`` renders the real window;
bad input is one line on stderr and exit status 2."""

import json

import numpy as np
import pytest

from bn_studio.cli import main


def test_train_json_reports_both_twins(capsys):
    assert main(["train", "--dataset", "moons", "--steps", "300", "--hidden", "16,16",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"bn", "no_bn", "config"}
    assert out["config"]["hidden"] == [16, 16] and out["config"]["steps"] == 300
    for r in (out["bn"], out["no_bn"]):
        assert r["steps_run"] == 300 and r["diverged_at"] is None
        assert r["val_accuracy"] > 0.8          # moons is easy: a sanity check, not a race


def test_train_with_a_huge_learning_rate_reports_divergence_not_a_crash(capsys):
    assert main(["train", "--dataset", "moons", "--steps", "200", "--lr", "50",
                 "--optimizer", "sgd", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["no_bn"]["diverged_at"] is not None
    assert out["no_bn"]["steps_run"] == out["no_bn"]["diverged_at"] - 1


@pytest.mark.parametrize("argv, words", [
    (["train", "--hidden", "4,x"], "comma-separated"),
    (["train", "--batch", "1"], "batch"),
    (["screenshot", "x.png", "--panel", "nope"], "unknown panel"),
    (["screenshot", "x.png", "--size", "big"], "--size"),
    (["screenshot", "x.png", "--dataset", "nope"], "unknown dataset"),
])
def test_bad_input_is_one_line_and_exit_status_2(argv, words, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("bn-studio: ") and words in err and "\n" not in err
    assert not (tmp_path / "x.png").exists()


def _png(path):
    from PySide6.QtGui import QImage
    img = QImage(str(path))
    assert not img.isNull()
    return img


def _mean_grey(img):
    ptr = img.convertToFormat(img.Format.Format_RGB888)
    a = np.frombuffer(ptr.constBits(), np.uint8)[: ptr.height() * ptr.bytesPerLine()]
    return a.reshape(ptr.height(), ptr.bytesPerLine())[:, : 3 * ptr.width()].mean()


def test_screenshot_renders_the_window_in_either_theme(qapp, tmp_path, capsys):
    light, dark = tmp_path / "light.png", tmp_path / "dark.png"
    assert main(["screenshot", str(light), "--steps", "20", "--size", "900x600"]) == 0
    assert main(["screenshot", str(dark), "--steps", "20", "--size", "900x600",
                 "--theme", "dark"]) == 0
    a, b = _png(light), _png(dark)
    assert a.size().toTuple() == b.size().toTuple() == (900, 600)
    assert _mean_grey(a) > 150 > 90 > _mean_grey(b)    # the dark theme really is dark


def test_screenshot_of_one_panel(qapp, tmp_path):
    out = tmp_path / "hist.png"
    assert main(["screenshot", str(out), "--steps", "10", "--panel", "histograms"]) == 0
    img = _png(out)
    assert 100 < img.width() < 1600 and img.height() > 100
