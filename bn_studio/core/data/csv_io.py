"""The fast way through a CSV file: its bytes read into memory in pieces and cut into blocks
of whole lines, each read the fastest way that takes it: plain decimals straight from the
bytes (csv_bytes, on worker threads), else NumPy's C text reader (``np.loadtxt``), else the
caller's careful reader, row by row.

It takes the common shape of file: ASCII, no quotes, one row per line (LF or CRLF). A block
the first two refuse (a missing value the C reader cannot read, a typo, a row of another
width) goes to the careful reader; the whole file does when it is not of that shape
(``NotSimple``). The careful reader (csv module, csv_read.py) is the reference for what a
file means and for every error message: the fast ways never word an error of their own
except "more than N data rows", and only once every row before the limit has been read.

Memory: the file's bytes, the parsed rows (24 bytes each) and, per block in flight, a few
times CHUNK_BYTES of working arrays.
"""

from __future__ import annotations

import io
import re
import warnings
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from . import csv_bytes

CHUNK_BYTES = 2**20           # a block: its working arrays stay in the CPU's caches, and
                              # each NumPy call is long enough for threads to overlap well
READ_BYTES = 4 * 2**20        # the file is read in pieces of this size, parsed as they come
THREADS = 2                   # blocks parsed at once (NumPy lets go of the GIL while it works)
AHEAD = 4                     # blocks parsed ahead of the one being added (bounds memory)
PLAIN_MISSES = 3              # blocks in a row the byte parser refused before it stops trying
SHORT_LABEL_BYTES = 8         # labels read as 8 bytes (one uint64 to compare) …
MAX_LABEL_BYTES = 32          # … or, if one fills them, 32; filling those: read it carefully
MAX_WIDTH = 32                # columns the fast path takes (each is a field of the row dtype)
BOM = b"\xef\xbb\xbf"
BLANK_LINES = re.compile(r"\n[ \t\f\v\n]*\n")    # (no quotes here: each is a skipped row)
LF, CR, QUOTE = b'\n\r"'


class NotSimple(Exception):
    """The whole file needs the careful reader (quotes, non-ASCII, a lone CR, …)."""


class RowLimit(Exception):
    """More data rows than the limit, every row before it well formed."""


@dataclass
class Parsed:
    """Features and each row's label code (the first ``kept`` rows of arrays with room for
    more), the labels (text → code), rows skipped for missing values, and data rows seen
    (skipped ones included)."""

    X: np.ndarray = field(default_factory=lambda: np.empty((0, 2)))
    codes: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    kept: int = 0
    labels: dict[str, int] = field(default_factory=dict)
    skipped: int = 0
    rows: int = 0

    def append(self, X: np.ndarray, codes: np.ndarray, room: int) -> None:
        """Copies the rows in; ``room``: rows expected in all. One pair of arrays filled in
        place, not a list of blocks joined at the end: no second copy of the data at once,
        and the blocks' memory is reused block after block."""
        end = self.kept + codes.size
        if end > self.codes.size:
            size = max(end, room, 2 * self.codes.size)
            self.X = _grown(self.X, (size, 2), self.kept)
            self.codes = _grown(self.codes, (size,), self.kept)
        self.X[self.kept:end] = X
        self.codes[self.kept:end] = codes
        self.kept = end

    def arrays(self):
        """(X, codes), trimmed to the rows kept (in place: the pages not written never were
        memory)."""
        for a in (self.X, self.codes):
            a.resize((self.kept,) + a.shape[1:], refcheck=False)
        return self.X, self.codes


