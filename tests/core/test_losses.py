import numpy as np

from bn_studio.core.nn.losses import accuracy, softmax, softmax_cross_entropy, softmax_parts


def test_course_softmax_example():
    a = softmax(np.array([[5.0, 2.0, -1.0, 3.0]]))
    np.testing.assert_allclose(a[0], [0.842, 0.042, 0.002, 0.114], atol=5e-4)
    assert abs(a.sum() - 1) < 1e-12


def test_softmax_parts_show_t_and_a():
    t, a = softmax_parts([5.0, 2.0, -1.0, 3.0])
    np.testing.assert_allclose(t[0] / t[0].sum(), a[0])
    np.testing.assert_allclose(t[0], np.exp([0.0, -3.0, -6.0, -2.0]))


def test_huge_logits_give_finite_loss_and_gradient():
    loss, dz = softmax_cross_entropy(np.array([[1000.0, 0.0]]), np.array([1]))
    assert np.isfinite(loss) and abs(loss - 1000.0) < 1e-9
    assert np.all(np.isfinite(dz))
    np.testing.assert_allclose(dz, [[1.0, -1.0]])


def test_loss_is_mean_negative_log_probability():
    z = np.array([[1.0, 2.0, 0.5], [0.1, 0.2, 3.0]])
    y = np.array([1, 0])
    loss, _ = softmax_cross_entropy(z, y)
    a = softmax(z)
    assert abs(loss - np.mean(-np.log(a[[0, 1], y]))) < 1e-12


def test_two_class_softmax_is_logistic_regression():
    z = np.array([[0.7, -0.4]])
    a = softmax(z)
    assert abs(a[0, 0] - 1 / (1 + np.exp(-(0.7 + 0.4)))) < 1e-12


def test_accuracy():
    assert accuracy(np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 1.0]]), np.array([0, 1, 1])) == 2 / 3
