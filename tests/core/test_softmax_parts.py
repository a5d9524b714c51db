"""Shift, temperature, loss and gradient of one point's softmax (the inspector's maths)."""

import numpy as np
import pytest

from bn_studio.core.nn.softmax_parts import (loss_gradient, nearest_label, point_loss,
                                             shifted_softmax, tempered_softmax)

COURSE_Z = np.array([5.0, 2.0, -1.0, 3.0])


def test_course_example_gives_the_courses_probabilities():
    s = shifted_softmax(COURSE_Z)
    np.testing.assert_allclose(s.a, [0.842, 0.042, 0.002, 0.114], atol=5e-4)
    np.testing.assert_allclose(s.t, np.exp(COURSE_Z))
    assert s.total == pytest.approx(176.3, abs=0.05)


@pytest.mark.parametrize("c", np.linspace(-50, 50, 21))
def test_shift_changes_t_but_not_a(c):
    """The naive t / Σt with t = e^(z + c): every t gains the factor e^c, a stays."""
    rng = np.random.default_rng(3)
    for z in (COURSE_Z, rng.normal(0, 4, size=7)):
        base, s = shifted_softmax(z), shifted_softmax(z, c)
        np.testing.assert_allclose(s.a_naive, base.a_naive, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(s.t, base.t * np.exp(c), rtol=1e-12)
        assert not s.overflow


def test_shift_by_minus_max_is_the_stable_softmax():
    s = shifted_softmax(COURSE_Z, -COURSE_Z.max())
    assert s.t.max() == 1.0
    np.testing.assert_allclose(s.a_naive, s.a, rtol=1e-15)


def test_overflow_is_reported_and_the_stable_a_survives_it():
    s = shifted_softmax([800.0, 799.0])
    assert s.overflow and not np.all(np.isfinite(s.a_naive))
    np.testing.assert_allclose(s.a, [1 / (1 + np.exp(-1)), np.exp(-1) / (1 + np.exp(-1))])
    assert not shifted_softmax([800.0, 799.0], c=-800.0).overflow


def test_high_temperature_tends_to_uniform_and_low_to_one_hot():
    for T in (1e6, np.inf):
        np.testing.assert_allclose(tempered_softmax(COURSE_Z, T), 0.25, atol=1e-5)
    np.testing.assert_array_equal(tempered_softmax(COURSE_Z, np.inf), 0.25)
    np.testing.assert_allclose(tempered_softmax(COURSE_Z, 1e-3), [1, 0, 0, 0], atol=1e-12)
    np.testing.assert_allclose(tempered_softmax([1.0, 3.0, 3.0], 1e-4), [0, 0.5, 0.5])
    # in between, a flattens monotonically as T grows
    tops = [tempered_softmax(COURSE_Z, T)[0] for T in (0.5, 1, 2, 4)]
    assert tops == sorted(tops, reverse=True)


@pytest.mark.parametrize("T", [0.0, -1.0, float("nan")])
def test_temperature_must_be_positive(T):
    with pytest.raises(ValueError, match="temperature"):
        tempered_softmax(COURSE_Z, T)


def test_temperature_and_shift_combine_as_softmax_of_shifted_over_T():
    s = shifted_softmax(COURSE_Z, c=2.0, T=0.5)
    np.testing.assert_allclose(s.u, (COURSE_Z + 2) * 2)
    np.testing.assert_allclose(s.a, tempered_softmax(COURSE_Z, 0.5), rtol=1e-12)


def numerical_gradient(f, z, h=1e-6):
    g = np.zeros_like(z)
    for i in range(z.size):
        e = np.zeros_like(z)
        e[i] = h
        g[i] = (f(z + e) - f(z - e)) / (2 * h)
    return g


@pytest.mark.parametrize("y", range(4))
def test_gradient_a_minus_y_matches_the_numerical_gradient_of_the_loss(y):
    rng = np.random.default_rng(y)
    for z in (COURSE_Z, rng.normal(0, 2, size=4)):
        analytic = loss_gradient(z, y)
        numeric = numerical_gradient(lambda v: point_loss(v, y), z)
        rel = np.linalg.norm(analytic - numeric) / np.linalg.norm(analytic + numeric)
        assert rel < 1e-7, rel
        assert analytic.sum() == pytest.approx(0.0, abs=1e-12)
        assert analytic[y] < 0 and np.all(np.delete(analytic, y) > 0)


def test_loss_is_minus_log_a_y_and_stays_finite_when_a_y_underflows():
    for y in range(4):
        assert point_loss(COURSE_Z, y) == pytest.approx(-np.log(tempered_softmax(COURSE_Z)[y]),
                                                        rel=1e-12)
    assert point_loss(COURSE_Z, 0) == pytest.approx(0.1719, abs=1e-4)
    assert point_loss([1000.0, 0.0], 1) == pytest.approx(1000.0)
    with pytest.raises(ValueError, match="not one of the 4 classes"):
        point_loss(COURSE_Z, 4)


def test_nearest_label_picks_the_closest_points_class():
    X = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 3.0]])
    assert nearest_label(X, [7, 8, 9], [1.9, 0.1])[:2] == (1, 8)
    assert nearest_label(X, [7, 8, 9], [0, 0])[2] == 0.0
    with pytest.raises(ValueError, match="no data points"):
        nearest_label(np.empty((0, 2)), [], [0, 0])
