"""Trials trained together: K networks of one structure in one batched NumPy computation.

Member k is exactly the network ``train_single(configs[k], split, batch_norm)`` trains: the
same initial weights (built by ``MLP`` from its seed), the same batch order (its own
``default_rng([seed, 1])`` stream), the same optimizer arithmetic, with its own α, β's, λ,
decay and BN decay held as arrays. Weights are stacked as (K, n_in, n_out) and multiplied
with ``np.matmul``, so one step costs a handful of NumPy calls for all K members.

Members may differ in hidden width (not in depth): every layer is padded to the widest
member, and padded units are zero in every weight that touches them and masked to zero after
the activation, so they contribute nothing to any sum and get an exactly zero gradient.
(BLAS may then sum a row in another order: results agree to rounding, ~1e-15 relative in
float64 after 500 steps, instead of bit for bit as with equal widths.) A member that diverges (same rule as ``trainer.Run.train_step``) is evaluated at once,
reported 'diverged' and dropped from the stack; the others go on.
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np

from .network import MLP
from .optim import OPTIMIZER_BETAS
from .trainer import DIVERGENCE_FACTOR, TrainConfig, _num

# What members of one population must share (widths may differ, depth may not).
SHARED_FIELDS = ("activation", "optimizer", "batch", "steps", "eval_every", "dtype", "bn_eps")


def structure_key(config: TrainConfig, batch_norm: bool) -> tuple:
    """Trials with equal keys can be trained as one population."""
    return (len(config.hidden), bool(batch_norm)) + tuple(getattr(config, f)
                                                          for f in SHARED_FIELDS)


class Population:
    """K networks of one structure, trained in lockstep; ``run()`` returns one dict each,
    with the keys and values of ``train_single``'s result."""

    def __init__(self, configs: list[TrainConfig], split, batch_norm: bool = True) -> None:
        if not configs:
            raise ValueError("a population needs at least one member")
        if len({structure_key(c, batch_norm) for c in configs}) != 1:
            raise ValueError("members of a population must share depth, activation, "
                             "optimizer, batch, steps, eval_every, dtype and bn_eps")
        c0 = configs[0]
        self.configs, self.bn, self.k0 = list(configs), bool(batch_norm), len(configs)
        self.dtype = np.dtype(c0.dtype)
        self.X_train = np.ascontiguousarray(split.X_train, dtype=self.dtype)
        self.y_train = np.asarray(split.y_train, dtype=np.int64)
        self.X_val = np.ascontiguousarray(split.X_val, dtype=self.dtype)
        self.y_val = np.asarray(split.y_val, dtype=np.int64)
        self.classes = int(split.classes)
        self.act_name, self.opt_name = c0.activation, c0.optimizer
        self.batch, self.steps, self.eval_every, self.eps = c0.batch, c0.steps, c0.eval_every, \
            c0.bn_eps
        true_widths = np.array([c.hidden for c in configs], dtype=np.int64).reshape(self.k0, -1)
        self.widths = [int(w) for w in true_widths.max(axis=0)] if true_widths.size else []
        self.ids = np.arange(self.k0)                 # member index of each row of the stack
        self._coefficients(configs)
        self._layout()
        self._init_members(configs, true_widths)
        self._rngs = [np.random.default_rng([c.seed, 1]) for c in configs]
        self._order = np.empty((self.k0, 0), dtype=np.int64)
        self._cursor, self.epoch, self.step_count = 0, 0, 0
        self.first_loss: np.ndarray | None = None
        self.last_loss = np.full(self.k0, np.nan)
        self.curves: list[list[tuple]] = [[] for _ in range(self.k0)]
        self.final: dict[int, dict] = {}
        self.evaluate()

    # ---- setup ------------------------------------------------------------------------
    def _coefficients(self, configs) -> None:
        """Per-member hyperparameters as float64 (K, 1) columns (rows follow the stack)."""
        col = lambda vals: np.array(vals, dtype=np.float64).reshape(-1, 1)  # noqa: E731
        self.lr0 = col([c.lr for c in configs])
        self.decay = col([c.decay for c in configs])
        self.l2 = col([c.l2 for c in configs])
        # Optimizer: for "momentum" β₁ is the momentum β (as Optimizer does).
        self.b1 = col([c.momentum if "momentum" in OPTIMIZER_BETAS[c.optimizer] else c.beta1
                       for c in configs])
        self.b2 = col([c.beta2 for c in configs])
        self.bn_decay = col([c.bn_decay for c in configs])

    def _layout(self) -> None:
        """Where each parameter lives in a member's flat vector: (name, shape, offset)."""
        d, entries, i = self.X_train.shape[1], [], 0
        for li, h in enumerate(self.widths, start=1):
            shapes = [("W", (d, h))] + ([("gamma", (h,)), ("beta", (h,))] if self.bn
                                        else [("b", (h,))])
            for key, shape in shapes:
                entries.append((f"hidden{li}.{key}", shape, i))
                i += int(np.prod(shape))
            d = h
        for key, shape in (("W", (d, self.classes)), ("b", (self.classes,))):
            entries.append((f"output.{key}", shape, i))
            i += int(np.prod(shape))
        self.entries, self.size = entries, i
        self.weight_mask = np.zeros(i, dtype=self.dtype)
        for name, shape, off in entries:
            if name.endswith(".W"):
                self.weight_mask[off:off + int(np.prod(shape))] = 1.0

    def _init_members(self, configs, true_widths) -> None:
        """Each member's initial parameters are those of its own MLP, copied into the padded
        stack; running statistics start at 0 and 1 as in BatchNorm."""
        k, dt = self.k0, self.dtype
        self.flat = np.zeros((k, self.size), dtype=dt)
        d, c = self.X_train.shape[1], self.classes
        for m, cfg in enumerate(configs):
            net = MLP(cfg.net_config(d, c, batch_norm=self.bn), seed=cfg.seed)
            state = dict((name, layer.params[key]) for name, layer, key in net.named_parameters())
            member = self._views(self.flat[m:m + 1])
            for name, _, _ in self.entries:
                p = state[name]
                member[name][0][tuple(slice(0, n) for n in p.shape)] = p
        self.grads = np.zeros_like(self.flat)
        self.v = np.zeros_like(self.flat) if self.opt_name != "sgd" else None
        self.s = np.zeros_like(self.flat) if self.opt_name != "sgd" else None
        self.running = [(np.zeros((k, h), dtype=dt), np.ones((k, h), dtype=dt))
                        for h in self.widths] if self.bn else []
        padded = bool(true_widths.size) and bool((true_widths != np.array(self.widths)).any())
        self.masks = [(np.arange(h)[None, :] < true_widths[:, i:i + 1]).astype(dt)
                      for i, h in enumerate(self.widths)] if padded else None
        self._bind()

    def _views(self, flat: np.ndarray) -> dict[str, np.ndarray]:
        """(K, *shape) views of each parameter into a (K, P) buffer."""
        out = {}
        for name, shape, off in self.entries:
            n = int(np.prod(shape))
            out[name] = flat[:, off:off + n].reshape((flat.shape[0],) + shape)
        return out

    def _bind(self) -> None:
        self.P, self.G = self._views(self.flat), self._views(self.grads)

    # ---- batches ----------------------------------------------------------------------
    def _next_indices(self) -> np.ndarray:
        """(K, B) row indices: each member's own permutation stream, as TwinTrainer.next_batch."""
        n = self.X_train.shape[0]
        b = min(self.batch, n)
        if self._cursor + b > self._order.shape[1]:
            if self._order.shape[1]:
                self.epoch += 1
            self._order = np.stack([self._rngs[m].permutation(n) for m in self.ids]) \
                if self.ids.size else np.empty((0, n), dtype=np.int64)
            self._cursor = 0
        idx = self._order[:, self._cursor:self._cursor + b]
        self._cursor += b
        return idx

    # ---- forward / backward -------------------------------------------------------------
    # Activations are laid out batch-major, (B, K, H): a sum over the batch is then NumPy's
    # fast reduction over the first axis, in the same order as the single path's (B, H) sum.
    # np.matmul sees them as (K, B, H) through a transposed view.
    def _matmul(self, a: np.ndarray, W: np.ndarray) -> np.ndarray:
        """(B, K, n) · (K, n, m) → (B, K, m), member by member."""
        out = np.empty((a.shape[0], W.shape[0], W.shape[2]), dtype=self.dtype)
        np.matmul(a.transpose(1, 0, 2), W, out=out.transpose(1, 0, 2))
        return out

    def _train_forward(self, X: np.ndarray) -> np.ndarray:
        """Training-mode logits (B, K, C) for the members' batches X (B, K, d): Dense,
        BatchNorm (batch statistics; running ones updated) and activation with the very
        operations of layers.py, in place where the single path makes a copy (same values)."""
        P, a, cache = self.P, X, []
        for i in range(len(self.widths)):
            li = f"hidden{i + 1}."
            x = a
            z = self._matmul(x, P[li + "W"])
            bn_cache = None
            if self.bn:
                z, bn_cache = self._bn_train(z, i)
            else:
                z += np.ascontiguousarray(P[li + "b"])
            a, act_cache = _act_forward(self.act_name, z)
            if self.masks is not None:
                a *= self.masks[i]          # padded units: exactly 0, so no gradient flows
            cache.append((x, bn_cache, act_cache))
        logits = self._matmul(a, P["output.W"])
        logits += np.ascontiguousarray(P["output.b"])
        self._cache = cache + [a]
        return logits

    def _bn_train(self, z, i):
        """BatchNorm.forward in training mode, operation for operation."""
        li = f"hidden{i + 1}."
        rm, rv = self.running[i]
        n = z.shape[0]
        mu = np.add.reduce(z, axis=0) * (1.0 / n)
        z_norm = np.subtract(z, mu, out=z)
        sq = z_norm * z_norm
        var = np.add.reduce(sq, axis=0) * (1.0 / n)
        inv_std = 1.0 / np.sqrt(var + self.eps)
        z_norm *= inv_std
        cast = self.dtype.type
        d = self.bn_decay
        rm *= d.astype(cast)
        rm += (1.0 - d).astype(cast) * mu
        rv *= d.astype(cast)
        rv += ((1.0 - d) * (n / (n - 1.0))).astype(cast) * var
        # Per-member vectors are strided views into the (K, P) buffer; contiguous copies let
        # NumPy broadcast them over (B, K, H) in long inner loops (several times faster).
        gamma = np.ascontiguousarray(self.P[li + "gamma"])
        out = np.multiply(z_norm, gamma, out=sq)
        out += np.ascontiguousarray(self.P[li + "beta"])
        return out, (z_norm, inv_std, n, gamma)

    def _backward(self, dlogits: np.ndarray) -> None:
        """Fill the gradient stack (Dense/BatchNorm/activation backward, batched)."""
        P, G, cache = self.P, self.G, self._cache
        dl = dlogits.transpose(1, 0, 2)
        np.matmul(cache[-1].transpose(1, 2, 0), dl, out=G["output.W"])
        np.add.reduce(dlogits, axis=0, out=G["output.b"])
        d = self._matmul(dlogits, P["output.W"].transpose(0, 2, 1))
        for i in reversed(range(len(self.widths))):
            li = f"hidden{i + 1}."
            x, bn_cache, act_cache = cache[i]
            d = _act_backward(self.act_name, d, act_cache)
            if self.bn:
                z_norm, inv_std, n, gamma = bn_cache
                dbeta = np.add.reduce(d, axis=0, out=G[li + "beta"])
                tmp = z_norm * d
                dgamma = np.add.reduce(tmp, axis=0, out=G[li + "gamma"])
                scale = gamma * inv_std * (1.0 / n)
                dz = np.multiply(z_norm, dgamma, out=tmp)
                d *= n
                np.subtract(d, dz, out=dz)
                dz -= dbeta
                dz *= scale
                d = dz
            else:
                np.add.reduce(d, axis=0, out=G[li + "b"])
            np.matmul(x.transpose(1, 2, 0), d.transpose(1, 0, 2), out=G[li + "W"])
            if i:
                d = self._matmul(d, P[li + "W"].transpose(0, 2, 1))

    def _eval_logits(self, X: np.ndarray, rows=slice(None)) -> np.ndarray:
        """Eval-mode logits (K, N, C) of the rows' members on X (N, d), BN with the running
        statistics, in BatchNorm's own operations (so the values are the single path's).
        All rows in one product per member, as the single path: BLAS picks its kernel by
        size, so taking rows in cache-sized blocks (~25 % faster) changed the sums by 1 ulp."""
        P, layers = self.P, []
        for i in range(len(self.widths)):
            li = f"hidden{i + 1}."
            if self.bn:
                rm, rv = self.running[i]
                norm = tuple(v[rows][:, None, :] for v in (
                    rm, np.sqrt(rv + self.eps), P[li + "gamma"], P[li + "beta"]))
                layers.append((P[li + "W"][rows], None, norm))
            else:
                layers.append((P[li + "W"][rows], P[li + "b"][rows][:, None, :], None))
        layers.append((P["output.W"][rows], P["output.b"][rows][:, None, :], None))
        a = X
        for j, (W, b, norm) in enumerate(layers):
            z = np.matmul(a, W)
            if norm is not None:                     # (z − μ) / √(σ² + ε) · γ + β
                rm, sd, gamma, beta = norm
                z -= rm
                z /= sd
                z *= gamma
                z += beta
            else:
                z += b
            a = z if j == len(layers) - 1 else _act_eval(self.act_name, z)
        return a

    def _opt_step(self) -> None:
        """Optimizer.step for every member at once (same operations, per-member scalars)."""
        w, g, cast = self.flat, self.grads, (lambda a: a.astype(self.dtype))  # noqa: E731
        if np.any(self.l2):
            g = g + cast(self.l2) * (w * self.weight_mask)
        t = self.step_count
        lr = self.lr0 / (1.0 + self.decay * self.epoch)
        b1, b2 = self.b1, self.b2
        if self.opt_name == "sgd":
            w -= cast(lr) * g
            return
        v, s = self.v, self.s
        if self.opt_name == "momentum":
            v *= cast(b1)
            v += cast(1.0 - b1) * g
            w -= cast(lr / 1.0) * v
        elif self.opt_name == "nesterov":
            v *= cast(b1)
            v += cast(1.0 - b1) * g
            w -= cast(lr) * (cast(b1) * v + cast(1.0 - b1) * g)
        elif self.opt_name == "rmsprop":
            s *= cast(b2)
            s += cast(1.0 - b2) * (g * g)
            w -= cast(lr) * g / (np.sqrt(s) + 1e-8)
        elif self.opt_name == "adam":
            v *= cast(b1)
            v += cast(1.0 - b1) * g
            s *= cast(b2)
            s += cast(1.0 - b2) * (g * g)
            # Python's float pow, member by member, exactly as Optimizer computes c1 and c2.
            c1 = np.array([1.0 - b ** t for b in b1[:, 0].tolist()]).reshape(-1, 1)
            c2 = np.array([1.0 - b ** t for b in b2[:, 0].tolist()]).reshape(-1, 1)
            denom = np.sqrt(s)
            denom *= 1.0 / np.sqrt(c2)       # a float64 factor, in place (as the NumPy scalar)
            denom += 1e-8
            w -= cast(lr / c1) * v / denom
        else:                        # a new optimizer needs its batched update here too
            raise ValueError(f"a population cannot train the {self.opt_name} optimizer")

    # ---- training ---------------------------------------------------------------------
    def step(self) -> None:
        """One step of every live member; divergent members are reported and dropped."""
        idx = self._next_indices()
        Xb, yb = self.X_train[idx.T], self.y_train[idx.T]          # (B, K, d), (B, K)
        self.step_count += 1
        with np.errstate(all="ignore"):
            logits = self._train_forward(Xb)
            loss, dz = _softmax_ce(logits, yb)
            if self.first_loss is None:
                self.first_loss = loss.copy()
            bad = ~np.isfinite(loss) | (loss > DIVERGENCE_FACTOR *
                                        np.maximum(self.first_loss, 1e-12))
            for r in np.flatnonzero(bad):      # frozen before its update, as Run.train_step
                self._finish(r, "diverged", diverged_at=self.step_count)
                self.last_loss[self.ids[r]] = loss[r]
            self._backward(dz)
            self._opt_step()
            broken = ~bad & ~np.all(np.isfinite(self.flat), axis=1)
            for r in np.flatnonzero(broken):
                self._finish(r, "diverged", diverged_at=self.step_count)
        ok = ~(bad | broken)
        self.last_loss[self.ids[ok]] = loss[ok]
        if not ok.all():
            self._keep(ok)
        if self.step_count % self.eval_every == 0:
            self.evaluate()

    def _eval_split(self, X, y, rows=slice(None)) -> tuple[np.ndarray, np.ndarray]:
        """(loss, accuracy) per member in eval mode, as Run.evaluate."""
        with np.errstate(all="ignore"):
            z = self._eval_logits(X, rows)
            m, t, s = _softmax_parts(z)
            loss = np.mean(np.log(s[..., 0]) + m[..., 0] - z[:, np.arange(y.size), y], axis=1)
        acc = np.mean(np.argmax(z, axis=2) == y, axis=1)
        return loss, acc

    def evaluate(self) -> None:
        """Append (step, train loss, train acc, val loss, val acc) to every live member."""
        if not self.ids.size:
            return
        tl, ta = self._eval_split(self.X_train, self.y_train)
        vl, va = self._eval_split(self.X_val, self.y_val)
        for r, m in enumerate(self.ids):
            self.curves[m].append((self.step_count, float(tl[r]), float(ta[r]), float(vl[r]),
                                   float(va[r])))

    def _finish(self, r: int, status: str, diverged_at: int | None = None) -> None:
        """Record row r's member result from its current state (as train_single's summary)."""
        m = int(self.ids[r])
        vl, va = self._eval_split(self.X_val, self.y_val, rows=slice(r, r + 1))
        steps_run = (diverged_at - 1) if diverged_at else self.step_count
        self.final[m] = {"status": status, "val_loss": float(vl[0]), "val_accuracy": float(va[0]),
                         "diverged_at": diverged_at, "steps_run": steps_run}

    def _keep(self, ok: np.ndarray) -> None:
        """Drop the rows of finished members from every per-row array."""
        self.ids = self.ids[ok]
        self.flat, self.grads = self.flat[ok], self.grads[ok]
        if self.v is not None:
            self.v, self.s = self.v[ok], self.s[ok]
        self.running = [(rm[ok], rv[ok]) for rm, rv in self.running]
        if self.masks is not None:
            self.masks = [mk[ok] for mk in self.masks]
        for name in ("lr0", "decay", "l2", "b1", "b2", "bn_decay"):
            setattr(self, name, getattr(self, name)[ok])
        self.first_loss = self.first_loss[ok]
        self._order = self._order[ok]
        self._bind()

    def run(self, should_stop: Callable[[], bool] | None = None) -> list[dict]:
        """Train every member for ``steps`` steps (or until ``should_stop()``, checked between
        steps: the live members are then 'cancelled'); one result per member, in order."""
        t0 = time.perf_counter()
        status = "ok"
        for _ in range(self.steps):
            if not self.ids.size:
                break
            if should_stop is not None and should_stop():
                status = "cancelled"
                break
            self.step()
        if status == "ok" and self.step_count % self.eval_every:
            self.evaluate()
        for r in range(self.ids.size):
            self._finish(r, status)
        seconds = round((time.perf_counter() - t0) / self.k0, 4)
        return [self._result(m, seconds) for m in range(self.k0)]

    def _result(self, m: int, seconds: float) -> dict:
        f, curve = self.final[m], np.array(self.curves[m], dtype=np.float64).reshape(-1, 5)
        return {"final_train_loss": _num(self.last_loss[m]), "val_loss": _num(f["val_loss"]),
                "val_accuracy": _num(f["val_accuracy"]), "steps_run": f["steps_run"],
                "diverged_at": f["diverged_at"], "seconds": seconds, "status": f["status"],
                "curve": {"step": curve[:, 0].astype(int).tolist(),
                          "train_loss": [_num(v) for v in curve[:, 1]],
                          "val_loss": [_num(v) for v in curve[:, 3]],
                          "val_accuracy": [_num(v) for v in curve[:, 4]]}}


