"""Twin training: the same network with and without batch norm, from identical initial weights,
fed identical mini-batches, so any difference on screen is batch norm's doing.

``TwinTrainer.step()`` advances both nets; ``snapshot()`` returns an immutable-by-convention
summary (curves, fixed-bin histograms, percentile bands, BN statistics, frozen copies of the
nets; the dataclasses are in snapshot.py) that a GUI thread can draw without touching the
live networks.
"""

from __future__ import annotations

import dataclasses
import numbers
import time
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np

from . import limits, params
from .network import MLP, NetConfig
from .optim import Optimizer
from .smoothness import net_loss_spread
from .snapshot import (HISTORY_FLOATS, MIN_HISTORY_ROWS, LayerSnapshot,  # noqa: F401 (re-export)
                       RunSnapshot, Snapshot, bounded_rows)
from .stats import Series, fixed_edges, histogram, off_chart, percentile_band

# Settings that can change while the twins train (TwinTrainer.change): no shape changes.
LIVE_SETTINGS = params.LIVE
EVAL_ROWS = 2048            # live curves use at most about this many rows of each split
DIVERGENCE_FACTOR = 1e6     # a loss above this × the first loss counts as diverged (DESIGN §2)
RUN_NAMES = ("bn", "no_bn")
# Noisy BN (Santurkar et al. 2018): each step, every BN unit's output is scaled by s ~ U(1 ± this)
# and shifted by m ~ U(±this), new draws every step, so the next layer's input distribution
# keeps moving (a re-created covariate shift) while the net trains.
NOISE_SCALE, NOISE_SHIFT = 0.5, 0.5
MAX_CHANGES = 100


@dataclass(frozen=True)
class TrainConfig:
    """Network and optimiser settings shared by both twins (only BN differs between them)."""

    hidden: tuple[int, ...] = (64, 64)
    activation: str = "relu"
    optimizer: str = "adam"
    lr: float = 0.01
    beta1: float = 0.9
    beta2: float = 0.999
    momentum: float = 0.9
    l2: float = 0.0
    decay: float = 0.0
    batch: int = 64
    steps: int = 1000
    seed: int = 0
    bn_decay: float = 0.9
    bn_eps: float = 1e-5
    dtype: str = "float32"
    eval_every: int = 10
    noisy_bn: bool = False          # the BN twin only: random per-step noise after each BN
    changes: tuple = ()             # (step, name, value): mid-run changes this run makes itself

    def __post_init__(self) -> None:
        # Every field checked by its entry in core/params.py (one line per problem): a
        # million-unit layer or a negative seed is refused here, whichever way the config
        # came in, not later in the trainer.
        object.__setattr__(self, "hidden", params.check_config(self)["hidden"])
        # The run's own mid-run changes are checked against the (valid) config they change.
        object.__setattr__(self, "changes", _check_changes(self.changes, self))

    def replace(self, **changes) -> "TrainConfig":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["hidden"] = list(self.hidden)
        d["changes"] = [list(c) for c in self.changes]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})

    def net_config(self, input_dim: int, classes: int, batch_norm: bool) -> NetConfig:
        return NetConfig(input_dim=input_dim, hidden=self.hidden, classes=classes,
                         activation=self.activation, batch_norm=batch_norm,
                         bn_eps=self.bn_eps, bn_decay=self.bn_decay, dtype=self.dtype)

    def make_optimizer(self) -> Optimizer:
        return Optimizer(self.optimizer, self.lr, beta1=self.beta1, beta2=self.beta2,
                         momentum=self.momentum, l2=self.l2, decay=self.decay)


