"""Statistics behind the live views."""

import numpy as np

from bn_studio.core.stats import histogram, pushforward_density


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def test_pushforward_density_matches_the_histogram_of_the_transformed_values():
    rng = np.random.default_rng(0)
    z = rng.normal(0.5, 2.0, 20000)
    edges = np.linspace(-10, 10, 401)
    new_edges = np.linspace(0, 1, 21)
    got = pushforward_density(edges, histogram(z, edges), _sigmoid, new_edges)
    want = histogram(_sigmoid(z), new_edges)
    np.testing.assert_allclose(got, want, atol=0.05 * want.max())
    np.testing.assert_allclose(np.sum(got * np.diff(new_edges)), 1.0)


def test_pushforward_density_piles_saturated_mass_into_the_end_bins():
    edges = np.linspace(-20, 20, 41)
    density = np.zeros(40)
    density[[0, 39]] = 0.5                      # half the mass far left, half far right
    got = pushforward_density(edges, density, np.tanh, np.linspace(-1, 1, 11))
    mass = got * 0.2
    np.testing.assert_allclose(mass[[0, -1]], [0.5, 0.5])
    np.testing.assert_allclose(mass[1:-1], 0.0)


def test_pushforward_density_ignores_non_finite_input():
    edges = np.linspace(-1, 1, 5)
    got = pushforward_density(edges, np.array([np.nan, 1.0, 1.0, np.inf]), np.tanh,
                              np.linspace(-1, 1, 5))
    assert np.all(np.isfinite(got))
