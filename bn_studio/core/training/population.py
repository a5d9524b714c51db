"""Trials trained together: K networks of one structure in one batched NumPy computation.

Member k is the network ``train_single(configs[k], split, batch_norm)`` trains, with the
twins' engine wherever it is not layer maths: the same initial weights (built by ``MLP`` from
its seed), the same streams (streams.py: its batch order, live-curve rows and noisy-BN noise),
the same optimizer rule (optim.py, with its own α, β's, λ and decay as (K, 1) columns), its
own mid-run changes (config.changes), the same divergence rule and result (results.py) and
the same loop (trainer.advance). Weights are stacked as (K, n_in, n_out) and multiplied with
``np.matmul``; the layer maths is batched.py's. It rounds in another order than layers.py (BN
in fewer passes, folded into the weights for evaluation), so results agree with the single
path to ~1e-15 relative in float64 and to float32 rounding in float32, not bit for bit.

Members may differ in hidden width (not in depth): every layer is padded to the widest
member, and padded units are zero in every weight that touches them (and masked to zero
after a sigmoid), so they contribute nothing to any sum and get an exactly zero gradient.
A member that diverges is evaluated at once, reported 'diverged' and dropped from the
stack; the others go on.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from ..nn import batched as B
from . import changes as schedule
from ..nn.network import MLP
from .results import loss_diverged, params_broken, run_result, trial_result
from .streams import BatchStream, draw_noise, live_samples, noise_rng
from .trainer import TrainConfig, advance, make_optimizer

# What members of one population must share (widths may differ, depth may not).
SHARED_FIELDS = ("activation", "optimizer", "batch", "steps", "eval_every", "dtype", "bn_eps",
                 "noisy_bn")
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
                             "optimizer, batch, steps, eval_every, dtype, bn_eps and noisy_bn")
        c0 = configs[0]
        self.bn, self.k0 = bool(batch_norm), len(configs)
        self.dtype = np.dtype(c0.dtype)
        self.X_train = np.ascontiguousarray(split.X_train, dtype=self.dtype)
        self.y_train = np.asarray(split.y_train, dtype=np.int64)
        self.X_val = np.ascontiguousarray(split.X_val, dtype=self.dtype)
        self.y_val = np.asarray(split.y_val, dtype=np.int64)
        self.classes = int(split.classes)
        self.act_name = c0.activation
        self.batch, self.steps, self.eval_every, self.eps = c0.batch, c0.steps, c0.eval_every, \
            c0.bn_eps
        true_widths = np.array([c.hidden for c in configs], dtype=np.int64).reshape(self.k0, -1)
        self.widths = [int(w) for w in true_widths.max(axis=0)] if true_widths.size else []
        self.true_widths = true_widths
        self.ids = np.arange(self.k0)                 # member index of each row of the stack
        self.opt = make_optimizer(configs)
        self.bn_decay = np.array([c.bn_decay for c in configs],
                                 dtype=np.float64).reshape(-1, 1)
        self._casts()
        self._layout()
        self._init_members(configs, true_widths)
        self.batches = BatchStream([c.seed for c in configs], self.X_train.shape[0], self.batch)
        self._live = self._live_samples(configs)
        # Noisy BN, as TwinTrainer draws it for its BN twin: each member's own stream.
        self._noise = [noise_rng(c.seed) for c in configs] \
            if self.bn and c0.noisy_bn and self.widths else None
        self._pending = [list(c.changes) for c in configs]     # each member's own changes
        self._buf: B.Buffers | None = None
        self.step_count = 0
        self.first_loss: np.ndarray | None = None
        self.last_loss = np.full(self.k0, np.nan)
        self.curves: list[list[tuple]] = [[] for _ in range(self.k0)]
        # member → (status, val loss, val acc, diverged_at, step) once it has finished
        self.final: dict[int, tuple] = {}
        self.evaluate()

    def _casts(self) -> None:
        """BN's running-average coefficients per member, in the members' dtype, computed
        once (as the single path rounds a Python float to the array's dtype)."""
        cast = lambda a: a.astype(self.dtype)  # noqa: E731
        n = min(self.batch, self.X_train.shape[0])
        d = self.bn_decay[:, 0]                       # running statistics are (K, H)
        self.c = {"bn_decay": cast(d[:, None]), "bn_keep": cast(1.0 - d[:, None]),
                  "bn_keep_var": cast(((1.0 - d) * (n / max(n - 1.0, 1.0)))[:, None])}

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
        picks = [live_samples(self.y_train, self.y_val, c.seed) for c in configs]
        out = {}
        for name, X, y in (("train", self.X_train, self.y_train), ("val", self.X_val, self.y_val)):
            # None for every member alike: the split is small enough to use whole
            idx = [rows for p in picks if (rows := p[name]) is not None]
            out[name] = (X, y) if not idx else (X[np.stack(idx)], y[np.stack(idx)])
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

    def _buffers(self) -> B.Buffers:
        k = self.ids.size
        if self._buf is None or self._buf.k != k:
            self._buf = B.Buffers(min(self.batch, self.X_train.shape[0]), k, self.widths,
                                  self.classes, self.dtype)
        return self._buf

    def _train_forward(self, X: np.ndarray) -> np.ndarray:
        """Training-mode logits (B, K, C) for the members' batches X (B, K, d); running
        statistics updated as BatchNorm does."""
        P, buf, a = self.P, self._buffers(), X
        cache: list[tuple[np.ndarray, np.ndarray | None, np.ndarray | None,
                          np.ndarray | None]] = []
        noise = self._draw_noise()
        for i in range(len(self.widths)):
            li, x = f"hidden{i + 1}.", a
            z, a = B.matmul_into(x, P[li + "W"], buf.z[i]), buf.a[i]
            if self.bn:
                mu, var, inv_std, scale = B.bn_forward(
                    z, P[li + "gamma"], P[li + "beta"], self.eps, out=a)
                self._update_running(i, mu, var)
                if noise is not None:               # Z̃ = s ⊙ (γ ⊙ Z_norm + β) + m
                    a *= noise[i][0]
                    a += noise[i][1]
                cache.append((x, inv_std, scale, None if noise is None else noise[i][0]))
            else:
                np.add(z, P[li + "b"], out=a)
                cache.append((x, None, None, None))
            B.act_forward(self.act_name, a)
            if self.masks is not None:
                a *= self.masks[i]          # padded units: exactly 0, so no gradient flows
        logits = B.matmul_into(a, P["output.W"], buf.logits)
        logits += P["output.b"]
        self._cache, self._last_a = cache, a
        return logits

    def _draw_noise(self) -> list[tuple[np.ndarray, np.ndarray]] | None:
        """This step's noisy-BN (scale, shift) per layer, (K, H) each: every live member's
        draws from its own stream at its own widths; a padded unit gets scale 1, shift 0, so
        it stays exactly 0."""
        if self._noise is None:
            return None
        k = self.ids.size
        out = [(np.ones((k, h), self.dtype), np.zeros((k, h), self.dtype)) for h in self.widths]
        for r, m in enumerate(self.ids):
            for i, (scale, shift) in enumerate(draw_noise(self._noise[m], self.true_widths[m],
                                                          self.dtype)):
                out[i][0][r, :scale.size] = scale
                out[i][1][r, :shift.size] = shift
        return out

    def _update_running(self, i: int, mu, var) -> None:
        rm, rv = self.running[i]
        rm *= self.c["bn_decay"]
        rm += self.c["bn_keep"] * mu
        rv *= self.c["bn_decay"]
        rv += self.c["bn_keep_var"] * var

    def _backward(self, dlogits: np.ndarray) -> None:
        """Fill the gradient stack (Dense/BatchNorm/activation backward, batched)."""
        P, G, buf, cache = self.P, self.G, self._buf, self._cache
        assert buf is not None, "backward before a forward"
        np.matmul(self._last_a.transpose(1, 2, 0), dlogits.transpose(1, 0, 2),
                  out=G["output.W"])
        np.add.reduce(dlogits, axis=0, out=G["output.b"])
        if not self.widths:
            return
        d = B.matmul_into(dlogits, B.transposed(P["output.W"]), buf.d[-1])
        for i in reversed(range(len(self.widths))):
            li = f"hidden{i + 1}."
            x, inv_std, scale, noise_scale = cache[i]
            B.act_backward(self.act_name, d, buf.a[i], buf.scratch[i])
            if noise_scale is not None:             # through Z̃ = s ⊙ (…) + m
                d *= noise_scale
            if self.bn:
                assert inv_std is not None and scale is not None    # cached by a BN forward
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

    @property
    def all_diverged(self) -> bool:
        """No member is still training (every one diverged): the loop can stop."""
        return not self.ids.size

    def apply_due_changes(self) -> None:
        """Each live member's changes whose step the counter has reached (its config.changes)."""
        if not any(self._pending):
            return
        recast = False
        for r, m in enumerate(self.ids):
            for _step, name, value in schedule.due(self._pending[m], self.step_count):
                if name == "bn_decay":
                    self.bn_decay[r] = value
                    recast = True
                else:
                    self.opt.set(name, value, r)
        if recast:
            self._casts()

    def step(self) -> None:
        """One step of every live member; divergent members are reported and dropped."""
        self.apply_due_changes()
        idx = self.batches.next()
        Xb, yb = self.X_train[idx.T], self.y_train[idx.T]          # (B, K, d), (B, K)
        self.step_count += 1
        self.opt.epoch = self.batches.epoch
        with np.errstate(all="ignore"):
            logits = self._train_forward(Xb)
            loss, dz = B.softmax_ce(logits, yb)
            if self.first_loss is None:
                self.first_loss = loss.copy()
            bad = loss_diverged(loss, self.first_loss)
            for r in np.flatnonzero(bad):      # frozen before its update, as Run.train_step
                self._finish(int(r), "diverged", diverged_at=self.step_count)
                self.last_loss[self.ids[r]] = loss[r]
            self._backward(dz)
            self.opt.step(self.flat, self.grads, self.weight_mask)
            broken = ~bad & params_broken(self.flat)
            for r in np.flatnonzero(broken):
                self._finish(int(r), "diverged", diverged_at=self.step_count)
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
        self.final[m] = (status, float(vl[0]), float(va[0]), diverged_at, self.step_count)

    def _keep(self, ok: np.ndarray) -> None:
        """Drop the rows of finished members from every per-row array."""
        self.ids = self.ids[ok]
        self.flat, self.grads = self.flat[ok], self.grads[ok]
        self.opt.keep(ok)
        self.batches.keep(ok)
        self.running = [(rm[ok], rv[ok]) for rm, rv in self.running]
        if self.masks is not None:
            self.masks = [mk[ok] for mk in self.masks]
        self.bn_decay = self.bn_decay[ok]
        self._casts()
        self._live = {name: (X, y) if X.ndim == 2 else (X[ok], y[ok])
                      for name, (X, y) in self._live.items()}
        assert self.first_loss is not None               # members drop after a step
        self.first_loss = self.first_loss[ok]
        self._bind()

    def run(self, should_stop: Callable[[], bool] | None = None) -> list[dict]:
        """Train every member for ``steps`` steps (or until ``should_stop()``, checked between
        steps: the live members are then 'cancelled'); one result per member, in order."""
        t0 = time.perf_counter()
        status = advance(self, self.steps, should_stop)
        if status == "ok" and self.step_count % self.eval_every:
            self.evaluate()
        for r in range(self.ids.size):
            self._finish(r, status)
        seconds = (time.perf_counter() - t0) / self.k0
        return [self._result(m, seconds) for m in range(self.k0)]

    def _result(self, m: int, seconds: float) -> dict:
        status, vl, va, diverged_at, step = self.final[m]
        summary = run_result(self.last_loss[m], vl, va, diverged_at, step, seconds)
        return trial_result(summary, status, self.curves[m])


def train_population(configs: list[TrainConfig], split, batch_norm: bool = True,
                     should_stop: Callable[[], bool] | None = None) -> list[dict]:
    """``[train_single(c, split, batch_norm) for c in configs]``, computed together."""
    return Population(configs, split, batch_norm).run(should_stop)
