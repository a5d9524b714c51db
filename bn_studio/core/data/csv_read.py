"""Reading a CSV file into a Dataset: the careful reader (Python's csv module, row by row),
which decides what a file means and words every error, and the driver that tries the fast path
(csv_io: NumPy's C reader) first and falls back to the careful one where it must.

Problems raise ``DatasetError`` whose message is one line naming the problem (and the line).
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import os
import re
from array import array
from pathlib import Path

import numpy as np

from . import csv_columns, csv_io
from .. import limits
from ..steps import run_to_end
from .csv_columns import MISSING
from .csv_columns import is_missing as _is_missing
from .csv_columns import is_number as _is_number
from .csv_columns import mostly_numbers as _mostly_numbers
from .datasets import MAX_CLASSES, MIN_ROWS, Dataset, DatasetError

SAMPLE_ROWS = 100             # rows looked at to find the header and the numeric columns
PROGRESS_ROWS = 65_536        # the careful reader reports progress this often
READ_CHARS = 2**20            # the careful reader reads the text in pieces of this size
SPACES_AS_LINE = 2**16        # spaces without a line end past this: read as one line
LINE_BREAK = re.compile(r"\r\n?|\n")     # what ends a line for the csv module (newline="")


def _open_csv(path: Path) -> io.TextIOWrapper[io.BufferedReader]:
    """The file as UTF-8 text with universal line endings (CR-only too), opened only if it is
    a regular file within the size limit: a FIFO would block, /dev/zero never ends."""
    name = path.name
    raw = limits.open_regular(path, limits.MAX_CSV_BYTES, DatasetError, "CSV file",
                              advice="; save the data to a .csv file first")
    try:
        head = raw.read(8192)
    except OSError as e:
        raw.close()
        raise DatasetError(f"{name}: cannot be read ({e.strerror or e})") from None
    encoding = _encoding(head)
    if encoding is None:
        raw.close()
        raise DatasetError(f"{name}: looks like a binary file, not CSV text")
    raw.seek(0)
    return io.TextIOWrapper(raw, encoding=encoding, newline="")


def _encoding(head: bytes) -> str | None:
    """UTF-8 (a BOM or not), or UTF-16/32 as spreadsheets save "Unicode text" (a BOM, or every
    other byte zero for plain text), from the file's first bytes; None: binary. (CSV text has
    ASCII digits and delimiters: in UTF-16 or 32 they hold zero bytes.)"""
    if b"\x00" not in head:
        return "utf-8-sig"
    for bom, encoding in ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
                          (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if head.startswith(bom):
            return encoding
    even, odd = head[0:len(head) & ~1:2], head[1:len(head) & ~1:2]
    if even and not odd.strip(b"\x00") and b"\x00" not in even:
        return "utf-16-le"
    if even and not even.strip(b"\x00") and b"\x00" not in odd:
        return "utf-16-be"
    return None


def _delimiter(text: str) -> str:
    """The one of , ; tab that splits the first line into most fields (quotes respected)."""
    first = next((ln for ln in io.StringIO(text[:65536], newline="") if ln.strip()), "")
    widths = {d: len(next(csv.reader([first], delimiter=d), [])) for d in (",", ";", "\t")}
    return max(widths, key=widths.__getitem__)  # on a tie the comma, listed first, wins


def _narrow_lines(lines, delimiter: str, name: str, numbers=None):
    """The lines, refusing one with more delimiters than the column limit before the csv
    module splits it (8 million fields on one line would take 700 MB). ``numbers``: the
    _Lines the lines come from (it knows their numbers in the file)."""
    for number, line in enumerate(lines, start=1):
        if line.count(delimiter) >= limits.MAX_CSV_COLUMNS:
            number = numbers.line if numbers is not None else number
            raise DatasetError(f"{name}: line {number} has more than {limits.MAX_CSV_COLUMNS:,} "
                               f"columns; the limit on columns is {limits.MAX_CSV_COLUMNS:,}")
        yield line


def _first_text(buf: str, pos: int, near: int = 4096) -> int:
    """Where in buf[pos:] the first character str.strip() keeps is (len(buf): none). A few
    blank lines are looked through cheaply, a long run at lstrip's speed."""
    rest = buf[pos:pos + near].lstrip()
    if rest or pos + near >= len(buf):
        return min(pos + near, len(buf)) - len(rest)
    return len(buf) - len(buf[pos + near:].lstrip())


