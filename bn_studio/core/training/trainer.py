"""Twin training: the same network with and without batch norm, from identical initial weights,
fed identical mini-batches, so any difference on screen is batch norm's doing.

``TwinTrainer.step()`` advances both nets; ``snapshot()`` returns an immutable-by-convention
summary (curves, fixed-bin histograms, percentile bands, BN statistics, frozen copies of the
nets; the dataclasses are in snapshot.py) that a GUI thread can draw without touching the
live networks.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import changes as schedule
from .. import limits
from . import params
from ..data.datasets import split_and_standardize
from ..measure.diagnostics import DiagnosticsRecorder
from ..nn.network import MLP, NetConfig
from ..nn.optim import Optimizer
from .params import DEFAULTS
from .results import loss_diverged, params_broken, run_result, trial_result
from ..measure.smoothness import net_loss_spread
from ..measure.snapshot import LayerSnapshot, RunSnapshot, Snapshot, bounded_rows
from ..measure.stats import Series, fixed_edges, histogram, off_chart, percentile_band
from .streams import BatchStream, draw_noise, live_samples, noise_rng

RUN_NAMES = ("bn", "no_bn")


@dataclass(frozen=True)
class TrainConfig:
    """Network and optimiser settings shared by both twins (only BN differs between them).
    Every field is a hyperparameter of the registry (params.py), its default included."""

    hidden: tuple[int, ...] = DEFAULTS["hidden"]
    activation: str = DEFAULTS["activation"]
    optimizer: str = DEFAULTS["optimizer"]
    lr: float = DEFAULTS["lr"]
    beta1: float = DEFAULTS["beta1"]
    beta2: float = DEFAULTS["beta2"]
    momentum: float = DEFAULTS["momentum"]
    l2: float = DEFAULTS["l2"]
    decay: float = DEFAULTS["decay"]
    batch: int = DEFAULTS["batch"]
    steps: int = DEFAULTS["steps"]
    seed: int = DEFAULTS["seed"]
    bn_decay: float = DEFAULTS["bn_decay"]
    bn_eps: float = DEFAULTS["bn_eps"]
    dtype: str = DEFAULTS["dtype"]
    eval_every: int = DEFAULTS["eval_every"]
    noisy_bn: bool = DEFAULTS["noisy_bn"]      # the BN twin only: random per-step noise after BN
    freeze_bn_affine: bool = DEFAULTS["freeze_bn_affine"]  # the BN twin only: γ = 1, β = 0
    bn_after_g: bool = DEFAULTS["bn_after_g"]          # the BN twin only: Dense → g → BN
    bn_keep_bias: bool = DEFAULTS["bn_keep_bias"]      # the BN twin only: b kept before BN
    bn_stats: str = DEFAULTS["bn_stats"]   # the BN twin only: "batch" or "train_set" statistics
    standardize: bool = DEFAULTS["standardize"]    # the inputs as the nets see them:
    x2_scale: float = DEFAULTS["x2_scale"]         # split_for() makes that split
    changes: tuple = DEFAULTS["changes"]       # (step, name, value): mid-run changes of the run

    def __post_init__(self) -> None:
        # Every field checked by its entry in core/params.py (one line per problem): a
        # million-unit layer or a negative seed is refused here, whichever way the config
        # came in, not later in the trainer.
        object.__setattr__(self, "hidden", params.check_config(self)["hidden"])
        object.__setattr__(self, "changes", schedule.check_changes(self.changes))

    def replace(self, **changes) -> TrainConfig:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["hidden"] = list(self.hidden)
        d["changes"] = [list(c) for c in self.changes]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})

    def net_config(self, input_dim: int, classes: int, batch_norm: bool) -> NetConfig:
        return NetConfig(input_dim=input_dim, hidden=self.hidden, classes=classes,
                         activation=self.activation, batch_norm=batch_norm,
                         bn_eps=self.bn_eps, bn_decay=self.bn_decay, dtype=self.dtype,
                         freeze_bn_affine=self.freeze_bn_affine, bn_after_g=self.bn_after_g,
                         bn_keep_bias=self.bn_keep_bias)

    def make_optimizer(self) -> Optimizer:
        return make_optimizer([self])


def split_for(dataset, config: TrainConfig, seed: int = 0):
    """The dataset's train/validation split as ``config``'s nets see it: standardised, or as
    it is with x₂ scaled (config.standardize, config.x2_scale)."""
    return split_and_standardize(dataset, seed=seed, standardize=config.standardize,
                                 x2_scale=config.x2_scale)


def make_optimizer(configs: list[TrainConfig]) -> Optimizer:
    """One optimizer for networks trained together (one member per config, in order), each
    with its own α, β's, λ and decay; they share the rule (``configs[0].optimizer``)."""
    column = lambda name: [getattr(c, name) for c in configs]  # noqa: E731
    return Optimizer(configs[0].optimizer, column("lr"), beta1=column("beta1"),
                     beta2=column("beta2"), momentum=column("momentum"), l2=column("l2"),
                     decay=column("decay"))


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

    def train_step(self, X: np.ndarray, y: np.ndarray, step: int,
                   rows: np.ndarray | None = None) -> None:
        """One step on the mini-batch (X, y); with ``rows``, X and y are the whole training set
        and the loss is the mini-batch ``rows``' while BN normalises with the whole set's
        statistics (bn_stats = "train_set")."""
        if self.diverged_at is not None:
            return
        with np.errstate(all="ignore"):
            if rows is None:
                loss, logits = self.net.loss_and_grads(X, y)
            else:
                loss, logits = self.net.loss_and_grads_on_rows(X, y, rows)
                y = y[rows]
        if self.first_loss is None:
            self.first_loss = loss
        if loss_diverged(loss, self.first_loss):
            self.diverged_at = step
            self.last_loss = loss
            return
        with np.errstate(all="ignore"):         # an overflowing step diverges (just below)
            self.opt.step(self.net.flat_params, self.net.flat_grads, self.net.weight_mask)
        if params_broken(self.net.flat_params):
            self.diverged_at = step
            return
        self.last_loss = loss
        self.last_batch_acc = float(np.mean(np.argmax(logits, axis=1) == y))
        self.train.append((step, loss))

    def evaluate(self, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """(loss, accuracy) in eval mode: BN uses its running statistics."""
        from ..nn.losses import softmax_cross_entropy
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
    ``diagnostics`` records the update ratios and γ/β over time (diagnostics.py, a few vector
    operations per step), for ``snapshot(diagnostics=True)``.
    """

    def __init__(self, config: TrainConfig, split, *, runs: tuple[str, ...] = RUN_NAMES,
                 history_rows: int | None = None, smoothness_every: int = 0,
                 diagnostics: bool = False) -> None:
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
        self._eval_idx = live_samples(self.y_train, self.y_val, config.seed)
        # Batches come from their own stream so both twins (and any rerun) see the same ones.
        self.batch_rows = np.arange(0)          # the training rows of the last batch drawn
        self.batches = BatchStream([config.seed], self.X_train.shape[0], config.batch)
        self.step_count = 0
        n_hidden = len(config.hidden)
        self._bands = {name: [Series(width=4, max_rows=bounded_rows(4, history_rows))
                              for _ in range(n_hidden)] for name in self.runs}
        self._running = {name: [Series(width=1 + 4 * h,
                                       max_rows=bounded_rows(1 + 4 * h, history_rows))
                                for h in config.hidden] for name in self.runs}
        self._initial_probes: dict[str, list[tuple]] = {}
        self.changes: list[tuple[int, str, float]] = []     # (step, name, value) applied
        self.smoothness_every = limits.check_int(smoothness_every, "smoothness_every", 0)
        self._pending = list(config.changes)        # the run's changes not yet applied
        self._noise_rng = noise_rng(config.seed)
        self._choose_bins()
        self.diagnostics = (DiagnosticsRecorder(self.runs, config.eval_every, history_rows,
                                                self.peek_batch()) if diagnostics else None)
        self.evaluate()

    @property
    def epoch(self) -> int:
        return self.batches.epoch

    def next_batch(self) -> tuple[np.ndarray, np.ndarray]:
        idx = self.batches.next()[0]
        self.batch_rows = idx
        return self.X_train[idx], self.y_train[idx]

    def peek_batch(self) -> tuple[np.ndarray, np.ndarray]:
        """The batch the next step will use, without drawing it."""
        b = self.batches
        state = ([rng.bit_generator.state for rng in b.rngs], b.order, b.cursor, b.epoch)
        try:
            return self.next_batch()
        finally:
            for rng, s in zip(b.rngs, state[0]):
                rng.bit_generator.state = s
            b.order, b.cursor, b.epoch = state[1:]

    def step(self) -> None:
        """One training step of every twin (after the changes due now)."""
        self.apply_due_changes()
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
                                       net_loss_spread(run.net, X, y, run.opt.lr.item())))
            t0 = time.perf_counter()
            if self.config.bn_stats == "train_set" and run.net.bn_layers:
                run.train_step(self.X_train, self.y_train, self.step_count, self.batch_rows)
            else:
                run.train_step(X, y, self.step_count)
            run.seconds += time.perf_counter() - t0
        if self.diagnostics is not None:
            self.diagnostics.after_step(self.step_count, self.runs)
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
        layers = net.bn_layers
        draws = draw_noise(self._noise_rng, [bn.params["gamma"].size for bn in layers],
                           self.X_train.dtype)
        for bn, noise in zip(layers, draws):
            bn.noise = noise

    def change(self, name: str, value: float) -> None:
        """Change one setting of both running twins without a reset (from the next step on):
        the change joins the run's ``config.changes`` at the current step and applies now.

        Only what can change mid-run: the optimizer's α, β's, L2 λ and decay, and BN's
        running-average β. Weights, optimizer state (v, s, t) and epoch carry on, so the run
        equals one that had the new value from this step. Refused (ValueError, one line) if
        the value is out of range or the setting cannot change mid-run.
        """
        if name not in params.LIVE:
            raise ValueError(f"{name} cannot change mid-run (only {', '.join(params.LIVE)}); "
                             "change it and press Reset")
        entry = (self.step_count, name, float(value))
        self.config = self.config.replace(changes=self.config.changes + (entry,))
        at = sum(1 for c in self._pending if c[0] <= self.step_count)
        self._pending.insert(at, entry)
        self.apply_due_changes()

    def apply_due_changes(self) -> None:
        """Apply the run's changes whose step the counter has reached, in order."""
        for _step, name, value in schedule.due(self._pending, self.step_count):
            self.config = self.config.replace(**{name: value})
            for run in self.runs.values():
                if name == "bn_decay":
                    for bn in run.net.bn_layers:
                        bn.decay = value
                else:                   # the optimizer's own names; lr is its initial α₀
                    run.opt.set(name, value)
            self.changes.append((self.step_count, name, value))

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

    def shift_inputs(self, offset, validation_only: bool = False) -> None:
        """Covariate shift: add a constant to every input from now on, without a reset.

        Z = (X + c)·W = X·W + c·W shifts each first-layer unit by a constant, which batch norm
        removes exactly in training (BN(Z + c) = BN(Z)); the net without BN sees new inputs.
        ``validation_only``: a shift at test time only; training never sees it, so nothing
        learns it away (BN evaluates with running averages of the unshifted inputs).
        """
        c = np.asarray(offset, dtype=self.X_train.dtype).reshape(1, -1)
        if not validation_only:
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

    @property
    def all_diverged(self) -> bool:
        return all(r.diverged_at is not None for r in self.runs.values())

    def snapshot(self, diagnostics: bool = False) -> Snapshot:
        """``diagnostics``: with the gradient diagnostics (if the trainer records them)."""
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
            runs[name] = RunSnapshot(name, run.net.packed(), run.train.view(), run.evals.view(),
                                     run.diverged_at, layers, run.last_loss,
                                     grad_norms=weight_grad_norms(run.net),
                                     smoothness=run.smoothness.view())
        snap = Snapshot(self.step_count, self.config, runs, self.z_edges, self.out_edges,
                        changes=tuple(self.changes))
        if diagnostics:
            snap.diagnostics = self.diagnostics_snapshot()
        return snap

    def diagnostics_snapshot(self) -> dict | None:
        """Every run's diagnostics.RunDiagnostics now (None unless the trainer records them)."""
        if self.diagnostics is None:
            return None
        return self.diagnostics.snapshot(self.runs, int(self.split.classes),
                                         self.config.activation, self.step_count)

    def summary(self, seconds: float = 0.0) -> dict:
        """The CLI's per-run JSON: final train loss, val loss/accuracy, steps run, divergence."""
        out = {}
        for name, run in self.runs.items():
            vl, va = run.evaluate(self.X_val, self.y_val)
            out[name] = run_result(run.last_loss, vl, va, run.diverged_at, self.step_count,
                                   seconds)
        return out


def advance(engine, steps: int, should_stop: Callable[[], bool] | None = None) -> str:
    """The one training loop (twins, a population, the CLI, the app's worker): step
    ``engine`` ``steps`` times, applying its changes as their steps come, until then or
    until every run has diverged or ``should_stop()`` says so (checked before each step).
    Returns 'ok', 'diverged' (every run) or 'cancelled'."""
    end = engine.step_count + steps
    while True:
        engine.apply_due_changes()
        if engine.all_diverged:
            return "diverged"
        if engine.step_count >= end:
            return "ok"
        if should_stop is not None and should_stop():
            return "cancelled"
        engine.step()


def weight_grad_norms(net: MLP) -> np.ndarray:
    """Frobenius norm of dW per hidden layer from the net's last backward pass (0 before any)."""
    return np.array([float(np.linalg.norm(hl.dense.grads["W"])) for hl in net.hidden])


def train_single(config: TrainConfig, split, batch_norm: bool = True,
                 should_stop: Callable[[], bool] | None = None) -> dict:
    """Train one network for ``config.steps`` steps; a plain JSON-able result for searches."""
    t0 = time.perf_counter()
    name = "bn" if batch_norm else "no_bn"
    trainer = TwinTrainer(config, split, runs=(name,))
    status = advance(trainer, config.steps, should_stop)
    if status == "ok" and trainer.step_count % config.eval_every:
        trainer.evaluate()
    summary = trainer.summary(time.perf_counter() - t0)[name]
    return trial_result(summary, status, trainer.runs[name].evals.view())
