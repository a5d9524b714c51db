"""Generators keep their promises; CSV import accepts good files and names the problem in bad ones."""

import numpy as np
import pytest

from bn_studio.cli import main as cli_main
from bn_studio.core.datasets import (DATASETS, DEFAULT_CLASSES, DatasetError, from_points,
                                     load_csv, make_dataset, split_and_standardize)


@pytest.mark.parametrize("name", DATASETS)
def test_generator_shapes_classes_and_determinism(name):
    ds = make_dataset(name, n=203, noise=0.1, seed=5)
    assert ds.X.shape == (203, 2) and ds.X.dtype == np.float64
    assert ds.y.shape == (203,) and ds.y.dtype == np.int64
    assert ds.classes == DEFAULT_CLASSES[name]
    assert set(np.unique(ds.y)) == set(range(ds.classes))
    counts = np.bincount(ds.y)
    assert counts.min() >= 0.5 * 203 / ds.classes     # roughly balanced
    again = make_dataset(name, n=203, noise=0.1, seed=5)
    np.testing.assert_array_equal(ds.X, again.X)
    np.testing.assert_array_equal(ds.y, again.y)
    other = make_dataset(name, n=203, noise=0.1, seed=6)
    assert not np.array_equal(ds.X, other.X)


@pytest.mark.parametrize("c", range(2, 9))
def test_blobs_spirals_circles_take_2_to_8_classes(c):
    for name in ("blobs", "spirals", "circles", "checkerboard"):
        ds = make_dataset(name, n=160, classes=c)
        assert ds.classes == c and len(np.unique(ds.y)) == c


def test_noise_moves_points():
    a = make_dataset("moons", n=100, noise=0.0)
    b = make_dataset("moons", n=100, noise=0.5)
    assert np.abs(a.X - b.X).mean() > 0.05


@pytest.mark.parametrize("kwargs, words", [
    ({"name": "nope"}, "unknown dataset"),
    ({"name": "moons", "classes": 3}, "always has 2"),
    ({"name": "blobs", "classes": 9}, "between 2 and 8"),
    ({"name": "blobs", "classes": 1}, "between 2 and 8"),
    ({"name": "blobs", "n": 5}, "at least 10"),
    ({"name": "blobs", "noise": -1}, "noise"),
])
def test_bad_generator_arguments(kwargs, words):
    with pytest.raises(DatasetError, match=words):
        make_dataset(**kwargs)