class _Lines:
    """A text file's lines as the csv module gets them from ``for line in f`` (line ends kept:
    LF, CR LF or a lone CR), read in pieces, with one difference: while ``between_rows`` (the
    csv reader wants the first line of a row), lines of whitespace only are passed over at C
    speed, not one by one: they would be blank rows, skipped anyway (inside a quoted field
    they would be part of it, so they are kept there). 64 MiB of blank lines or lone CRs
    take a second, not a minute. ``line``: the file's number of the last line given."""

    def __init__(self, f) -> None:
        self.f = f
        self.line = 0
        self.between_rows = True
        self._buf, self._pos, self._eof = "", 0, False
        self._read_chars = 0

    def _more(self) -> None:
        """The next piece of text after what is left of the current one."""
        more = self.f.read(READ_CHARS)
        self._read_chars += len(more)
        self._eof = not more
        self._buf, self._pos = self._buf[self._pos:] + more, 0

    def bytes_given(self) -> int:
        """About how many bytes of the file the lines given so far came from: the file's
        position, less the share of the text read ahead and not yet given."""
        read = self.f.buffer.tell()
        if not self._read_chars:
            return read
        left = len(self._buf) - self._pos
        return int(read * (self._read_chars - left) / self._read_chars)

    def _count_lines(self, end: int) -> None:
        """Pass over the lines in buf[pos:end] (whole lines: end is after a line end)."""
        part = self._buf[self._pos:end]
        self.line += part.count("\n") + part.count("\r") - part.count("\r\n")
        self._pos = end

    def _skip_blank(self) -> None:
        while True:
            buf, pos = self._buf, self._pos
            if pos < len(buf) and not buf[pos].isspace():
                return                              # (most rows: no blank line before them)
            start = _first_text(buf, pos)           # the first character str.strip keeps
            if start < len(buf):                    # its line starts after the last line end
                line_start = max(buf.rfind("\n", pos, start), buf.rfind("\r", pos, start)) + 1
                self._count_lines(max(line_start, pos))
                return
            if self._eof:                           # (spaces with no line end: no row)
                self._count_lines(len(buf))
                return
            end = max(buf.rfind("\n", pos), buf.rfind("\r", pos)) + 1
            if end > pos and buf[end - 1] == "\r":
                end -= 1                            # a CR may be the start of a CR LF
            if end > pos:
                self._count_lines(end)
            elif len(buf) - pos > SPACES_AS_LINE:
                return                              # a long line of spaces: read as a line
            self._more()

    def __iter__(self):
        return self

    def __next__(self) -> str:
        if self.between_rows:
            self._skip_blank()
        pieces = []
        while True:
            found = LINE_BREAK.search(self._buf, self._pos)
            if found is not None and (found.end() < len(self._buf) or self._eof
                                      or found.group() == "\r\n" or found.group() == "\n"):
                line = self._buf[self._pos:found.end()]
                self._pos = found.end()
                break
            if self._eof:
                line = self._buf[self._pos:]
                self._pos = len(self._buf)
                break
            if found is None:                   # a long line: keep its pieces, read more
                pieces.append(self._buf[self._pos:])
                self._buf, self._pos = "", 0
            self._more()                        # (a CR at the end may be the start of CR LF)
        line = "".join(pieces) + line if pieces else line
        if not line:
            raise StopIteration
        self.line += 1
        self.between_rows = False
        return line


def _sniff(f: io.TextIOWrapper, name: str) -> str:
    """The delimiter, from the first 64 KiB of text."""
    try:
        sample = f.read(65536)
        f.seek(0)
    except UnicodeDecodeError:
        raise DatasetError(f"{name}: not UTF-8 text (is it a binary file?)") from None
    except OSError as e:
        raise DatasetError(f"{name}: cannot be read ({e.strerror or e})") from None
    return _delimiter(sample)


