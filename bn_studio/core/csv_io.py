"""The fast way through a CSV file: NumPy's C text reader (``np.loadtxt``), over the whole file
at once (``whole``) or, when it stops somewhere, chunk by chunk (``feed``).

It takes the common shape of file: ASCII, no quotes, one row per line (LF or CRLF). A chunk
the C reader refuses (a missing value it cannot read, a typo, a row of another width) is read
row by row by the caller's careful reader instead; so is the whole file when it is not of that
shape (``NotSimple``). The careful reader (csv module, csv_read.py) is the reference for what a
file means and for every error message: the fast path never words an error of its own except
"more than N data rows", and only once every row before the limit has been read.

Memory: the parsed rows (24 bytes each with an 8-byte label) plus, in chunks, a few times
CHUNK_BYTES of working arrays; the whole-file pass also holds the file's bytes for its checks.
"""

from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass, field

import numpy as np

CHUNK_BYTES = 4 * 2**20       # a file that needs the careful reader somewhere is fed in chunks
WHOLE_FILE_BYTES = 64 * 2**20  # up to this size the C reader first tries the whole file at once
SHORT_LABEL_BYTES = 8         # labels read as 8 bytes (one uint64 to compare) …
MAX_LABEL_BYTES = 32          # … or, if one fills them, 32; filling those: read it carefully
MAX_WIDTH = 32                # columns the fast path takes (each is a field of the row dtype)
BOM = b"\xef\xbb\xbf"


class NotSimple(Exception):
    """The whole file needs the careful reader (quotes, non-ASCII, a lone CR, …)."""


class RowLimit(Exception):
    """More data rows than the limit, every row before it well formed."""


@dataclass
class Parsed:
    """Features, each row's label code, the labels (text → code), rows skipped for missing
    values, and data rows seen (skipped ones included)."""

    X: list[np.ndarray] = field(default_factory=list)
    codes: list[np.ndarray] = field(default_factory=list)
    labels: dict[str, int] = field(default_factory=dict)
    skipped: int = 0
    rows: int = 0


