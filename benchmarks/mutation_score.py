"""Mutation score of the non-GUI tests: how many realistic single-line bugs in bn_studio/core
they catch.

Each mutant is one text substitution in one core module, the kind of bug a person writes
(a swapped scale, a forgotten ``train=False``, a missing max shift). The tree (bn_studio/,
tests/, benchmarks/, pyproject.toml) is copied to a scratch directory per job; a mutant is
applied to the copy only, ``pytest -q -x tests/core tests/test_cli.py`` runs there, and the
original module is written back before the next mutant. Before any test runs, every mutant is
applied once: a missing or ambiguous pattern, a missing module or a mutated module that is not
valid Python is listed (all of them, by name) and the script exits with status 2: the list must
be updated when the code changes, never silently skipped (``--check`` does only this).

A kill counts only if the failing test also fails alone (twice) with the mutant and passes alone
without it; otherwise that test is set aside and the suite runs again (timing tests can fail on
a loaded machine). NOT_CREDITED tests are left out of every run.

Prints one JSON object: total, killed, survived (names), score, seconds.
Usage: python benchmarks/mutation_score.py [--jobs 2] [--only NAME ...] [--list] [--check]
Slow (every surviving mutant runs the whole non-GUI suite); not meant for CI.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = ("tests/core", "tests/test_cli.py")
COPIED = ("bn_studio", "resources", "tests", "benchmarks", "pyproject.toml", "README.md")
# (tests run benchmark scripts; the claim tests read README.md and the lesson packs)
MUTANT_TIMEOUT_S = 300       # a hang counts as killed (the per-test timeout is shorter)
# Never credited with a kill: on a loaded machine it fails without any mutant (a SIGINT can
# reach a search worker that is still starting, before it ignores SIGINT), often enough to
# pass the fails-alone-twice check below. It tests process handling, no core arithmetic.
NOT_CREDITED = ("tests/core/test_search.py::test_ctrl_c_cancels_the_cli_search_cleanly",)


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str            # relative to bn_studio/core
    old: str
    new: str
    nth: int | None = None      # which occurrence, when ``old`` occurs more than once

    def apply(self, text: str) -> str:
        count = text.count(self.old)
        if count == 0:
            raise PatternError(f"mutant {self.name}: pattern not found in {self.path}: "
                               f"{self.old!r}")
        if count > 1 and self.nth is None:
            raise PatternError(f"mutant {self.name}: pattern occurs {count}× in {self.path}; "
                               "give nth")
        k = self.nth or 1
        if k > count:
            raise PatternError(f"mutant {self.name}: occurrence {k} of {count} wanted in "
                               f"{self.path}")
        at = -1
        for _ in range(k):
            at = text.index(self.old, at + 1)
        return text[:at] + self.new + text[at + len(self.old):]


class PatternError(ValueError):
    """A mutant that no longer applies to the code: the list needs updating."""


M = Mutant
MUTANTS = (
    # Batch norm (layers.py)
    M("bn_running_var_biased", "nn/layers.py",
      "(1.0 - d) * (n / (n - 1.0)) * var", "(1.0 - d) * var"),
    M("bn_decay_swapped", "nn/layers.py", "d = self.decay", "d = 1.0 - self.decay"),
    M("bn_eps_outside_sqrt_train", "nn/layers.py",
      "1.0 / np.sqrt(var + self.eps)", "1.0 / (np.sqrt(var) + self.eps)"),
    M("bn_eps_outside_sqrt_eval", "nn/layers.py",
      "np.sqrt(self.running_var + self.eps)", "(np.sqrt(self.running_var) + self.eps)"),
    M("bn_eval_uses_batch_stats", "nn/layers.py", "if not train:", "if False:"),
    M("bn_normalise_with_unbiased_var", "nn/layers.py",
      "var = np.add.reduce(sq, axis=0) * (1.0 / n)",
      "var = np.add.reduce(sq, axis=0) * (1.0 / (n - 1))"),
    M("bn_running_mean_frozen", "nn/layers.py",
      "self.running_mean += (1.0 - d) * mu", "self.running_mean += (1.0 - d) * 0.0"),
    M("bn_backward_no_mean_term", "nn/layers.py", "dz -= dbeta", "dz -= 0.0"),
    M("bn_backward_no_var_term", "nn/layers.py", "dz = z_norm * dgamma", "dz = z_norm * 0.0"),
    M("bn_backward_no_n_factor", "nn/layers.py",
      "np.subtract(n * dout, dz, out=dz)", "np.subtract(dout, dz, out=dz)"),
    M("bn_backward_no_gamma", "nn/layers.py",
      'scale = self.params["gamma"] * inv_std * (1.0 / n)', "scale = inv_std * (1.0 / n)"),
    M("bn_dgamma_without_znorm", "nn/layers.py",
      "np.add.reduce(dout * z_norm, axis=0", "np.add.reduce(dout, axis=0"),
    M("bn_batch_of_one_allowed", "nn/layers.py", "if n < 2:", "if n < 1:"),
    # Dense, activations, initialisation
    M("init_he_xavier_swapped", "nn/layers.py",
      '(2.0 if init == "he" else 1.0)', '(1.0 if init == "he" else 2.0)'),
    M("init_fan_out", "nn/layers.py", "/ in_dim)", "/ out_dim)"),
    M("init_always_he", "nn/network.py",
      '"he" if config.activation == "relu" else "xavier"', '"he"'),
    M("relu_backward_no_mask", "nn/layers.py", "return dout * self._mask", "return dout"),
    M("tanh_backward_wrong", "nn/layers.py", "(1.0 - self._a * self._a)", "(1.0 - self._a)"),
    M("sigmoid_negative_branch", "nn/layers.py", "e / (1.0 + e)", "1.0 / (1.0 + e)"),
    # Losses
    M("softmax_no_max_shift", "nn/losses.py",
      "shifted = z - z.max(axis=-1, keepdims=True)", "shifted = z"),
    M("softmax_parts_no_max_shift", "nn/losses.py",
      "t = np.exp(z - z.max(axis=1, keepdims=True))", "t = np.exp(z)"),
    M("cross_entropy_no_max_shift", "nn/losses.py",
      "m = z.max(axis=1, keepdims=True)", "m = np.zeros((z.shape[0], 1))"),
    M("cross_entropy_sum_not_mean", "nn/losses.py",
      "loss = float(np.mean(", "loss = float(np.sum("),
    M("cross_entropy_grad_not_mean", "nn/losses.py", "dz *= 1.0 / n", "dz *= 1.0"),
    # Optimizers (optim.py: the rules every engine calls)
    M("adam_no_first_bias_correction", "nn/optim.py", 'c1 = h.correction("beta1")', "c1 = 1.0"),
    M("adam_no_second_bias_correction", "nn/optim.py", 'c2 = h.correction("beta2")', "c2 = 1.0"),
    M("ewma_not_weighted", "nn/optim.py", "np.multiply(x, keep, out=out)",
      "np.multiply(x, 1.0, out=out)"),
    M("ewma_average_not_decayed", "nn/optim.py", "    avg *= b\n", "    avg *= 1.0\n"),
    M("momentum_reads_beta1", "nn/optim.py", 'ewma(v, g, h, "momentum", out=step)',
      'ewma(v, g, h, "beta1", out=step)'),
    M("nesterov_is_plain_momentum", "nn/optim.py",
      '    np.multiply(v, h.factors("momentum")[0], out=step)\n    step += new\n',
      "    np.multiply(v, 1.0, out=step)\n"),
    M("adam_first_moment_not_ewma", "nn/optim.py", 'ewma(v, g, h, "beta1", out=step)', "v += g"),
    M("rmsprop_no_sqrt", "nn/optim.py", "np.sqrt(s, out=denom)", "np.copyto(denom, s)", nth=1),
    M("adam_eps_inside_correction", "nn/optim.py",
      "    denom *= 1.0 / np.sqrt(c2)\n    denom += h.eps\n",
      "    denom += h.eps\n    denom *= 1.0 / np.sqrt(c2)\n"),
    M("lr_decay_formula_ignored", "nn/optim.py",
      "self._lr = self.lr0 / (1.0 + self.decay * self.epoch)", "self._lr = self.lr0"),
    M("alpha_kept_across_epochs", "nn/optim.py",
      "if self._alpha_epoch != self.epoch:", "if self._alpha_epoch is None:"),
    M("changed_setting_keeps_old_factors", "nn/optim.py",
      '[rows] = value\n        self._changed()\n', '[rows] = value\n'),
    M("l2_mask_ignored", "nn/optim.py",
      "np.multiply(w, 1.0 if weight_mask is None else weight_mask,", "np.multiply(w, 1.0,"),
    M("l2_sign_flipped", "nn/optim.py", "return np.add(g, decay, out=decay)",
      "return np.subtract(g, decay, out=decay)"),
    # Network
    M("l2_mask_covers_gamma_beta", "nn/network.py", 'if k == "W":', 'if k != "b":'),
    M("l2_mask_covers_everything", "nn/network.py",
      "self.weight_mask = np.zeros(total", "self.weight_mask = np.ones(total"),
    M("eval_overwrites_probes", "nn/network.py",
      "            if train:\n", "            if True:\n"),
    M("predict_proba_train_mode", "nn/network.py",
      "dtype=self.flat_params.dtype), train=False))",
      "dtype=self.flat_params.dtype), train=True))"),
    M("logits_default_train_mode", "nn/network.py",
      "def logits(self, X: np.ndarray, train: bool = False)",
      "def logits(self, X: np.ndarray, train: bool = True)"),
    M("clone_shares_running_stats", "nn/network.py",
      "= hl.bn.running_mean.copy()\n                bn.running_var = hl.bn.running_var.copy()",
      "= hl.bn.running_mean\n                bn.running_var = hl.bn.running_var"),
    M("assigned_params_not_synced", "nn/network.py",
      "        self.sync_params()\n        logits", "        logits", nth=1),
    M("pickle_drops_running_stats", "nn/network.py",
      "bn.running_mean[...], bn.running_var[...] = rm, rv", "pass"),
    # Trainer
    M("evaluate_in_train_mode", "training/trainer.py",
      "logits = self.net.forward(X[i:i + step], train=False)",
      "logits = self.net.forward(X[i:i + step], train=True)"),
    M("val_curve_on_train_split", "training/trainer.py",
      'vl, va = run.evaluate(*self._live_rows("val"))',
      'vl, va = run.evaluate(*self._live_rows("train"))'),
    M("summary_val_on_train_split", "training/trainer.py",
      "vl, va = run.evaluate(self.X_val, self.y_val)",
      "vl, va = run.evaluate(self.X_train, self.y_train)"),
    M("lr_decay_never_told_epoch", "training/trainer.py",
      "run.opt.epoch = self.epoch", "run.opt.epoch = 0"),
    M("epoch_never_counted", "training/streams.py", "self.epoch += 1", "self.epoch += 0"),
    M("divergence_factor_1e10", "training/results.py",
      "DIVERGENCE_FACTOR = 1e6", "DIVERGENCE_FACTOR = 1e10"),
    M("divergence_factor_1e2", "training/results.py",
      "DIVERGENCE_FACTOR = 1e6", "DIVERGENCE_FACTOR = 1e2"),
    M("divergence_ignores_nan_loss", "training/results.py",
      "return ~np.isfinite(loss) | (loss >", "return (loss >"),
    M("batches_never_shuffled", "training/streams.py",
      "np.stack([rng.permutation(self.n) for rng in self.rngs])",
      "np.stack([np.arange(self.n) for rng in self.rngs])"),
    M("batches_shuffled_once", "training/streams.py", "self.order = (np.stack(",
      "self.order = self.order if self.order.shape[1] else (np.stack("),
    M("batches_overlap", "training/streams.py", "self.cursor += self.batch",
      "self.cursor += self.batch - 1"),
    M("changes_due_at_the_end_not_applied", "training/trainer.py",
      "        engine.apply_due_changes()\n        if engine.all_diverged:",
      "        if engine.all_diverged:"),
    M("bands_of_z_not_z_tilde", "training/trainer.py",
      "shown = z_tilde if z_tilde is not None else z", "shown = z"),
    M("snapshot_net_not_frozen", "nn/network.py",
      "return PackedNet(self.config, self.flat_params.copy(),",
      "return PackedNet(self.config, self.flat_params,"),
    M("snapshot_out_hist_of_z", "training/trainer.py",
      "histogram(z_tilde, self.out_edges[i])", "histogram(z, self.out_edges[i])"),
    M("train_single_skips_final_eval", "training/trainer.py",
      'if status == "ok" and trainer.step_count % config.eval_every:', "if False:"),
    M("steps_run_counts_diverged_step", "training/results.py",
      "return (diverged_at - 1) if diverged_at else step",
      "return diverged_at if diverged_at else step"),
    # Statistics
    M("bands_25_50_75", "measure/stats.py",
      "BAND_PERCENTILES = (15.0, 50.0, 85.0)", "BAND_PERCENTILES = (25.0, 50.0, 75.0)"),
    M("histogram_not_density", "measure/stats.py",
      "counts /= v.size * np.diff(edges)", "counts /= v.size"),
    # Search (core/search/)
    M("trial_ignores_its_seed", "search/trials.py",
      "train_single(config.replace(seed=int(seed)), split", "train_single(config, split"),
    M("trial_ignores_bn_choice", "search/trials.py",
      "split, batch_norm=bn)", "split, batch_norm=True)"),
    M("best_result_worst", "search/trials.py", "min(ok, key=", "max(ok, key="),
    M("log_scale_sampled_uniformly", "search/space.py",
      "return [float(v) for v in self.from_unit(rng.uniform(a, b, n))]",
      "return [float(v) for v in rng.uniform(float(self.low), float(self.high), n)]"),
    M("one_minus_log_sign", "search/space.py",
      "return -np.log10(1.0 - v)", "return np.log10(1.0 - v)"),
    M("int_scale_excludes_high", "search/space.py",
      "int(self.high) + 1, n)", "int(self.high), n)"),
    M("pow2_excludes_high", "search/space.py",
      "int(math.log2(self.high)) + 1, n)", "int(math.log2(self.high)), n)"),
    M("trial_seeds_all_equal", "search/runner.py",
      ".integers(0, 2**31 - 1, len(params))", ".integers(0, 1, len(params))"),
    M("narrow_keeps_worst", "search/space.py",
      "key=lambda r: r.val_loss)[:top_k]", "key=lambda r: r.val_loss)[-top_k:]"),
    M("resume_reruns_finished", "search/runner.py",
      "earlier = [r for r in self.store.results() if r.finished] if resume else []",
      "earlier = []"),
    M("resume_skips_cancelled_and_failed", "search/store.py",
      "\"('ok', 'diverged')\")}", "\"('ok', 'diverged', 'failed', 'cancelled')\")}"),
    # Trials trained together (batched.py, population.py)
    M("batched_bn_backward_drops_mean_term", "nn/batched.py", "    d -= c_0\n", "\n"),
    M("batched_bn_backward_dgamma_without_inv_std", "nn/batched.py",
      "np.multiply(s, inv_std, out=dgamma)", "np.copyto(dgamma, s)"),
    M("batched_bn_eps_outside_sqrt", "nn/batched.py", "inv_std = var + eps", "inv_std = var + 0.0"),
    M("batched_eval_ignores_running_mean", "nn/batched.py", "- rm[rows] * s))", "))"),
    M("population_noise_at_padded_width", "training/population.py",
      "draw_noise(self._noise[m], self.true_widths[m],", "draw_noise(self._noise[m], self.widths,"),
    M("population_noise_not_in_backward", "training/population.py",
      "                d *= noise_scale\n", "                pass\n"),
    M("population_changes_ignored", "training/population.py",
      "                    self.opt.set(name, value, r)\n", "                    pass\n"),
    M("population_bn_decay_change_not_recast", "training/population.py",
      "        if recast:\n", "        if False:\n"),
    M("population_running_var_biased", "training/population.py",
      "(n / max(n - 1.0, 1.0))", "1.0"),
    M("population_sigmoid_padding_unmasked", "training/population.py",
      'if padded and self.act_name == "sigmoid" else None', "if False else None"),
    # The softmax inspector (softmax_parts.py)
    M("inspector_shift_ignored", "nn/softmax_parts.py",
      "u = (z + float(c)) / T", "u = z / T"),
    M("temperature_ignored", "nn/softmax_parts.py", "return softmax(z / T)", "return softmax(z)"),
    M("temperature_multiplies", "nn/softmax_parts.py", "return softmax(z / T)",
      "return softmax(z * T)"),
    M("loss_gradient_sign_flipped", "nn/softmax_parts.py",
      "return softmax(z) - one_hot(y, z.size)", "return one_hot(y, z.size) - softmax(z)"),
    # Smoothness (smoothness.py)
    M("spread_first_to_last", "measure/smoothness.py",
      "return float(losses.max() - losses.min())", "return float(losses[-1] - losses[0])"),
    M("spread_probe_drops_noise", "measure/smoothness.py",
      "dst.noise = src.noise", "dst.noise = None"),
    # Decision grid (grid.py) and unit pictures (unit_maps.py)
    M("grid_margin_one_side", "measure/grid.py",
      "lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin",
      "lo, hi = X.min(axis=0), X.max(axis=0) + margin"),
    M("grid_axes_swapped", "measure/grid.py",
      "np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))",
      "np.meshgrid(np.linspace(y0, y1, resolution), np.linspace(x0, x1, resolution))"),
    M("grid_chunks_from_the_start", "measure/grid.py",
      "pts[i:i + GRID_CHUNK_ROWS]", "pts[i:GRID_CHUNK_ROWS]"),
    M("grid_chunks_skip_the_last", "measure/grid.py",
      "for i in range(0, len(pts), GRID_CHUNK_ROWS):",
      "for i in range(0, len(pts) - GRID_CHUNK_ROWS, GRID_CHUNK_ROWS):"),
    M("grid_passes_read_the_training_nets", "measure/grid.py",
      "twins = {name: net.clone() for name, net in nets.items()}", "twins = dict(nets)"),
    M("unit_maps_not_transposed", "measure/unit_maps.py",
      "a[:, :k].T.reshape(k, resolution, resolution)",
      "a[:, :k].reshape(k, resolution, resolution)"),
    M("unit_maps_bn_in_train_mode", "measure/unit_maps.py",
      "z = hl.bn.forward(z, train=False)", "z = hl.bn.forward(z, train=True)"),
    # Replay ring (replay.py)
    M("ring_thinning_drops_first", "measure/replay.py",
      "kept = self._frames[::2]", "kept = self._frames[1::2]"),
    M("ring_never_thinned", "measure/replay.py",
      "if len(frames) > self.capacity:", "if False:"),
    M("ring_ignores_byte_budget", "measure/replay.py",
      "self.capacity = max(MIN_FRAMES, min(self.max_frames, int(fit)) // 2 * 2)",
      "self.capacity = self.max_frames"),
    M("ring_gap_never_grows", "measure/replay.py",
      "self.gap = max(2 * self.gap, int(np.ceil(span / max(1, len(kept) - 1))))",
      "self.gap = 1"),
    # Hyperparameter registry (params.py)
    M("open_bound_accepts_itself", "training/params.py",
      "(v <= p.low if p.open_low else v < p.low)", "(v < p.low)"),
    M("lr_searched_linearly", "training/params.py",
      'low=0.0, open_low=True, scale="log", search=(1e-4, 1.0)',
      'low=0.0, open_low=True, scale="linear", search=(1e-4, 1.0)'),
    M("beta_searched_linearly", "training/params.py",
      'open_high=True, scale="one_minus_log", live=True',
      'open_high=True, scale="linear", live=True'),
    # Fast CSV reader (csv_io.py)
    M("csv_fast_keeps_missing_labels", "data/csv_io.py",
      "keep = (codes >= 0) & both.ravel()", "keep = both.ravel()"),
    M("csv_fast_labels_not_stripped", "data/csv_io.py",
      'text = value.decode("ascii").strip()', 'text = value.decode("ascii")'),
    M("csv_fast_header_not_skipped", "data/csv_io.py",
      "for _ in range(self.skip):", "for _ in range(0):"),
    M("csv_bytes_point_read_as_digit", "data/csv_bytes.py",
      "    if point:       # drop the zero digit", "    if False:       # drop the zero digit"),
    M("csv_bytes_sign_ignored", "data/csv_bytes.py",
      "x.view(np.uint64)[...] |= ", "x.view(np.uint64)[...] |= 0 * "),
    # Noisy BN (layers.py, trainer.py)
    M("noisy_bn_backward_skips_scale", "nn/layers.py",
      "dout = dout * noise[0]", "dout = dout"),
    M("noisy_bn_shift_scaled_too", "nn/layers.py",
      "            out *= scale\n            out += shift\n",
      "            out += shift\n            out *= scale\n"),
    M("noisy_bn_switched_off", "training/streams.py",
      "NOISE_SCALE, NOISE_SHIFT = 0.5, 0.5", "NOISE_SCALE, NOISE_SHIFT = 0.0, 0.0"),
    # Datasets and lessons
    M("val_standardised_with_its_own_stats", "data/datasets.py",
      "(ds.X[va] - mean) / std", "(ds.X[va] - ds.X[va].mean(axis=0)) / ds.X[va].std(axis=0)"),
    M("lesson_train_vs_eval_on_live_net", "lessons/numbers.py",
      "    net = net.clone()\n", "    net = net\n", nth=1),
)


def make_copy(dest: Path) -> Path:
    for name in COPIED:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(src, dest / name)
    # The package data (lesson packs) inside the copied package: otherwise the editable
    # install's finder maps bn_studio.resources to the original tree's, which can change
    # while the mutants run.
    shutil.copytree(ROOT / "resources", dest / "bn_studio" / "resources",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    # Compiled once, so each test run's subprocesses start as fast as usual; a mutated module
    # gets another mtime, so its stale .pyc is never used (and no new .pyc is ever written).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(dest / "bn_studio")],
                   check=True)
    return dest


RUNNING: set[subprocess.Popen] = set()     # killed (with their process groups) on exit


def run_tests(tree: Path, tests: tuple[str, ...]) -> tuple[int | None, float, str]:
    """(pytest exit status or None on timeout, seconds, first failing test) in ``tree``, which
    shadows the installed package."""
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1",
           "QT_QPA_PLATFORM": "offscreen"}
    cmd = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
           "--timeout", "60", *tests]
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        p = subprocess.Popen(cmd, cwd=tree, env=env, stdout=out, stderr=subprocess.STDOUT,
                             start_new_session=True)
        RUNNING.add(p)
        try:
            code = p.wait(timeout=MUTANT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            code = None
        finally:
            RUNNING.discard(p)
        out.seek(0)
        failed = [line.split(" - ")[0] for line in out.read().splitlines()
                  if line.startswith(("FAILED ", "ERROR "))]
    return code, time.perf_counter() - t0, failed[0] if failed else ""


def check_all_apply(mutants) -> list[str]:
    """Every mutant that does not apply: its pattern is missing or ambiguous, its module is
    gone, or the mutated module is no longer valid Python (a syntax error would be "killed"
    by any test without saying anything about the tests). Checked before any test runs."""
    problems = []
    for m in mutants:
        path = ROOT / "bn_studio" / "core" / m.path
        try:
            mutated = m.apply(path.read_text(encoding="utf-8"))
            compile(mutated, str(path), "exec")
        except FileNotFoundError:
            problems.append(f"mutant {m.name}: no module {m.path} in bn_studio/core")
        except PatternError as e:
            problems.append(str(e))
        except SyntaxError as e:
            problems.append(f"mutant {m.name}: the mutated {m.path} is not valid Python "
                            f"(line {e.lineno}: {e.msg})")
    return problems


class Applied:
    """A mutant applied to one copy of the tree; ``set(False)`` puts the original back.

    The mutated module gets another mtime, so the original's .pyc is never used for it."""

    def __init__(self, tree: Path, m: Mutant | None) -> None:
        self.tree, self.m = tree, m
        if m is not None:
            self.target = tree / "bn_studio" / "core" / m.path
            self.original = self.target.read_text(encoding="utf-8")
            self.stat = self.target.stat()

    def set(self, on: bool) -> None:
        if self.m is None:
            return
        self.target.write_text(self.m.apply(self.original) if on else self.original,
                               encoding="utf-8")
        mtime = self.stat.st_mtime_ns + (10**10 if on else 0)
        os.utime(self.target, ns=(self.stat.st_atime_ns, mtime))


