"""The fast CSV path gives exactly what the careful row-by-row reader gives: the same arrays,
labels and skipped count, or the same one-line error, on ordinary and on hostile files."""

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bn_studio.core.data import csv_io, csv_read
from bn_studio.core import limits
from bn_studio.core.data.csv_read import load_csv

from csv_helpers import FUZZ, both as _both, force_careful as _careful, outcome as _outcome


def _write(data) -> Path:
    fd, name = tempfile.mkstemp(suffix=".csv", prefix="bn-csvio-")
    with os.fdopen(fd, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass"))
    return Path(name)


def test_a_plain_file_takes_the_fast_path(tmp_path, monkeypatch):
    p = tmp_path / "plain.csv"
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(5000, 2)), rng.integers(0, 3, 5000)
    p.write_text("x,y,label\n" + "".join(f"{float(a)!r},{float(b)!r},k{c}\n"
                                        for (a, b), c in zip(X, y)))

    def no_careful(*a, **k):
        raise AssertionError("the careful reader ran")
    monkeypatch.setattr(csv_read, "_parse_rows", no_careful)
    ds = load_csv(p)
    np.testing.assert_array_equal(ds.X, X)          # repr round-trips: exact
    np.testing.assert_array_equal(ds.y, y)
    assert ds.class_names == ["k0", "k1", "k2"]


def test_a_file_read_in_chunks_skips_its_header_on_the_fast_path(tmp_path, monkeypatch):
    """A BOM keeps the file from the one-pass reader: its chunks go to the C reader, the
    first one from below the header, and the careful reader never runs."""
    p = tmp_path / "bom.csv"
    X = np.arange(600, dtype=float).reshape(300, 2) / 7
    rows = "".join(f"{float(a)!r};{float(b)!r};{'pq'[i % 2]}\n" for i, (a, b) in enumerate(X))
    p.write_bytes(csv_io.BOM + ("a;b;c\n" + rows).encode())
    monkeypatch.setattr(csv_io, "CHUNK_BYTES", 1024)
    monkeypatch.setattr(csv_read, "_parse_rows", lambda *a, **k: pytest.fail("careful ran"))
    ds = load_csv(p)
    np.testing.assert_array_equal(ds.X, X)
    assert ds.y.tolist() == [0, 1] * 150 and ds.class_names == ["p", "q"]


def test_missing_and_padded_labels_are_read_alike_on_the_fast_path(tmp_path, monkeypatch):
    """Labels are stripped (' a ' is a); a missing label (' none ', NA, empty) or a non-finite
    feature skips its row: the same as the careful reader, without it."""
    p = tmp_path / "missing.csv"
    p.write_text("x,y,l\n" + "".join(f"{i},{-i},{[' a ', 'b  '][i % 2]}\n" for i in range(20))
                 + "3,4, none \n5,6,NA\n7,8,\nnan,1,a\n9,inf, b\n")
    careful = _both(p)[1]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(csv_read, "_parse_rows", lambda *a, **k: pytest.fail("the careful reader ran"))
        fast = _outcome(p)
    assert fast == careful
    _, _, shape, y, names, skipped = fast
    assert (shape, y, names, skipped) == ((20, 2), [0, 1] * 10, ["a", "b"], 5)


@pytest.mark.parametrize("text, columns", [
    ("x,y,l\n" + "".join(f"{i * 0.5},{-i},{i % 2}\n" for i in range(20)), None),
    ("x, y, l\r\n" + "".join(f" {i} ,\t{i * i} , c{i % 3} \r\n" for i in range(20)), None),
    ("\ufeffa;b;c\n" + "".join(f"{i};{i};{'ab'[i % 2]}\n" for i in range(20)), None),
    ("id,label,x,y\n" + "".join(f"r{i},{'pq'[i % 2]},{i},{-i}\n" for i in range(20)), "y,x,label"),
    ("x,y,l\n" + "".join(f"{i},{i},{i % 2}\n" for i in range(20)) + "1,,0\nNA,2,1\n3,4, none \n"
     "inf,1,0\n-1e999,2,1\n,,\n   \n\n;;\n", None),
    ("x,y,l\n" + "".join(f"{i},{i},{i % 2}\n" for i in range(20)) + "1,2\n", None),
    ("x,y,l\n" + "".join(f"{i},{i},{i % 2}\n" for i in range(20)) + "1,2.3.4,0\n", None),
    ("x,y,l\n" + "".join(f"{i},{i},{i % 2}\n" for i in range(20)) + "1,1_000,0\n", None),
    ("x,y,l\n" + "".join(f"{i},{i},{i % 2}\n" for i in range(20)) + "1,Infinity,0\n", None),
    ("x,y,l\n" + "".join(f"{i},{i},{i % 2}\n" for i in range(20)) + '1,2,"a"\n', None),
    ("x,y,l\n" + "".join(f"{i},{i},{i}\n" for i in range(20)), None),
    ("".join(f"{i},{i},{i % 2}" + "\r" for i in range(20)), None),
    ("x,y,l\n" + "".join(f"{i},{i},{i % 2}\n" for i in range(20)) + "," * 1200 + "\n", None),
    ("x,y,l\n" + "".join(f"{i},{i},{'x' * 70}{i % 2}\n" for i in range(20)), None),
    ("x,y,l\n" + "".join(f"{i},{i},é{i % 2}\n" for i in range(20)), None),
    ("x,y,l\n" + "".join(f"{i},{i},{['abcdefg', 'abcdefgh', 'abcdefghi'][i % 3]}\n"
                         for i in range(20)), None),
    ("x,y,l\n" + "".join(f"{i},{i},{'q' * (31 + i % 3)}\n" for i in range(20)), None),
    ("x,y,l\n" + "".join(f"{i}\x0b,\x0c{i},{'ab'[i % 2]}\x1f\n" for i in range(20)), None),
    ("x,y,l\n" + "".join(f"{i},{i}\x7f,\x1c{'ab'[i % 2]}\n" for i in range(20)), None),
    ("x,y,l\n" + "".join(f"{i},{i},{'ab'[i % 2]}\n" for i in range(20)) + "1,2\x0b3,a\n", None),
    ("x,y,l\n" + "".join(f"{i},{i},{'ab'[i % 2]}\n" for i in range(20)) + "1,2,a\x00\n", None),
    ("x,y,l\n" + "".join(f"{i}e,{i},{i % 2}\n" for i in range(20)), None),
])
def test_fast_and_careful_agree_on_examples(text, columns):
    p = _write(text)
    try:
        fast, careful = _both(p, columns)
    finally:
        p.unlink()
    assert fast == careful


