"""The limits in core/limits.py hold at every entry point, each refusal one line naming it,
and hostile input files (huge, endless, odd line endings) are refused without reading them."""

import os
import subprocess
import sys
import threading

import numpy as np
import pytest

from bn_studio.core import limits
from bn_studio.core.data.csv_read import load_csv
from bn_studio.core.data.datasets import (Dataset, DatasetError, from_points, make_dataset,
                                          split_and_standardize)
from bn_studio.core.training.trainer import TrainConfig, TwinTrainer


def one_line(e) -> str:
    text = str(e.value)
    assert "\n" not in text and len(text) < 300
    return text


@pytest.mark.parametrize("kwargs, words", [
    ({"hidden": [4] * 1000}, "limit on depth"),
    ({"hidden": (100_000_000,)}, "limit on width"),
    ({"hidden": (1_000_000, 1_000_000)}, "limit on width"),
    ({"hidden": (0,)}, "at least 1 unit"),
    ({"hidden": 5}, "list of layer widths"),
    ({"hidden": ["a"]}, "whole number"),
    ({"seed": -1}, "seed must be at least 0"),
    ({"seed": 2**80}, "seed must be at most"),
    ({"steps": 10**30}, "limit on steps"),
    ({"steps": -1}, "steps must be at least 0"),
    ({"batch": "x"}, "batch must be a whole number"),
    ({"lr": "fast"}, "lr must be a number"),
    ({"activation": ["relu"]}, "activation must be a name"),
    ({"dtype": "float16"}, "dtype must be float32 or float64"),
])
def test_train_config_refuses_what_no_trainer_can_use(kwargs, words):
    with pytest.raises(ValueError) as e:
        TrainConfig(**kwargs)
    assert words in one_line(e)


def test_huge_numbers_are_named_not_printed():
    with pytest.raises(ValueError) as e:
        limits.check_int(10**5000, "n", 0, 100)
    assert "digit number" in one_line(e)
    assert limits.check_int(600.0, "n", 0, 1000) == 600
    for bad in (1e400, float("nan"), 0.5, True, "600", None):
        with pytest.raises(ValueError):
            limits.check_int(bad, "n", 0, 1000)


def test_points_times_units_is_bounded_before_the_trainer_allocates():
    ds = make_dataset("moons", n=limits.MAX_POINTS, seed=0)
    split = split_and_standardize(ds)
    with pytest.raises(ValueError) as e:
        TwinTrainer(TrainConfig(hidden=(512,) * 8), split)
    assert "points × units" in one_line(e)


@pytest.mark.parametrize("kwargs, words", [
    ({"n": 10_000_000}, "limit on points"),
    ({"n": "many"}, "whole number"),
    ({"n": 1e400}, "whole number"),
    ({"classes": 1000}, "classes"),
    ({"noise": float("inf")}, "finite"),
    ({"seed": -1}, "data seed"),
])
def test_generated_data_within_the_limits(kwargs, words):
    with pytest.raises(DatasetError) as e:
        make_dataset("blobs", **kwargs)
    assert words in one_line(e)


def test_points_with_three_columns_are_refused_before_training():
    X = np.random.default_rng(0).normal(size=(30, 3))
    ds = Dataset(X, np.arange(30) % 2, ["a", "b"], "ws")
    with pytest.raises(DatasetError, match="N × 2"):
        split_and_standardize(ds)
    with pytest.raises(DatasetError, match="pairs"):
        from_points(X, np.arange(30) % 2)


def test_labels_beyond_the_class_names_are_refused():
    ds = Dataset(np.zeros((20, 2)) + np.arange(20)[:, None], np.arange(20) % 3, ["a", "b"], "w")
    with pytest.raises(DatasetError, match="labels must be 0"):
        split_and_standardize(ds)


def test_values_that_overflow_standardisation_are_refused(tmp_path):
    rows = [f"{1e300 * (1 + i % 3)},{i},{i % 2}" for i in range(40)]
    p = tmp_path / "huge.csv"
    p.write_text("\n".join(rows) + "\n")
    with pytest.raises(DatasetError) as e:
        split_and_standardize(load_csv(p))
    assert "too large to standardise" in one_line(e)


# CSV files
def rows_csv(n=40, sep=",", end="\n", extra=""):
    rng = np.random.default_rng(1)
    return end.join(f"{a:.4f}{sep}{b:.4f}{sep}{i % 2}{extra}"
                    for i, (a, b) in enumerate(rng.normal(size=(n, 2)))) + end


def test_cr_only_line_endings_load(tmp_path):
    p = tmp_path / "mac.csv"
    p.write_text("x,y,label\r" + rows_csv(end="\r"), newline="")
    ds = load_csv(p)
    assert ds.X.shape == (40, 2) and ds.classes == 2


def test_a_large_field_in_an_unused_column_loads(tmp_path):
    p = tmp_path / "notes.csv"
    big = "z" * 200_000                             # beyond Python's default 128 KiB
    p.write_text("".join(f"{i},{i * 2 % 7},note {big},{i % 2}\n" for i in range(20)))
    ds = load_csv(p, columns="0,1,3")
    assert ds.X.shape == (20, 2)


def test_a_field_beyond_the_field_limit_is_one_line(tmp_path):
    p = tmp_path / "field.csv"
    p.write_text("1,2,0\n3,4," + "9" * (limits.MAX_FIELD_BYTES + 10) + "\n")
    with pytest.raises(DatasetError) as e:
        load_csv(p)
    text = one_line(e)
    assert "field.csv: line 2" in text and "limit on field size" in text


