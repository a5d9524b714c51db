"""How smooth the loss is along the gradient: the idea of Santurkar et al. (2018), Fig. 4.

At the current parameters θ with gradient g on the current mini-batch, take steps of a few
sizes a along −g and record the loss there; the spread (max − min) of those losses says how
much the loss changes over one step's reach. A small spread: a smooth, predictable landscape
where a large step is safe; a large one: the loss jumps about along the very direction the
optimiser follows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import numpy as np

from ..nn.losses import softmax_cross_entropy

if TYPE_CHECKING:
    from ..nn.network import MLP

STEP_FACTORS = (0.5, 1.0, 2.0, 4.0)     # step sizes as multiples of the learning rate α


def loss_spread(loss_at: Callable[[np.ndarray], float], theta: np.ndarray, grad: np.ndarray,
                steps: Iterable[float]) -> float:
    """max − min of loss_at(θ − a·g) over the step sizes a (inf if any loss is not finite)."""
    losses = np.array([float(loss_at(theta - a * grad)) for a in steps])
    if not np.all(np.isfinite(losses)):
        return float("inf")
    return float(losses.max() - losses.min())


def net_loss_spread(net: MLP, X: np.ndarray, y: np.ndarray, lr: float,
                    factors: Iterable[float] = STEP_FACTORS) -> float:
    """The loss spread of an MLP on one mini-batch along its gradient, for steps α·factors.

    Works on a copy (the net and its running statistics stay as they are); a noisy-BN net
    keeps this step's noise, so the landscape measured is the one being trained on.
    """
    probe = net.clone()
    for src, dst in zip(net.bn_layers, probe.bn_layers):
        dst.noise = src.noise
    with np.errstate(all="ignore"):
        probe.loss_and_grads(X, y)
        theta, grad = probe.flat_params.copy(), probe.flat_grads.copy()

        def loss_at(params: np.ndarray) -> float:
            probe.flat_params[...] = params
            return softmax_cross_entropy(probe.forward(X, train=True), y)[0]

        return loss_spread(loss_at, theta, grad, [lr * f for f in factors])
