"""Refusing a file costs little, however the file is made: the class limit is checked while
reading, every echo of the file's text is short, blank lines and lone CRs are passed over in
bulk, and a file is read no further than the size it had when opened (benchmarks/
hostile_inputs.py measures the seconds and megabytes of each refusal)."""

import csv
import io
import os
import subprocess
import sys

import pytest

from bn_studio.core.data import csv_read
from bn_studio.core import limits
from bn_studio.core.data.csv_read import load_csv
from bn_studio.core.data.datasets import DatasetError


def rows(n, label=lambda i: "pq"[i % 2]):
    return "".join(f"{i % 7},{i % 5 * 1.5},{label(i)}\n" for i in range(n))


def refusal(path, **kw) -> str:
    with pytest.raises(DatasetError) as e:
        load_csv(path, **kw)
    return str(e.value)


def test_the_class_limit_is_checked_while_reading(tmp_path):
    """The 9th label stops the reading: the bad line at the end is never reached."""
    p = tmp_path / "labels.csv"
    p.write_text(rows(100_000, label=lambda i: f"L{i}") + "x,y,z\n")
    why = refusal(p, columns="0,1,2")
    assert why == ("labels.csv: more than 8 different labels (the 9th, 'L8', on line 9); the "
                   "limit on classes is 8 (is 'column 3' really the label? pick the columns: "
                   "--columns X1,X2,LABEL)")


def test_the_class_limit_is_checked_while_reading_the_careful_way(tmp_path):
    p = tmp_path / "quoted.csv"          # quotes: the csv module reads it, row by row
    p.write_text(rows(100_000, label=lambda i: f'"L{i}"') + "x,y,z\n")
    assert "(the 9th, 'L8', on line 9)" in refusal(p, columns="0,1,2")


@pytest.mark.parametrize("quote", ["", '"'])
def test_a_1_mib_class_name_is_echoed_short(tmp_path, quote):
    """The 9th label is 1 MiB: its refusal echoes 40 characters of it, not the megabyte
    (which made a 959 MB, 25 s message box)."""
    p = tmp_path / "big_label.csv"
    p.write_text(rows(8, label=lambda i: f"L{i}") + f"1,2,{quote}{'Z' * 2**20}{quote}\n")
    why = refusal(p, columns="0,1,2")
    assert len(why) < 300 and "\n" not in why
    assert why.startswith("big_label.csv: more than 8 different labels (the 9th, 'ZZZ")


def test_a_huge_column_name_is_echoed_short(tmp_path):
    p = tmp_path / "header.csv"
    p.write_text("x" * 2**20 + ",b,c\n" + rows(20) + "zz,1,1\n")
    why = refusal(p)
    assert len(why) < 200 and "\n" not in why
    assert why.startswith("header.csv: line 22: column 'xxx") and "is not a number ('zz')" in why


@pytest.mark.parametrize("columns", ["a,b," + "c" * 2**20, "q" * 2**20, "b,b,b" + " " * 2**20])
def test_a_huge_columns_option_is_echoed_short(tmp_path, columns):
    p = tmp_path / "d.csv"
    p.write_text("a,b,c\n" + rows(20))
    assert len(refusal(p, columns=columns)) < 200


def test_one_line_cuts_any_message():
    assert limits.one_line("a" * 10**6) == "a" * (limits.MAX_MESSAGE_CHARS - 1) + "…"
    assert limits.one_line("first\nsecond") == "first"
    assert limits.one_line(ValueError("x\r\ny")) == "x"


def lines_of(text: str, chunk: int, monkeypatch):
    """(line number, line) from csv_read._Lines between rows (blank lines skipped)."""
    monkeypatch.setattr(csv_read, "READ_CHARS", chunk)
    src = csv_read._Lines(io.StringIO(text, newline=""))
    out = []
    for line in src:
        out.append((src.line, line))
        src.between_rows = True
    return out


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 2**20])
def test_blank_lines_and_lone_crs_are_passed_over_in_bulk(chunk, monkeypatch):
    text = "1,2,a\n" + "\n" * 5000 + " \t\r\n" * 300 + "\r" * 700 + "3,4,b\r\n  \n 5,6,c"
    got = lines_of(text, chunk, monkeypatch)
    assert got == [(1, "1,2,a\n"), (6002, "3,4,b\r\n"), (6004, " 5,6,c")]


@pytest.mark.parametrize("chunk", [1, 2, 5, 64, 2**20])
def test_the_rows_and_line_numbers_are_the_csv_modules(chunk, monkeypatch):
    """Inside a quoted field blank lines stay; everywhere else the rows and the line numbers
    are what the csv module reading the file line by line gives."""
    import random
    rnd = random.Random(chunk)
    pieces = ["1", "2.5", "a", " ", "\t", ",", ",", '"', '"q\n\n\r\nr"', "\n", "\r", "\r\n",
              "\n\n\n", "\r\r", "é", "  \n"]
    monkeypatch.setattr(csv_read, "READ_CHARS", chunk)
    for _ in range(300):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 60)))
        want = []
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            for r in reader:
                if any(v.strip() for v in r):
                    want.append((reader.line_num, [v.strip() for v in r]))
        except csv.Error:
            want.append("error")
        got = []
        try:
            got.extend(csv_read._read_rows(io.StringIO(text, newline=""), "t.csv", ","))
        except DatasetError:
            got.append("error")
        assert got == want, repr(text)


def test_a_file_is_read_no_further_than_its_size_when_opened(tmp_path):
    p = tmp_path / "growing.csv"
    p.write_bytes(b"abc")
    with limits.open_regular(p, 100, ValueError, "file") as f:
        with open(p, "ab") as w:
            w.write(b"more written while it is read")
        assert f.read() == b"abc"
        f.seek(1)
        assert f.read() == b"bc"


def test_a_pseudo_file_that_says_it_is_empty_is_not_read():
    """/proc files report 0 bytes and make their text as they are read."""
    assert "the file is empty" in refusal("/proc/self/status")


def test_a_pseudo_file_that_blocks_is_refused_at_once():
    """/proc/kmsg blocks until the kernel logs something: train --data must not wait."""
    try:
        os.close(os.open("/proc/kmsg", os.O_RDONLY | os.O_NONBLOCK))
    except OSError:
        pytest.skip("/proc/kmsg cannot be opened here")
    p = subprocess.run([sys.executable, "-m", "bn_studio", "train", "--data", "/proc/kmsg"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and p.stderr == "bn-studio: kmsg: the file is empty\n"


def test_a_workspace_of_millions_of_texts_is_refused_before_it_is_parsed(tmp_path):
    """3 million short strings parse into 300 MB of objects: refused by counting quotes."""
    from bn_studio.workspace import WorkspaceError, load_workspace
    p = tmp_path / "texts.json"
    p.write_text('{"format": "bn-studio-workspace", "version": 1, "config": ['
                 + '"ab",' * (limits.MAX_WORKSPACE_TEXTS + 1) + '"ab"]}')
    with pytest.raises(WorkspaceError) as e:
        load_workspace(p)
    assert str(e.value) == ("texts.json: more than 1,000,000 texts (the limit on workspace "
                            "contents)")