def fails_because_of_mutant(applied: Applied, test: str) -> tuple[bool, float]:
    """Whether ``test`` fails alone twice with the mutant and passes alone without it."""
    total = 0.0
    for on in (True, True, False):
        applied.set(on)
        code, secs, _ = run_tests(applied.tree, (test,))
        total += secs
        if (code != 0) != on:
            applied.set(True)
            return False, total
    applied.set(True)
    return True, total


def verdict(applied: Applied, tests: tuple[str, ...]) -> tuple[str | None, float]:
    """(the test that kills the applied mutant, or None if it survives; seconds).

    Some tests time real processes and can fail on a loaded machine, so a kill counts only if
    its test fails alone (twice) with the mutant and passes alone without it; otherwise the
    suite runs again without that test."""
    deselected = [a for t in NOT_CREDITED for a in ("--deselect", t)]
    total = 0.0
    while True:
        code, secs, first = run_tests(applied.tree, (*tests, *deselected))
        total += secs
        if code in (3, 4, 5):       # internal/usage error, nothing collected: not a verdict
            raise RuntimeError(f"pytest could not run (exit status {code})")
        if code == 0:
            return None, total
        if code is None:
            return "timeout", total
        if not first.startswith("FAILED "):         # a collection or import error ...
            if applied.m is not None:               # ... the mutant's, not the tree's
                applied.set(False)
                code, secs, again = run_tests(applied.tree, (first.removeprefix("ERROR "),))
                applied.set(True)
                total += secs
                if code != 0:
                    raise RuntimeError(f"the tree fails without any mutant: {again or code}")
            return first or f"exit status {code}", total
        test = first.removeprefix("FAILED ")
        if applied.m is not None:
            real, secs = fails_because_of_mutant(applied, test)
        else:                                       # the baseline: fails alone too?
            code, secs, _ = run_tests(applied.tree, (test,))
            real = code != 0
        total += secs
        if real:
            return test, total
        print(f"  {applied.m.name if applied.m else 'baseline'}: {test} is flaky here, "
              "running again without it", file=sys.stderr, flush=True)
        deselected += ["--deselect", test]
        if len(deselected) > 2 * len(NOT_CREDITED) + 6:
            raise RuntimeError("three flaky tests: is the machine overloaded?")