def _act_forward(name: str, z: np.ndarray):
    """(activation of z, what its backward needs), computed in place in z."""
    if name == "relu":
        mask = z > 0
        return np.multiply(z, mask, out=z), mask
    if name == "tanh":
        a = np.tanh(z, out=z)
        return a, a
    e = np.abs(z)                                   # sigmoid as layers.Sigmoid, fewer copies
    np.negative(e, out=e)
    np.exp(e, out=e)
    den = e + 1.0
    a = np.where(z >= 0, 1.0 / den, np.divide(e, den, out=e))
    return a, a


def _act_backward(name: str, d: np.ndarray, saved: np.ndarray) -> np.ndarray:
    """layers.py's backward of the activation; d is a fresh array and is overwritten."""
    if name == "relu":
        return np.multiply(d, saved, out=d)
    if name == "tanh":
        t = saved * saved
        np.subtract(1.0, t, out=t)
        return np.multiply(d, t, out=d)
    d *= saved
    t = np.subtract(1.0, saved)
    return np.multiply(d, t, out=d)


def _act_eval(name: str, z: np.ndarray) -> np.ndarray:
    if name == "relu":
        return np.maximum(z, 0.0, out=z)
    if name == "tanh":
        return np.tanh(z, out=z)
    return _act_forward(name, z)[0]


