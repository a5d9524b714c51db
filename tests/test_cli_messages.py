"""Small refusals done right: one line each, and files saved by other programs accepted."""

import json
import warnings

import numpy as np
import pytest

from bn_studio.cli import main
from bn_studio.core.data.csv_read import load_csv
from bn_studio.core.lessons.pack import LessonPackError, example_pack_path, read_pack
from bn_studio.workspace import WorkspaceError, check_workspace, load_workspace


def err_lines(capsys) -> list[str]:
    return capsys.readouterr().err.splitlines()


@pytest.mark.parametrize("argv, what", [
    (["train", "--lr", "x"], "bn-studio train: argument --lr: invalid float value: 'x'"),
    (["train", "--dataset", "nope"], "bn-studio train: argument --dataset: invalid choice"),
    (["search", "--param"], "bn-studio search: argument --param: expected one argument"),
    (["screenshot"], "bn-studio screenshot: the following arguments are required: OUT.png"),
    (["nope"], "bn-studio: argument command: invalid choice: 'nope'"),
])
def test_usage_errors_are_one_line_and_say_where_the_options_are(capsys, argv, what):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    lines = err_lines(capsys)
    assert len(lines) == 1 and lines[0].startswith(what)
    command = "bn-studio" if argv[0] == "nope" else f"bn-studio {argv[0]}"
    assert lines[0].endswith(f"(see {command} --help)")


def test_a_changes_step_is_capped_as_in_lesson_packs(capsys):
    assert main(["train", "--change", "1" + "0" * 21 + ":lr=5", "--steps", "3"]) == 2
    lines = err_lines(capsys)
    assert len(lines) == 1 and "at most 1,000,000 (the limit on steps)" in lines[0]


def test_screenshot_with_a_data_file_name_too_long_is_one_line(capsys, tmp_path):
    assert main(["screenshot", str(tmp_path / "x.png"), "--data", "a" * 300 + ".csv"]) == 2
    lines = err_lines(capsys)
    assert len(lines) == 1 and lines[0].endswith(".csv: cannot be read (File name too long)")


def test_screenshot_checks_a_readable_data_file_and_refuses_a_missing_one(tmp_path):
    from argparse import Namespace

    from bn_studio.errors import UsageError
    from bn_studio.gui.app import _check_names
    good = tmp_path / "good.csv"
    good.write_text("x,y,label\n0,1,a\n1,0,b\n")
    _check_names(Namespace(panel=None, dataset=None, data=str(good), columns=None))
    with pytest.raises(UsageError, match="missing.csv"):
        _check_names(Namespace(panel=None, dataset=None, data=str(tmp_path / "missing.csv"),
                               columns=None))


@pytest.mark.parametrize("option", [["--lr", "1e300"], ["--l2", "1e300"]])
def test_huge_values_diverge_without_runtime_warnings(capsys, option):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert main(["train", *option, "--steps", "20", "--json"]) == 0
    assert [w for w in caught if issubclass(w.category, RuntimeWarning)] == []
    out = json.loads(capsys.readouterr().out)
    assert out["bn"]["diverged_at"] is not None


@pytest.mark.parametrize("doc", [{}, {"dataset": None}, {"dataset": {}},
                                 {"dataset": {"kind": "generated", "n": 100}}])
def test_a_workspace_without_a_dataset_says_so(doc):
    with pytest.raises(WorkspaceError) as e:
        check_workspace({"format": "bn-studio-workspace", "version": 1, **doc})
    assert "has no dataset" in str(e.value) or "dataset has no name" in str(e.value)
    assert "needs a \"dataset\" object naming one of moons" in str(e.value)


@pytest.mark.parametrize("encoding, bom", [("utf-8", b"\xef\xbb\xbf"), ("utf-16", b""),
                                           ("utf-16-le", b"\xff\xfe"), ("utf-32", b"")])
def test_json_files_with_a_bom_or_in_utf16_open(tmp_path, encoding, bom):
    ws = tmp_path / "ws.json"
    ws.write_bytes(bom + json.dumps({"format": "bn-studio-workspace", "version": 1,
                                     "dataset": {"name": "xor"}}).encode(encoding))
    assert check_workspace(load_workspace(ws)).generated == {"name": "xor"}
    pack = tmp_path / "pack.json"
    pack.write_bytes(bom + example_pack_path().read_text().encode(encoding))
    assert read_pack(pack).title.startswith("Example pack")


@pytest.mark.parametrize("encoding, bom", [("utf-16", b""), ("utf-16-le", b""),
                                           ("utf-16-be", b""), ("utf-32", b"")])
def test_a_csv_saved_as_unicode_text_opens(tmp_path, encoding, bom):
    """Spreadsheets save "Unicode text" as UTF-16 (with a BOM, sometimes without)."""
    text = "x\ty\tlabel\n" + "".join(f"{i % 7}\t{i % 5 * 1.5}\t{'pq'[i % 2]}é\n"
                                     for i in range(40))
    p = tmp_path / "unicode.csv"
    p.write_bytes(bom + text.encode(encoding))
    ds = load_csv(p)
    assert ds.X.shape == (40, 2) and ds.class_names == ["pé", "qé"]


def test_numeric_labels_that_are_equal_numbers_keep_one_order_in_both_readers(tmp_path):
    labels = ["1.0", "1", "01", "2"]
    rows = "".join(f"{i % 7},{i % 5 * 1.5},{labels[i % 4]}\n" for i in range(60))
    fast, careful = tmp_path / "fast.csv", tmp_path / "careful.csv"
    fast.write_text(rows)
    careful.write_text(rows.replace(",2\n", ',"2"\n'))       # quotes: the csv module reads it
    a, b = load_csv(fast), load_csv(careful)
    assert a.class_names == b.class_names == ["01", "1", "1.0", "2"]
    np.testing.assert_array_equal(a.y, b.y)


def test_the_pack_size_error_names_its_limit(tmp_path):
    p = tmp_path / "big.json"
    p.write_bytes(b" " * (300 * 1024))
    with pytest.raises(LessonPackError) as e:
        read_pack(p)
    assert str(e.value) == "big.json: 300 KiB; the limit on lesson pack size is 256 KiB"
