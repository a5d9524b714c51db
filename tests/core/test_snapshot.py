"""Typed snapshots: histories are marked on the dataclasses, so walking them is generic."""

import dataclasses

import numpy as np

from bn_studio.core.data.datasets import make_dataset, split_and_standardize
from bn_studio.core.measure.snapshot import (RunSnapshot, copy_parts, histories, history_field,
                                             map_histories)
from bn_studio.core.training.trainer import Snapshot, TrainConfig, TwinTrainer


def _snapshot(steps=12):
    split = split_and_standardize(make_dataset("moons", n=120, seed=0), seed=0)
    trainer = TwinTrainer(TrainConfig(hidden=(4, 3), eval_every=5), split)
    for _ in range(steps):
        trainer.step()
    return trainer.snapshot()


def test_every_history_of_both_nets_is_found_by_its_key():
    snap = _snapshot()
    keys = set(histories(snap))
    for name in ("bn", "no_bn"):
        assert ("runs", name, "train_curve") in keys
        assert ("runs", name, "eval_curve") in keys
        assert ("runs", name, "smoothness") in keys
        for i in range(2):
            assert ("runs", name, "layers", i, "bands") in keys
    assert ("runs", "bn", "layers", 0, "running_history") in keys
    assert ("runs", "no_bn", "layers", 0, "running_history") not in keys   # None: skipped
    assert len(keys) == 3 * 2 + 2 * 2 + 2


def test_map_histories_replaces_each_history_and_nothing_else():
    snap = _snapshot()
    z_hist = snap.runs["bn"].layers[0].z_hist
    map_histories(snap, lambda key, rows: rows[-1:])
    assert snap.runs["bn"].train_curve.shape == (1, 2)
    assert snap.runs["no_bn"].layers[1].bands.shape == (1, 4)
    assert snap.runs["bn"].layers[0].z_hist is z_hist


def test_a_new_history_field_is_one_line_and_walked_like_the_others():
    @dataclasses.dataclass
    class RunWithSharpness(RunSnapshot):
        sharpness: np.ndarray | None = history_field(default=None)    # the one line

    snap = _snapshot()
    bn = snap.runs["bn"]
    snap.runs["bn"] = RunWithSharpness(**{f.name: getattr(bn, f.name)
                                          for f in dataclasses.fields(bn)},
                                       sharpness=np.ones((3, 2)))
    assert ("runs", "bn", "sharpness") in histories(snap)


def test_copy_parts_lets_histories_change_without_touching_the_original():
    snap = _snapshot()
    before = snap.runs["bn"].layers[0].bands
    copy = copy_parts(snap)
    map_histories(copy, lambda key, rows: rows[:0])
    assert snap.runs["bn"].layers[0].bands is before and len(before) > 0
    assert copy.runs["bn"].layers[0].bands.shape[0] == 0
    assert copy.runs["bn"].net is snap.runs["bn"].net           # shared, not copied


def test_trainer_names_stay_importable():
    assert Snapshot.__module__ == "bn_studio.core.measure.snapshot"


def test_the_default_runs_histories_stay_within_a_few_megabytes_however_long_it_trains():
    """Both processes keep every history of the app's run: at 2 MiB each the default net's
    came to ~18 MB per process, still filling 40k steps in (GUI memory growth). Wide
    per-unit histories keep at least 512 rows, more than a dock's plot is wide."""
    from bn_studio.core.measure.snapshot import bounded_rows
    from bn_studio.core.training.defaults import DEFAULT_CONFIG, DEFAULT_DATASET
    from bn_studio.core.training.trainer import split_for
    from bn_studio.live.worker import HISTORY_ROWS
    split = split_for(DEFAULT_DATASET.make(), DEFAULT_CONFIG)
    trainer = TwinTrainer(DEFAULT_CONFIG, split, history_rows=HISTORY_ROWS, diagnostics=True)
    for _ in range(3):
        trainer.step()
    found = histories(trainer.snapshot(diagnostics=True))
    limits = {key: bounded_rows(rows.shape[1], HISTORY_ROWS) for key, rows in found.items()}
    full = sum(limits[key] * rows.shape[1] * 8 for key, rows in found.items())
    assert len(found) > 30
    assert full < 8 << 20
    assert min(limits.values()) >= 512
