"""Trials trained together: every member of a population is exactly the single-trial run."""

from __future__ import annotations

import numpy as np
import pytest

from bn_studio.core.data.datasets import make_dataset, split_and_standardize
from bn_studio.core.training.population import Population, structure_key, train_population
from bn_studio.core.training.streams import EVAL_ROWS
from bn_studio.core.training.trainer import TrainConfig, train_single

RTOL = 1e-6
# float32 has 24 bits: the batched path rounds in another order (BN folded into the weights
# for evaluation, fused BN passes), so members agree to a few hundred float32 ulps.
RTOL_FLOAT32 = 1e-5


@pytest.fixture(scope="module")
def split():
    return split_and_standardize(make_dataset("moons", n=240, seed=0), seed=0)


def random_members(rng, base: TrainConfig, k: int, lr_decades=(-3, 0.5)) -> list[TrainConfig]:
    """k random trials of one structure: their own seed, α, β's, λ, decay, BN decay and
    widths (same depth)."""
    out = []
    for _ in range(k):
        widths = tuple(int(rng.integers(3, 12)) for _ in base.hidden)
        out.append(base.replace(
            seed=int(rng.integers(1 << 30)), lr=float(10 ** rng.uniform(*lr_decades)),
            hidden=widths, momentum=float(1 - 10 ** rng.uniform(-3, -1)),
            beta1=float(1 - 10 ** rng.uniform(-2, -0.5)),
            beta2=float(1 - 10 ** rng.uniform(-3, -1)), l2=float(rng.choice([0.0, 1e-2])),
            decay=float(rng.choice([0.0, 0.3])), bn_decay=float(rng.uniform(0.5, 0.99))))
    return out


def close(a, b, rtol=RTOL) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= rtol * max(abs(a), abs(b), 1e-300)


def assert_same(pop: dict, single: dict, rtol=RTOL) -> None:
    assert (pop["status"], pop["diverged_at"]) == (single["status"], single["diverged_at"])
    assert close(pop["val_loss"], single["val_loss"], rtol)
    assert close(pop["val_accuracy"], single["val_accuracy"], rtol)
    assert close(pop["final_train_loss"], single["final_train_loss"], rtol)
    assert pop["curve"]["step"] == single["curve"]["step"]
    for key in ("train_loss", "val_loss", "val_accuracy"):
        assert all(close(a, b, rtol) for a, b in zip(pop["curve"][key], single["curve"][key])), \
            key


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "rmsprop", "adam"])
@pytest.mark.parametrize("batch_norm", [True, False])
def test_each_member_equals_its_single_trial_in_float64(split, optimizer, batch_norm):
    rng = np.random.default_rng([len(optimizer), batch_norm])
    act = ("relu", "tanh", "sigmoid")[int(rng.integers(3))]
    base = TrainConfig(hidden=(8, 8), activation=act, optimizer=optimizer, batch=32,
                       steps=40, eval_every=7, dtype="float64")
    members = random_members(rng, base, 5)
    for pop, config in zip(train_population(members, split, batch_norm), members):
        assert_same(pop, train_single(config, split, batch_norm=batch_norm))


def test_divergent_members_are_frozen_and_the_rest_go_on(split):
    base = TrainConfig(hidden=(10,), optimizer="sgd", batch=32, steps=50, eval_every=10,
                       dtype="float64")
    members = [base.replace(seed=s, lr=lr) for s, lr in enumerate([0.1, 1e4, 0.5, 1e6])]
    results = train_population(members, split, batch_norm=False)
    assert [r["status"] for r in results] == ["ok", "diverged", "ok", "diverged"]
    for pop, config in zip(results, members):
        assert_same(pop, train_single(config, split, batch_norm=False))
    assert results[0]["curve"]["step"] == [0, 10, 20, 30, 40, 50]


def test_float32_members_match_too(split):
    rng = np.random.default_rng(7)
    base = TrainConfig(hidden=(6, 9), optimizer="adam", batch=16, steps=30, eval_every=4)
    members = random_members(rng, base, 4, lr_decades=(-3, -1))
    for pop, config in zip(train_population(members, split, True), members):
        assert_same(pop, train_single(config, split, batch_norm=True), RTOL_FLOAT32)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("batch_norm", [True, False])
