"""The child sends only new rows of each history; the receiver re-assembles them. Both keep a
bounded, evenly thinned history, so a long run's memory stays flat. Runs the child's and the
receiver's halves in this process (no Qt needed)."""

import numpy as np
import pytest

from bn_studio.core.data.datasets import make_dataset, split_and_standardize
from bn_studio.core.training.trainer import TrainConfig, TwinTrainer
from bn_studio.core.measure.snapshot import map_histories
from bn_studio.live import worker as worker_mod


def _halves(history_rows):
    child = worker_mod._Child.__new__(worker_mod._Child)
    child.sent = {}
    receiver = worker_mod.TrainingWorker.__new__(worker_mod.TrainingWorker)
    receiver._series = {}
    split = split_and_standardize(make_dataset("moons", n=200, seed=0), seed=0)
    config = TrainConfig(hidden=(8, 8), eval_every=5, seed=1)
    return child, receiver, TwinTrainer(config, split, history_rows=history_rows)


def _publish(child, receiver, trainer):
    snap = trainer.snapshot()
    map_histories(snap, child.delta)
    map_histories(snap, receiver._extend)
    return snap


def test_deltas_rebuild_the_full_history_when_nothing_is_thinned(monkeypatch):
    monkeypatch.setattr(worker_mod, "HISTORY_ROWS", 100_000)
    child, receiver, trainer = _halves(None)
    for chunk in (1, 7, 30, 2, 60):
        for _ in range(chunk):
            trainer.step()
        snap = _publish(child, receiver, trainer)
    full = trainer.snapshot()
    for name, run in snap.runs.items():
        np.testing.assert_array_equal(run.train_curve, full.runs[name].train_curve)
        np.testing.assert_array_equal(run.eval_curve, full.runs[name].eval_curve)
        for got, want in zip(run.layers, full.runs[name].layers):
            np.testing.assert_array_equal(got.bands, want.bands)
    assert snap.runs["bn"].train_curve.shape == (100, 2)


@pytest.mark.parametrize("rows", [64, 256])
def test_long_runs_keep_bounded_evenly_spaced_histories_up_to_the_last_step(monkeypatch, rows):
    monkeypatch.setattr(worker_mod, "HISTORY_ROWS", rows)
    child, receiver, trainer = _halves(rows)
    rng = np.random.default_rng(0)
    while trainer.step_count < 3000:
        for _ in range(int(rng.integers(1, 40))):     # uneven publishing, as with a busy GUI
            trainer.step()
        snap = _publish(child, receiver, trainer)
    for run in snap.runs.values():
        for h in (run.train_curve, run.eval_curve, *(layer.bands for layer in run.layers)):
            assert len(h) <= rows
            gaps = np.diff(h[:, 0])
            assert gaps.min() > 0 and gaps.max() <= 2 * gaps.min()   # near-even spacing
            assert h[-1, 0] > 3000 - 2 * gaps.max()                  # reaches the present
            assert h[0, 0] <= 2 * gaps.max()                         # ... from the start
        hist = run.layers[0].running_history
        if hist is not None:
            assert hist.shape[1] == 1 + 4 * 8 and len(hist) <= rows
