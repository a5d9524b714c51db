"""Generators keep their promises; CSV import accepts good files and names the problem in bad
ones."""

import numpy as np
import pytest

from bn_studio.cli import main as cli_main
from bn_studio.core.data.csv_read import load_csv
from bn_studio.core.data.datasets import (DATASETS, DEFAULT_CLASSES, Dataset, DatasetError,
                                          from_points, make_dataset, split_and_standardize)


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


def test_fixed_class_datasets_accept_their_own_count():
    assert make_dataset("moons", classes=2).classes == 2
    with pytest.raises(DatasetError, match="always has 2"):
        make_dataset("xor", classes=3)


def test_n_is_exact_and_classes_balanced_for_odd_sizes():
    ds = make_dataset("spirals", n=101, classes=3)
    assert len(ds.y) == 101 and sorted(np.bincount(ds.y)) == [33, 34, 34]


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
    ({"name": "blobs", "noise": float("nan")}, "noise"),
])
def test_bad_generator_arguments(kwargs, words):
    with pytest.raises(DatasetError, match=words) as e:
        make_dataset(**kwargs)
    assert "\n" not in str(e.value)


def test_unknown_dataset_message_lists_the_valid_names():
    with pytest.raises(DatasetError) as e:
        make_dataset("moon")
    assert all(name in str(e.value) for name in DATASETS)


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
    np.testing.assert_array_equal(s.y_val, t.y_val)
    u = split_and_standardize(ds, val_fraction=0.25, seed=2)
    assert not np.array_equal(s.X_train, u.X_train)


def test_split_uses_training_statistics_for_both_parts():
    ds = make_dataset("moons", n=200, noise=0.3)
    s = split_and_standardize(ds, seed=0)
    raw_train, raw_val = s.unstandardize(s.X_train), s.unstandardize(s.X_val)
    np.testing.assert_allclose(s.mean, raw_train.mean(0))
    np.testing.assert_allclose(s.std, raw_train.std(0))
    np.testing.assert_allclose(s.X_val, (raw_val - raw_train.mean(0)) / raw_train.std(0))
    assert np.abs(s.X_val.mean(0)).max() > 1e-6          # not re-centred on its own statistics
    # Every original point lands in exactly one part, with its own label.
    both = np.concatenate([raw_train, raw_val])
    order = np.lexsort(both.T)
    np.testing.assert_allclose(both[order], ds.X[np.lexsort(ds.X.T)], atol=1e-12)
    labels = np.concatenate([s.y_train, s.y_val])[order]
    np.testing.assert_array_equal(labels, ds.y[np.lexsort(ds.X.T)])


def test_split_keeps_a_small_class_in_both_parts():
    X = np.random.default_rng(0).normal(size=(53, 2))
    y = np.array([0] * 50 + [1] * 3)
    s = split_and_standardize(Dataset(X, y, ["big", "small"], "t"), val_fraction=0.25)
    assert (s.y_train == 1).sum() >= 1 and (s.y_val == 1).sum() >= 1
    assert s.class_names == ["big", "small"] and s.classes == 2


def test_constant_column_gets_std_one():
    X = np.column_stack([np.arange(20.0), np.full(20, 3.0)])
    s = split_and_standardize(Dataset(X, np.arange(20) % 2, ["0", "1"], "t"))
    assert s.std[1] == 1.0
    assert np.all(np.isfinite(s.X_train)) and np.all(s.X_train[:, 1] == 0)
    np.testing.assert_allclose(s.standardize([[5.0, 3.0]])[0, 1], 0.0)


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
    text = "x,y,l\n" + rows() + "1,,0\nNA,2,1\n3,4,\nnan,1,0\n?,1,1\ninf,1,0\n2,-inf,1\n"
    ds = load_csv(write(tmp_path, text))
    assert ds.X.shape == (12, 2) and ds.skipped_rows == 7
    assert np.all(np.isfinite(ds.X))


def test_csv_tab_delimiter_quotes_crlf_and_bom(tmp_path):
    text = "x\ty\tlabel\r\n" + rows(labels=('"a, b"', "c"), sep="\t").replace("\n", "\r\n")
    p = tmp_path / "t.tsv"
    p.write_bytes(b"\xef\xbb\xbf" + text.encode())
    ds = load_csv(p)
    assert ds.X.shape == (12, 2) and ds.class_names == ["a, b", "c"] and ds.name == "t.tsv"