def _read_rows(f: io.TextIOWrapper, name: str, delimiter: str, lines: _Lines | None = None):
    """Non-blank rows as (line number in the file, stripped fields), one at a time, so a large
    file never sits in memory as lists of strings. Errors name the line."""
    lines = lines or _Lines(f)
    try:
        reader = csv.reader(_narrow_lines(lines, delimiter, name, lines), delimiter=delimiter)
        for r in reader:
            lines.between_rows = True
            if any(v.strip() for v in r):
                yield lines.line, [v.strip() for v in r]
    except UnicodeDecodeError:
        raise DatasetError(f"{name}: not UTF-8 text (is it a binary file?)") from None
    except csv.Error as e:
        why = (f"a field is larger than {limits.MAX_FIELD_BYTES / 2**20:g} MiB (the limit on "
               "field size)" if "field limit" in str(e) else limits.one_line(e))
        raise DatasetError(f"{name}: line {max(1, lines.line)}: {why}") from None
    except OSError as e:
        raise DatasetError(f"{name}: cannot be read ({e.strerror or e})") from None


def _has_header(rows, columns: str | None) -> bool:
    """A first row with a word where the rows below hold numbers (or naming all ``columns``)."""
    first = rows[0][1]
    names = [p.strip() for p in columns.split(",")] if columns else []
    if names and not any(map(_is_number, names)) and all(n in first for n in names):
        return True
    below = [r for _, r in rows[1:1 + SAMPLE_ROWS] if len(r) == len(first)]
    words = [j for j, f in enumerate(first) if not _is_number(f) and not _is_missing(f)]
    if not below:                               # a lone row: a header if a feature is a word
        return any(j < len(first) - 1 for j in words)
    return any(_mostly_numbers([r[j] for r in below]) for j in words)


def _pick_columns(columns: str | None, header: list[str] | None, body, width: int, name: str):
    """(feature, feature, label) column indices from ``columns`` or the defaults (the label
    guessed from the data, the first two numeric columns besides it: csv_columns)."""
    if columns is None:
        sample = [r for _, r in body[:SAMPLE_ROWS]]
        return csv_columns.default_columns(header, sample, width)
    parts = [p.strip() for p in columns.split(",")]
    if len(parts) != 3:
        raise DatasetError("--columns needs three names or indices X1,X2,LABEL (got "
                           f"{limits.shown(columns)})")
    picked = []
    for p in parts:
        if header is not None and p in header:
            picked.append(header.index(p))
        elif p.lstrip("-").isdigit() and -width <= int(p) < width:
            picked.append(int(p) % width)
        else:
            known = f"; columns are {_listed(header)}" if header else \
                f"; the file has no header, use indices 0..{width - 1}"
            raise DatasetError(f"{name}: unknown column {limits.shown(p)}{known}")
    if len(set(picked)) < 3:
        raise DatasetError(f"{name}: --columns {limits.shown(columns)} names a column twice; "
                           "need two feature columns and a different label column")
    return tuple(picked)


def pick_columns(columns: str | None, header, rows) -> tuple[int, int, int]:
    """The (feature, feature, label) indices that ``columns`` (the ``--columns`` text; None:
    the guess) names in a file of this header and sample rows (a preview's)."""
    width = len(header) if header is not None else len(rows[0])
    return _pick_columns(columns, None if header is None else list(header),
                         list(enumerate(rows)), width, "the file")


def _listed(names: list[str], most: int = 12) -> str:
    shown = ", ".join(limits.shown(n)[1:-1] for n in names[:most])
    return shown + (f", … ({len(names):,} in all)" if len(names) > most else "")


def _column_name(j: int, header: list[str] | None) -> str:
    return f"column {limits.shown(header[j])}" if header else f"column {j + 1} (counting from 1)"


def _too_many_labels(name: str, label: str, line: int, column: str) -> str:
    return (f"{name}: more than {MAX_CLASSES} different labels (the {MAX_CLASSES + 1}th, "
            f"{limits.shown(label)}, on line {line:,}); the limit on classes is {MAX_CLASSES} "
            f"(is {limits.shown(column)} really the label? pick the columns: "
            "--columns X1,X2,LABEL)")


