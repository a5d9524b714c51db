"""The command line: ``train`` prints per-twin results, ``screenshot`` renders the real window;
bad input is one line on stderr and exit status 2."""

import json

import numpy as np
import pytest

from bn_studio.cli import main


def test_train_json_reports_both_twins(capsys):
    assert main(["train", "--dataset", "moons", "--steps", "300", "--hidden", "16,16",
                 "--activation", "relu", "--optimizer", "adam", "--lr", "0.01", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"bn", "no_bn"}
    for r in out.values():
        assert r["steps_run"] == 300 and r["diverged_at"] is None
        assert r["val_accuracy"] > 0.8          # moons is easy: a sanity check, not a race


def test_train_with_a_huge_learning_rate_reports_divergence_not_a_crash(capsys):
    assert main(["train", "--dataset", "moons", "--steps", "200", "--lr", "50",
                 "--optimizer", "sgd", "--activation", "relu", "--hidden", "64,64",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for r in out.values():          # at lr 50 both twins blow up within a few steps
        assert r["diverged_at"] is not None and 1 < r["diverged_at"] < 50
        assert r["steps_run"] == r["diverged_at"] - 1
        assert r["final_train_loss"] > 1e5        # the loss that tripped the threshold


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


def _pixels(img):
    rgb = img.convertToFormat(img.Format.Format_RGB888)
    a = np.frombuffer(rgb.constBits(), np.uint8)[: rgb.height() * rgb.bytesPerLine()]
    a = a.reshape(rgb.height(), rgb.bytesPerLine())[:, : 3 * rgb.width()]
    return a.reshape(rgb.height(), rgb.width(), 3).astype(int)


def _mean_grey(img):
    return _pixels(img).mean()


def _near(img, hex_color, tol=30):
    """How many pixels are within ``tol`` of a colour on every channel."""
    c = np.array([int(hex_color[i:i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(_pixels(img) - c).max(axis=2) < tol).sum())


def _draws_both_twins(img):
    """A blank or unplotted image fails: the BN (blue) and no-BN (red) curves are drawn."""
    from bn_studio.gui.theme import RUN_COLORS
    return all(_near(img, RUN_COLORS[name]) > 200 for name in ("bn", "no_bn"))


def test_screenshot_renders_the_window_in_either_theme(qapp, tmp_path, capsys):
    light, dark = tmp_path / "light.png", tmp_path / "dark.png"
    assert main(["screenshot", str(light), "--steps", "20", "--size", "900x600"]) == 0
    assert main(["screenshot", str(dark), "--steps", "20", "--size", "900x600",
                 "--theme", "dark"]) == 0
    a, b = _png(light), _png(dark)
    assert a.size().toTuple() == b.size().toTuple() == (900, 600)
    assert _mean_grey(a) > 150 > 90 > _mean_grey(b)    # the dark theme really is dark
    assert _draws_both_twins(a) and _draws_both_twins(b)


def test_screenshot_of_one_panel(qapp, tmp_path):
    out = tmp_path / "hist.png"
    assert main(["screenshot", str(out), "--steps", "10", "--panel", "histograms"]) == 0
    img = _png(out)
    assert 100 < img.width() < 1600 and img.height() > 100
    assert _draws_both_twins(img)
