"""The numbers the lessons talk about come from the core and are right."""

import re

import numpy as np

from bn_studio.core.lessons import numbers as L
from bn_studio.core.nn.layers import BatchNorm
from bn_studio.core.nn.losses import softmax_cross_entropy
from bn_studio.core.nn.network import MLP, NetConfig


def test_every_lesson_is_complete():
    assert len(L.LESSONS) >= 9
    for les in L.LESSONS:
        assert les.title and les.intro and les.steps and les.question and les.answer
        assert len(re.findall(r"[.:]\s+[A-Z0-9]", les.intro)) + 1 <= 3   # two or three sentences


def test_lesson1_grid_tries_5_values_random_tries_25():
    p = L.grid_vs_random_plans(25)
    assert len(p["grid"]) == len(p["random"]) == 25
    assert p["grid_distinct"]["lr"] == 5 and p["random_distinct"]["lr"] == 25


def test_lesson2_shares_match_the_sampler():
    c = L.scale_comparison(4000)
    assert abs(c["lr_uniform"][-1][2] - 0.9) < 0.03          # uniform: ~90 % in 0.1..1
    np.testing.assert_allclose([s for *_, s in c["lr_log"]], 0.25, atol=0.03)
    assert abs(c["beta_log_ge_099"] - 0.5) < 0.03
    assert abs(c["beta_linear_ge_099"] - 0.009 / 0.099) < 0.03
    assert round(c["windows"][0.999]) == 1000 and round(c["windows"][0.9]) == 10


def test_lesson3_matches_batchnorm_forward_and_identity():
    z = np.random.default_rng(0).normal(3.0, 2.0, 32)
    v = L.bn_by_hand(z, gamma=1.5, beta=-0.5)
    bn = BatchNorm(1)
    bn.params["gamma"], bn.params["beta"] = np.array([1.5]), np.array([-0.5])
    np.testing.assert_allclose(v["z_tilde"], bn.forward(z[:, None])[:, 0])
    assert abs(v["mu"] - z.mean()) < 1e-12 and abs(v["var"] - z.var()) < 1e-12
    ident = L.bn_by_hand(z, v["identity_gamma"], v["identity_beta"])
    np.testing.assert_allclose(ident["z_tilde"], z, atol=1e-10)


def test_lesson5_train_vs_eval_accuracy_leaves_the_net_alone():
    net = MLP(NetConfig(hidden=(8,), classes=2, batch_norm=True), seed=0)
    X = np.random.default_rng(1).standard_normal((40, 2))
    y = (X[:, 0] > 0).astype(int)
    before = net.bn_layers[0].running_mean.copy()
    res = L.train_vs_eval_accuracy(net, X, y, batch=8)
    assert 0 <= res["train_mode"] <= 1 and 0 <= res["eval_mode"] <= 1
    np.testing.assert_array_equal(net.bn_layers[0].running_mean, before)


def test_lesson6_two_class_softmax_is_logistic():
    v = L.logistic_equivalence([0.3, -1.2])
    assert abs(v["a1"] - v["sigmoid"]) < 1e-12


def test_lesson1_grid_misses_the_best_alpha_random_lands_near_it():
    grid = sorted({t["lr"] for t in L.GRID_VS_RANDOM_SPACE.grid(25)})
    np.testing.assert_allclose(grid, [1e-4, 10 ** -2.75, 10 ** -1.5, 10 ** -0.25, 10.0])
    assert min(abs(np.log10(a)) for a in grid) == 0.25         # nearest to α ≈ 1: 0.56
    rand = [t["lr"] for t in L.grid_vs_random_plans(25, seed=0)["random"]]
    assert min(abs(np.log10(a)) for a in rand) < 0.25


def test_lesson5_two_examples_normalise_to_plus_minus_one():
    for z in ([0.3, -2.0], [5.0, 5.5], [-1e3, 7.0]):
        v = L.bn_by_hand(z)
        zn = v["z_norm"]
        np.testing.assert_allclose(np.abs(zn), np.sqrt(v["var"] / (v["var"] + 1e-5)))  # ±1 up to ε
        assert np.all(np.abs(np.abs(zn) - 1) < 2e-4)
        assert zn[0] == -zn[1]


def test_running_variance_uses_the_unbiased_m_over_m_minus_1_factor():
    for m in (2, 8, 128):
        z = np.random.default_rng(m).normal(2.0, 3.0, (m, 3))
        bn = BatchNorm(3, decay=0.9)
        bn.forward(z, train=True)
        expect = 0.9 * 1.0 + 0.1 * m / (m - 1) * z.var(axis=0)
        np.testing.assert_allclose(bn.running_var, expect, rtol=1e-12)
        np.testing.assert_allclose(bn.batch_var, z.var(axis=0), rtol=1e-12)   # biased