def test_split_is_stratified_standardised_and_deterministic():
    ds = make_dataset("blobs", n=400, classes=4)
    s = split_and_standardize(ds, val_fraction=0.25, seed=1)
    assert s.X_train.shape[0] + s.X_val.shape[0] == 400
    assert abs(s.X_val.shape[0] - 100) <= 4
    for c in range(4):
        assert (s.y_train == c).sum() > 0 and (s.y_val == c).sum() > 0
    np.testing.assert_allclose(s.X_train.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(s.X_train.std(0), 1, atol=1e-12)
    np.testing.assert_allclose(s.standardize(s.unstandardize(s.X_val)), s.X_val)
    t = split_and_standardize(ds, val_fraction=0.25, seed=1)
    np.testing.assert_array_equal(s.X_train, t.X_train)


def test_drawn_points():
    pts = np.random.default_rng(0).normal(size=(12, 2))
    ds = from_points(pts, [0] * 6 + [2] * 6, class_names=["a", "b", "c"])
    assert ds.classes == 2 and ds.class_names == ["a", "c"] and list(np.unique(ds.y)) == [0, 1]
    with pytest.raises(DatasetError, match="at least 2 classes"):
        from_points(pts, [1] * 12)
    with pytest.raises(DatasetError, match="at least 10"):
        from_points(pts[:4], [0, 1, 0, 1])


def write(tmp_path, text, name="d.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def rows(n=12, labels=("0", "1"), sep=","):
    return "".join(f"{i * 0.5}{sep}{-i}{sep}{labels[i % len(labels)]}\n" for i in range(n))


def test_csv_with_header_and_numeric_labels(tmp_path):
    ds = load_csv(write(tmp_path, "x,y,label\n" + rows()))
    assert ds.X.shape == (12, 2) and ds.classes == 2 and ds.skipped_rows == 0
    assert ds.X[3].tolist() == [1.5, -3.0]


def test_csv_without_header(tmp_path):
    ds = load_csv(write(tmp_path, rows()))
    assert ds.X.shape == (12, 2)


def test_csv_string_labels_keep_names(tmp_path):
    ds = load_csv(write(tmp_path, "a,b,species\n" + rows(labels=("setosa", "virginica", "alba"))))
    assert ds.class_names == ["alba", "setosa", "virginica"]
    assert ds.classes == 3


def test_csv_numeric_labels_in_numeric_order(tmp_path):
    ds = load_csv(write(tmp_path, rows(labels=("2", "10"))))
    assert ds.class_names == ["2", "10"]


def test_csv_semicolon_and_column_selection(tmp_path):
    text = "id;label;x;y\n" + "".join(f"{i};{'ab'[i % 2]};{i};{i * i}\n" for i in range(12))
    ds = load_csv(write(tmp_path, text), columns="x,y,label")
    assert ds.X[3].tolist() == [3.0, 9.0] and ds.class_names == ["a", "b"]
    ds2 = load_csv(write(tmp_path, text, "e.csv"), columns="2,3,1")
    np.testing.assert_array_equal(ds.X, ds2.X)


def test_csv_missing_values_are_skipped_and_counted(tmp_path):
    text = "x,y,l\n" + rows() + "1,,0\nNA,2,1\n3,4,\nnan,1,0\n"
    ds = load_csv(write(tmp_path, text))
    assert ds.X.shape == (12, 2) and ds.skipped_rows == 4


@pytest.mark.parametrize("content, words", [
    ("", "empty"),
    ("\n\n", "empty"),
    ("x,y,label\n", "only a header"),
    ("x,y,label\n" + rows(labels=("a",)), "only one class"),
    ("x,y,label\n" + rows() + "1,oops,0\n", "line 14"),
    ("x,y,label\n" + rows() + "1,2\n", "line 14 has 2 fields"),
    ("x,y,label\n" + rows(5), "only 5 usable rows"),
    ("x,y\n1,2\n", "need two feature columns"),
])
def test_bad_csv_files_get_one_line_messages(tmp_path, content, words):
    with pytest.raises(DatasetError, match=words) as e:
        load_csv(write(tmp_path, content))
    assert "\n" not in str(e.value)


def test_binary_missing_and_unknown_column(tmp_path):
    p = tmp_path / "b.csv"
    p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10)
    with pytest.raises(DatasetError, match="binary"):
        load_csv(p)
    p.write_bytes(b"\xff\xfe\x81\x82,1,2\n" * 12)
    with pytest.raises(DatasetError, match="UTF-8"):
        load_csv(p)
    with pytest.raises(DatasetError, match="no such file"):
        load_csv(tmp_path / "missing.csv")
    with pytest.raises(DatasetError, match="unknown column 'z'"):
        load_csv(write(tmp_path, "x,y,l\n" + rows()), columns="x,z,l")


@pytest.mark.parametrize("content", ["", "x,y,l\n", "x,y,l\n1,2\n", "x,y,l\n" + "1,a,0\n" * 12])
def test_cli_exits_2_with_one_line_for_bad_files(tmp_path, capsys, content):
    code = cli_main(["train", "--data", str(write(tmp_path, content)), "--steps", "1", "--json"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("bn-studio: ") and err.count("\n") == 1
    assert "Traceback" not in err


def test_cli_reports_skipped_rows(tmp_path, capsys):
    import json
    p = write(tmp_path, "x,y,l\n" + rows(40) + "1,,0\n")
    assert cli_main(["train", "--data", str(p), "--steps", "5", "--hidden", "4", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["skipped_rows"] == 1
