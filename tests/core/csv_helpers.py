"""What the CSV tests share: the fuzz settings, and a file's outcome through the loader with
the fast path and through the careful reader (the reference) alone."""

import os

import pytest
from hypothesis import HealthCheck, settings

from bn_studio.core.data import csv_read
from bn_studio.core.data.csv_read import load_csv
from bn_studio.core.data.datasets import DatasetError

EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def force_careful(monkeypatch):
    """Force the csv-module reader (the reference) for the whole file."""
    def refuse(path, columns, name):
        return None
        yield                                   # a generator, as the fast path is
    monkeypatch.setattr(csv_read, "_load_fast", refuse)


def outcome(path, columns=None):
    try:
        ds = load_csv(path, columns=columns)
    except DatasetError as e:
        return ("error", str(e))
    return ("data", ds.X.tobytes(), ds.X.shape, ds.y.tolist(), ds.class_names, ds.skipped_rows)


def both(path, columns=None):
    """(the loader's outcome, the careful reader's)."""
    fast = outcome(path, columns)
    with pytest.MonkeyPatch.context() as mp:
        force_careful(mp)
        careful = outcome(path, columns)
    return fast, careful