class FastReader:
    """``read`` a file with it, then take the ``result``; ``careful(text, skip_lines)`` reads
    a block the C reader refused and returns (X, label texts per row, skipped, rows)."""

    def __init__(self, delimiter: str, width: int, cols: tuple[int, int, int], header_lines: int,
                 missing: set[str], max_rows: int, max_labels: int, careful) -> None:
        if width > MAX_WIDTH or delimiter not in ",;\t":
            raise NotSimple
        self.delimiter, self.width, self.cols = delimiter, width, cols
        self.skip = header_lines               # lines up to and with the header
        self.missing = missing
        self.max_rows, self.max_labels = max_rows, max_labels
        self.careful = careful
        self.dtypes = [self._row_dtype(n) for n in (SHORT_LABEL_BYTES, MAX_LABEL_BYTES)]
        self.raw_codes: dict[bytes, int] = {}   # label bytes as read → code (−1: missing)
        self.out = Parsed()
        self.misses = 0                         # blocks in a row the byte parser refused
        self.slow = False                       # a block went another way than the bytes
        self.expected_rows = 0                  # rows in all, estimated from the first block

    def read(self, raw, size: int):
        """All rows of the binary file ``raw`` (``size`` bytes), block by block in order;
        yields the fraction read after each block. The file is read in pieces into one
        buffer; its blocks are parsed from the bytes on THREADS worker threads as soon as
        they are in, AHEAD of the block being added here (labels are numbered in file order)."""
        file = _Filling(raw, size)
        b = np.frombuffer(file.data, dtype=np.uint8)
        file.more()
        while (first := self._start(file)) is None:
            file.more()
        lo = first
        try:
            with ThreadPoolExecutor(THREADS) as pool:
                pending: deque[tuple[int, int, Future]] = deque()
                while pending or lo < file.got or not file.eof:
                    if not file.eof and len(pending) <= AHEAD:
                        file.more()
                    blocks = line_blocks(file.data, lo, file.got, CHUNK_BYTES, file.eof)
                    for block_lo, block_hi in blocks:
                        pending.append((block_lo, block_hi,
                                        pool.submit(self.plain, b, block_lo, block_hi)))
                        lo = block_hi
                    while pending and (len(pending) > AHEAD or file.eof):
                        start, stop, parsed = pending.popleft()
                        self.feed(b, start, stop, parsed.result())
                        yield stop / file.end
        except RowLimit:                        # the careful reader may stop earlier on a
            while not file.eof:                 # later byte: let it decide then
                file.more()
            _check(file.data[first:file.got], 0)
            raise

    def _start(self, file: _Filling) -> int | None:
        """Where the rows begin: after the padding, a BOM and the header (checked here; the
        blocks below are checked as they are parsed). None: the header goes on past the
        bytes read so far."""
        data = file.data
        start = text = csv_bytes.PAD + (len(BOM) if data.startswith(BOM, csv_bytes.PAD) else 0)
        for _ in range(self.skip):
            start = data.find(b"\n", start, file.got) + 1
            if start == 0:
                if file.eof:
                    raise NotSimple
                return None
        _check(data[text:start], 0)
        return start

    def plain(self, b: np.ndarray, lo: int, hi: int):
        """(X, label words, their ``distinct``) of the lines b[lo:hi] by csv_bytes, or None
        (also once it missed too often). Raises NotSimple if the block is not of the shape
        this module takes. Pure: worker threads run it."""
        crlf = self._check_block(b[lo:hi])
        if self.misses >= PLAIN_MISSES:
            return None
        parsed = csv_bytes.parse(b, lo, hi, ord(self.delimiter), self.width, self.cols, crlf)
        return parsed and (*parsed, distinct(parsed[1]))

    @staticmethod
    def _check_block(block: np.ndarray) -> bool:
        """``_check`` on whole lines, with NumPy (which lets go of the GIL); whether they
        end in CR LF."""
        if block.max(initial=0) >= 0x80 or (block == QUOTE).any() or (block == 0).any():
            raise NotSimple
        cr = np.flatnonzero(block == CR)
        if cr.size and not np.all(block[cr + 1] == LF):
            raise NotSimple
        return cr.size > 0

    def feed(self, b: np.ndarray, lo: int, hi: int, parsed) -> None:
        """The whole lines b[lo:hi] of the file, in order; ``parsed``: ``plain`` of them."""
        if not self.expected_rows:              # as many rows a byte in the rest, and 5 % more
            lines = b[lo:hi].tobytes().count(b"\n")
            self.expected_rows = int(lines * (b.size - 1 - lo) / (hi - lo) * 1.05) + 1
        if parsed is not None:
            self.misses = 0
            X, words, found = parsed
            codes = self._codes(words, found)
            keep = codes >= 0                   # a missing label: skipped
            if keep.all():
                self._add(X, codes, 0, int(keep.size))
            else:
                self._add(X[keep], codes[keep], int(keep.size - keep.sum()), int(keep.size))
            return
        self.misses += 1
        self.slow = True
        text = b[lo:hi].tobytes().replace(b"\r\n", b"\n").decode("ascii")
        text = BLANK_LINES.sub("\n", text)     # a run of blank lines, dropped at C speed
        try:
            parsed = self._fast(io.StringIO(text))
        except ValueError:                      # the C reader stopped: read these rows carefully
            X, labels, skipped, rows = self.careful(text, 0)
            codes = np.array([self.out.labels.setdefault(lb, len(self.out.labels))
                              for lb in labels], dtype=np.int64)
            parsed = X, codes, skipped, rows
        self._add(*parsed)

    def _add(self, X, codes, skipped: int, rows: int) -> None:
        if self.out.rows + rows > self.max_rows:
            raise RowLimit
        if len(self.out.labels) > self.max_labels:
            raise NotSimple                     # too many classes: the careful reader words it
        self.out.rows += rows
        self.out.skipped += skipped
        self.out.append(X, codes, self.expected_rows)

    def result(self):
        """(X, codes, labels, skipped) of all rows fed. A label seen only on rows skipped for a
        missing feature is no class (the careful reader never records it): such labels are
        dropped and the codes renumbered."""
        out = self.out
        X, codes = out.arrays()
        if not self.slow:                       # the byte parser skips rows for labels only
            return X, codes, out.labels, out.skipped
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

    def _fast(self, source):
        """(X, label codes, skipped, rows) of ``source`` (a text stream) by the C reader."""
        c1, c2, cl = self.cols
        for dtype in self.dtypes:
            source.seek(0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")     # "no data" for a block of blank lines
                table = np.loadtxt(source, delimiter=self.delimiter, comments=None,
                                   dtype=dtype, ndmin=1, encoding="latin1")
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

    def _codes(self, raw: np.ndarray, found=None) -> np.ndarray:
        """Each row's label code; −1 for a missing label. The labels seen in a sample of the
        rows are looked up for all at once (``found``: ``distinct(raw)`` if already done); if
        some row holds another, one comparison pass per distinct label (more than the classes
        allowed go to the careful reader). ``raw`` holds 8-byte labels as uint64 or longer
        ones as bytes."""
        seen, at = found or distinct(raw)
        if at is not None:
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


def _check(data: bytes | bytearray, start: int) -> None:
    """ASCII without quotes (the csv module would read them as quoting) or NUL (it refuses
    those); CR only before LF (a lone CR ends a line for the csv module). Other control
    bytes may stay: where the C reader takes them it reads them as float() and str.strip()
    do, and where it does not, the careful reader takes that block."""
    if not data[start:].isascii() or data.find(b'"', start) >= 0 or data.find(b"\0", start) >= 0:
        raise NotSimple
    if data.count(b"\r", start) != data.count(b"\r\n", start):
        raise NotSimple


def distinct(raw: np.ndarray):
    """(the values in a sample of ``raw``, sorted; each row's index into them), the index
    None if some row holds a value the sample missed. Pure, so worker threads may run it."""
    seen = np.unique(raw[::max(1, raw.size // 1000)])
    if seen.size == 0:
        return seen, None
    if seen.size <= 4:                          # a few classes: comparisons beat a search
        at = np.zeros(raw.size, dtype=np.intp)
        for v in seen[1:]:
            at += raw >= v
    else:
        at = np.minimum(np.searchsorted(seen, raw), seen.size - 1)
    return seen, at if np.array_equal(seen[at], raw) else None


def _fills(raw: np.ndarray) -> bool:
    """Whether some label uses the last byte of its fixed-width field (it may be cut)."""
    if raw.dtype.itemsize == 8:                 # read little-endian: the last byte is the top
        return bool(raw.view("<u8").max() >> np.uint64(56))
    return bool(np.any(raw.view(np.uint8).reshape(raw.size, -1)[:, -1]))


def _grown(a: np.ndarray, shape: tuple, used: int) -> np.ndarray:
    new = np.empty(shape, dtype=a.dtype)
    new[:used] = a[:used]
    return new


class _Filling:
    """A file read piece by piece into one buffer: csv_bytes.PAD newlines (field slots may
    reach back that far; newlines keep the padding out of every check), then the file's
    bytes, ending in LF even if the file does not. ``got``: the end of the bytes in so far;
    ``eof``: all are in."""

    def __init__(self, raw, size: int) -> None:
        self.raw, self.end = raw, csv_bytes.PAD + size
        self.data = bytearray(self.end + 1)
        self.data[:csv_bytes.PAD] = b"\n" * csv_bytes.PAD
        self.got, self.eof = csv_bytes.PAD, False

    def more(self) -> None:
        """Reads the next READ_BYTES (never past the size the file had when opened)."""
        want = min(self.end, self.got + READ_BYTES)
        with memoryview(self.data) as view:
            while self.got < want:
                n = self.raw.readinto(view[self.got:want])
                if not n:
                    break
                self.got += n
        if self.got < want or self.got == self.end:
            self.eof = True
            if self.data[self.got - 1] != ord("\n"):
                self.data[self.got] = ord("\n")
                self.got += 1


def line_blocks(data: bytearray, start: int, end: int, size: int, last: bool):
    """(start, stop) of blocks of whole lines of about ``size`` bytes in data[start:end]; a
    shorter block at the end only if ``last`` (the file ends there). A line longer than a
    few blocks goes the careful way."""
    while start < end:
        if start + size > end and not last:
            return                              # wait for more bytes
        stop = data.rfind(b"\n", start, min(start + size, end)) + 1
        if stop == 0:
            if start + 4 * size > end and not last:
                return
            stop = data.find(b"\n", start, min(start + 4 * size, end)) + 1
            if stop == 0:
                raise NotSimple
        yield start, stop
        start = stop