def _softmax_parts(z: np.ndarray):
    """(max, e^(z − max), Σ e^(z − max)) over the class axis, keepdims, as losses.py has it.
    With few classes the max and the sum run over class slices: a reduction over a short
    last axis is slow in NumPy, and below 8 terms its sum is this left-to-right sum."""
    c = z.shape[-1]
    if c >= 8:
        m = z.max(axis=-1, keepdims=True)
        t = np.exp(z - m)
        return m, t, t.sum(axis=-1, keepdims=True)
    m = z[..., 0:1].copy()
    for j in range(1, c):
        np.maximum(m, z[..., j:j + 1], out=m)
    t = np.exp(z - m)
    s = t[..., 0:1].copy()
    for j in range(1, c):
        s += t[..., j:j + 1]
    return m, t, s


def _softmax_ce(z: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """losses.softmax_cross_entropy per member on batch-major logits z (B, K, C), y (B, K):
    (K,) mean losses and (B, K, C) dlogits."""
    n, k = z.shape[0], z.shape[1]
    m, t, s = _softmax_parts(z)
    rows, kk = np.arange(n)[:, None], np.arange(k)[None, :]
    per_example = np.log(s[..., 0]) + m[..., 0] - z[rows, kk, y]
    loss = np.mean(np.ascontiguousarray(per_example.T), axis=1)   # pairwise, as a 1-D mean
    dz = t / s
    dz[rows, kk, y] -= 1.0
    dz *= 1.0 / n
    return loss, dz


def train_population(configs: list[TrainConfig], split, batch_norm: bool = True,
                     should_stop: Callable[[], bool] | None = None) -> list[dict]:
    """``[train_single(c, split, batch_norm) for c in configs]``, computed together."""
    return Population(configs, split, batch_norm).run(should_stop)