def test_an_oversized_file_is_refused_before_reading(tmp_path):
    p = tmp_path / "sparse.csv"
    with open(p, "wb") as f:
        f.truncate(limits.MAX_CSV_BYTES + 1)        # sparse: no disk space, no reading
    with pytest.raises(DatasetError) as e:
        load_csv(p)
    assert "limit on CSV file size" in one_line(e)


def test_devices_are_refused_without_reading():
    with pytest.raises(DatasetError) as e:
        load_csv("/dev/zero")
    assert "not a regular file" in one_line(e)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    result = []
    t = threading.Thread(target=lambda: result.append(_error_of(fifo)), daemon=True)
    t.start()
    t.join(10)
    assert not t.is_alive() and "not a regular file" in result[0]


def _error_of(path) -> str:
    try:
        load_csv(path)
    except DatasetError as e:
        return str(e)
    return ""


def test_too_many_rows_and_columns_are_refused(tmp_path):
    many_rows = tmp_path / "rows.csv"
    many_rows.write_text("".join(f"{i},{i % 5},{i % 2}\n" for i in range(limits.MAX_POINTS + 5)))
    with pytest.raises(DatasetError, match="limit on points"):
        load_csv(many_rows)
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(["1"] * (limits.MAX_CSV_COLUMNS + 1)) + "\n")
    with pytest.raises(DatasetError, match="limit on columns"):
        load_csv(wide)


def test_many_columns_below_the_limit_are_scanned_in_linear_time(tmp_path):
    p = tmp_path / "wide.csv"
    width = limits.MAX_CSV_COLUMNS
    p.write_text("".join(",".join(["w"] * (width - 3) + [str(i), str(i % 3), str(i % 2)]) + "\n"
                         for i in range(120)))
    ds = load_csv(p)
    assert ds.X.shape == (120, 2)


def test_one_line_with_millions_of_fields_is_refused_before_splitting(tmp_path):
    p = tmp_path / "line.csv"
    p.write_text(",".join(["1"] * 2_000_000) + "\n")
    with pytest.raises(DatasetError) as e:
        load_csv(p)
    assert "line.csv: line 1 has more than 1,000 columns" in one_line(e)


def test_too_many_labels_names_the_file(tmp_path):
    p = tmp_path / "labels.csv"
    p.write_text("".join(f"{i},{i * 3 % 11},{i}\n" for i in range(1000)))
    with pytest.raises(DatasetError) as e:
        load_csv(p)
    assert one_line(e).startswith("labels.csv: more than 8 different labels (the 9th, '8', "
                                  "on line 9)")


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads VmHWM from /proc")
def test_refusing_oversized_inputs_stays_small(tmp_path):
    """Each refusal happens before the input is read or allocated: a fresh interpreter that
    refuses all of them peaks far below 500 MB (VmHWM, measured, not timed)."""
    big = tmp_path / "big.csv"
    with open(big, "wb") as f:
        f.truncate(4 * 2**30)
    ws = tmp_path / "big.json"
    with open(ws, "wb") as f:
        f.truncate(2**30)
    code = f"""
def vm_hwm_mb():
    '''Peak resident memory of this process image in MB (VmHWM: unlike ru_maxrss it does not
    inherit the parent's peak across fork and exec).'''
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024

from bn_studio.core.data.csv_read import load_csv
from bn_studio.core.data.datasets import make_dataset, DatasetError
from bn_studio.core.training.trainer import TrainConfig
from bn_studio.workspace import load_workspace, WorkspaceError
for f in (lambda: load_csv({str(big)!r}), lambda: load_csv('/dev/zero'),
          lambda: make_dataset('moons', n=10_000_000), lambda: TrainConfig(hidden=[4] * 1000),
          lambda: TrainConfig(hidden=(100_000_000,)), lambda: load_workspace({str(ws)!r})):
    try:
        f()
        raise SystemExit('accepted')
    except (DatasetError, WorkspaceError, ValueError):
        pass
print(vm_hwm_mb())
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) < 500


def test_check_workers_caps_at_the_cpu_count():
    n, note = limits.check_workers(10_000)
    assert n == limits.max_workers() and "capped" in note
    assert limits.check_workers(1) == (1, None)
    with pytest.raises(ValueError):
        limits.check_workers(0)


def test_whole_split_evaluation_in_chunks_equals_one_pass(monkeypatch):
    split = split_and_standardize(make_dataset("spirals", n=300, classes=3, seed=1))
    trainer = TwinTrainer(TrainConfig(hidden=(8, 8), steps=20, dtype="float64"), split)
    for _ in range(20):
        trainer.step()
    run = trainer.runs["bn"]
    whole = run.evaluate(trainer.X_val, trainer.y_val)
    monkeypatch.setattr(limits, "EVAL_CHUNK_ROWS", 7)
    chunked = run.evaluate(trainer.X_val, trainer.y_val)
    assert chunked[1] == whole[1]
    assert abs(chunked[0] - whole[0]) <= 1e-12 * abs(whole[0])


def test_a_million_points_fit_the_trainer_with_the_default_net():
    limits.check_trainer_size(1_000_000, (32,) * 5)
    with pytest.raises(ValueError, match="points × units"):
        limits.check_size(1_000_000, (32,) * 5)
