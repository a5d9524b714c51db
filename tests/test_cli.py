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
    assert set(out) == {"bn", "no_bn", "config", "eval_rows"}
    assert out["eval_rows"] == {"curves_train": 450, "curves_val": 150, "final_val": 150}
    assert out["config"]["hidden"] == [16, 16] and out["config"]["steps"] == 300
    for r in (out["bn"], out["no_bn"]):
        assert r["steps_run"] == 300 and r["diverged_at"] is None
        assert r["val_accuracy"] > 0.8          # moons is easy: a sanity check, not a race


def test_train_with_a_huge_learning_rate_reports_divergence_not_a_crash(capsys):
    assert main(["train", "--dataset", "moons", "--steps", "200", "--lr", "50",
                 "--optimizer", "sgd", "--activation", "relu", "--hidden", "64,64",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for r in (out["bn"], out["no_bn"]):     # at lr 50 both twins blow up within a few steps
        assert r["diverged_at"] is not None and 1 < r["diverged_at"] < 50
        assert r["steps_run"] == r["diverged_at"] - 1
        assert r["final_train_loss"] > 1e5        # the loss that tripped the threshold


@pytest.mark.parametrize("argv, words", [
    (["train", "--hidden", "4,x"], "comma-separated"),
    (["train", "--batch", "1"], "batch"),
    (["screenshot", "x.png", "--panel", "nope"], "unknown panel"),
    (["screenshot", "x.png", "--size", "big"], "--size"),
    (["screenshot", "x.png", "--dataset", "nope"], "unknown dataset"),
    (["screenshot", "x.png", "--columns", "a,b,c"], "--columns picks the columns of --data"),
    (["screenshot", "x.png", "--data", "missing.csv"], "missing.csv: no such file"),
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


@pytest.mark.slow
def test_screenshot_renders_the_window_in_either_theme(qapp, tmp_path, capsys):
    light, dark = tmp_path / "light.png", tmp_path / "dark.png"
    assert main(["screenshot", str(light), "--steps", "20", "--size", "900x600"]) == 0
    assert main(["screenshot", str(dark), "--steps", "20", "--size", "900x600",
                 "--theme", "dark"]) == 0
    a, b = _png(light), _png(dark)
    assert a.size().toTuple() == b.size().toTuple() == (900, 600)
    assert _mean_grey(a) > 150 > 90 > _mean_grey(b)    # the dark theme really is dark
    assert _draws_both_twins(a) and _draws_both_twins(b)


@pytest.mark.slow
def test_screenshot_of_one_panel(qapp, tmp_path):
    out = tmp_path / "hist.png"
    assert main(["screenshot", str(out), "--steps", "10", "--panel", "histograms"]) == 0
    img = _png(out)
    assert 100 < img.width() < 1600 and img.height() > 100
    assert _draws_both_twins(img)


@pytest.mark.parametrize("argv, words", [
    (["train", "--steps", "-1"], "steps must be at least 0"),
    (["train", "--hidden", "100000000"], "limit on width"),
    (["train", "--hidden", ",".join(["4"] * 1000)], "limit on depth"),
    (["train", "--n", "10000000"], "limit on points"),
    (["train", "--seed", "-1"], "seed must be at least 0"),
    (["train", "--data-seed", "-1"], "--data-seed must be at least 0"),
    (["train", "--data", "/dev/zero"], "not a regular file"),
    (["screenshot", "x.png", "--steps", "-1"], "--steps must be at least 0"),
    (["screenshot", "x.png", "--size", "20000x20000"], "at most 4096x4096"),
    (["screenshot", "s7"], "must end in .png"),
    (["screenshot", "nofolder/x.png"], "no folder"),
])
def test_out_of_limit_options_are_one_line_and_exit_status_2(argv, words, capsys, tmp_path,
                                                              monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("bn-studio: ") and words in err and "\n" not in err
    assert list(tmp_path.iterdir()) == []


def _csv(tmp_path, name="d.csv", rows=None):
    p = tmp_path / name
    p.write_text(rows or "".join(f"{i % 7},{i % 5 * 1.5},{i % 2}\n" for i in range(60)))
    return p


def test_classes_with_a_csv_is_refused(tmp_path, capsys):
    assert main(["train", "--data", str(_csv(tmp_path)), "--classes", "3"]) == 2
    assert "--classes applies to generated data only" in capsys.readouterr().err


def test_a_csv_with_too_many_labels_names_the_file(tmp_path, capsys):
    rows = "".join(f"{i},{i * 7 % 13},{i}\n" for i in range(1000))
    assert main(["train", "--data", str(_csv(tmp_path, "many.csv", rows))]) == 2
    assert capsys.readouterr().err.startswith(
        "bn-studio: many.csv: more than 8 different labels (the 9th, '8', on line 9)")


def test_values_too_large_to_standardise_are_refused(tmp_path, capsys):
    rows = "".join(f"{1e300 * (1 + i % 3)},{i},{i % 2}\n" for i in range(60))
    assert main(["train", "--data", str(_csv(tmp_path, "huge.csv", rows))]) == 2
    err = capsys.readouterr().err
    assert "too large to standardise" in err and "RuntimeWarning" not in err


def test_train_json_has_the_config_used_and_each_nets_seconds(capsys):
    assert main(["train", "--dataset", "blobs", "--steps", "40", "--hidden", "8",
                 "--lr", "0.05", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    c = out["config"]
    assert (c["dataset"], c["hidden"], c["lr"], c["steps"], c["n"]) == ("blobs", [8], 0.05, 40, 600)
    assert out["bn"]["seconds"] > 0 and out["no_bn"]["seconds"] > 0
    assert out["bn"]["seconds"] != out["no_bn"]["seconds"]     # each net's own time


def test_plain_train_output_rounds_numbers(capsys):
    assert main(["train", "--dataset", "moons", "--steps", "30", "--hidden", "8"]) == 0
    text = capsys.readouterr().out
    numbers = [w.split("=")[1] for w in text.split()
                if w.startswith(("val_loss=", "val_accuracy=", "seconds="))]
    assert len(numbers) == 6 and all(float(n) == float(f"{float(n):.4g}") for n in numbers)


def test_help_lists_defaults_panels_and_datasets(capsys):
    for argv in (["train", "--help"], ["screenshot", "--help"]):
        with pytest.raises(SystemExit):
            main(argv)
    text = " ".join(capsys.readouterr().out.split())      # help wraps at the terminal width
    assert "(default: 32,32,32,32,32)" in text and "(default: momentum)" in text
    assert "softmax_inspector" in text and "checkerboard" in text


def test_screenshot_help_gives_the_range_of_every_lesson(capsys):
    from bn_studio.core.lessons.numbers import LESSONS
    with pytest.raises(SystemExit):
        main(["screenshot", "--help"])
    assert f"open lesson N (1-{len(LESSONS)})" in " ".join(capsys.readouterr().out.split())


def test_the_panel_names_in_the_cli_match_the_window():
    from bn_studio.cli import PANEL_NAMES
    from bn_studio.gui.docks import available_panels
    assert PANEL_NAMES == tuple(cls.name for cls in available_panels())


@pytest.mark.slow
def test_screenshot_prints_no_qt_noise(tmp_path):
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-m", "bn_studio", "screenshot",
                          str(tmp_path / "s.png"), "--steps", "2", "--size", "600x400"],
                         capture_output=True, text=True, timeout=120,
                         env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert out.returncode == 0, out.stderr
    assert "propagateSizeHints" not in out.stderr


def test_exported_curves_write_steps_as_whole_numbers(tmp_path):
    from bn_studio.gui.exports import export_table
    p = export_table(tmp_path / "c.csv", ["net", "step", "val_loss"],
                     [["bn", 0.0, 0.5], ["bn", 10.0, 0.25]])
    assert p.read_text().splitlines()[1:] == ["bn,0,0.5", "bn,10,0.25"]


@pytest.mark.slow
def test_screenshot_renders_a_workspace_and_refuses_a_bad_one(qapp, tmp_path, capsys,
                                                              monkeypatch):
    ws = tmp_path / "ws.json"
    ws.write_text(json.dumps({"format": "bn-studio-workspace", "version": 1,
                              "config": {"hidden": [6], "lr": 0.05},
                              "dataset": {"kind": "generated", "name": "circles", "n": 300}}))
    out = tmp_path / "ws.png"
    assert main(["screenshot", str(out), "--workspace", str(ws), "--steps", "5",
                 "--size", "600x400"]) == 0
    assert _png(out).width() == 600
    ws.write_text(json.dumps({"format": "bn-studio-workspace", "version": 1,
                              "config": {"hidden": [4] * 1000}}))
    from bn_studio.gui.main_window import MainWindow

    def no_window(*args, **kwargs):
        raise AssertionError("a window was built for a workspace that cannot open")
    monkeypatch.setattr(MainWindow, "__init__", no_window)     # refused before one is built
    assert main(["screenshot", str(tmp_path / "bad.png"), "--workspace", str(ws)]) == 2
    err = capsys.readouterr().err.strip()
    assert "limit on depth" in err and "\n" not in err
    assert not (tmp_path / "bad.png").exists()


def test_version_is_the_installed_package_version(capsys):
    """``bn-studio --version`` says the version pyproject.toml gives the package."""
    import tomllib
    from importlib.metadata import version
    from pathlib import Path
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert capsys.readouterr().out.strip() == f"bn-studio {version('bn-studio')}"
    assert version("bn-studio") == pyproject["project"]["version"]
