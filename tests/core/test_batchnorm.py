"""Batch norm semantics of DESIGN.md §2 (PyTorch BatchNorm1d, course notation)."""

import numpy as np
import pytest

from bn_studio.core.nn.layers import BatchNorm, BatchNormError


def test_train_output_has_zero_mean_unit_variance():
    x = np.random.default_rng(0).normal(5.0, 3.0, (64, 4))
    y = BatchNorm(4).forward(x, train=True)
    np.testing.assert_allclose(y.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(0), 1, atol=1e-3)


def test_invariant_to_per_feature_shift():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((16, 3))
    c = np.array([10.0, -4.0, 0.5])
    np.testing.assert_allclose(BatchNorm(3).forward(x + c), BatchNorm(3).forward(x), atol=1e-10)


def test_gamma_beta_applied_after_normalising():
    x = np.random.default_rng(2).standard_normal((10, 2))
    bn = BatchNorm(2)
    bn.params["gamma"] = np.array([2.0, 3.0])
    bn.params["beta"] = np.array([-1.0, 1.0])
    y = bn.forward(x)
    np.testing.assert_allclose(y.mean(0), [-1.0, 1.0], atol=1e-12)
    np.testing.assert_allclose(y.std(0), [2.0, 3.0], rtol=1e-4)


def test_identity_recovered_with_gamma_sigma_beta_mu():
    x = np.random.default_rng(3).normal(2.0, 4.0, (32, 2))
    bn = BatchNorm(2, eps=1e-5)
    bn.params["gamma"] = np.sqrt(x.var(0) + 1e-5)
    bn.params["beta"] = x.mean(0)
    np.testing.assert_allclose(bn.forward(x), x, atol=1e-10)


def test_running_stats_start_and_update_with_unbiased_variance():
    x = np.random.default_rng(4).standard_normal((8, 3))
    bn = BatchNorm(3, decay=0.9)
    np.testing.assert_array_equal(bn.running_mean, 0)
    np.testing.assert_array_equal(bn.running_var, 1)
    bn.forward(x)
    np.testing.assert_allclose(bn.running_mean, 0.1 * x.mean(0))
    np.testing.assert_allclose(bn.running_var, 0.9 + 0.1 * x.var(0, ddof=1))


def test_running_stats_converge_to_data_statistics():
    rng = np.random.default_rng(5)
    bn = BatchNorm(2)
    for _ in range(500):
        bn.forward(rng.normal([3.0, -1.0], [2.0, 0.5], (64, 2)))
    np.testing.assert_allclose(bn.running_mean, [3.0, -1.0], atol=0.1)
    np.testing.assert_allclose(bn.running_var, [4.0, 0.25], rtol=0.1)


def test_eval_uses_running_stats_and_works_on_one_example():
    bn = BatchNorm(2)
    bn.running_mean = np.array([1.0, 2.0])
    bn.running_var = np.array([4.0, 9.0])
    y = bn.forward(np.array([[3.0, 5.0]]), train=False)
    np.testing.assert_allclose(y, [[2 / np.sqrt(4 + 1e-5), 3 / np.sqrt(9 + 1e-5)]])


def test_training_batch_of_one_is_a_clear_error():
    with pytest.raises(BatchNormError, match="variance"):
        BatchNorm(2).forward(np.ones((1, 2)), train=True)


def test_matches_torch_batchnorm1d_formula_in_eval_after_training():
    """Reference: PyTorch momentum 0.1 ≡ decay 0.9, running var unbiased."""
    rng = np.random.default_rng(6)
    bn = BatchNorm(3)
    rm, rv = np.zeros(3), np.ones(3)
    for _ in range(5):
        x = rng.standard_normal((12, 3)) * 2 + 1
        bn.forward(x)
        rm = 0.9 * rm + 0.1 * x.mean(0)
        rv = 0.9 * rv + 0.1 * x.var(0, ddof=1)
    np.testing.assert_allclose(bn.running_mean, rm)
    np.testing.assert_allclose(bn.running_var, rv)


def test_noisy_bn_scales_the_bn_output_then_shifts_it():
    """Z̃ = s ⊙ (γ ⊙ Z_norm + β) + m (Santurkar et al.): the shift m is not scaled by s."""
    x = np.random.default_rng(3).standard_normal((10, 2))
    bn = BatchNorm(2)
    bn.params["gamma"] = np.array([2.0, 3.0])
    bn.params["beta"] = np.array([-1.0, 1.0])
    clean = bn.forward(x)
    bn.noise = (np.array([0.5, 1.5]), np.array([0.25, -0.5]))
    np.testing.assert_allclose(bn.forward(x), clean * [0.5, 1.5] + [0.25, -0.5], atol=1e-12)
