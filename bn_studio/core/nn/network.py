"""An MLP built from a config: Dense → [BatchNorm] → activation per hidden layer, then Dense → C
(or Dense → activation → BatchNorm with ``bn_after_g``, where lesson 13 compares the two).

Every parameter (and gradient) of every layer is a view into one flat array, so an optimizer
updates the whole network with a handful of vector operations instead of a loop over layers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .layers import ACTIVATIONS, BatchNorm, Dense, Layer
from .losses import softmax, softmax_cross_entropy


@dataclass(frozen=True)
class NetConfig:
    input_dim: int = 2
    hidden: tuple[int, ...] = (64, 64)
    classes: int = 4
    activation: str = "relu"
    batch_norm: bool = False
    bn_eps: float = 1e-5
    bn_decay: float = 0.9
    dtype: str = "float64"
    freeze_bn_affine: bool = False      # γ = 1 and β = 0 for good (not learned)
    bn_after_g: bool = False            # Dense → g → BN instead of Dense → BN → g
    bn_keep_bias: bool = False          # the Dense before BN keeps b (its gradient is 0)

    def __post_init__(self) -> None:
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {self.activation!r}; "
                             f"choose one of {', '.join(ACTIVATIONS)}")
        if self.classes < 2:
            raise ValueError("a softmax classifier needs at least 2 classes")
        if any(int(h) < 1 for h in self.hidden):
            raise ValueError("every hidden layer needs at least one unit")


@dataclass
class HiddenLayer:
    """The layers of one hidden block and what its last forward pass produced (the probes)."""

    dense: Dense
    bn: BatchNorm | None
    act: Layer
    Z: np.ndarray | None = None         # dense output, before BN
    Z_tilde: np.ndarray | None = None   # BN output γ·Z_norm + β (None without BN)
    A: np.ndarray | None = None         # activation output
    dZ: np.ndarray | None = None        # dL/dZ of the last backward pass (diagnostics)
    extra: dict[str, Any] = field(default_factory=dict)


class MLP:
    """Multi-layer perceptron with optional batch norm and per-hidden-layer probes."""

    def __init__(self, config: NetConfig, seed: int | np.random.Generator | None = 0) -> None:
        """``seed`` None: no weights are drawn (W is left unset, for a restored net)."""
        self.config = config
        rng = seed if isinstance(seed, np.random.Generator) or seed is None \
            else np.random.default_rng(seed)
        dtype = np.dtype(config.dtype)
        init = "none" if rng is None else "he" if config.activation == "relu" else "xavier"
        self.hidden: list[HiddenLayer] = []
        d = config.input_dim
        # Weights are drawn in the same order with or without BN, so twins built from one seed
        # share identical W; biases and γ/β start at 0/1 and draw nothing.
        for h in config.hidden:
            # With BN before g, b is redundant (BN subtracts the batch mean, b with it): dropped
            # unless kept to show that its gradient is zero; after g it is not redundant.
            bias = not config.batch_norm or config.bn_keep_bias or config.bn_after_g
            dense = Dense(d, int(h), bias=bias, init=init, rng=rng, dtype=dtype)
            bn = (BatchNorm(int(h), eps=config.bn_eps, decay=config.bn_decay, dtype=dtype,
                            frozen_affine=config.freeze_bn_affine)
                  if config.batch_norm else None)
            self.hidden.append(HiddenLayer(dense, bn, ACTIVATIONS[config.activation]()))
            d = int(h)
        self.output = Dense(d, config.classes, bias=True, init="none" if rng is None else "xavier",
                            rng=rng, dtype=dtype)
        self._pack()

    def layers(self) -> list[Layer]:
        out: list[Layer] = []
        for hl in self.hidden:
            bn: list[Layer] = [hl.bn] if hl.bn is not None else []
            out += [hl.dense] + (([hl.act] + bn) if self.config.bn_after_g
                                 else (bn + [hl.act]))
        return out + [self.output]

    def named_parameters(self) -> list[tuple[str, Layer, str]]:
        """(qualified name, layer, key) for every parameter, e.g. ('hidden1.W', dense, 'W')."""
        out: list[tuple[str, Layer, str]] = []
        for i, hl in enumerate(self.hidden, start=1):
            out += [(f"hidden{i}.{k}", hl.dense, k) for k in hl.dense.params]
            if hl.bn is not None:
                out += [(f"hidden{i}.{k}", hl.bn, k) for k in hl.bn.params]
        out += [(f"output.{k}", self.output, k) for k in self.output.params]
        return out

    def _pack(self) -> None:
        entries = self.named_parameters()
        total = sum(layer.params[k].size for _, layer, k in entries)
        dtype = np.dtype(self.config.dtype)
        self.flat_params = np.empty(total, dtype=dtype)
        self.flat_grads = np.zeros(total, dtype=dtype)
        # L2 applies to the weight matrices only (the course's λ/2m·Σ‖W‖²), not biases or γ/β.
        self.weight_mask = np.zeros(total, dtype=dtype)
        self._views = []
        i = 0
        for _name, layer, k in entries:
            p = layer.params[k]
            view = self.flat_params[i:i + p.size].reshape(p.shape)
            view[...] = p
            layer.params[k] = view
            layer.grads[k] = self.flat_grads[i:i + p.size].reshape(p.shape)
            if k == "W":
                self.weight_mask[i:i + p.size] = 1.0
            self._views.append((layer, k, view))
            i += p.size

    def sync_params(self) -> None:
        """Re-adopt any parameter array that was replaced by assignment (params are assignable)."""
        for layer, k, view in self._views:
            if layer.params[k] is not view:
                view[...] = layer.params[k]
                layer.params[k] = view

    @property
    def bn_layers(self) -> list[BatchNorm]:
        return [hl.bn for hl in self.hidden if hl.bn is not None]

    def forward(self, X: np.ndarray, train: bool = True) -> np.ndarray:
        """Logits for X; in training mode BN uses batch statistics and updates running ones.

        Only training passes update the probes (Z, Z̃, A), so evaluating never changes what
        the histograms show.
        """
        a = X
        after = self.config.bn_after_g
        for hl in self.hidden:
            z = hl.dense.forward(a, train)
            if after:           # A = g(Z), the BN of A is what the next layer sees
                a = hl.act.forward(z, train)
                zt = hl.bn.forward(a, train) if hl.bn is not None else None
                out = zt if zt is not None else a
            else:
                zt = hl.bn.forward(z, train) if hl.bn is not None else None
                a = out = hl.act.forward(zt if zt is not None else z, train)
            if train:
                hl.Z, hl.Z_tilde, hl.A = z, zt, a
            a = out
        return self.output.forward(a, train)

    def backward(self, dlogits: np.ndarray) -> None:
        d = self.output.backward(dlogits)
        after = self.config.bn_after_g
        for hl in reversed(self.hidden):
            if after and hl.bn is not None:
                d = hl.bn.backward(d)
            d = hl.act.backward(d)
            if not after and hl.bn is not None:
                d = hl.bn.backward(d)
            hl.dZ = d
            d = hl.dense.backward(d)

    def loss_and_grads(self, X: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        """One training forward and backward pass; returns (loss, logits) and fills flat_grads."""
        self.sync_params()
        logits = self.forward(X, train=True)
        loss, dz = softmax_cross_entropy(logits, y)
        self.backward(dz)
        return loss, logits

    def loss_and_grads_on_rows(self, X: np.ndarray, y: np.ndarray,
                               rows: np.ndarray) -> tuple[float, np.ndarray]:
        """The mini-batch ``rows`` of X: its loss and gradient, with BN normalising by the
        statistics of all of X (the whole training set, at the current weights) instead of
        the mini-batch's own. The other rows get no loss but do shape μ and σ², so the
        gradient flows through the statistics as it does in ordinary BN. Returns (loss, the
        rows' logits) and fills flat_grads."""
        self.sync_params()
        logits = self.forward(X, train=True)
        loss, dz_rows = softmax_cross_entropy(logits[rows], y[rows])
        dz = np.zeros_like(logits)
        np.add.at(dz, rows, dz_rows)
        self.backward(dz)
        return loss, logits[rows]

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities in eval mode (BN uses the running statistics)."""
        return softmax(self.forward(np.asarray(X, dtype=self.flat_params.dtype), train=False))

    def logits(self, X: np.ndarray, train: bool = False) -> np.ndarray:
        return self.forward(np.asarray(X, dtype=self.flat_params.dtype), train=train)

    def clone(self) -> MLP:
        """An independent copy of the weights and running statistics (no caches, no probes)."""
        twin = MLP.__new__(MLP)
        twin.config = self.config
        twin.hidden = []
        for hl in self.hidden:
            dense = Dense.__new__(Dense)
            dense.params = {k: v for k, v in hl.dense.params.items()}
            dense.grads = {k: v for k, v in hl.dense.grads.items()}
            dense.has_bias, dense._x = hl.dense.has_bias, None
            bn = None
            if hl.bn is not None:
                bn = BatchNorm.__new__(BatchNorm)
                bn.__dict__.update({k: v for k, v in hl.bn.__dict__.items()
                                    if k not in ("_cache", "noise")})
                bn.noise = None         # a copy is clean: noise belongs to a training step
                bn.params, bn.grads = dict(hl.bn.params), dict(hl.bn.grads)
                bn.running_mean = hl.bn.running_mean.copy()
                bn.running_var = hl.bn.running_var.copy()
            twin.hidden.append(HiddenLayer(dense, bn, type(hl.act)()))
        out = Dense.__new__(Dense)
        out.params, out.grads = dict(self.output.params), dict(self.output.grads)
        out.has_bias, out._x = self.output.has_bias, None
        twin.output = out
        twin._pack()    # copies every parameter into the clone's own flat buffer
        return twin

    def __reduce__(self) -> tuple[Callable[..., MLP], tuple[Any, ...]]:
        """Pickle as config + parameters + running statistics (views are rebuilt on load)."""
        return (_restore_mlp, (self.config, self.flat_params, self._running()))

    def _running(self) -> list[tuple[np.ndarray, ...]]:
        return [(hl.bn.running_mean, hl.bn.running_var, hl.bn.batch_mean, hl.bn.batch_var)
                for hl in self.hidden if hl.bn is not None]

    def packed(self) -> PackedNet:
        """A frozen copy of this net in its packed form (PackedNet)."""
        return PackedNet(self.config, self.flat_params.copy(),
                         [tuple(np.array(a) for a in row) for row in self._running()])

    def state(self) -> dict[str, np.ndarray]:
        """Copies of all parameters and running statistics, keyed by name."""
        s = {name: layer.params[k].copy() for name, layer, k in self.named_parameters()}
        for i, hl in enumerate(self.hidden, start=1):
            if hl.bn is not None:
                s[f"hidden{i}.running_mean"] = hl.bn.running_mean.copy()
                s[f"hidden{i}.running_var"] = hl.bn.running_var.copy()
        return s


def _restore_mlp(config: NetConfig, flat_params: np.ndarray,
                 running: list[tuple[np.ndarray, ...]]) -> MLP:
    net = MLP(config, seed=None)        # every weight is set here: none need drawing
    net.flat_params[...] = flat_params
    for bn, (rm, rv, bm, bv) in zip(net.bn_layers, running):
        bn.running_mean[...], bn.running_var[...] = rm, rv
        bn.batch_mean, bn.batch_var = np.array(bm), np.array(bv)
    return net


class PackedNet:
    """A frozen net as its pickled form holds it: config, flat parameters and BN statistics.

    Snapshots carry their nets this way. Built into an MLP, a net is dozens of arrays and
    layer objects: the GUI's receiver thread did that for both nets of every snapshot (75 a
    second, a fifth of its time, holding the GIL the drawing thread waits for) when only an
    inspector or a lesson uses one, a few times a second. ``net`` builds the MLP on first use
    and keeps it. A third of an MLP's memory (no gradients, mask or layer objects).
    """

    __slots__ = ("config", "flat_params", "running", "_net")

    def __init__(self, config: NetConfig, flat_params: np.ndarray,
                 running: list[tuple[np.ndarray, ...]]) -> None:
        self.config, self.flat_params, self.running = config, flat_params, running
        self._net: MLP | None = None

    def __reduce__(self) -> tuple[type[PackedNet], tuple[Any, ...]]:
        return (PackedNet, (self.config, self.flat_params, self.running))     # not the MLP

    @property
    def net(self) -> MLP:
        """The MLP, built on first use (two threads racing build two equal nets)."""
        if self._net is None:
            self._net = self.unpack()
        return self._net

    def unpack(self) -> MLP:
        """A new MLP of its own (``net`` is shared by every reader)."""
        return _restore_mlp(self.config, self.flat_params, self.running)

    def bare(self) -> PackedNet:
        """The same arrays without the built MLP (what a stored frame keeps)."""
        return PackedNet(self.config, self.flat_params, self.running)

    @property
    def nbytes(self) -> int:
        return self.flat_params.nbytes + sum(
            a.nbytes for row in self.running for a in row if isinstance(a, np.ndarray))