def test_the_row_limit_is_worded_alike(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_POINTS", 50)
    p = tmp_path / "rows.csv"
    p.write_text("".join(f"{i},{i % 5},{i % 2}\n" for i in range(60)))
    fast, careful = _both(p)
    assert fast == careful and "more than 50 data rows" in fast[1]
    p.write_text("".join(f"{i},{i % 5},{i % 2}\n" for i in range(30)) + "1,x,0\n" * 40)
    fast, careful = _both(p)
    assert fast == careful and "line 31" in fast[1]


def test_chunk_edges_do_not_split_rows(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_io, "CHUNK_BYTES", 37)
    p = tmp_path / "c.csv"
    p.write_text("x,y,l\r\n" + "".join(f"{i / 7},{-i},{'ab'[i % 2]}\r\n" for i in range(300)))
    fast, careful = _both(p)
    assert fast == careful and fast[0] == "data" and fast[2] == (300, 2)


FIELDS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10**20, 10**20).map(str),
    st.sampled_from(["", " ", "NA", "nan", "N/A", "None", "?", "-", "+", ".", "1e", "e5", "x",
                     "1.5e-3", " 2 ", "\t3", "1 2", "1-2", "0x10", "1_0", "inf", "-Inf", '"q"',
                     "é", "1,5", "1\x0b", "\x0c2", "a\x1f", "\x7f", "3\x1c4", "\x00"]),
)


@st.composite
def csv_texts(draw):
    width = draw(st.integers(2, 5))
    sep = draw(st.sampled_from([",", ";", "\t"]))
    end = draw(st.sampled_from(["\n", "\r\n"]))
    rows = [[draw(FIELDS) for _ in range(width)] for _ in range(draw(st.integers(0, 8)))]
    good = draw(st.integers(0, 40))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    labels = draw(st.lists(st.sampled_from(["0", "1", "2", "a", "b", "10", " c "]), min_size=1,
                           max_size=4))
    body = [[f"{a:.4g}", f"{b:.4g}"] + [labels[k % len(labels)]] + ["0"] * (width - 3)
            for a, b, k in zip(rng.normal(size=good), rng.normal(size=good),
                               rng.integers(0, 9, good))]
    body = [r[:width] for r in body]
    for r in rows:
        body.insert(draw(st.integers(0, len(body))), r)
    if draw(st.booleans()):
        body.insert(0, ["x", "y", "label", "z", "w"][:width])
    return end.join(sep.join(r) for r in body) + draw(st.sampled_from(["", end]))


@FUZZ
@given(csv_texts())
def test_fast_and_careful_agree_on_generated_files(text):
    p = _write(text)
    try:
        fast, careful = _both(p)
    finally:
        p.unlink()
    assert fast == careful


def test_a_label_seen_only_on_skipped_rows_is_no_class(tmp_path):
    """The careful reader records a label only for rows it keeps; the fast path read the
    label of a row skipped for a NaN feature as a second class."""
    p = tmp_path / "one.csv"
    p.write_text("0.5,nan,0.0\n" + "".join(f"{i},{-i},0\n" for i in range(12)))
    fast, careful = _both(p)
    assert fast == careful == ("error", "one.csv: only one class ('0'); need at least 2")
    p.write_text("0.5,nan,z\n" + "".join(f"{i},{-i},{'ab'[i % 2]}\n" for i in range(12)))
    fast, careful = _both(p)
    assert fast == careful and fast[4] == ["a", "b"]


def test_the_reference_helper_never_takes_the_fast_path(tmp_path, monkeypatch):
    p = tmp_path / "plain.csv"
    p.write_text("".join(f"{i},{-i},{i % 2}\n" for i in range(20)))
    monkeypatch.setattr(csv_io, "FastReader", lambda *a, **k: pytest.fail("fast path ran"))
    _careful(monkeypatch)
    assert _outcome(p)[0] == "data"


def test_a_bad_byte_past_the_row_limit_is_worded_as_the_careful_reader_words_it(tmp_path,
                                                                                 monkeypatch):
    """Blocks are checked as they are parsed; the careful reader decodes ahead of the row it
    counts, so a non-UTF-8 byte just past the limit is its error, not the limit."""
    monkeypatch.setattr(limits, "MAX_POINTS", 20_000)   # past the first 64 KiB (sniffed)
    monkeypatch.setattr(csv_io, "CHUNK_BYTES", 1024)
    p = tmp_path / "late.csv"
    p.write_bytes(b"".join(b"%d,%d,%d\n" % (i, i % 5, i % 2) for i in range(20_300))
                  + b"1,2,\xff\n")               # 3 KB on: a later block, the same 8 KB
    fast, careful = _both(p)
    assert fast == careful and "UTF-8" in fast[1]
