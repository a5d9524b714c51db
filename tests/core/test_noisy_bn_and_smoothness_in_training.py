"""Noisy BN, the smoothness history and a run's own scheduled changes, inside TwinTrainer."""

import numpy as np
import pytest

from bn_studio.core import limits
from bn_studio.core.data.datasets import make_dataset, split_and_standardize
from bn_studio.core.training.trainer import TrainConfig, TwinTrainer, advance


@pytest.fixture(scope="module")
def split():
    return split_and_standardize(make_dataset("moons", n=200, seed=0))


CFG = TrainConfig(hidden=(8, 8), batch=16, dtype="float64", eval_every=5)


def _curves(cfg, split, steps=30, **kw):
    tr = TwinTrainer(cfg, split, **kw)
    for _ in range(steps):
        tr.step()
    return tr


def test_noisy_bn_changes_only_the_bn_twin_and_is_deterministic(split):
    clean = _curves(CFG, split)
    noisy = _curves(CFG.replace(noisy_bn=True), split)
    again = _curves(CFG.replace(noisy_bn=True), split)
    np.testing.assert_array_equal(noisy.runs["no_bn"].train.view(),
                                  clean.runs["no_bn"].train.view())
    assert not np.array_equal(noisy.runs["bn"].train.view(), clean.runs["bn"].train.view())
    np.testing.assert_array_equal(noisy.runs["bn"].train.view(), again.runs["bn"].train.view())
    scale, shift = noisy.runs["bn"].net.bn_layers[0].noise
    assert np.all((scale >= 0.5) & (scale <= 1.5)) and np.all(np.abs(shift) <= 0.5)
    assert noisy.runs["no_bn"].net.bn_layers == []


def test_noise_is_redrawn_every_step(split):
    tr = TwinTrainer(CFG.replace(noisy_bn=True), split)
    tr.step()
    first = tr.runs["bn"].net.bn_layers[0].noise[0].copy()
    tr.step()
    assert not np.array_equal(first, tr.runs["bn"].net.bn_layers[0].noise[0])


def test_smoothness_history_every_k_steps_and_off_by_default(split):
    tr = _curves(CFG, split, steps=20, smoothness_every=5)
    snap = tr.snapshot()
    for run in snap.runs.values():
        assert run.smoothness.shape == (4, 2)
        assert list(run.smoothness[:, 0]) == [5, 10, 15, 20]
        assert np.all(run.smoothness[:, 1] >= 0)
    assert _curves(CFG, split, steps=10).snapshot().runs["bn"].smoothness.shape == (0, 2)


def test_measuring_smoothness_does_not_change_training(split):
    a = _curves(CFG, split, steps=20, smoothness_every=5)
    b = _curves(CFG, split, steps=20)
    for name in a.runs:
        np.testing.assert_array_equal(a.runs[name].train.view(), b.runs[name].train.view())


def test_a_configs_own_changes_equal_a_live_change_at_that_step(split):
    own = _curves(CFG.replace(changes=((10, "lr", 0.05),)), split, steps=20)
    live = TwinTrainer(CFG, split)
    advance(live, 10)
    live.change("lr", 0.05)                  # the user's edit joins the run's changes
    advance(live, 10)
    assert own.changes == live.changes == [(10, "lr", 0.05)]
    assert live.config.changes == ((10, "lr", 0.05),) and live.config.lr == 0.05
    for name in own.runs:
        np.testing.assert_array_equal(own.runs[name].train.view(),
                                      live.runs[name].train.view())


@pytest.mark.parametrize("bad, why", [
    ([[5, "hidden", 3]], "cannot change mid-run"), ([[5, "lr", -1]], "learning rate"),
    ([[-1, "lr", 1]], "at least 0"), ("500:lr=2", "list"), ([[5, "lr"]], "[step, name, value]"),
    ([[5, "lr", "big"]], "number"),
    ([[5, "lr", 1.0]] * (limits.MAX_CHANGES + 1), f"at most {limits.MAX_CHANGES}")])
def test_bad_changes_are_refused_in_one_line(bad, why):
    with pytest.raises(ValueError, match=None) as e:
        TrainConfig(changes=bad)
    assert why in str(e.value) and "\n" not in str(e.value)


def test_config_round_trips_through_a_dict_with_changes_and_noise():
    cfg = TrainConfig(noisy_bn=True, changes=[[500, "lr", 2]])
    assert cfg.changes == ((500, "lr", 2.0),)
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValueError, match="noisy_bn"):
        TrainConfig(noisy_bn="yes")