def worker(tree: Path, todo: queue.Queue, results: dict, tests) -> None:
    while True:
        try:
            m = todo.get_nowait()
        except queue.Empty:
            return
        applied = Applied(tree, m)
        try:
            applied.set(True)
            killer, secs = verdict(applied, tests)
        except RuntimeError as e:
            print(f"mutant {m.name}: {e}", file=sys.stderr, flush=True)
            return
        finally:
            applied.set(False)
        results[m.name] = killer
        print(f"{m.name}: {'killed by ' + killer if killer else 'SURVIVED'} in {secs:.0f} s",
              file=sys.stderr, flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=1, help="parallel copies of the tree")
    ap.add_argument("--only", nargs="+", metavar="NAME", help="run only these mutants")
    ap.add_argument("--list", action="store_true", help="list the mutants and exit")
    ap.add_argument("--check", action="store_true",
                    help="only check that every mutant applies (exit status 2 if not)")
    ap.add_argument("--tests", nargs="+", default=list(TESTS), help="test paths to run")
    args = ap.parse_args(argv)
    names = [m.name for m in MUTANTS]
    assert len(set(names)) == len(names), "mutant names must be unique"
    mutants = [m for m in MUTANTS if not args.only or m.name in args.only]
    if args.only and len(mutants) != len(set(args.only)):
        print(f"unknown mutant(s): {sorted(set(args.only) - set(names))}", file=sys.stderr)
        return 2
    if args.list:
        for m in mutants:
            print(f"{m.name}\t{m.path}")
        return 0
    problems = check_all_apply(mutants)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        print(f"{len(problems)} of {len(mutants)} mutants do not apply: update MUTANTS "
              "(same intent, at the code's new home) before measuring", file=sys.stderr)
        return 2
    if args.check:
        print(f"all {len(mutants)} mutants apply", file=sys.stderr)
        return 0
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bn-mutants-") as tmp:
        trees = [make_copy(Path(tmp) / f"tree{i}") for i in range(max(1, args.jobs))]
        failing, secs = verdict(Applied(trees[0], None), tuple(args.tests))
        if failing:
            print(f"the unmutated tests do not pass ({failing}); fix them first",
                  file=sys.stderr)
            return 1
        print(f"baseline passes in {secs:.0f} s", file=sys.stderr, flush=True)
        todo: queue.Queue = queue.Queue()
        for m in mutants:
            todo.put(m)
        results: dict[str, str | None] = {}     # name → first failing test, None: survived
        threads = [threading.Thread(target=worker, args=(t, todo, results, tuple(args.tests)),
                                    daemon=True) for t in trees]
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        try:
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        finally:                    # also on Ctrl-C / SIGTERM: leave no pytest running
            for p in list(RUNNING):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGKILL)
    if len(results) != len(mutants):
        print("a worker stopped early (see above)", file=sys.stderr)
        return 1
    survived = [m.name for m in mutants if results[m.name] is None]
    killed = len(mutants) - len(survived)
    print(json.dumps({"total": len(mutants), "killed": killed, "survived": survived,
                      "score": round(killed / len(mutants), 4),
                      "seconds": round(time.perf_counter() - t0, 1),
                      "killed_by": {m.name: results[m.name] for m in mutants
                                    if results[m.name] is not None}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