def _parse_rows(body, cols, width: int, header, name: str, where=None):
    """Features (array of x1, x2 pairs), each row's label code, the labels in order of first
    appearance and the count of rows skipped for missing values. Yields the fraction read
    (``where()``) every PROGRESS_ROWS rows."""
    c1, c2, cl = cols
    feats, codes, skipped = array("d"), array("q"), 0
    table: dict[str, int] = {}
    for count, (line, r) in enumerate(body, start=1):
        if count > limits.MAX_POINTS:
            raise DatasetError(f"{name}: more than {limits.MAX_POINTS:,} data rows; the limit "
                               f"on points is {limits.MAX_POINTS:,}")
        if where is not None and count % PROGRESS_ROWS == 0:
            yield where()
        if len(r) != width:
            raise DatasetError(f"{name}: line {line} has {len(r)} fields, expected {width}")
        fields = (r[c1], r[c2], r[cl])
        if any(_is_missing(f) for f in fields):
            skipped += 1
            continue
        try:
            x = (float(fields[0]), float(fields[1]))
        except ValueError:
            j = c1 if not _is_number(fields[0]) else c2
            raise DatasetError(f"{name}: line {line}: {_column_name(j, header)} is not a "
                               f"number ({limits.shown(r[j])})") from None
        if not (math.isfinite(x[0]) and math.isfinite(x[1])):
            skipped += 1                        # NaN and ±inf count as missing
            continue
        feats.extend(x)
        code = table.setdefault(fields[2], len(table))
        if code == MAX_CLASSES:                 # refused here, not after 2 million labels
            raise DatasetError(_too_many_labels(name, fields[2], line,
                                                csv_columns.column_name(cl, header)))
        codes.append(code)
    return np.frombuffer(feats, dtype=np.float64).reshape(-1, 2), \
        np.frombuffer(codes, dtype=np.int64), table, skipped


def load_csv(path, columns: str | None = None) -> Dataset:
    """Two numeric feature columns and a label column; header optional; labels may be strings.

    Rows with a missing value are skipped and counted; anything else malformed is an error
    naming the line, so the caller can keep the data it already has.
    """
    return run_to_end(load_csv_steps(path, columns))


def load_csv_steps(path, columns: str | None = None):
    """``load_csv`` as a generator: it yields the fraction of the file read (0 … 1) now and
    then and returns the Dataset, so a GUI worker can show progress and stop between yields.

    Plain files go the fast way (csv_io: NumPy over blocks of bytes); on anything unusual
    the csv module reads the file row by row, which decides every error message.
    """
    path = Path(path)
    name = path.name
    saved_limit = csv.field_size_limit(limits.MAX_FIELD_BYTES)
    try:
        parsed = yield from _load_fast(path, columns, name)
        if parsed is None:
            with _open_csv(path) as f:
                parsed = yield from _load_rows(f, columns, name)
    finally:
        csv.field_size_limit(saved_limit)
    X, codes, table, skipped, header, cols = parsed
    if len(codes) < MIN_ROWS:
        raise DatasetError(f"{name}: only {len(codes)} usable rows; need at least {MIN_ROWS}"
                           + (f" ({skipped} skipped for missing values)" if skipped else ""))
    names = _label_order(list(table))
    if len(names) < 2:
        raise DatasetError(f"{name}: only one class ({limits.shown(names[0])}); need at least 2")
    if len(names) > MAX_CLASSES:
        label = csv_columns.column_name(cols[2], header)
        raise DatasetError(f"{name}: {len(names):,} different labels; the limit on classes is "
                           f"{MAX_CLASSES} (is {limits.shown(label)} really the label? pick "
                           "the columns: --columns X1,X2,LABEL)")
    order = {n: i for i, n in enumerate(names)}
    remap = np.array([order[lb] for lb in table], dtype=np.int64)
    y = codes if np.array_equal(remap, np.arange(remap.size)) else remap[codes]
    features = (csv_columns.column_name(cols[0], header), csv_columns.column_name(cols[1], header))
    return Dataset(np.ascontiguousarray(X, dtype=np.float64), y.astype(np.int64, copy=False),
                   names, name, skipped, feature_names=features)