def test_csv_headerless_with_string_label_column_first_row_is_data(tmp_path):
    # A word in the label column of row 1 is no sign of a header when that column is all words.
    text = "".join(f"{i};{'ab'[i % 2]};{i};{i * i}\n" for i in range(12))
    ds = load_csv(write(tmp_path, text), columns="2,3,1")
    assert ds.X.shape == (12, 2) and ds.X[0].tolist() == [0.0, 0.0]


def test_csv_default_features_are_the_first_two_numeric_columns(tmp_path):
    text = "id,x,y,label\n" + "".join(f"r{i},{i},{i * i},{'pq'[i % 2]}\n" for i in range(12))
    ds = load_csv(write(tmp_path, text))
    assert ds.X[3].tolist() == [3.0, 9.0] and ds.class_names == ["p", "q"]


def test_csv_labels_match_their_rows(tmp_path):
    text = "x,y,l\n" + "".join(f"{i},{i},{'no' if i < 6 else 'yes'}\n" for i in range(12))
    ds = load_csv(write(tmp_path, text))
    np.testing.assert_array_equal(ds.y, (ds.X[:, 0] >= 6).astype(int))
    assert ds.y.dtype == np.int64 and ds.X.dtype == np.float64


def test_csv_100k_rows_load_quickly(tmp_path):
    import time
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(100_000, 2)), rng.integers(0, 3, 100_000)
    body = "".join(f"{a:.6f},{b:.6f},c{c}\n" for (a, b), c in zip(X, y))
    p = write(tmp_path, "x,y,label\n" + body)
    t0 = time.perf_counter()
    ds = load_csv(p)
    assert time.perf_counter() - t0 < 2.0
    assert ds.X.shape == (100_000, 2) and ds.classes == 3
    np.testing.assert_allclose(ds.X, X, atol=1e-6)


@pytest.mark.parametrize("content, words", [
    ("", "empty"),
    ("\n\n", "empty"),
    ("x,y,label\n", "only a header"),
    ("x,y,label\n" + rows(labels=("a",)), "only one class"),
    ("x,y,label\n" + rows() + "1,oops,0\n", "line 14: column 'y' is not a number"),
    (rows() + "1,oops,0\n", "line 13: column 2 .* is not a number"),
    ("x,y,label\n" + rows() + "1,2\n", "line 14 has 2 fields"),
    ("x,y,label\n" + rows() + "1,2,0,5\n", "line 14 has 4 fields"),
    ("x,y,label\n" + rows(5), "only 5 usable rows"),
    ("x,y\n1,2\n", "need two feature columns"),
])
def test_bad_csv_files_get_one_line_messages(tmp_path, content, words):
    with pytest.raises(DatasetError, match=words) as e:
        load_csv(write(tmp_path, content))
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("content, words", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10, "binary"),
    (b"\xff\xfe\x81\x82,1,2\n" * 12, "UTF-8"),
])
def test_binary_files_are_refused(tmp_path, content, words):
    p = tmp_path / "b.csv"
    p.write_bytes(content)
    with pytest.raises(DatasetError, match=words) as e:
        load_csv(p)
    assert "\n" not in str(e.value)


def test_missing_file_and_folder(tmp_path):
    for path, words in ((tmp_path / "missing.csv", "no such file"), (tmp_path, "folder")):
        with pytest.raises(DatasetError, match=words) as e:
            load_csv(path)
        assert "\n" not in str(e.value)


@pytest.mark.parametrize("header, columns, words", [
    (True, "x,z,l", "unknown column 'z'; columns are x, y, l"),
    (True, "0,1,7", "unknown column '7'"),
    (False, "x,y,l", "unknown column 'x'; the file has no header"),
    (True, "x,x,l", "names a column twice"),
    (True, "x,y", "three names"),
])
def test_bad_column_selection(tmp_path, header, columns, words):
    p = write(tmp_path, ("x,y,l\n" if header else "") + rows())
    with pytest.raises(DatasetError, match=words) as e:
        load_csv(p, columns=columns)
    assert "\n" not in str(e.value)


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