class FastReader:
    """Feed it the file's chunks in order (``feed``); ``careful(text, skip_lines)`` reads a
    chunk the C reader refused and returns (X, label texts per row, skipped, rows)."""

    def __init__(self, delimiter: str, width: int, cols: tuple[int, int, int], header_lines: int,
                 missing: set[str], max_rows: int, max_labels: int, careful) -> None:
        if width > MAX_WIDTH or delimiter not in ",;\t":
            raise NotSimple
        self.delimiter, self.width, self.cols = delimiter, width, cols
        self.skip = header_lines               # lines of the first chunk up to the header
        self.missing = missing
        self.max_rows, self.max_labels = max_rows, max_labels
        self.careful = careful
        self.dtypes = [self._row_dtype(n) for n in (SHORT_LABEL_BYTES, MAX_LABEL_BYTES)]
        self.raw_codes: dict[bytes, int] = {}   # label bytes as read → code (−1: missing)
        self.out = Parsed()
        self.first = True

    def whole(self, path, data: bytes) -> bool:
        """The whole file (``data``: its bytes) in one pass of the C reader, which is fastest
        when NumPy opens the path itself. False if it stops somewhere: then ``feed`` the
        chunks, and the careful reader takes only the chunks it refuses."""
        if data.startswith(BOM):
            return False
        self._check(data)
        try:
            parsed = self._fast(os.fspath(path), self.skip)
        except ValueError:
            return False
        self.first = False
        self._add(*parsed)
        return True

    def feed(self, data: bytes) -> None:
        """Whole lines (ending in LF) of the file, in order."""
        skip = 0
        if self.first:
            self.first = False
            skip = self.skip
            if data.startswith(BOM):
                data = data[len(BOM):]
        self._check(data)
        data = data.replace(b"\r\n", b"\n") if b"\r" in data else data
        if skip and data.count(b"\n") < skip:
            raise NotSimple
        text = data.decode("ascii")
        try:
            parsed = self._fast(io.StringIO(text), skip)
        except ValueError:                      # the C reader stopped: read these rows carefully
            X, labels, skipped, rows = self.careful(text, skip)
            codes = np.array([self.out.labels.setdefault(lb, len(self.out.labels))
                              for lb in labels], dtype=np.int64)
            parsed = X, codes, skipped, rows
        self._add(*parsed)

    @staticmethod
    def _check(data: bytes) -> None:
        """ASCII without quotes (the csv module would read them as quoting) or NUL (it
        refuses those); CR only before LF (a lone CR ends a line for the csv module). Other
        control bytes may stay: where the C reader takes them it reads them as float() and
        str.strip() do, and where it does not, the careful reader takes that chunk."""
        if not data.isascii() or b'"' in data or b"\0" in data:
            raise NotSimple
        if b"\r" in data and data.count(b"\r") != data.count(b"\r\n"):
            raise NotSimple

    def _add(self, X, codes, skipped: int, rows: int) -> None:
        if self.out.rows + rows > self.max_rows:
            raise RowLimit
        if len(self.out.labels) > self.max_labels:
            raise NotSimple                     # too many classes: the careful reader words it
        self.out.rows += rows
        self.out.skipped += skipped
        self.out.X.append(X)
        self.out.codes.append(codes)

    def result(self):
        """(X, codes, labels, skipped) of all rows fed. A label seen only on rows skipped for a
        missing feature is no class (the careful reader never records it): such labels are
        dropped and the codes renumbered."""
        out = self.out
        X, codes = _joined(out.X, np.empty((0, 2))), _joined(out.codes, np.empty(0, np.int64))
        used = np.bincount(codes, minlength=len(out.labels)) > 0
        if used.all():
            return X, codes, out.labels, out.skipped
        kept = [lb for lb, u in zip(out.labels, used) if u]
        new = np.cumsum(used) - 1
        return X, new[codes], {lb: i for i, lb in enumerate(kept)}, out.skipped

    def _row_dtype(self, label_bytes: int) -> np.dtype:
        """The features as floats, the label as bytes, other columns as one ignored byte."""
        c1, c2, cl = self.cols
        return np.dtype([(f"f{j}", "f8" if j in (c1, c2) else
                          f"S{label_bytes}" if j == cl else "S1") for j in range(self.width)])

    def _fast(self, source, skip: int):
        """(X, label codes, skipped, rows) of ``source`` (a path or a text stream)."""
        c1, c2, cl = self.cols
        for dtype in self.dtypes:
            if hasattr(source, "seek"):
                source.seek(0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")     # "no data" for a chunk of blank lines
                table = np.loadtxt(source, delimiter=self.delimiter, comments=None,
                                   dtype=dtype, skiprows=skip, ndmin=1, encoding="latin1")
            raw = np.ascontiguousarray(table[f"f{cl}"])
            width = raw.dtype.itemsize
            if not (raw.size and _fills(raw)):
                break                               # no label fills the field: none was cut
        else:
            raise ValueError("a label longer than MAX_LABEL_BYTES")
        X = np.empty((raw.size, 2))
        X[:, 0], X[:, 1] = table[f"f{c1}"], table[f"f{c2}"]
        codes = self._codes(raw.view(np.uint64) if width == 8 else raw)
        both = np.isfinite(X).view(np.uint16) == 0x0101     # (True, True) as two bytes
        keep = (codes >= 0) & both.ravel()          # missing label, NaN or ±inf: skipped
        if keep.all():
            return X, codes, 0, int(keep.size)
        return X[keep], codes[keep], int(keep.size - keep.sum()), int(keep.size)

    def _codes(self, raw: np.ndarray) -> np.ndarray:
        """Each row's label code; −1 for a missing label. The labels seen in a sample of the
        rows are looked up for all at once; if some row holds another, one comparison pass per
        distinct label (more than the classes allowed go to the careful reader). ``raw`` holds
        8-byte labels as uint64 or longer ones as bytes."""
        seen = np.unique(raw[::max(1, raw.size // 1000)])
        if seen.size:
            at = np.minimum(np.searchsorted(seen, raw), seen.size - 1)
            if np.array_equal(seen[at], raw):
                known = np.array([self._code(v.tobytes().rstrip(b"\0")) for v in seen])
                return known[at]
        codes = np.full(raw.size, -2, dtype=np.int64)
        todo = np.ones(raw.size, dtype=bool)
        for _ in range(self.max_labels + len(self.missing) + 1):
            i = int(np.argmax(todo))
            if not todo[i]:
                return codes
            value = raw[i]
            same = raw == value
            codes[same] = self._code(value.tobytes().rstrip(b"\0"))
            todo &= ~same
        raise NotSimple

    def _code(self, value: bytes) -> int:
        if value not in self.raw_codes:
            text = value.decode("ascii").strip()
            self.raw_codes[value] = (-1 if text.lower() in self.missing else
                                     self.out.labels.setdefault(text, len(self.out.labels)))
        return self.raw_codes[value]


def _fills(raw: np.ndarray) -> bool:
    """Whether some label uses the last byte of its fixed-width field (it may be cut)."""
    if raw.dtype.itemsize == 8:                 # read little-endian: the last byte is the top
        return bool(raw.view("<u8").max() >> np.uint64(56))
    return bool(np.any(raw.view(np.uint8).reshape(raw.size, -1)[:, -1]))


def _joined(parts: list, empty: np.ndarray) -> np.ndarray:
    """The parts end to end (one part as it is: no copy of a million rows)."""
    return parts[0] if len(parts) == 1 else np.concatenate(parts) if parts else empty


def read_chunks(raw, size: int | None = None):
    """Whole lines of a binary file, about ``size`` bytes at a time; the last one ends in LF
    even if the file does not. A line longer than a few chunks goes the careful way."""
    size = size or CHUNK_BYTES
    carry = b""
    while True:
        block = raw.read(size)
        if not block:
            break
        data = carry + block
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            if len(data) > 4 * size:
                raise NotSimple
            carry = data
            continue
        carry = data[cut:]
        yield data[:cut]
    if carry:
        yield carry + b"\n"
