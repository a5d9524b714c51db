"""Switches the experiment lessons need: freezing BN's γ and β."""

import numpy as np
import pytest

from bn_studio.core.data.datasets import make_dataset, split_and_standardize
from bn_studio.core.nn.network import MLP, NetConfig
from bn_studio.core.training.trainer import TrainConfig, TwinTrainer, split_for, train_single


@pytest.fixture(scope="module")
def split():
    return split_and_standardize(make_dataset("moons", n=200, seed=0), seed=0)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam", "rmsprop"])
def test_frozen_gamma_and_beta_stay_one_and_zero(split, optimizer):
    t = TwinTrainer(TrainConfig(hidden=(6, 6), optimizer=optimizer, lr=0.05, l2=0.01,
                                freeze_bn_affine=True, dtype="float64"), split, runs=("bn",))
    w0 = t.runs["bn"].net.hidden[0].dense.params["W"].copy()
    for _ in range(20):
        t.step()
    net = t.runs["bn"].net
    for bn in net.bn_layers:
        np.testing.assert_array_equal(bn.params["gamma"], 1.0)
        np.testing.assert_array_equal(bn.params["beta"], 0.0)
    assert not np.allclose(net.hidden[0].dense.params["W"], w0)     # the rest still learns


def test_freezing_leaves_the_input_gradient_as_it_was():
    """Only γ's and β's own gradients are withheld: dL/dZ (and so dW) are unchanged."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(16, 2)), rng.integers(0, 3, 16)
    nets = [MLP(NetConfig(hidden=(5, 4), classes=3, batch_norm=True, freeze_bn_affine=f),
                seed=3) for f in (False, True)]
    for net in nets:
        net.loss_and_grads(X, y)
    learned, frozen = nets
    for a, b in zip(learned.hidden, frozen.hidden):
        np.testing.assert_allclose(a.dZ, b.dZ)
        assert np.any(a.bn.grads["gamma"] != 0)
        np.testing.assert_array_equal(b.bn.grads["gamma"], 0.0)
        np.testing.assert_array_equal(b.bn.grads["beta"], 0.0)


def test_freezing_survives_clone_pickle_and_the_search_path(split):
    net = MLP(NetConfig(hidden=(4,), batch_norm=True, freeze_bn_affine=True))
    import pickle
    for copy in (net.clone(), pickle.loads(pickle.dumps(net))):
        assert copy.bn_layers[0].frozen_affine
    res = train_single(TrainConfig(hidden=(4,), steps=5, freeze_bn_affine=True), split)
    assert res["status"] == "ok"


def test_the_no_bn_twin_is_untouched_by_the_switch(split):
    a = TwinTrainer(TrainConfig(hidden=(6,), seed=2), split, runs=("no_bn",))
    b = TwinTrainer(TrainConfig(hidden=(6,), seed=2, freeze_bn_affine=True), split,
                    runs=("no_bn",))
    for _ in range(10):
        a.step()
        b.step()
    np.testing.assert_array_equal(a.runs["no_bn"].net.flat_params,
                                  b.runs["no_bn"].net.flat_params)


def test_unstandardised_inputs_are_the_data_with_x2_scaled():
    ds = make_dataset("spirals", n=120, seed=1)
    std = split_and_standardize(ds, seed=0)
    raw = split_and_standardize(ds, seed=0, standardize=False, x2_scale=100.0)
    assert std.standardized and not raw.standardized
    # the same points in the same order: as they are, x₂ × 100
    np.testing.assert_allclose(raw.X_train, std.unstandardize(std.X_train) * [1.0, 100.0])
    np.testing.assert_allclose(raw.X_val[:, 1], 100.0 * std.unstandardize(std.X_val)[:, 1])
    # the data's coordinates ↔ the nets' inputs, as for a standardised split
    np.testing.assert_allclose(raw.unstandardize(raw.X_train), std.unstandardize(std.X_train))
    np.testing.assert_allclose(raw.standardize([[0.5, 0.2]]), [[0.5, 20.0]])
    assert np.ptp(raw.X_train[:, 1]) > 50 * np.ptp(raw.X_train[:, 0])


def test_standardising_undoes_any_x2_scale():
    ds = make_dataset("moons", n=100, seed=2)
    scaled = type(ds)(ds.X * [1.0, 100.0], ds.y, ds.class_names, ds.name)
    a = split_and_standardize(ds, seed=0)
    b = split_and_standardize(ds, seed=0, x2_scale=100.0)
    c = split_and_standardize(scaled, seed=0)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    np.testing.assert_allclose(a.X_train, c.X_train, atol=1e-12)


def test_split_for_follows_the_config_and_the_trainer_sees_it():
    ds = make_dataset("spirals", n=120, seed=1)
    cfg = TrainConfig(hidden=(4,), standardize=False, x2_scale=100.0)
    split = split_for(ds, cfg)
    assert not split.standardized and np.abs(split.X_train[:, 1]).max() > 10
    assert split_for(ds, TrainConfig(hidden=(4,), x2_scale=100.0)).standardized
    t = TwinTrainer(cfg, split)
    t.step()
    assert t.step_count == 1 and np.isfinite(t.runs["bn"].last_loss)


def test_the_input_settings_are_checked_and_survive_a_round_trip():
    cfg = TrainConfig(standardize=False, x2_scale=100.0)
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg
    assert TrainConfig.from_dict({}).standardize         # older workspaces: standardised
    for bad in (0.0, -1.0, float("nan"), 1e9):
        with pytest.raises(ValueError, match="x2_scale"):
            TrainConfig(x2_scale=bad)
    with pytest.raises(ValueError, match="standardize must be true or false"):
        TrainConfig(standardize="no")


def test_inputs_too_large_to_scale_are_refused_in_one_line():
    from bn_studio.core.data.datasets import Dataset, DatasetError
    X = np.array([[0.0, 1e305], [1.0, -1e305]] * 10)
    ds = Dataset(X, np.array([0, 1] * 10), ["a", "b"], "huge")
    with pytest.raises(DatasetError, match="lower the x₂ scale or standardise"):
        split_and_standardize(ds, standardize=False, x2_scale=1e4)


def test_the_command_line_turns_standardising_off(capsys):
    from bn_studio.cli import build_parser
    from bn_studio.cli.options import config_from_args, split_from_args
    args = build_parser().parse_args(["train", "--dataset", "spirals", "--no-standardize",
                                      "--x2-scale", "100"])
    cfg = config_from_args(args)
    assert not cfg.standardize and cfg.x2_scale == 100.0
    assert not split_from_args(args).standardized
    on = build_parser().parse_args(["train"])
    assert config_from_args(on).standardize and split_from_args(on).standardized


def test_a_validation_only_shift_leaves_training_as_it_was(split):
    """A shift at test time: the training inputs, and so every step, stay as without it;
    the validation inputs move and the validation loss with them."""
    runs = [TwinTrainer(TrainConfig(hidden=(8, 8), seed=1, lr=0.05, eval_every=5), split)
            for _ in range(2)]
    for t in runs:
        for _ in range(30):
            t.step()
    shifted, plain = runs
    x_train = shifted.X_train.copy()
    shifted.shift_inputs((1.5, 1.0), validation_only=True)
    np.testing.assert_array_equal(shifted.X_train, x_train)
    np.testing.assert_allclose(shifted.X_val - plain.X_val, np.broadcast_to([1.5, 1.0],
                                                                           plain.X_val.shape),
                               rtol=0, atol=1e-6)
    for _ in range(10):
        shifted.step()
        plain.step()
    for name in ("bn", "no_bn"):
        np.testing.assert_array_equal(shifted.runs[name].net.flat_params,
                                      plain.runs[name].net.flat_params)
        assert shifted.runs[name].evals.view()[-1, 3] > plain.runs[name].evals.view()[-1, 3]


def test_a_shift_of_all_inputs_leaves_bn_training_as_it_was(split):
    """BN(Z + c) = BN(Z) in training, and dW = Xᵀ·dZ gains c·Σ dZ = 0: the BN net's steps
    are those of the unshifted run (to rounding); the net without BN's are not."""
    runs = [TwinTrainer(TrainConfig(hidden=(8, 8), seed=1, lr=0.05, dtype="float64"), split)
            for _ in range(2)]
    for t in runs:
        for _ in range(30):
            t.step()
    runs[0].shift_inputs((1.5, 1.0))
    for _ in range(10):
        for t in runs:
            t.step()
    a, b = (t.runs["bn"] for t in runs)
    np.testing.assert_allclose(a.train.view()[-10:, 1], b.train.view()[-10:, 1], rtol=1e-9)
    assert not np.allclose(runs[0].runs["no_bn"].train.view()[-10:, 1],
                           runs[1].runs["no_bn"].train.view()[-10:, 1], rtol=1e-3)