def _plan(rows, columns: str | None, name: str):
    """(width, header or None, the first data rows, the chosen columns) from the first rows."""
    head = list(itertools.islice(rows, SAMPLE_ROWS + 1))
    if not head:
        raise DatasetError(f"{name}: the file is empty")
    width = len(head[0][1])
    if width < 3:
        raise DatasetError(f"{name}: line {head[0][0]} has {width} column(s); need two "
                           "feature columns and a label column")
    limits.check_columns(width, name, DatasetError)
    header = head[0][1] if _has_header(head, columns) else None
    first = head[1:] if header is not None else head
    if not first:
        raise DatasetError(f"{name}: only a header, no data rows")
    cols = _pick_columns(columns, header, first, width, name)
    return width, header, first, cols


def _load_rows(f: io.TextIOWrapper[io.BufferedReader], columns: str | None, name: str):
    """The careful way, row by row with the csv module: the first rows decide the header and
    the columns, the rest are parsed as they are read."""
    rows = _read_rows(f, name, _sniff(f, name))
    width, header, first, cols = _plan(rows, columns, name)
    size = max(1, os.fstat(f.fileno()).st_size)
    parsed = yield from _parse_rows(itertools.chain(first, rows), cols, width, header, name,
                                    where=lambda: min(1.0, f.buffer.tell() / size))
    return (*parsed, header, cols)


def _load_fast(path: Path, columns: str | None, name: str):
    """The fast way (csv_io), or None when the file needs the careful one. The first rows are
    still read by the csv module, so the header, the columns and their errors are the same."""
    with _open_csv(path) as f:
        delimiter = _sniff(f, name)
        rows = _read_rows(f, name, delimiter)
        width, header, first, cols = _plan(rows, columns, name)
        header_lines = first[0][0] - 1 if header is not None else 0
        try:
            reader = csv_io.FastReader(
                delimiter, width, cols, header_lines, MISSING, limits.MAX_POINTS, MAX_CLASSES,
                lambda text, skip: _careful_chunk(text, skip, delimiter, width, cols, name))
            raw = f.buffer
            raw.seek(0)
            yield 0.0
            yield from reader.read(raw, os.fstat(raw.fileno()).st_size)
        except csv_io.NotSimple:
            return None
        except csv_io.RowLimit:
            raise DatasetError(f"{name}: more than {limits.MAX_POINTS:,} data rows; the limit "
                               f"on points is {limits.MAX_POINTS:,}") from None
    return (*reader.result(), header, cols)


def _careful_chunk(text: str, skip: int, delimiter: str, width: int, cols, name: str):
    """Rows of one chunk the C reader refused, read as the careful reader reads them:
    (features, label per row, skipped, rows). Any error: the whole file goes the careful
    way, so that the message names the right line."""
    lines = text.split("\n")[skip:]
    try:
        body = ((i, r) for i, r in enumerate(csv.reader(_narrow_lines(lines, delimiter, name),
                                                        delimiter=delimiter))
                if any(v.strip() for v in r))
        rows = [(i, [v.strip() for v in r]) for i, r in body]
        parse = _parse_rows(rows, cols, width, None, name)
        while True:
            next(parse)
    except StopIteration as done:
        X, codes, table, skipped = done.value
    except (DatasetError, csv.Error):
        raise csv_io.NotSimple from None
    labels = list(table)
    return X, [labels[c] for c in codes], skipped, len(rows)


def _label_order(labels: list[str]) -> list[str]:
    """Numeric labels in numeric order (so 2 < 10; equal numbers "01" < "1" < "1.0" by their
    text, not by which reader met them first), strings alphabetically."""
    unique = set(labels)
    if all(_is_number(lb) for lb in unique):
        return sorted(unique, key=lambda lb: (float(lb), lb))
    return sorted(unique)
