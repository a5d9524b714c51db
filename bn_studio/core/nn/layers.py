"""CS231n-style layers: ``forward(x, train)`` keeps a cache, ``backward(dout)`` fills ``grads``.

Gradients are written *into* the arrays already in ``grads`` (``out=``) so a network can lay
every parameter and gradient of all its layers in one flat buffer and update them in one go.
"""

from __future__ import annotations

import numpy as np


class Layer:
    """A layer with named parameters and same-shaped gradients (empty for activations)."""

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dout: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class Dense(Layer):
    """Z = X W + b with W of shape (D, H); ``bias=False`` before batch norm (β takes its role)."""

    def __init__(self, in_dim: int, out_dim: int, *, bias: bool = True, init: str = "he",
                 rng: np.random.Generator | None = None, dtype=np.float64) -> None:
        super().__init__()
        if init == "none":          # the caller sets W (a net restored from its parameters)
            self.params["W"] = np.empty((in_dim, out_dim), dtype=dtype)
        else:
            rng = rng if rng is not None else np.random.default_rng(0)
            # He for ReLU keeps Var(Z) ≈ 2/fan_in·…; Xavier (the course's 1/n[l-1]) for
            # tanh/sigmoid.
            scale = np.sqrt((2.0 if init == "he" else 1.0) / in_dim)
            self.params["W"] = (rng.standard_normal((in_dim, out_dim)) * scale).astype(dtype)
        self.grads["W"] = np.zeros_like(self.params["W"])
        self.has_bias = bias
        if bias:
            self.params["b"] = np.zeros(out_dim, dtype=dtype)
            self.grads["b"] = np.zeros(out_dim, dtype=dtype)
        self._x: np.ndarray | None = None

    def forward(self, x, train=True):
        self._x = x
        z = x @ self.params["W"]
        if self.has_bias:
            z += self.params["b"]
        return z

    def backward(self, dout):
        assert self._x is not None, "backward before forward"
        np.dot(self._x.T, dout, out=self.grads["W"])
        if self.has_bias:
            np.add.reduce(dout, axis=0, out=self.grads["b"])
        return dout @ self.params["W"].T


class ReLU(Layer):
    def forward(self, x, train=True):
        self._mask = x > 0
        return x * self._mask

    def backward(self, dout):
        return dout * self._mask


class Tanh(Layer):
    def forward(self, x, train=True):
        self._a = np.tanh(x)
        return self._a

    def backward(self, dout):
        return dout * (1.0 - self._a * self._a)


class Sigmoid(Layer):
    def forward(self, x, train=True):
        # exp of a negative magnitude only, so large |x| never overflows.
        e = np.exp(-np.abs(x))
        self._a = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        return self._a

    def backward(self, dout):
        return dout * self._a * (1.0 - self._a)


ACTIVATIONS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}


class BatchNormError(ValueError):
    """Raised for a batch that batch norm cannot normalise (one example in training mode)."""


class BatchNorm(Layer):
    """Batch norm over the batch axis with PyTorch ``BatchNorm1d`` semantics (DESIGN.md §2).

    ``decay`` is β of the course's exponentially weighted average of the batch statistics
    that is used at test time (PyTorch's momentum is 1 − decay).
    """

    def __init__(self, num_features: int, eps: float = 1e-5, decay: float = 0.9,
                 dtype=np.float64, frozen_affine: bool = False) -> None:
        super().__init__()
        self.eps = eps
        self.decay = decay
        # Frozen: γ and β get zero gradients, so every optimizer leaves them at their values
        # (1 and 0 unless set): BN's output keeps mean 0 and variance 1 (why they are learned).
        self.frozen_affine = frozen_affine
        self.params["gamma"] = np.ones(num_features, dtype=dtype)
        self.params["beta"] = np.zeros(num_features, dtype=dtype)
        self.grads["gamma"] = np.zeros(num_features, dtype=dtype)
        self.grads["beta"] = np.zeros(num_features, dtype=dtype)
        self.running_mean = np.zeros(num_features, dtype=dtype)
        self.running_var = np.ones(num_features, dtype=dtype)
        # The statistics of the last training batch, for the test-time BN panel.
        self.batch_mean = np.zeros(num_features, dtype=dtype)
        self.batch_var = np.ones(num_features, dtype=dtype)
        # Noisy BN (Santurkar et al. 2018): (scale, shift) per feature applied after γ, β in
        # training mode, Z̃ = s ⊙ (γ ⊙ Z_norm + β) + m; set anew each step by the trainer.
        self.noise: tuple[np.ndarray, np.ndarray] | None = None

    def forward(self, x, train=True):
        if not train:
            z_norm = (x - self.running_mean) / np.sqrt(self.running_var + self.eps)
            return self.params["gamma"] * z_norm + self.params["beta"]
        n = x.shape[0]
        if n < 2:
            raise BatchNormError(
                "batch norm needs at least 2 examples in training mode: one example's variance "
                "is 0, so every input would map to β (use eval mode, which uses the running "
                "statistics)")
        mu = np.add.reduce(x, axis=0) * (1.0 / n)
        z_norm = x - mu                                           # Z − μ, normalised in place below
        sq = z_norm * z_norm
        var = np.add.reduce(sq, axis=0) * (1.0 / n)               # biased, as in the paper
        inv_std = 1.0 / np.sqrt(var + self.eps)
        z_norm *= inv_std
        self._cache = (z_norm, inv_std, n, self.noise)
        self.batch_mean, self.batch_var = mu, var
        d = self.decay
        self.running_mean *= d
        self.running_mean += (1.0 - d) * mu
        self.running_var *= d
        self.running_var += (1.0 - d) * (n / (n - 1.0)) * var      # unbiased, as PyTorch
        out = z_norm * self.params["gamma"]
        out += self.params["beta"]
        if self.noise is not None:
            scale, shift = self.noise
            out *= scale
            out += shift
        return out

    def backward(self, dout):
        z_norm, inv_std, n, noise = self._cache
        if noise is not None:
            dout = dout * noise[0]          # through Z̃ = s ⊙ (…) + m; m adds nothing
        dbeta = np.add.reduce(dout, axis=0, out=self.grads["beta"])
        dgamma = np.add.reduce(dout * z_norm, axis=0, out=self.grads["gamma"])
        # Compact form: dZ = γ/(N·σ) · (N·dZ̃ − ΣdZ̃ − Z_norm·Σ(dZ̃·Z_norm)).
        scale = self.params["gamma"] * inv_std * (1.0 / n)
        dz = z_norm * dgamma
        np.subtract(n * dout, dz, out=dz)
        dz -= dbeta
        dz *= scale
        if self.frozen_affine:
            dgamma[...] = 0.0
            dbeta[...] = 0.0
        return dz
