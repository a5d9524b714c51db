"""Trials trained together: K networks of one structure in one batched NumPy computation.

Member k is the network ``train_single(configs[k], split, batch_norm)`` trains: the same
initial weights (built by ``MLP`` from its seed), the same batch order (its own
``default_rng([seed, 1])`` stream), the same live-curve rows (its own stratified sample when
a split is large), the same optimizer, with its own α, β's, λ, decay and BN decay held as
columns. Weights are stacked as (K, n_in, n_out) and multiplied with ``np.matmul``; the
layer maths is batched.py's. It rounds in another order than layers.py (BN in fewer passes,
folded into the weights for evaluation), so results agree with the single path to ~1e-15
relative in float64 and to float32 rounding in float32, not bit for bit.

Members may differ in hidden width (not in depth): every layer is padded to the widest
member, and padded units are zero in every weight that touches them (and masked to zero
after a sigmoid), so they contribute nothing to any sum and get an exactly zero gradient.
A member that diverges (same rule as ``trainer.Run.train_step``) is evaluated at once,
reported 'diverged' and dropped from the stack; the others go on.
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np

from . import batched as B
from .network import MLP
from .optim import OPTIMIZER_BETAS
from .trainer import DIVERGENCE_FACTOR, EVAL_ROWS, TrainConfig, _num, stratified_sample

# What members of one population must share (widths may differ, depth may not).
SHARED_FIELDS = ("activation", "optimizer", "batch", "steps", "eval_every", "dtype", "bn_eps")
# Evaluation takes a member's rows in chunks of about this many activations (rows × width):
# small enough to stay in a core's cache (a 1,000-row split at width 64 is one chunk).
EVAL_CACHE_ELEMENTS = 65_536


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
        self.bn, self.k0 = bool(batch_norm), len(configs)
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
        self._live = self._live_samples(configs)
        self._buf: B.Buffers | None = None
        self._tmp: np.ndarray | None = None
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
        self._casts()

    def _casts(self) -> None:
        """The columns the step multiplies by, in the members' dtype, computed once (as the
        single path rounds a Python float to the array's dtype)."""
        cast = lambda a: a.astype(self.dtype)  # noqa: E731
        n = min(self.batch, self.X_train.shape[0])
        d = self.bn_decay[:, 0]                       # running statistics are (K, H)
        self.c = {"b1": cast(self.b1), "keep1": cast(1.0 - self.b1), "b2": cast(self.b2),
                  "keep2": cast(1.0 - self.b2), "l2": cast(self.l2),
                  "bn_decay": cast(d[:, None]), "bn_keep": cast(1.0 - d[:, None]),
                  "bn_keep_var": cast(((1.0 - d) * (n / max(n - 1.0, 1.0)))[:, None])}
        self.any_l2 = bool(np.any(self.l2))

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
        # A padded unit's pre-activation is exactly 0 (its weights, γ and β are 0); ReLU and
        # tanh keep it 0, the sigmoid makes it ½, so only then is it masked.
        self.masks = [(np.arange(h)[None, :] < true_widths[:, i:i + 1]).astype(dt)
                      for i, h in enumerate(self.widths)] \
            if padded and self.act_name == "sigmoid" else None
        self._bind()

    def _live_samples(self, configs) -> dict:
        """The rows behind each member's live curves, as TwinTrainer picks them: the whole
        split, or (large splits) the member's own stratified sample, stacked (K, R, d)."""
        out = {}
        rngs = [np.random.default_rng([c.seed, 2]) for c in configs]
        for name, X, y in (("train", self.X_train, self.y_train), ("val", self.X_val, self.y_val)):
            idx = [stratified_sample(y, EVAL_ROWS, rng) for rng in rngs]
            out[name] = (X, y) if idx[0] is None else (X[np.stack(idx)], y[np.stack(idx)])
        return out

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

    # ---- forward / backward (the maths is batched.py's) ---------------------------------
    def _buffers(self) -> B.Buffers:
        k = self.ids.size
        if self._buf is None or self._buf.k != k:
            self._buf = B.Buffers(min(self.batch, self.X_train.shape[0]), k, self.widths,
                                  self.classes, self.dtype)
        return self._buf

    def _train_forward(self, X: np.ndarray) -> np.ndarray:
        """Training-mode logits (B, K, C) for the members' batches X (B, K, d); running
        statistics updated as BatchNorm does."""
        P, buf, a, cache = self.P, self._buffers(), X, []
        for i in range(len(self.widths)):
            li, x = f"hidden{i + 1}.", a
            z, a = B.matmul_into(x, P[li + "W"], buf.z[i]), buf.a[i]
            if self.bn:
                mu, var, inv_std, scale = B.bn_forward(
                    z, P[li + "gamma"], P[li + "beta"], self.eps, out=a)
                self._update_running(i, mu, var)
                cache.append((x, inv_std, scale))
            else:
                np.add(z, P[li + "b"], out=a)
                cache.append((x, None, None))
            B.act_forward(self.act_name, a)
            if self.masks is not None:
                a *= self.masks[i]          # padded units: exactly 0, so no gradient flows
        logits = B.matmul_into(a, P["output.W"], buf.logits)
        logits += P["output.b"]
        self._cache, self._last_a = cache, a
        return logits

    def _update_running(self, i: int, mu, var) -> None:
        rm, rv = self.running[i]
        rm *= self.c["bn_decay"]
        rm += self.c["bn_keep"] * mu
        rv *= self.c["bn_decay"]
        rv += self.c["bn_keep_var"] * var

    def _backward(self, dlogits: np.ndarray) -> None:
        """Fill the gradient stack (Dense/BatchNorm/activation backward, batched)."""
        P, G, buf, cache = self.P, self.G, self._buf, self._cache
        np.matmul(self._last_a.transpose(1, 2, 0), dlogits.transpose(1, 0, 2),
                  out=G["output.W"])
        np.add.reduce(dlogits, axis=0, out=G["output.b"])
        if not self.widths:
            return
        d = B.matmul_into(dlogits, B.transposed(P["output.W"]), buf.d[-1])
        for i in reversed(range(len(self.widths))):
            li = f"hidden{i + 1}."
            x, inv_std, scale = cache[i]
            B.act_backward(self.act_name, d, buf.a[i], buf.scratch[i])
            if self.bn:
                B.bn_backward(d, buf.z[i], inv_std, scale, G[li + "gamma"], G[li + "beta"],
                              scratch=buf.a[i])
            else:
                np.add.reduce(d, axis=0, out=G[li + "b"])
            np.matmul(x.transpose(1, 2, 0), d.transpose(1, 0, 2), out=G[li + "W"])
            if i:
                d = B.matmul_into(d, B.transposed(P[li + "W"]), buf.d[i - 1])

    def _eval_split(self, X, y, rows=slice(None)) -> tuple[np.ndarray, np.ndarray]:
        """(loss, accuracy) per member in eval mode, as Run.evaluate; X (N, d) or one
        sample per member (K, N, d)."""
        layers = B.eval_layers(self.P, self.widths, self.running, self.bn, self.eps, rows)
        if X.ndim == 3:
            X, y = X[rows], y[rows]
        h = max(self.widths + [self.classes])
        chunk = max(16, EVAL_CACHE_ELEMENTS // h)
        with np.errstate(all="ignore"):
            return B.eval_loss_acc(layers, self.act_name, X, y, chunk)

    def _opt_step(self) -> None:
        """Optimizer.step for every member at once, per-member scalars as columns; the
        gradient buffer is scratch once the update has read it."""
        w, g, c = self.flat, self.grads, self.c
        tmp = self._scratch()
        if self.any_l2:
            np.multiply(w, self.weight_mask, out=tmp)
            tmp *= c["l2"]
            g += tmp
        lr = self.lr0 / (1.0 + self.decay * self.epoch)
        if self.opt_name == "sgd":
            g *= lr.astype(self.dtype)
            w -= g
            return
        v, s = self.v, self.s
        if self.opt_name in ("momentum", "nesterov", "adam"):
            v *= c["b1"]
            np.multiply(g, c["keep1"], out=tmp)
            v += tmp                                  # v = β₁v + (1 − β₁)g
        if self.opt_name in ("rmsprop", "adam"):
            sq = tmp if self.opt_name == "rmsprop" else g     # rmsprop reads g again below
            s *= c["b2"]
            np.multiply(g, g, out=sq)
            sq *= c["keep2"]
            s += sq                                   # s = β₂s + (1 − β₂)g²
        if self.opt_name == "momentum":
            np.multiply(v, lr.astype(self.dtype), out=g)
        elif self.opt_name == "nesterov":             # α(β₁v + (1 − β₁)g)
            np.multiply(v, c["b1"], out=g)
            g += tmp
            g *= lr.astype(self.dtype)
        elif self.opt_name == "rmsprop":              # αg / (√s + 1e-8)
            np.sqrt(s, out=tmp)
            tmp += 1e-8
            g /= tmp
            g *= lr.astype(self.dtype)
        elif self.opt_name == "adam":                 # α/c₁ · v / (√s / √c₂ + 1e-8)
            t = self.step_count
            # Python's float pow, member by member, exactly as Optimizer computes c1 and c2.
            c1 = np.array([1.0 - b ** t for b in self.b1[:, 0].tolist()]).reshape(-1, 1)
            c2 = np.array([1.0 - b ** t for b in self.b2[:, 0].tolist()]).reshape(-1, 1)
            np.sqrt(s, out=g)
            g *= 1.0 / np.sqrt(c2)
            g += 1e-8
            np.divide(v, g, out=g)
            g *= (lr / c1).astype(self.dtype)
        else:                        # a new optimizer needs its batched update here too
            raise ValueError(f"a population cannot train the {self.opt_name} optimizer")
        w -= g

    def _scratch(self) -> np.ndarray:
        if self._tmp is None or self._tmp.shape != self.flat.shape:
            self._tmp = np.empty_like(self.flat)
        return self._tmp

    # ---- training ---------------------------------------------------------------------
    def step(self) -> None:
        """One step of every live member; divergent members are reported and dropped."""
        idx = self._next_indices()
        Xb, yb = self.X_train[idx.T], self.y_train[idx.T]          # (B, K, d), (B, K)
        self.step_count += 1
        with np.errstate(all="ignore"):
            logits = self._train_forward(Xb)
            loss, dz = B.softmax_ce(logits, yb)
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

    def evaluate(self) -> None:
        """Append (step, train loss, train acc, val loss, val acc) to every live member."""
        if not self.ids.size:
            return
        tl, ta = self._eval_split(*self._live["train"])
        vl, va = self._eval_split(*self._live["val"])
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
        self._casts()
        self._live = {name: (X, y) if X.ndim == 2 else (X[ok], y[ok])
                      for name, (X, y) in self._live.items()}
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


def train_population(configs: list[TrainConfig], split, batch_norm: bool = True,
                     should_stop: Callable[[], bool] | None = None) -> list[dict]:
    """``[train_single(c, split, batch_norm) for c in configs]``, computed together."""
    return Population(configs, split, batch_norm).run(should_stop)
