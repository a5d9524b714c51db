"""What a CSV file's columns hold, from a sample of its rows: which are numbers, which one is
the class label, and which two features separate the classes. The import dialog shows it; the
command line's default columns (no ``--columns``) come from the same guess.

Pure functions of a header and sample rows (lists of stripped fields); reading the sample is
csv_preview.preview_csv's job.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from .. import limits

MISSING = {"", "na", "nan", "n/a", "null", "none", "?", "-"}
LABEL_WORDS = re.compile(r"class|label|species|target|category|kind|type|outcome|diagnosis|"
                         r"group|variety|cultivar|^y$", re.IGNORECASE)
SAMPLES_SHOWN = 4            # values shown per column in the dialog


def is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def is_missing(text: str) -> bool:
    return text.lower() in MISSING


def mostly_numbers(fields) -> bool:
    """A column of numbers with perhaps a typo or two (so the typo gets its own line error)."""
    present = [f for f in fields if not is_missing(f)]
    return bool(present) and 2 * sum(map(is_number, present)) >= len(present)


def _whole(text: str) -> bool:
    try:
        v = float(text)
    except ValueError:
        return False
    return math.isfinite(v) and v == math.floor(v)


def class_like(fields) -> bool:
    """Values a label column could hold: 2 … MAX_CLASSES different ones, words or whole
    numbers (a column of measurements has many, or fractions)."""
    present = [f for f in fields if not is_missing(f)]
    values = set(present)
    if not 2 <= len(values) <= limits.MAX_CLASSES:
        return False
    return not all(map(is_number, values)) or all(map(_whole, values))


def column_name(j: int, header) -> str:
    """The name a column goes by: its header text on one line and at most MAX_NAME_CHARS long
    (it labels axes and is saved in workspaces), or "column 3" (counting from 1)."""
    text = " ".join(header[j].split()) if header is not None and j < len(header) else ""
    if not text:
        return f"column {j + 1}"
    most = limits.MAX_NAME_CHARS
    return text if len(text) <= most else text[:most - 1] + "…"


def _columns(rows, width: int):
    """The sample as columns (rows of another width left out)."""
    kept = [r for r in rows if len(r) == width]
    return [[r[j] for r in kept] for j in range(width)]


def guess_label(header, rows, width: int) -> int:
    """The class column: the last one if its values look like classes (the usual layout and
    the command line's old default), else the column that looks most like a label (words over
    whole numbers, a name such as "species" or "class"), else the last one (the reader then
    says what is wrong with it)."""
    cols = _columns(rows, width)
    last = width - 1
    if class_like(cols[last]):
        return last
    best, best_score = last, 0
    for j, values in enumerate(cols):
        if not class_like(values):
            continue
        score = 1 + (0 if mostly_numbers(values) else 2)
        if header is not None and LABEL_WORDS.search(column_name(j, header)):
            score += 2
        if score > best_score:
            best, best_score = j, score
    return best


def default_columns(header, rows, width: int) -> tuple[int, int, int]:
    """(feature, feature, label) when the user names none: the guessed label, and the first
    two numeric columns besides it (an id column of words is skipped). Too few numeric
    columns: the first others, so that reading names the field that is not a number."""
    label = guess_label(header, rows, width)
    cols = _columns(rows, width)
    numeric = [j for j in range(width) if j != label and mostly_numbers(cols[j])][:2]
    rest = [j for j in range(width) if j != label and j not in numeric]
    c1, c2 = (numeric + rest)[:2]
    return c1, c2, label


@dataclass(frozen=True)
class Column:
    """One column as the sample shows it."""

    index: int
    name: str
    numeric: bool
    distinct: int               # different values in the sample
    samples: tuple[str, ...]    # the first few values, as in the file
    missing: int                # missing values in the sample

    @property
    def kind(self) -> str:
        return "number" if self.numeric else "text"


@dataclass(frozen=True)
class CsvPreview:
    """A file's columns from a sample of its rows (csv_preview.preview_csv), and the columns
    guessed: the label from the data, the features the first two numeric others."""

    file_name: str
    header: tuple[str, ...] | None
    columns: tuple[Column, ...]
    rows: tuple[tuple[str, ...], ...]   # the sample (rows of the file's width only)
    complete: bool                      # the sample is every row of the file
    estimated_rows: int                 # rows in the file (exact if complete)
    guess: tuple[int, int, int]         # (feature, feature, label)

    @property
    def numeric(self) -> list[int]:
        return [c.index for c in self.columns if c.numeric]

    def values(self, j: int) -> list[str]:
        return [r[j] for r in self.rows]


def make_preview(file_name: str, header, rows, complete: bool, estimated_rows: int
                 ) -> CsvPreview:
    """The preview of a sample; DatasetError-free: problems are for ``choice_problem``."""
    width = len(header) if header is not None else len(rows[0])
    kept = tuple(tuple(r) for r in rows if len(r) == width)
    columns = []
    for j in range(width):
        values = [r[j] for r in kept]
        present = [v for v in values if not is_missing(v)]
        columns.append(Column(j, column_name(j, header), mostly_numbers(values),
                              len(set(present)), tuple(present[:SAMPLES_SHOWN]),
                              len(values) - len(present)))
    return CsvPreview(file_name, None if header is None else tuple(header), tuple(columns),
                      kept, complete, estimated_rows, default_columns(header, kept, width))


def numbers_of(preview: CsvPreview, j: int) -> np.ndarray:
    """Column j of the sample as floats (NaN where missing or not a number)."""
    out = np.full(len(preview.rows), np.nan)
    for i, r in enumerate(preview.rows):
        try:
            out[i] = float(r[j])
        except ValueError:
            pass
    return out


def classes_in(preview: CsvPreview, label: int) -> dict[str, int]:
    """Each label value of the sample and how often it occurs (missing ones left out)."""
    counts: dict[str, int] = {}
    for v in preview.values(label):
        if not is_missing(v):
            counts[v] = counts.get(v, 0) + 1
    return counts


def separation(preview: CsvPreview, feature: int, label: int) -> float | None:
    """How well one feature alone tells the classes apart in the sample: the share of its
    variance that lies between the class means (0: not at all, 1: perfectly; the η² of a
    one-way ANOVA). None if the feature is no number or there are fewer than 2 classes."""
    x = numbers_of(preview, feature)
    y = np.array([v if not is_missing(v) else "" for v in preview.values(label)], dtype=object)
    ok = np.isfinite(x) & (y != "")
    x, y = x[ok], y[ok]
    names = set(y.tolist())
    if x.size < 3 or not 2 <= len(names) <= limits.MAX_CLASSES:
        return None
    total = float(np.sum((x - x.mean()) ** 2))
    if not math.isfinite(total) or total <= 0:
        return 0.0 if math.isfinite(total) else None
    between = sum(float(np.sum(y == c)) * (float(x[y == c].mean()) - float(x.mean())) ** 2
                  for c in names)
    return min(1.0, between / total)


def separations(preview: CsvPreview, label: int) -> dict[int, float | None]:
    """``separation`` of every numeric column but the label."""
    return {j: separation(preview, j, label) for j in preview.numeric if j != label}


def best_pair(preview: CsvPreview, label: int, scores: dict | None = None
              ) -> tuple[int, int] | None:
    """The two numeric columns (not the label) that separate the classes best, each alone,
    in the file's order; None if fewer than two can be scored. ``scores``: separations()."""
    scores = separations(preview, label) if scores is None else scores
    scored = [(s, j) for j, s in scores.items() if s is not None]
    if len(scored) < 2:
        return None
    top = sorted(scored, key=lambda sj: (-sj[0], sj[1]))[:2]
    a, b = sorted(j for _, j in top)
    return a, b


