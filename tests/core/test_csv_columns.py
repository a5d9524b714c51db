"""The columns of a CSV file: a preview from a sample, the class column guessed from the data,
the user's choice as the command line's --columns, and the features' names on the data."""

import numpy as np
import pytest

from bn_studio.core.data import csv_columns
from bn_studio.core import limits
from bn_studio.core.data.csv_preview import preview_csv
from bn_studio.core.data.csv_read import pick_columns
from bn_studio.core.data.csv_read import load_csv
from bn_studio.core.data.datasets import FEATURE_NAMES, DatasetError, make_dataset


def test_iris_preview_shows_every_column_and_guesses_the_species(iris_csv):
    p = preview_csv(iris_csv)
    assert [c.name for c in p.columns] == ["sepal_length", "sepal_width", "petal_length",
                                           "petal_width", "species"]
    assert [c.kind for c in p.columns] == ["number"] * 4 + ["text"]
    assert p.columns[4].distinct == 3 and p.columns[4].samples[0] == "Iris-setosa"
    assert p.complete and p.estimated_rows == 150
    assert p.guess == (0, 1, 4)                       # what the command line takes by default
    assert csv_columns.best_pair(p, 4) == (2, 3)      # the petals separate the species best
    assert csv_columns.classes_in(p, 4) == {"Iris-setosa": 50, "Iris-versicolor": 50,
                                            "Iris-virginica": 50}


def test_wine_with_the_class_first_is_guessed_from_the_data(wine_csv):
    """The old default took the last column (proline: 178 values) as the label and failed."""
    p = preview_csv(wine_csv)
    assert p.guess == (1, 2, 0)
    ds = load_csv(wine_csv)                            # no --columns: the same guess
    assert ds.class_names == ["1", "2", "3"]
    assert ds.feature_names == ("alcohol", "malic_acid")
    assert csv_columns.best_pair(p, 0) == (7, 13)      # flavanoids and proline


def test_the_choice_is_the_command_lines_columns_and_names_the_features(iris_csv):
    p = preview_csv(iris_csv)
    arg = csv_columns.columns_arg(p, 2, 3, 4)
    assert arg == "petal_length,petal_width,species"
    assert pick_columns(arg, p.header, p.rows) == (2, 3, 4)
    ds = load_csv(iris_csv, columns=arg)
    assert ds.feature_names == ("petal_length", "petal_width")
    assert ds.classes == 3 and ds.X.shape == (150, 2)
    np.testing.assert_allclose(ds.X[:, 0], csv_columns.numbers_of(p, 2))


def test_names_that_cannot_go_in_columns_become_indices(tmp_path):
    path = tmp_path / "odd.csv"
    rows = [f"{i},{i % 7}.5,{(i * 3) % 11}.25,{'ab'[i % 2]}" for i in range(30)]
    path.write_text('"a,b",1,x,x\n' + "\n".join(rows) + "\n")
    p = preview_csv(path)
    # "a,b" holds a comma, "1" reads as a number (and as the index of another column), "x"
    # comes twice: indices, the one that is a name counted from the end.
    arg = csv_columns.columns_arg(p, 0, 1, 3)
    assert arg == "0,-3,3"
    assert pick_columns(arg, p.header, p.rows) == (0, 1, 3)
    assert load_csv(path, columns=arg).feature_names == ("a,b", "1")


@pytest.mark.parametrize("x1, x2, label, words", [
    (0, 0, 4, "three different columns"),
    (0, 4, 1, "holds text"),
    (2, 3, 0, "35 different values"),
])
def test_a_choice_that_cannot_work_is_one_line(iris_csv, x1, x2, label, words):
    problem = csv_columns.choice_problem(preview_csv(iris_csv), x1, x2, label)
    assert words in problem and "\n" not in problem


def test_ten_thousand_classes_and_one_class_are_named(tmp_path):
    many = tmp_path / "ids.csv"
    many.write_text("x,y,id\n" + "\n".join(f"{i * 0.5},{i % 13},id{i}"
                                           for i in range(10_000)) + "\n")
    p = preview_csv(many)
    problem = csv_columns.choice_problem(p, 0, 1, 2)
    assert "10,000 different values; the limit on classes is 8" in problem
    one = tmp_path / "one.csv"
    one.write_text("x,y,c\n" + "\n".join(f"{i},{i * 2},a" for i in range(20)) + "\n")
    assert csv_columns.choice_problem(preview_csv(one), 0, 1, 2) == \
        "c has only one value (a): need at least 2 classes"


def test_files_with_nothing_to_pick_get_one_line(tmp_path):
    words = tmp_path / "words.csv"
    words.write_text("name,city,kind\n" + "ann,oslo,a\nbob,rome,b\n" * 10)
    with pytest.raises(DatasetError, match="no numeric column; need two numeric feature"):
        preview_csv(words)
    one = tmp_path / "one.csv"
    one.write_text("name,size,kind\n" + "ann,1.5,a\nbob,2.5,b\n" * 10)
    with pytest.raises(DatasetError, match=r"only one numeric column \(size\)"):
        preview_csv(one)


def test_a_long_file_sorted_by_class_shows_every_class_in_its_sample(tmp_path):
    """A preview reads the first rows and rows from further down: a file sorted by class
    still shows its last class, and the row count is estimated."""
    path = tmp_path / "sorted.csv"
    n = 300_000
    label = np.repeat(["low", "mid", "high"], n // 3)
    x = np.arange(n) * 0.001
    with open(path, "w") as f:
        f.write("x,y,level\n")
        f.writelines(f"{a:.3f},{a * 2:.3f},{c}\n" for a, c in zip(x, label))
    p = preview_csv(path)
    assert not p.complete and len(p.rows) < 100_000
    assert set(csv_columns.classes_in(p, 2)) == {"low", "mid", "high"}
    assert abs(p.estimated_rows - n) < 0.05 * n


def test_separation_is_the_share_of_variance_between_the_class_means(tmp_path):
    path = tmp_path / "s.csv"
    # x: class means 0 and 2, each class ±1 around them: total variance 2, between 1 → 0.5.
    rows = ["-1,0,a", "1,0,a", "1,0,b", "3,0,b"] * 5
    path.write_text("x,y,c\n" + "\n".join(rows) + "\n")
    p = preview_csv(path)
    assert csv_columns.separation(p, 0, 2) == pytest.approx(0.5)
    assert csv_columns.separation(p, 1, 2) == 0.0         # the same in both classes


def test_generated_data_keeps_the_plain_axis_names():
    assert make_dataset("moons").feature_names == FEATURE_NAMES == ("x₁", "x₂")


def test_a_huge_header_name_is_cut_to_the_name_limit(tmp_path):
    path = tmp_path / "long.csv"
    name = "n" * 5000
    path.write_text(f"{name},y,c\n" + "\n".join(f"{i},{i % 3},{i % 2}" for i in range(20)))
    ds = load_csv(path)
    assert len(ds.feature_names[0]) == limits.MAX_NAME_CHARS
    assert ds.feature_names[0].endswith("…")


def test_a_workspace_reference_reads_the_file_again_with_the_same_columns(iris_csv):
    from bn_studio.core.data import csv_source
    ds = csv_source.load_sourced(iris_csv, load_csv, "petal_length,petal_width,species")
    ref = csv_source.from_dict(csv_source.to_dict(csv_source.reference_of(ds, iris_csv.parent)))
    again = csv_source.read_reference(ref, iris_csv.parent)
    assert again.feature_names == ("petal_length", "petal_width")
    np.testing.assert_array_equal(again.X, ds.X)
