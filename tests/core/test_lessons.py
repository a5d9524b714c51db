"""The numbers the lessons talk about come from the core and are right."""

import re

import numpy as np

from bn_studio.core import lessons as L
from bn_studio.core.layers import BatchNorm
from bn_studio.core.network import MLP, NetConfig


def test_every_lesson_is_complete():
    assert len(L.LESSONS) == 6
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
