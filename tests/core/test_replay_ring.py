"""The replay ring: bounded however long the run, evenly thinned, and a replayed frame shows
that frame's own state with the run's newest histories."""

import numpy as np
import pytest

from bn_studio.core.data.datasets import make_dataset, split_and_standardize
from bn_studio.core.measure.grid import decision_grid
from bn_studio.core.measure.replay import SnapshotRing, frame_nbytes, frame_of, restore
from bn_studio.core.measure.snapshot import Snapshot
from bn_studio.core.training.trainer import TrainConfig, TwinTrainer


def bare(step, run_id=1):
    return Snapshot(step, None, {}, run_id=run_id)


@pytest.mark.parametrize("every", [1, 7, 40])
def test_the_ring_stays_bounded_and_evenly_spaced_over_a_long_run(every):
    ring = SnapshotRing(max_frames=64)
    for step in range(0, 100_000, every):
        ring.add(bare(step))
        assert len(ring) <= 64
    steps = ring.steps()
    gaps = np.diff(steps)
    newest = (100_000 - 1) // every * every
    assert steps[0] == 0 and newest - steps[-1] <= 2 * gaps.max()     # from the start to now
    assert len(steps) >= 32
    assert gaps.max() <= 2 * gaps.min()


def test_a_new_run_or_an_earlier_step_starts_the_ring_afresh():
    ring = SnapshotRing(max_frames=16)
    for step in range(10):
        ring.add(bare(step))
    ring.add(bare(3, run_id=2))
    assert list(ring.steps()) == [3]
    ring.add(bare(1, run_id=2))
    assert list(ring.steps()) == [1]


def test_the_same_step_again_replaces_its_frame():
    ring = SnapshotRing()
    ring.add(bare(5))
    ring.add(Snapshot(5, None, {}, run_id=1, changes=((5, "lr", 0.1),)))
    assert len(ring) == 1 and ring.frames()[0].changes


def _trainer():
    split = split_and_standardize(make_dataset("moons", n=160, seed=0), seed=0)
    return TwinTrainer(TrainConfig(hidden=(6, 5), eval_every=5, batch=16), split)


def _published(trainer, run_id=1):
    snap = trainer.snapshot()
    nets = {name: run.net for name, run in snap.runs.items()}
    snap.grid = decision_grid(nets, (-2.0, 2.0, -2.0, 2.0), snap.step, resolution=12)
    snap.run_id = run_id
    return snap


def test_wide_nets_get_fewer_frames_within_the_byte_budget():
    trainer = _trainer()
    snap = _published(trainer)
    per_frame = frame_nbytes(frame_of(snap))
    ring = SnapshotRing(max_frames=256, max_bytes=40 * per_frame)
    ring.add(snap)
    assert ring.capacity == 40


def test_a_frame_keeps_no_history_rows_and_leaves_the_snapshot_alone():
    trainer = _trainer()
    for _ in range(20):
        trainer.step()
    snap = _published(trainer)
    frame = frame_of(snap)
    assert frame.runs["bn"].train_curve.shape == (0, 2)
    assert frame.runs["bn"].layers[0].bands.shape == (0, 4)
    assert frame.grid.probs == {} and frame.grid.extent == snap.grid.extent
    net = snap.runs["bn"].net
    packed = frame.runs["bn"].packed
    assert packed.nbytes < net.flat_params.nbytes + net.flat_grads.nbytes
    assert packed._net is None                      # the ring keeps no built MLP
    np.testing.assert_array_equal(packed.unpack().flat_params, net.flat_params)
    assert snap.runs["bn"].train_curve.shape == (20, 2) and snap.grid.probs


def test_restoring_step_k_shows_frame_k_with_the_newest_histories():
    trainer = _trainer()
    ring = SnapshotRing()
    kept = {}
    for _ in range(6):
        for _ in range(10):
            trainer.step()
        snap = _published(trainer)
        kept[snap.step] = snap
        ring.add(snap)
    latest = snap
    frame = ring.frames()[2]
    assert frame.step == 30
    view = restore(frame, latest)
    want = kept[30]
    assert view.step == 30 and not view.live
    for name in ("bn", "no_bn"):
        np.testing.assert_array_equal(view.runs[name].layers[0].z_hist,
                                      want.runs[name].layers[0].z_hist)
        np.testing.assert_array_equal(view.runs[name].train_curve,
                                      latest.runs[name].train_curve)
        np.testing.assert_allclose(view.grid.probs[name], want.grid.probs[name], rtol=1e-6)
    np.testing.assert_array_equal(view.runs["bn"].layers[1].running_mean,
                                  want.runs["bn"].layers[1].running_mean)
    assert view.grid.step == 30 and view.grid.probs["bn"].shape[:2] == (12, 12)
    np.testing.assert_array_equal(view.runs["bn"].net.flat_params,
                                  want.runs["bn"].net.flat_params)
    np.testing.assert_array_equal(view.runs["bn"].net.bn_layers[0].running_var,
                                  want.runs["bn"].layers[0].running_var)
    assert latest.live and frame.runs["bn"].train_curve.shape[0] == 0     # both untouched


def test_spread_picks_evenly_spaced_earlier_frames_oldest_first():
    ring = SnapshotRing()
    for step in range(0, 101):
        ring.add(bare(step))
    assert [f.step for f in ring.spread(100, 4)] == [0, 25, 50, 75]
    assert [f.step for f in ring.spread(3, 8)] == [0, 1, 2]
    assert ring.spread(0, 4) == []