class Run:
    """One network, its optimiser, its learning curves and its divergence state."""

    def __init__(self, name: str, net: MLP, opt: Optimizer,
                 history_rows: int | None = None) -> None:
        self.name, self.net, self.opt = name, net, opt
        self.diverged_at: int | None = None
        self.first_loss: float | None = None
        self.last_loss = float("nan")
        self.last_batch_acc = float("nan")
        self.seconds = 0.0                  # time spent in train_step (the CLI reports it)
        # (step, batch loss) every step; (step, train loss, train acc, val loss, val acc)
        self.train = Series(width=2, max_rows=bounded_rows(2, history_rows))
        self.evals = Series(width=5, max_rows=bounded_rows(5, history_rows))
        # (step, loss spread along the gradient): smoothness.net_loss_spread every eval_every
        self.smoothness = Series(width=2, max_rows=bounded_rows(2, history_rows))

    def train_step(self, X: np.ndarray, y: np.ndarray, step: int) -> None:
        if self.diverged_at is not None:
            return
        with np.errstate(all="ignore"):
            loss, logits = self.net.loss_and_grads(X, y)
        if self.first_loss is None:
            self.first_loss = loss
        if not np.isfinite(loss) or loss > DIVERGENCE_FACTOR * max(self.first_loss, 1e-12):
            self.diverged_at = step
            self.last_loss = loss
            return
        with np.errstate(all="ignore"):         # an overflowing step diverges (just below)
            self.opt.step(self.net.flat_params, self.net.flat_grads, self.net.weight_mask)
        if not np.all(np.isfinite(self.net.flat_params)):
            self.diverged_at = step
            return
        self.last_loss = loss
        self.last_batch_acc = float(np.mean(np.argmax(logits, axis=1) == y))
        self.train.append((step, loss))

    def evaluate(self, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """(loss, accuracy) in eval mode: BN uses its running statistics."""
        from .losses import softmax_cross_entropy
        step = limits.EVAL_CHUNK_ROWS           # in chunks: memory independent of N
        parts = []                              # (mean loss, rows, correct) per chunk
        for i in range(0, len(y), step):
            with np.errstate(all="ignore"):
                logits = self.net.forward(X[i:i + step], train=False)
                loss, _ = softmax_cross_entropy(logits, y[i:i + step])
            parts.append((float(loss), len(logits),
                          int(np.sum(np.argmax(logits, axis=1) == y[i:i + step]))))
        loss = parts[0][0] if len(parts) == 1 else sum(m * n for m, n, _ in parts) / len(y)
        return loss, sum(k for *_, k in parts) / len(y)


class TwinTrainer:
    """Train the BN net and the no-BN net side by side on the same data and batches.

    ``history_rows`` bounds every recorded history (curves, bands, running statistics) for
    long live runs: beyond it they are thinned evenly (see stats.Series); None keeps all.
    ``smoothness_every`` k > 0 records each twin's loss spread along the gradient every k
    steps (smoothness.py; off by default: it costs about one training step each time).
    """

    def __init__(self, config: TrainConfig, split, *, runs: tuple[str, ...] = RUN_NAMES,
                 history_rows: int | None = None, smoothness_every: int = 0) -> None:
        limits.check_trainer_size(len(split.X_train) + len(split.X_val), config.hidden)
        self.config = config
        self.split = split
        dtype = np.dtype(config.dtype)
        self.X_train = np.ascontiguousarray(split.X_train, dtype=dtype)
        self.y_train = np.asarray(split.y_train, dtype=np.int64)
        self.X_val = np.ascontiguousarray(split.X_val, dtype=dtype)
        self.y_val = np.asarray(split.y_val, dtype=np.int64)
        d, c = self.X_train.shape[1], int(split.classes)
        self.runs: dict[str, Run] = {}
        for name in runs:
            net = MLP(config.net_config(d, c, batch_norm=(name == "bn")), seed=config.seed)
            self.runs[name] = Run(name, net, config.make_optimizer(), history_rows)
        # Live curves on a fixed stratified sample of each split: a step's cost does not grow
        # with N (the final summary uses the full splits).
        sample_rng = np.random.default_rng([config.seed, 2])
        self._eval_idx = {"train": stratified_sample(self.y_train, EVAL_ROWS, sample_rng),
                          "val": stratified_sample(self.y_val, EVAL_ROWS, sample_rng)}
        # Batches come from their own stream so both twins (and any rerun) see the same ones.
        self._batch_rng = np.random.default_rng([config.seed, 1])
        self._order = np.empty(0, dtype=np.int64)
        self._cursor = 0
        self.epoch = 0
        self.step_count = 0
        n_hidden = len(config.hidden)
        self._bands = {name: [Series(width=4, max_rows=bounded_rows(4, history_rows))
                              for _ in range(n_hidden)] for name in self.runs}
        self._running = {name: [Series(width=1 + 4 * h,
                                       max_rows=bounded_rows(1 + 4 * h, history_rows))
                                for h in config.hidden] for name in self.runs}
        self._initial_probes: dict[str, list[tuple]] = {}
        self.changes: list[tuple[int, str, float]] = []
        self.smoothness_every = limits.check_int(smoothness_every, "smoothness_every", 0)
        self._pending = sorted(config.changes, key=lambda c: c[0])   # the config's own changes
        self._noise_rng = np.random.default_rng([config.seed, 3])
        self._choose_bins()
        self.evaluate()

    # ---- batches --------------------------------------------------------------------
    def next_batch(self) -> tuple[np.ndarray, np.ndarray]:
        n = self.X_train.shape[0]
        b = min(self.config.batch, n)
        if self._cursor + b > self._order.size:
            if self._order.size:
                self.epoch += 1
            self._order = self._batch_rng.permutation(n)
            self._cursor = 0
        idx = self._order[self._cursor:self._cursor + b]
        self._cursor += b
        return self.X_train[idx], self.y_train[idx]

    # ---- training -------------------------------------------------------------------
    def step(self) -> None:
        while self._pending and self._pending[0][0] <= self.step_count:
            self.change(*self._pending.pop(0)[1:])
        X, y = self.next_batch()
        self.step_count += 1
        if self.config.noisy_bn and "bn" in self.runs:
            self._draw_noise(self.runs["bn"].net)
        k = self.smoothness_every
        measure = k > 0 and self.step_count % k == 0
        for run in self.runs.values():
            run.opt.epoch = self.epoch
            if measure and run.diverged_at is None:     # before the step changes θ
                run.smoothness.append((self.step_count,
                                       net_loss_spread(run.net, X, y, run.opt.lr)))
            t0 = time.perf_counter()
            run.train_step(X, y, self.step_count)
            run.seconds += time.perf_counter() - t0
        if self.step_count % self.config.eval_every == 0:
            self.evaluate()

    def evaluate(self) -> None:
        """Record val metrics and the per-layer percentile bands and BN statistics."""
        for name, run in self.runs.items():
            if run.diverged_at is not None and len(run.evals):
                continue
            tl, ta = run.evaluate(*self._live_rows("train"))
            vl, va = run.evaluate(*self._live_rows("val"))
            run.evals.append((self.step_count, tl, ta, vl, va))
            for i, hl in enumerate(run.net.hidden):
                z, z_tilde, _ = self._probes(name, i)
                shown = z_tilde if z_tilde is not None else z
                self._bands[name][i].append((self.step_count, *percentile_band(shown)))
                if hl.bn is not None and self.step_count > 0:   # no batch statistics before
                    self._running[name][i].append(np.concatenate((
                        [self.step_count], hl.bn.batch_mean, hl.bn.batch_var,
                        hl.bn.running_mean, hl.bn.running_var)))

    def _draw_noise(self, net: MLP) -> None:
        """New (scale, shift) per BN unit for this step, from the run's own seeded stream."""
        for bn in net.bn_layers:
            f, dtype = bn.params["gamma"].size, bn.params["gamma"].dtype
            scale = self._noise_rng.uniform(1 - NOISE_SCALE, 1 + NOISE_SCALE, f).astype(dtype)
            shift = self._noise_rng.uniform(-NOISE_SHIFT, NOISE_SHIFT, f).astype(dtype)
            bn.noise = (scale, shift)

    def change(self, name: str, value: float) -> None:
        """Change one setting of both running twins without a reset (from the next step on).

        Only what can change mid-run: the optimizer's α, β's, L2 λ and decay, and BN's
        running-average β. Weights, optimizer state (v, s, t) and epoch carry on, so the run
        equals one that had the new value from this step. Refused (ValueError, one line) if
        the value is out of range or the setting cannot change mid-run.
        """
        if name not in LIVE_SETTINGS:
            raise ValueError(f"{name} cannot change mid-run (only {', '.join(LIVE_SETTINGS)}); "
                             "change it and press Reset")
        self.config = self.config.replace(**{name: float(value)})
        value = getattr(self.config, name)
        for run in self.runs.values():
            if name == "bn_decay":
                for hl in run.net.hidden:
                    if hl.bn is not None:
                        hl.bn.decay = value
            else:                   # the optimizer's own names; lr is its initial α₀
                setattr(run.opt, "lr0" if name == "lr" else name, value)
        self.changes.append((self.step_count, name, float(value)))

    def _live_rows(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        X, y = (self.X_train, self.y_train) if split == "train" else (self.X_val, self.y_val)
        idx = self._eval_idx[split]
        return (X, y) if idx is None else (X[idx], y[idx])

    @property
    def eval_rows(self) -> dict:
        """Rows behind the live curves (a stratified sample when a split is large) and behind
        the final summary (always the whole validation split)."""
        return {"curves_train": int(self._live_rows("train")[1].size),
                "curves_val": int(self._live_rows("val")[1].size),
                "final_val": int(self.y_val.size)}

    def _probes(self, name: str, i: int) -> tuple:
        """(Z, Z̃, A) of hidden layer i on the last training batch; before the first step,
        the untrained net's on the batch that fixed the bins (the real starting point)."""
        hl = self.runs[name].net.hidden[i]
        return (hl.Z, hl.Z_tilde, hl.A) if hl.Z is not None else self._initial_probes[name][i]

    def shift_inputs(self, offset) -> None:
        """Covariate shift: add a constant to every input from now on, without a reset.

        Z = (X + c)·W = X·W + c·W shifts each first-layer unit by a constant, which batch norm
        removes exactly (BN(Z + c) = BN(Z)); the net without BN sees new inputs.
        """
        c = np.asarray(offset, dtype=self.X_train.dtype).reshape(1, -1)
        self.X_train = self.X_train + c
        self.X_val = self.X_val + c

    def _choose_bins(self) -> None:
        """Fix histogram bins from the untrained nets on one batch; they stay put until reset.

        The same training-mode pass on copies gives the step-0 histograms (the real starting
        distributions, before any step) without touching the nets' running statistics.
        """
        X = self.X_train[: max(2, min(256, self.X_train.shape[0]))]
        self.z_edges, self.out_edges = [], []
        for name, run in self.runs.items():
            net = run.net.clone()
            with np.errstate(all="ignore"):
                net.forward(X, train=True)
            self._initial_probes[name] = [(hl.Z, hl.Z_tilde, hl.A) for hl in net.hidden]
        for i in range(len(self.config.hidden)):
            zs, outs = [], []
            for name in self.runs:
                z, z_tilde, _ = self._initial_probes[name][i]
                zs.append(z.ravel())
                outs.append((z_tilde if z_tilde is not None else z).ravel())
            z_all = np.concatenate(zs)
            self.z_edges.append(fixed_edges(z_all, pad=1.0))
            self.out_edges.append(fixed_edges(np.concatenate(outs + [z_all]), pad=1.0))

    def run(self, steps: int, snapshot_every: int = 0,
            should_stop: Callable[[], bool] | None = None) -> Iterator[Snapshot]:
        """Advance ``steps`` steps, yielding a snapshot every ``snapshot_every`` (0: at the end)."""
        for _ in range(steps):
            if should_stop is not None and should_stop():
                break
            self.step()
            if snapshot_every and self.step_count % snapshot_every == 0:
                yield self.snapshot()
        yield self.snapshot()

    @property
    def all_diverged(self) -> bool:
        return all(r.diverged_at is not None for r in self.runs.values())

    # ---- snapshots ------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        runs = {}
        for name, run in self.runs.items():
            layers = []
            for i, hl in enumerate(run.net.hidden):
                z, z_tilde, a = self._probes(name, i)
                ls = LayerSnapshot(
                    z_hist=histogram(z, self.z_edges[i]),
                    out_hist=(histogram(z_tilde, self.out_edges[i])
                              if z_tilde is not None else None),
                    a_hist=histogram(a, self.out_edges[i]),
                    bands=self._bands[name][i].view(),
                    z_off=off_chart(z, self.z_edges[i]),
                    out_off=(off_chart(z_tilde, self.out_edges[i])
                             if z_tilde is not None else (0, 0)),
                    a_off=off_chart(a, self.out_edges[i]),
                    n_values=int(z.size))
                if hl.bn is not None:
                    bn = hl.bn
                    ls.batch_mean, ls.batch_var = np.array(bn.batch_mean), np.array(bn.batch_var)
                    ls.running_mean, ls.running_var = bn.running_mean.copy(), bn.running_var.copy()
                    ls.gamma, ls.beta = bn.params["gamma"].copy(), bn.params["beta"].copy()
                    ls.running_history = self._running[name][i].view()
                layers.append(ls)
            runs[name] = RunSnapshot(name, run.net.clone(), run.train.view(), run.evals.view(),
                                     run.diverged_at, layers, run.last_loss,
                                     grad_norms=weight_grad_norms(run.net),
                                     smoothness=run.smoothness.view())
        return Snapshot(self.step_count, self.config, runs, self.z_edges, self.out_edges,
                        changes=tuple(self.changes))

    def summary(self, seconds: float = 0.0) -> dict:
        """The CLI's per-run JSON: final train loss, val loss/accuracy, steps run, divergence."""
        out = {}
        for name, run in self.runs.items():
            vl, va = run.evaluate(self.X_val, self.y_val)
            out[name] = {
                "final_train_loss": _num(run.last_loss),
                "val_loss": _num(vl),
                "val_accuracy": _num(va),
                "steps_run": (run.diverged_at - 1) if run.diverged_at else self.step_count,
                "diverged_at": run.diverged_at,
                "seconds": round(seconds, 4),
            }
        return out


def stratified_sample(y: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray | None:
    """About ``k`` sorted indices of ``y`` keeping each class's share (at least one row of
    every class present); None when there are no more than ``k`` rows (use them all)."""
    n = int(y.size)
    if n <= k:
        return None
    classes, counts = np.unique(y, return_counts=True)
    picks = [rng.choice(np.flatnonzero(y == c), size=max(1, int(round(k * m / n))),
                        replace=False) for c, m in zip(classes, counts)]
    return np.sort(np.concatenate(picks))


def weight_grad_norms(net: MLP) -> np.ndarray:
    """Frobenius norm of dW per hidden layer from the net's last backward pass (0 before any)."""
    return np.array([float(np.linalg.norm(hl.dense.grads["W"])) for hl in net.hidden])


def parse_change(text: str) -> tuple[int, str, float]:
    """'STEP:NAME=VALUE' (e.g. '500:lr=5') → (500, 'lr', 5.0); ValueError with one line."""
    try:
        step, rest = text.split(":", 1)
        name, value = rest.split("=", 1)
        step_i, value_f = int(step), float(value)
    except ValueError:
        raise ValueError("a change looks like STEP:NAME=VALUE, e.g. 500:lr=5, not "
                         f"{limits.shown(text)}") from None
    name = name.strip().replace("-", "_")
    step_i = limits.check_steps(step_i, "the step of a change")     # as packs cap it
    if name not in LIVE_SETTINGS:
        raise ValueError(f"{name} cannot change mid-run (only {', '.join(LIVE_SETTINGS)})")
    return step_i, name, value_f


def _check_changes(changes, config: TrainConfig) -> tuple:
    """(step, name, value) triples (lists from JSON too), each usable: sorted by step."""
    if isinstance(changes, (str, bytes)) or not isinstance(changes, (list, tuple)):
        raise ValueError(f"changes must be a list of [step, name, value], not "
                         f"{limits.shown(changes)}")
    if len(changes) > MAX_CHANGES:
        raise ValueError(f"at most {MAX_CHANGES} mid-run changes, not {len(changes)}")
    out = []
    for c in changes:
        if not isinstance(c, (list, tuple)) or len(c) != 3 or not isinstance(c[1], str):
            raise ValueError(f"a change must be [step, name, value], not {limits.shown(c)}")
        step = limits.check_int(c[0], "a change's step", 0, limits.MAX_STEPS)
        name, value = c[1], c[2]
        if name not in LIVE_SETTINGS:
            raise ValueError(f"{limits.shown(name)} cannot change mid-run (only "
                             f"{', '.join(LIVE_SETTINGS)})")
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(f"a change's value must be a number, not {limits.shown(value)}")
        dataclasses.replace(config, **{name: float(value), "changes": ()})  # in range?
        out.append((step, name, float(value)))
    return tuple(sorted(out, key=lambda c: c[0]))


def train_twins(trainer: TwinTrainer, steps: int, changes=()) -> None:
    """Run ``steps`` steps; each (step, name, value) change is applied once the step counter
    reaches its step. Stops early when both nets have diverged."""
    pending = sorted(changes, key=lambda c: c[0])
    while True:
        while pending and pending[0][0] <= trainer.step_count:
            _, name, value = pending.pop(0)
            trainer.change(name, value)
        if trainer.step_count >= steps or trainer.all_diverged:
            return
        trainer.step()


def _num(x: float) -> float | None:
    """JSON has no NaN/inf: report those as null."""
    return float(x) if np.isfinite(x) else None


def train_single(config: TrainConfig, split, batch_norm: bool = True,
                 should_stop: Callable[[], bool] | None = None) -> dict:
    """Train one network for ``config.steps`` steps; a plain JSON-able result for searches."""
    t0 = time.perf_counter()
    name = "bn" if batch_norm else "no_bn"
    trainer = TwinTrainer(config, split, runs=(name,))
    run = trainer.runs[name]
    status = "ok"
    for _ in range(config.steps):
        if should_stop is not None and should_stop():
            status = "cancelled"
            break
        trainer.step()
        if run.diverged_at is not None:
            status = "diverged"
            break
    if status == "ok" and trainer.step_count % config.eval_every:
        trainer.evaluate()
    curve = run.evals.view()
    res = trainer.summary(time.perf_counter() - t0)[name]
    res.update(status=status, curve={
        "step": curve[:, 0].astype(int).tolist(),
        "train_loss": [_num(v) for v in curve[:, 1]],
        "val_loss": [_num(v) for v in curve[:, 3]],
        "val_accuracy": [_num(v) for v in curve[:, 4]],
    })
    return res
