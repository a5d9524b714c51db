"""The byte parser (csv_bytes) reads plain decimals bit for bit as float() does, refuses
everything else, and a file read through it gives the same dataset as the careful reader."""

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bn_studio.core.data import csv_bytes, csv_io
from bn_studio.core.data.csv_read import load_csv

from csv_helpers import FUZZ, both as _both, outcome as _outcome


def _write(text: str):
    fd, name = tempfile.mkstemp(suffix=".csv", prefix="bn-csvbytes-")
    with os.fdopen(fd, "wb") as f:
        f.write(text.encode())
    return Path(name)


def _column(fields: list[str]):
    """csv_bytes.numbers of one column of fields, one per line."""
    text = ("\n" * csv_bytes.PAD + "".join(f + "\n" for f in fields)).encode()
    b = np.frombuffer(text, dtype=np.uint8)
    ends = np.flatnonzero(b == 10)[csv_bytes.PAD:]
    begins = ends - np.array([len(f) for f in fields])
    return csv_bytes.numbers(b, begins, ends)


@pytest.mark.parametrize("fields", [
    ["1.412154", "-0.316311", "+2.000000", "-0.000000", "0.000001", "123456789.123456"],
    ["0", "-0", "+7", "0012", "9007199254740992", "-1", "-0000000000000001"],
    [".5", "-.5", "+.5", "1.5"],
    ["5.", "-5.", "0."],
    ["0.1", "0.2", "0.3", "1234567890.1", "-9999999999999.9"],
])
def test_plain_decimals_are_read_bit_for_bit_as_float_reads_them(fields):
    x = _column(fields)
    assert x is not None
    assert x.tobytes() == np.array([float(f) for f in fields]).tobytes()     # −0 kept too


@pytest.mark.parametrize("bad", [
    "", "-", "+", ".", "-.", "1.2.3", "1-2", "--1", "+-1", "1e5", " 1", "1 ", "0x1", "1_0",
    "nan", "inf", "12345678901234567", "-12345678901234567", "9007199254740993", "1,5",
    "1\x0b",
])
def test_anything_else_is_refused(bad):
    assert _column(["1", bad, "2"]) is None
    assert _column([bad, "1", "2"]) is None


def test_a_point_in_another_place_is_refused():
    """The point is looked for where the first row has it; elsewhere the block goes on."""
    assert _column(["1.25", "12.5"]) is None
    assert _column(["1.25", "125"]) is None
    np.testing.assert_array_equal(_column(["1.25", "-2.50", "+0.75"]), [1.25, -2.5, 0.75])


@given(st.lists(st.tuples(st.integers(0, 10**15 - 1), st.sampled_from(["", "-", "+"])),
                min_size=1, max_size=50), st.integers(0, 15))
@FUZZ
def test_random_decimals_match_float(values, decimals):
    fields = []
    for v, sign in values:
        digits = str(v).rjust(decimals + 1, "0")
        fields.append(sign + (digits[:-decimals] + "." + digits[-decimals:] if decimals
                              else digits))
    fields = [f for f in fields if len(f) <= csv_bytes.NUMBER_BYTES]
    if not fields:
        return
    x = _column(fields)
    assert x is not None
    assert x.tobytes() == np.array([float(f) for f in fields]).tobytes()


def _spy(monkeypatch):
    """Counts the blocks the byte parser took."""
    took = []
    real = csv_bytes.parse

    def spy(*a, **k):
        out = real(*a, **k)
        took.append(out is not None)
        return out
    monkeypatch.setattr(csv_bytes, "parse", spy)
    return took


def test_the_benchmark_shape_goes_through_the_byte_parser(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(3000, 2)), rng.integers(0, 2, 3000)
    p = tmp_path / "m.csv"
    p.write_text("x1,x2,label\n" + "".join(f"{a:.6f},{b:.6f},{c}\n" for (a, b), c in zip(X, y)))
    monkeypatch.setattr(csv_io, "CHUNK_BYTES", 4096)
    took = _spy(monkeypatch)
    fast, careful = _both(p)
    assert fast == careful and fast[0] == "data"
    assert len(took) > 5 and all(took)
    np.testing.assert_array_equal(load_csv(p).X, np.array([[float(f"{a:.6f}"), float(f"{b:.6f}")]
                                                           for a, b in X]))


def test_a_refused_block_in_the_middle_is_read_the_slower_way(tmp_path, monkeypatch):
    rows = [f"{i / 8:.3f},{-i:.3f},{'ab'[i % 2]}\n" for i in range(400)]
    rows[200] = "1.5e3,2,a\n"                   # the byte parser refuses its block only
    rows[300] = "4.000,,b\n"                    # a missing value: skipped
    p = tmp_path / "mixed.csv"
    p.write_text("".join(rows))
    monkeypatch.setattr(csv_io, "CHUNK_BYTES", 512)
    took = _spy(monkeypatch)
    fast, careful = _both(p)
    assert fast == careful and fast[0] == "data" and fast[5] == 1
    assert took.count(False) == 2 and took.count(True) > 10