def test_padded_units_stay_exactly_zero(split, activation, batch_norm):
    base = TrainConfig(hidden=(4, 4), activation=activation, optimizer="adam", batch=16,
                       steps=20, l2=1e-2, dtype="float64")
    pop = Population([base, base.replace(hidden=(9, 7), seed=1)], split, batch_norm)
    pop.run()
    narrow = {name: view[0] for name, view in pop.P.items()}
    assert pop.widths == [9, 7]
    extra = ("gamma", "beta") if batch_norm else ("b",)
    assert not any(np.any(narrow[f"hidden{i}.{key}"][4:]) for i in (1, 2) for key in extra)
    assert not np.any(narrow["hidden1.W"][:, 4:])
    assert not np.any(narrow["hidden2.W"][4:, :]) and not np.any(narrow["hidden2.W"][:, 4:])
    assert not np.any(narrow["output.W"][4:, :])


def test_large_splits_use_each_members_own_live_sample_as_the_single_path():
    big = split_and_standardize(make_dataset("moons", n=3000, seed=1), seed=1)
    assert len(big.y_train) > EVAL_ROWS             # so the live curves use a sample
    base = TrainConfig(hidden=(6,), optimizer="momentum", batch=32, steps=20, eval_every=10,
                       dtype="float64")
    members = [base.replace(seed=s, hidden=(w,)) for s, w in ((3, 6), (4, 5))]
    for pop, config in zip(train_population(members, big, True), members):
        assert_same(pop, train_single(config, big, batch_norm=True))


def test_should_stop_cancels_the_live_members(split):
    base = TrainConfig(hidden=(8,), optimizer="sgd", steps=1000, dtype="float64")
    calls = []
    results = train_population([base, base.replace(seed=1)], split,
                               should_stop=lambda: calls.append(1) or len(calls) > 5)
    assert [r["status"] for r in results] == ["cancelled", "cancelled"]
    assert results[0]["steps_run"] == 5


def test_members_of_another_structure_are_refused(split):
    base = TrainConfig(hidden=(8,), dtype="float64")
    assert structure_key(base, True) == structure_key(base.replace(hidden=(3,), lr=1.0), True)
    assert structure_key(base, True) != structure_key(base, False)
    with pytest.raises(ValueError, match="share depth"):
        Population([base, base.replace(hidden=(8, 8))], split)
    with pytest.raises(ValueError, match="share"):
        Population([base, base.replace(batch=16)], split)


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_noisy_bn_members_of_different_widths_equal_their_single_trials(split, optimizer):
    """Each member draws its own noise at its own widths; padded units stay out of it."""
    rng = np.random.default_rng(11)
    base = TrainConfig(hidden=(7, 5), activation="tanh", optimizer=optimizer, batch=16,
                       steps=30, eval_every=6, dtype="float64", noisy_bn=True)
    members = random_members(rng, base, 4)
    for pop, config in zip(train_population(members, split, True), members):
        single = train_single(config, split, batch_norm=True)
        assert_same(pop, single)
        assert single["val_loss"] != train_single(config.replace(noisy_bn=False), split)["val_loss"]


def test_each_members_own_changes_apply_at_their_steps(split):
    """config.changes per member, the twins' mechanism: α, a β, λ and BN's β mid-run."""
    rng = np.random.default_rng(12)
    base = TrainConfig(hidden=(6,), optimizer="rmsprop", batch=16, steps=40, eval_every=5,
                       dtype="float64")
    members = random_members(rng, base, 3)
    members = [members[0].replace(changes=((10, "lr", 0.3), (20, "beta2", 0.9))),
               members[1].replace(changes=((0, "l2", 0.05), (25, "bn_decay", 0.5))),
               members[2]]
    for pop, config in zip(train_population(members, split, True), members):
        assert_same(pop, train_single(config, split, batch_norm=True))