def choice_problem(preview: CsvPreview, x1: int, x2: int, label: int) -> str | None:
    """One line on why these columns cannot be read as (feature, feature, label), as far as
    the sample can tell, or None. What the sample cannot rule out (a class seen only further
    down a long file) is left to the reader, which reads every row."""
    cols = preview.columns
    if len({x1, x2, label}) < 3:
        return "pick three different columns: two features and the label"
    for j in (x1, x2):
        if not cols[j].numeric:
            return (f"{cols[j].name} holds text ({', '.join(cols[j].samples[:3])} …), not "
                    "numbers: a feature must be numeric")
    n = cols[label].distinct
    if n > limits.MAX_CLASSES:
        more = "" if preview.complete else " or more"
        return (f"{cols[label].name} has {n:,}{more} different values; the limit on classes is "
                f"{limits.MAX_CLASSES}: is it really the label?")
    if n < 2 and preview.complete:
        only = f" ({cols[label].samples[0]})" if cols[label].samples else ""
        return f"{cols[label].name} has only one value{only}: need at least 2 classes"
    return None


def columns_arg(preview: CsvPreview, x1: int, x2: int, label: int) -> str:
    """The ``--columns`` text for this choice: header names where they say it unambiguously
    (unique, no comma, not a number, no spaces at the ends), else 0-based indices."""
    header = preview.header

    def one(j: int) -> str:
        if header is None:
            return str(j)
        name = header[j]
        if (name and name == name.strip() and "," not in name and not is_number(name)
                and header.count(name) == 1):
            return name
        # An index; negative if a header name reads as the positive one ("2").
        return str(j) if str(j) not in header else str(j - len(header))
    return ",".join(one(j) for j in (x1, x2, label))