def test_results_do_not_depend_on_blocks_or_threads(tmp_path, monkeypatch):
    rng = np.random.default_rng(1)
    p = tmp_path / "t.csv"
    p.write_text("".join(f"{a:.4f};{b:.2f};{'xyz'[c]}\r\n" for (a, b), c in
                         zip(rng.normal(size=(2000, 2)) * 50, rng.integers(0, 3, 2000))))
    outcomes = []
    for chunk, threads in ((csv_io.CHUNK_BYTES, 2), (300, 1), (300, 2), (1000, 3)):
        monkeypatch.setattr(csv_io, "CHUNK_BYTES", chunk)
        monkeypatch.setattr(csv_io, "THREADS", threads)
        outcomes.append(_outcome(p))
    assert outcomes[0][0] == "data" and outcomes[0][2] == (2000, 2)
    assert all(o == outcomes[0] for o in outcomes)


NUMBERS = st.one_of(
    st.integers(-10**9, 10**9).map(str),
    st.tuples(st.integers(-10**6, 10**6), st.integers(0, 10**6 - 1)).map(
        lambda t: f"{'-' if t[0] < 0 else ''}{abs(t[0])}.{t[1]:06d}"),
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: f"{v:.3f}"),
    st.sampled_from(["-0", "+1", "007", ".5", "5.", "-0.000", "1.5e3", "", "NA", "x", " 1",
                     "12345678901234567", "-", "1.2.3"]),
)
LABELS = st.sampled_from(["0", "1", "2", "a", "b", " c ", "", "NA", "abcdefgh", "abcdefghij"])


@st.composite
def plain_files(draw):
    """Mostly plain files (the byte parser's kind), with now and then a field it refuses."""
    sep = draw(st.sampled_from([",", ";", "\t"]))
    end = draw(st.sampled_from(["\n", "\r\n"]))
    width = draw(st.integers(3, 5))
    n = draw(st.integers(10, 120))
    fixed = draw(st.integers(0, 6))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.normal(size=(n, 2)) * 10 ** draw(st.integers(0, 6))
    labels = draw(st.lists(LABELS, min_size=2, max_size=4))
    rows = []
    for i in range(n):
        r = [f"{x[i, 0]:.{fixed}f}", f"{x[i, 1]:.{fixed}f}", labels[int(rng.integers(len(labels)))]]
        rows.append(r + ["z"] * (width - 3))
    for _ in range(draw(st.integers(0, 3))):
        rows[draw(st.integers(0, n - 1))][draw(st.integers(0, 1))] = draw(NUMBERS)
    order = draw(st.permutations(range(width)))
    rows = [[r[j] for j in order] for r in rows]
    header = draw(st.booleans())
    text = (sep.join(f"c{j}" for j in order) + end if header else "")
    text += end.join(sep.join(r) for r in rows) + draw(st.sampled_from(["", end]))
    columns = ",".join(str(order.index(j)) for j in range(3))
    return text, columns


@FUZZ
@given(plain_files(), st.sampled_from([64, 300, 4096]))
def test_byte_parser_and_careful_reader_agree_on_random_files(file, chunk):
    text, columns = file
    p = _write(text)
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(csv_io, "CHUNK_BYTES", chunk)
            fast, careful = _both(p, columns)
    finally:
        p.unlink()
    assert fast == careful


@pytest.mark.parametrize("read_bytes", [1, 7, 100, 5000])
def test_a_file_read_in_small_pieces_gives_the_same_dataset(tmp_path, monkeypatch, read_bytes):
    """Blocks are cut and parsed as the pieces come in: a header, a line or a block split
    over pieces, a BOM and a last line without LF change nothing."""
    rng = np.random.default_rng(2)
    p = tmp_path / "pieces.csv"
    rows = "".join(f"{a:.3f},{b:.3f},{'pq'[c]}\n" for (a, b), c in
                   zip(rng.normal(size=(400, 2)), rng.integers(0, 2, 400)))
    p.write_bytes(csv_io.BOM + ("first,second,label\n" + rows + "1.000,2.000,p").encode())
    expected = _both(p)
    assert expected[0] == expected[1] and expected[0][2] == (401, 2)
    monkeypatch.setattr(csv_io, "READ_BYTES", read_bytes)
    monkeypatch.setattr(csv_io, "CHUNK_BYTES", 300)
    took = _spy(monkeypatch)
    assert _outcome(p) == expected[0]
    assert len(took) > 20 and all(took)