def test_softmax_worked_example_and_dz_is_a_minus_y():
    w = L.softmax_worked_example()
    np.testing.assert_allclose(w["t"], np.exp([5, 2, -1, 3]))
    assert round(w["t"][0], 1) == 148.4 and round(w["t_sum"], 1) == 176.3
    np.testing.assert_allclose(w["a"], w["t_shifted"] / w["t_shifted"].sum())   # same a
    np.testing.assert_allclose(w["a"], [0.842, 0.042, 0.002, 0.114], atol=5e-4)
    assert w["hardmax"].tolist() == [1, 0, 0, 0]
    z = np.random.default_rng(3).normal(0, 2, (1, 5))
    w = L.softmax_worked_example(z[0], y=2)
    loss, dz = softmax_cross_entropy(z, np.array([2]))
    np.testing.assert_allclose(w["dz"], dz[0], atol=1e-15)      # dz = a − y (batch of 1)
    assert abs(w["loss"] - loss) < 1e-12 and abs(w["loss"] + np.log(w["a"][2])) < 1e-12


def test_one_point_prediction_depends_on_its_batch_in_training_mode_only():
    net = MLP(NetConfig(hidden=(8,), classes=3, batch_norm=True), seed=0)
    X = np.random.default_rng(1).standard_normal((50, 2)) * 2
    v = L.one_point_in_two_batches(net, X[0], X, batch=4, seed=0)
    assert np.abs(v["batch_a"] - v["batch_b"]).max() > 1e-3
    again = L.one_point_in_two_batches(net, X[0], X, batch=4, seed=5)
    np.testing.assert_array_equal(v["eval"], again["eval"])      # eval mode: no batch


def test_only_the_watch_lesson_sets_a_teaching_speed():
    assert L.lesson("why_bn").speed and L.lesson("test_time").speed is None


def test_lesson1_opens_on_a_seed_where_random_search_wins_on_its_data():
    from bn_studio.core.data.datasets import DatasetSpec, split_and_standardize
    from bn_studio.core.search import best_result
    from bn_studio.core.search.groups import plan_groups, run_group
    les = L.lesson("grid_vs_random")
    split = split_and_standardize(DatasetSpec(**les.dataset).make(), seed=0)   # the app's
    best = {}
    for k, spec in L.grid_vs_random_specs(les.train_config(), L.GVR_FIRST_SEED).items():
        assert spec.base.steps == 150                      # the pack's steps per trial
        results = [r for g in plan_groups(spec.plan(), spec.base, twins=False)
                   for r in run_group(split, spec.base, g)]
        best[k] = best_result(results).val_loss
    assert best["random"] < 0.8 * best["grid"]             # clearly, not by seed noise


def test_lesson1_decay_changes_alpha_by_under_2_percent_in_its_150_steps():
    les = L.lesson("grid_vs_random")
    cfg = les.train_config()
    train_rows = round(les.dataset["n"] * 0.75)
    epochs = cfg.steps * cfg.batch // train_rows
    assert 1 / (1 + 1e-3 * epochs) > 0.98


def test_lesson3_batch_means_are_noisier_for_small_batches():
    """σ of a batch mean ∝ 1/√m: at m = 8 it is about 4× that at m = 128."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(300)
    sd = {m: np.std([x[rng.choice(300, m, replace=False)].mean() for _ in range(2000)])
          for m in (8, 128)}
    assert 3.0 < sd[8] / sd[128] < 6.0


def test_lesson7_bn_divides_the_weight_scale_out_and_the_gradient_by_it():
    from bn_studio.core.nn.layers import Dense
    rng = np.random.default_rng(0)
    x, dout = rng.standard_normal((32, 5)), rng.standard_normal((32, 4))
    outs, grads = [], []
    for a in (1.0, 10.0):
        dense, bn = Dense(5, 4, bias=False, rng=np.random.default_rng(1)), BatchNorm(4)
        dense.params["W"] *= a
        outs.append(bn.forward(dense.forward(x)))
        dense.backward(bn.backward(dout))
        grads.append(dense.grads["W"].copy())
    np.testing.assert_allclose(outs[1], outs[0], atol=1e-4)       # up to ε
    np.testing.assert_allclose(grads[0], 10 * grads[1], rtol=1e-3)
