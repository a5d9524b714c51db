"""What a row of the histograms panel shows, as numbers: each net's histogram of a layer on
its bins (or pushed through the activation g onto g's range), with the values off the chart."""

from __future__ import annotations

import numpy as np

from bn_studio.core.measure.stats import pushforward_density
from bn_studio.core.nn.layers import ACTIVATIONS

A_BINS = 40            # bins of the activation histograms over g's range
ACTIVATION_RANGES = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}


def activation(name: str):
    """(g as a function, fine bins over its range or None for ReLU) for the activation view."""
    layer = ACTIVATIONS[name]()

    def fn(x):
        with np.errstate(all="ignore"):
            return layer.forward(np.asarray(x, dtype=np.float64), train=False)
    lo_hi = ACTIVATION_RANGES.get(name)
    return fn, (np.linspace(lo_hi[0], lo_hi[1], A_BINS + 1) if lo_hi else None)


def layer_histograms(snap, i: int, g) -> tuple:
    """(edges, density, (below, above)) of the no-BN and the BN histogram of layer i, as
    drawn, the last item counting the values off the chart on either side.

    Activations: sigmoid and tanh are increasing, so A's distribution is Z's pushed
    through g onto fine bins over g's range, off-chart Z included (saturation shows as
    mass in the end bins, nothing is off the chart); ReLU's a_hist is drawn on the
    trainer's bins.
    """
    lp, lb = snap.runs["no_bn"].layers[i], snap.runs["bn"].layers[i]
    z_edges, out_edges = snap.z_edges[i], snap.out_edges[i]
    if g is None:
        return (z_edges, lp.z_hist, lp.z_off), (out_edges, lb.out_hist, lb.out_off)
    fn, a_edges = g
    if a_edges is None:
        return (out_edges, lp.a_hist, lp.a_off), (out_edges, lb.a_hist, lb.a_off)

    def pushed(layer, edges, density, off):
        share = [k / max(1, layer.n_values) for k in off]
        return a_edges, pushforward_density(edges, density, fn, a_edges, *share), (0, 0)
    if lb.out_hist is not None:
        bn = pushed(lb, out_edges, lb.out_hist, lb.out_off)
    else:
        bn = pushed(lb, z_edges, lb.z_hist, lb.z_off)
    return pushed(lp, z_edges, lp.z_hist, lp.z_off), bn


def finite(counts) -> np.ndarray:
    """A histogram with its non-finite bins (a diverged net) drawn as empty."""
    return np.nan_to_num(np.asarray(counts, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
