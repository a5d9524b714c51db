"""Statistics behind the live views."""

import numpy as np
import pytest

from bn_studio.core.measure.stats import histogram, pushforward_density


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


# Series
from bn_studio.core.measure.stats import Series  # noqa: E402


def test_unbounded_series_keeps_every_row_and_old_views_stay_put():
    s = Series(width=2, capacity=4)
    s.append((1, 10.0))
    held = s.view()
    s.extend(np.column_stack([np.arange(2, 101), np.arange(2, 101) * 10.0]))
    assert len(s) == 100
    np.testing.assert_array_equal(s.view()[:, 0], np.arange(1, 101))
    np.testing.assert_array_equal(held, [[1, 10.0]])


def test_bounded_series_thins_to_an_evenly_spaced_history_of_the_whole_run():
    s = Series(width=2, max_rows=1024)
    for step in range(1, 100_001):
        s.append((step, -step))
    steps = s.view()[:, 0]
    assert 512 <= len(s) <= 1024
    assert np.all(np.diff(steps) == s.stride)              # evenly spaced ...
    assert steps[0] == s.stride and steps[-1] > 100_000 - s.stride   # ... from start to now
    np.testing.assert_array_equal(s.view()[:, 1], -steps)  # rows stay whole
    assert s._buf.shape[0] <= 1024                         # memory is bounded


def test_bounded_series_extend_in_chunks_matches_append_one_by_one():
    rows = np.column_stack([np.arange(0, 50_000, 10), np.random.default_rng(0).random(5000)])
    a, b = Series(width=2, max_rows=256), Series(width=2, max_rows=256)
    for r in rows:
        a.append(r)
    for chunk in np.array_split(rows, 37):
        b.extend(chunk)
    np.testing.assert_array_equal(a.view(), b.view())
    assert a.stride == b.stride and a.stride % 10 != 1     # eval rows every 10 steps thin too


def test_thinning_leaves_a_view_held_by_a_reader_unchanged():
    s = Series(width=2, max_rows=8)
    for step in range(1, 9):
        s.append((step, step))
    held = s.view()
    before = held.copy()
    for step in range(9, 40):
        s.append((step, step))
    np.testing.assert_array_equal(held, before)
    assert len(s) <= 8


def test_bounded_series_whose_steps_do_not_advance_keeps_the_newest_rows():
    s = Series(width=2, max_rows=8)
    for i in range(20):
        s.append((0, i))
    assert len(s) <= 8 and s.view()[-1, 1] == 19


def test_bounded_series_needs_a_step_column():
    with pytest.raises(ValueError):
        Series(width=0, max_rows=16)
