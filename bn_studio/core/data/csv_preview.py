"""A CSV file's columns before it is read: the sample the import dialog shows (names, kinds,
the label column guessed), read as csv_read reads the file, so a file the preview refuses,
the reader would too.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
from pathlib import Path

from .. import limits
from . import csv_columns
from .csv_columns import mostly_numbers
from .csv_read import SAMPLE_ROWS, _Lines, _listed, _open_csv, _plan, _read_rows, _sniff
from .datasets import DatasetError

PREVIEW_CELLS = 200_000         # fields a preview keeps (rows × columns)
PREVIEW_PROBES = 8              # places further down a long file a preview also reads …
PREVIEW_PROBE_BYTES = 32 * 1024     # … this much from each


def preview_csv(path: str | os.PathLike[str]) -> csv_columns.CsvPreview:
    """The file's columns from a sample: its first rows, and for a long file rows from
    PREVIEW_PROBES places spread over the rest (a file sorted by class shows every class).
    Read as the reader reads the file (same delimiter, header and errors), so a file the
    preview refuses, the reader would too. DatasetError: one line."""
    path = Path(path)
    name = path.name
    saved_limit = csv.field_size_limit(limits.MAX_FIELD_BYTES)
    try:
        with _open_csv(path) as f:
            delimiter = _sniff(f, name)
            lines = _Lines(f)
            rows = _read_rows(f, name, delimiter, lines)
            width, header, first, _ = _plan(rows, None, name)
            most = max(SAMPLE_ROWS, PREVIEW_CELLS // (2 * width))
            sample = [r for _, r in itertools.chain(first, itertools.islice(rows, most))]
            complete = next(rows, None) is None
            read_bytes = lines.bytes_given()    # not the position: the reader reads ahead
        size = os.stat(path).st_size
        estimated = len(sample)
        if not complete:
            probed, probe_bytes, probe_lines = _probe_rows(path, delimiter, width, read_bytes,
                                                           size, max(1, most // PREVIEW_PROBES))
            # The rest of the file at the probes' bytes per line (spread over it).
            per_row = probe_bytes / probe_lines if probe_lines else read_bytes / len(sample)
            estimated = len(sample) + int((size - read_bytes) / per_row)
            sample += probed
    finally:
        csv.field_size_limit(saved_limit)
    numeric = [j for j in range(width) if mostly_numbers([r[j] for r in sample
                                                          if len(r) == width])]
    if len(numeric) < 2:
        found = ("no numeric column" if not numeric else
                 f"only one numeric column ({csv_columns.column_name(numeric[0], header)})")
        columns = _listed([csv_columns.column_name(j, header) for j in range(width)])
        raise DatasetError(f"{name}: {found}; need two numeric feature columns and a label "
                           f"column (columns: {columns})")
    return csv_columns.make_preview(name, header, sample, complete, estimated)


def _probe_rows(path: Path, delimiter: str, width: int, start: int, size: int,
                most: int) -> tuple[list[list[str]], int, int]:
    """Rows of ``width`` fields from PREVIEW_PROBES places after byte ``start`` (whole lines
    only, undecodable bytes replaced: a sample, never the data read), and the bytes and the
    lines they came from (for the estimate of the rows in all)."""
    out, nbytes, nlines = [], 0, 0
    with limits.open_regular(path, limits.MAX_CSV_BYTES, DatasetError, "CSV file") as raw:
        for k in range(1, PREVIEW_PROBES + 1):
            raw.seek(start + (size - start) * k // (PREVIEW_PROBES + 1))
            lines = raw.read(PREVIEW_PROBE_BYTES).split(b"\n")[1:-1]
            nbytes += sum(len(line) + 1 for line in lines)
            nlines += len(lines)
            text = b"\n".join(lines).decode("utf-8", errors="replace")
            try:
                found = [[v.strip() for v in r] for r in csv.reader(io.StringIO(text),
                                                                      delimiter=delimiter)]
            except csv.Error:
                continue
            out += [r for r in found if len(r) == width and any(r)][:most]
    return out, nbytes, nlines
