"""Every claim a lesson, hint or help text makes, re-run with the core over several seeds.

Prints ONE JSON object: per claim, where it is made, the sentence, in how many seeds it holds
(``share``) and the numbers measured. A claim holding in fewer than 8 of 10 seeds must be
reworded or its experiment changed. The seed is the training seed (initial weights, batch
order, search draws); the datasets are the lessons' own.
Usage: python benchmarks/lesson_claims.py [--seeds 10] [--only L4]   (~2.5 CPU-minutes for 10 seeds)
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time

import numpy as np

from bn_studio.core import lessons as L
from bn_studio.core.datasets import make_dataset, split_and_standardize
from bn_studio.core.layers import BatchNorm
from bn_studio.core.lesson_pack import LESSON_DEFAULTS
from bn_studio.core.losses import softmax, softmax_cross_entropy
from bn_studio.core.search import SearchSpec, best_result, run_trial
from bn_studio.core.trainer import TrainConfig, TwinTrainer, train_single, weight_grad_norms

CLAIMS: list[tuple[str, str, str, callable]] = []     # (id, where, sentence, fn(seed) → (ok, nums))


def claim(cid: str, where: str, sentence: str):
    def register(fn):
        CLAIMS.append((cid, where, sentence, fn))
        return fn
    return register


def lesson_split(les: L.Lesson):
    return split_and_standardize(make_dataset(**les.dataset, seed=0))


def lesson_config(les: L.Lesson, **changes) -> TrainConfig:
    return TrainConfig(**{**LESSON_DEFAULTS, **les.config, **changes})


_cache: dict = {}


def cached(key, fn):
    if key not in _cache:
        _cache[key] = fn()
    return _cache[key]


# Lesson 1
GVR = L.lesson("grid_vs_random")


def gvr_base() -> TrainConfig:
    return lesson_config(GVR, steps=150, eval_every=50)


def gvr_searches(seed: int) -> dict:
    """Both searches of lesson 1 exactly as the panel runs them, with search seed ``seed``."""
    def run():
        split = cached("gvr_split", lambda: lesson_split(GVR))
        out = {}
        for strategy in ("grid", "random"):
            spec = SearchSpec(L.GRID_VS_RANDOM_SPACE, 25, gvr_base(), seed=seed,
                              strategy=strategy)
            out[strategy] = [run_trial(split, gvr_base(), i, s, p) for i, s, p in spec.plan()]
        return out
    return cached(("gvr", seed), run)


def best_alpha() -> float:
    """α with the lowest mean validation loss over 10 training seeds on a fine log sweep."""
    def run():
        split = cached("gvr_split", lambda: lesson_split(GVR))
        lrs = 10.0 ** np.linspace(-1, 1, 21)
        mean = [np.mean([_loss(train_single(gvr_base().replace(lr=float(a), seed=s), split))
                         for s in range(10)]) for a in lrs]
        return float(lrs[int(np.argmin(mean))])
    return cached("alpha_star", run)


def _loss(res) -> float:
    return res["val_loss"] if res["val_loss"] is not None else math.inf


@claim("L1.distinct", "lesson 1 intro",
       "A 5 × 5 grid spends 25 trials on only 5 values of α; 25 random trials try 25.")
def _(seed):
    p = L.grid_vs_random_plans(25, seed)
    nums = {"grid_alpha": p["grid_distinct"]["lr"], "random_alpha": p["random_distinct"]["lr"]}
    return nums["grid_alpha"] == 5 and nums["random_alpha"] == 25, nums


@claim("L1.best_alpha", "lesson 1 steps/answer",
       "The best α is about 1 here; the grid's nearest values are 0.56 and 10.")
def _(seed):
    split = cached("gvr_split", lambda: lesson_split(GVR))
    lrs = 10.0 ** np.linspace(-1, 1, 13)
    losses = [_loss(train_single(gvr_base().replace(lr=float(a), seed=seed), split))
              for a in lrs]
    a = float(lrs[int(np.argmin(losses))])
    grid = sorted({t["lr"] for t in L.GRID_VS_RANDOM_SPACE.grid(25)})
    return 0.5 <= a <= 2.2, {"best_alpha_this_seed": round(a, 3),
                             "best_alpha_mean_of_10_seeds": round(best_alpha(), 3),
                             "grid_alpha": [float(f"{g:.3g}") for g in grid]}


@claim("L1.random_wins", "lesson 1 answer",
       "Random search usually finds the lower validation loss (not always).")
def _(seed):
    s = gvr_searches(seed)
    g, r = best_result(s["grid"]), best_result(s["random"])
    return r["val_loss"] < g["val_loss"], {
        "grid_best_loss": round(g["val_loss"], 4), "grid_best_alpha": round(g["params"]["lr"], 3),
        "random_best_loss": round(r["val_loss"], 4),
        "random_best_alpha": round(r["params"]["lr"], 3)}


@claim("L1.random_nearer", "lesson 1 answer",
       "Some of random search's 25 values of α land nearer the best α than any grid value.")
def _(seed):
    a_star = math.log10(best_alpha())
    dist = {k: min(abs(math.log10(t["lr"]) - a_star) for t in plan) for k, plan in
            (("grid", L.GRID_VS_RANDOM_SPACE.grid(25)),
             ("random", L.GRID_VS_RANDOM_SPACE.sample(25, seed)))}
    return dist["random"] < dist["grid"], {f"{k}_nearest_decades": round(v, 3)
                                           for k, v in dist.items()}


@claim("L1.decay_barely_matters", "lesson 1 intro",
       "The learning-rate decay (0 … 0.001 per epoch) barely changes anything in 150 steps.")
def _(seed):
    split = cached("gvr_split", lambda: lesson_split(GVR))
    losses = [_loss(train_single(gvr_base().replace(lr=1.0, decay=d, seed=seed), split))
              for d in (0.0, 1e-3)]
    diff = abs(losses[1] - losses[0])
    return diff < 0.01, {"val_loss_decay_0": round(losses[0], 4),
                         "val_loss_decay_0.001": round(losses[1], 4), "diff": round(diff, 5)}


# Lesson 2
@claim("L2.shares", "lesson 2 intro and label",
       "Uniform α in 1e-4 … 1 puts ~90 % in 0.1 … 1, log a quarter per decade; β ≥ 0.99: "
       "~9 % linear vs ~50 % with 1 − β on a log scale.")
def _(seed):
    c = L.scale_comparison(1000, seed)
    log = [s for *_, s in c["lr_log"]]
    ok = (0.85 <= c["lr_uniform"][-1][2] <= 0.95 and all(0.2 <= s <= 0.3 for s in log)
          and 0.06 <= c["beta_linear_ge_099"] <= 0.12 and 0.45 <= c["beta_log_ge_099"] <= 0.55)
    return ok, {"uniform_0.1_1": c["lr_uniform"][-1][2], "log_per_decade": log,
                "beta_ge_0.99_linear": c["beta_linear_ge_099"],
                "beta_ge_0.99_log": c["beta_log_ge_099"]}


# Lesson 3
@claim("L3.identity", "lesson 3 answer",
       "With γ = √(σ² + ε) and β = μ, z̃ = z exactly.")
def _(seed):
    z = np.random.default_rng(seed).normal(3.0, 2.0, 64)
    v = L.bn_by_hand(z)
    err = float(np.abs(L.bn_by_hand(z, v["identity_gamma"], v["identity_beta"])["z_tilde"]
                       - z).max())
    return err < 1e-8, {"max_abs_error": err}


@claim("L3.batch_noise", "lesson 3 answer",
       "μ and σ² come from the mini-batch, so they add noise, more for small batches "
       "(std of a batch mean at m = 8 > 2× that at m = 128).")
def _(seed):
    split = cached("bn_split", lambda: lesson_split(L.lesson("bn_by_hand")))
    rng = np.random.default_rng(seed)
    x = split.X_train[:, 0]
    sd = {m: float(np.std([x[rng.choice(x.size, m, replace=False)].mean()
                           for _ in range(400)])) for m in (8, 128)}
    return sd[8] > 2 * sd[128], {"std_of_batch_mean_m8": round(sd[8], 4),
                                 "std_of_batch_mean_m128": round(sd[128], 4)}


@claim("L3.regularises", "lesson 3 answer",
       "A slight regularising effect: on 200 noisy moons (64 × 64 ReLU, Adam, 1000 steps) the "
       "net with BN overfits less than its twin (smaller validation − training loss gap) at "
       "batch 8 and at batch 128.")
def _(seed):
    split = cached("reg_split", lambda: split_and_standardize(
        make_dataset("moons", n=200, noise=0.35, seed=0)))
    gaps = {}
    for batch in (8, 128):
        tr = TwinTrainer(TrainConfig(hidden=(64, 64), batch=batch, seed=seed, eval_every=500),
                         split)
        for _ in range(1000):
            tr.step()
        for n, r in tr.runs.items():
            gaps[f"{n}_gap_batch_{batch}"] = round(r.evaluate(tr.X_val, tr.y_val)[0]
                                                   - r.evaluate(tr.X_train, tr.y_train)[0], 4)
    ok = all(gaps[f"bn_gap_batch_{b}"] < gaps[f"no_bn_gap_batch_{b}"] for b in (8, 128))
    return ok, gaps


# Lesson 4 (and the histogram help)
WHY = L.lesson("why_bn")
SHIFT_AT, SHIFT = 300, (1.5, 1.0)


def why_run(seed: int, shift: bool) -> dict:
    """The lesson-4 twins for 300 steps, then 100 more after a shift or 2700 more without."""
    def run():
        split = cached("why_split", lambda: lesson_split(WHY))
        tr = TwinTrainer(lesson_config(WHY, seed=seed), split, smoothness_every=10)
        grads = {n: [] for n in tr.runs}
        sat = {n: [] for n in tr.runs}
        z_std = {n: [] for n in tr.runs}
        for step in range(1, SHIFT_AT + 1):
            tr.step()
            for n, r in tr.runs.items():
                grads[n].append(weight_grad_norms(r.net))
                sat[n].append(np.mean([np.mean(np.abs(_act_input(hl)) > 3)
                                            for hl in r.net.hidden]))
                if step in (1, SHIFT_AT):
                    z_std[n].append(float(np.std(r.net.hidden[1].Z)))
        train_before = {n: float(np.mean(r.train.view()[-10:, 1])) for n, r in tr.runs.items()}
        if shift:
            tr.shift_inputs(SHIFT)
        for _ in range(100 if shift else 2700):
            tr.step()
        return {"tr": tr, "grads": {n: np.mean(g, axis=0) for n, g in grads.items()},
                "sat": {n: float(np.max(v)) for n, v in sat.items()}, "z_std": z_std,
                "train_before": train_before,
                "train_after": {n: float(np.mean(r.train.view()[SHIFT_AT:SHIFT_AT + 10, 1]))
                                for n, r in tr.runs.items()},
                "evals": {n: r.evals.view() for n, r in tr.runs.items()},
                "spread": {n: r.smoothness.view() for n, r in tr.runs.items()}}
    return cached(("why", seed, shift), run)


def _act_input(hl) -> np.ndarray:
    """What the sigmoid sees: Z̃ with BN, Z without."""
    return hl.Z_tilde if hl.Z_tilde is not None else hl.Z


def val_at(evals: np.ndarray, step: int) -> float:
    return float(evals[evals[:, 0] == step][0, 3])


@claim("L4.plateau", "lesson 4 intro",
       "Without BN the loss sits near ln 3 ≈ 1.1 for hundreds of steps; with BN it falls at once.")
def _(seed):
    ev = why_run(seed, shift=False)["evals"]
    plain = [val_at(ev["no_bn"], s) for s in (100, 200, 300)]
    bn300 = val_at(ev["bn"], 300)
    return all(0.9 <= v <= 1.2 for v in plain) and bn300 < 0.5, {
        "no_bn_val_loss_100_200_300": [round(v, 3) for v in plain],
        "bn_val_loss_300": round(bn300, 3)}


@claim("L4.vanishing", "lesson 4 intro",
       "Without BN the first layers' weight gradients are tiny (vanishing gradients); with BN "
       "every layer gets gradients of similar size (mean ‖dW‖ over steps 1–300).")
def _(seed):
    g = why_run(seed, shift=False)["grads"]
    ok = (g["no_bn"][0] < g["no_bn"][-1] / 5 and g["no_bn"][0] < g["bn"][0] / 10
          and g["bn"].max() < 3 * g["bn"].min())
    return ok, {f"{n}_grad_norm_layers_1_to_4": np.round(v, 4).tolist() for n, v in g.items()}


@claim("L4.not_saturation", "lesson 4 intro",
       "It is not saturation: few units of the net without BN have |Z| > 3 in steps 1–300.")
def _(seed):
    sat = why_run(seed, shift=False)["sat"]
    return sat["no_bn"] < 0.05, {"max_share_abs_Z_gt_3_no_bn": round(sat["no_bn"], 4),
                                 "max_share_abs_Z_gt_3_bn_net": round(sat["bn"], 4)}


@claim("L4.catches_up", "lesson 4 steps",
       "The net without BN escapes the plateau too, later (val loss < 0.5 around step 600 vs "
       "~150 with BN), and by step 3000 its validation loss is even a little lower.")
def _(seed):
    ev = why_run(seed, shift=False)["evals"]

    def first_below(e, level=0.5):
        hit = e[e[:, 3] < level]
        return int(hit[0, 0]) if hit.shape[0] else None
    fb, fp = first_below(ev["bn"]), first_below(ev["no_bn"])
    ok = (fp is not None and fb is not None and fp > fb
          and val_at(ev["no_bn"], 3000) < val_at(ev["bn"], 3000))
    return ok, {
        "first_step_val_loss_below_0.5_bn": fb, "first_step_val_loss_below_0.5_no_bn": fp,
        "val_loss_3000_bn": round(val_at(ev["bn"], 3000), 4),
        "val_loss_3000_no_bn": round(val_at(ev["no_bn"], 3000), 4)}


@claim("L4.shift_val_jumps", "lesson 4 answer",
       "After the shift the BN net's validation loss jumps while its training loss barely "
       "moves; it recovers as the running averages catch up, within a few times 1/(1 − β) "
       "= 10 batches (≤ 50 steps).")
def _(seed):
    r = why_run(seed, shift=True)
    ev = r["evals"]["bn"]
    base = float(np.mean(ev[(ev[:, 0] > SHIFT_AT - 30) & (ev[:, 0] <= SHIFT_AT), 3]))
    after = val_at(ev, SHIFT_AT + 10)
    later = ev[ev[:, 0] > SHIFT_AT]
    back = later[later[:, 3] <= max(1.5 * base, base + 0.1)]
    recovered = int(back[0, 0]) - SHIFT_AT if back.shape[0] else None
    train_ratio = r["train_after"]["bn"] / r["train_before"]["bn"]
    ok = after > 3 * base and train_ratio < 2 and recovered is not None and recovered <= 50
    return ok, {"bn_val_loss_before": round(base, 3), "bn_val_loss_10_steps_after": round(after, 3),
                "bn_steps_to_recover": recovered,
                "bn_train_loss_before_after": [round(r["train_before"]["bn"], 3),
                                               round(r["train_after"]["bn"], 3)],
                "no_bn_val_loss_before_after": [round(val_at(r["evals"]["no_bn"], SHIFT_AT), 3),
                                                round(val_at(r["evals"]["no_bn"], SHIFT_AT + 10),
                                                      3)]}


@claim("L4.higher_lr", "lesson 4 steps",
       "ReLU, plain SGD, α = 1 (lesson-4 net, 500 steps): without BN the net usually stays at "
       "chance or diverges (val accuracy < 0.7), with BN it learns (≥ 0.9).")
def _(seed):
    split = cached("why_split", lambda: lesson_split(WHY))
    tr = TwinTrainer(lesson_config(WHY, seed=seed, eval_every=100, **L.HIGH_LR_CONFIG), split)
    for _ in range(500):
        tr.step()
    acc = {n: (None if r.diverged_at else r.evaluate(tr.X_val, tr.y_val)[1])
           for n, r in tr.runs.items()}
    ok = acc["bn"] is not None and acc["bn"] >= 0.9 and (acc["no_bn"] is None
                                                        or acc["no_bn"] < 0.7)
    return ok, {"bn_val_accuracy": acc["bn"], "no_bn_val_accuracy_or_null_if_diverged":
                acc["no_bn"]}


@claim("L4.bn_removes_shift_in_training", "lesson 4 answer, trainer docstring",
       "BN(z + c) = BN(z) with the batch's own statistics.")
def _(seed):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((32, 8))
    c = rng.standard_normal(8) * 3
    err = float(np.abs(BatchNorm(8).forward(z + c) - BatchNorm(8).forward(z)).max())
    return err < 1e-9, {"max_abs_difference": err}


@claim("H.bn_net_z_drifts", "histograms help",
       "Z̃ stays centred, but the BN net's own Z (before normalising) drifts as much or more "
       "than the no-BN net's: layer 2's std, step 1 → 300, grows by a larger factor "
       "(lesson 4 net).")
def _(seed):
    zs = why_run(seed, shift=False)["z_std"]
    rel = {n: v[1] / v[0] for n, v in zs.items()}
    return rel["bn"] >= rel["no_bn"], {"layer2_Z_std_step1_to_300_bn_net": np.round(zs["bn"], 3)
                                      .tolist(),
                                      "layer2_Z_std_step1_to_300_no_bn": np.round(zs["no_bn"], 3)
                                      .tolist()}


def noisy_run(seed: int) -> dict:
    """The lesson-4 twins with the noisy-BN switch on, 300 steps."""
    def run():
        split = cached("why_split", lambda: lesson_split(WHY))
        tr = TwinTrainer(lesson_config(WHY, seed=seed, noisy_bn=True), split, smoothness_every=10)
        for _ in range(SHIFT_AT):
            tr.step()
        return {"evals": {n: r.evals.view() for n, r in tr.runs.items()},
                "spread": {n: r.smoothness.view() for n, r in tr.runs.items()}}
    return cached(("noisy", seed), run)


def median_spread(h: np.ndarray, first: int, last: int) -> float:
    rows = h[(h[:, 0] >= first) & (h[:, 0] <= last), 1]
    return float(np.median(rows)) if rows.size else math.nan


@claim("L4.noisy_still_helps", "lesson 4 noisy-BN switch, answer",
       "With noisy BN (every BN unit's output scaled by s ∈ [0.5, 1.5] and shifted by "
       "m ∈ [−0.5, 0.5], new draws every step) the net with BN still leaves the plateau at "
       "once: val loss at step 300 < 0.5, while the net without BN is still near ln 3 (> 0.85).")
def _(seed):
    ev = noisy_run(seed)["evals"]
    noisy, plain = val_at(ev["bn"], SHIFT_AT), val_at(ev["no_bn"], SHIFT_AT)
    clean = val_at(why_run(seed, shift=False)["evals"]["bn"], SHIFT_AT)
    return noisy < 0.5 and plain > 0.85, {"noisy_bn_val_loss_300": round(noisy, 3),
                                          "clean_bn_val_loss_300": round(clean, 3),
                                          "no_bn_val_loss_300": round(plain, 3)}


@claim("P.example_pack", "resources/example_lesson.json answer",
       "The example pack runs the lesson-4 net with noisy BN, so its numbers are "
       "L4.noisy_still_helps's: noisy-BN val loss at step 300 < 0.5, no BN > 0.85.")
def _(seed):
    from bn_studio.core.lesson_pack import example_pack_path, read_pack
    pack = read_pack(example_pack_path())
    same = (pack.train_config() == lesson_config(WHY, noisy_bn=True)
            and pack.dataset == WHY.dataset)
    ev = noisy_run(seed)["evals"]
    noisy, plain = val_at(ev["bn"], SHIFT_AT), val_at(ev["no_bn"], SHIFT_AT)
    return same and noisy < 0.5 and plain > 0.85, {"same_run_as_lesson_4_noisy": same,
                                                   "noisy_bn_val_loss_300": round(noisy, 3),
                                                   "no_bn_val_loss_300": round(plain, 3)}


@claim("L4.spread_plateau", "lesson 4 smoothness plot, answer",
       "Steps 1–300: the BN net's loss spread along the gradient is larger than the no-BN "
       "net's (median): on its plateau the net without BN has tiny gradients, so its loss "
       "hardly changes along them.")
def _(seed):
    sp = why_run(seed, shift=False)["spread"]
    m = {n: median_spread(h, 1, SHIFT_AT) for n, h in sp.items()}
    return m["bn"] > m["no_bn"], {f"{n}_median_spread_1_300": round(v, 4) for n, v in m.items()}


@claim("L4.spread_escape", "lesson 4 smoothness plot, answer",
       "In each net's own fast-learning phase (BN: steps 1–300; no BN: 301–900, as it leaves "
       "the plateau) the median loss spreads are alike: within a factor 2.5 of each other.")
def _(seed):
    sp = why_run(seed, shift=False)["spread"]
    bn_fast, plain_fast = median_spread(sp["bn"], 1, 300), median_spread(sp["no_bn"], 301, 900)
    ratio = bn_fast / plain_fast
    return 1 / 2.5 <= ratio <= 2.5, {"bn_median_spread_1_300": round(bn_fast, 4),
                                     "no_bn_median_spread_301_900": round(plain_fast, 4),
                                     "ratio_bn_over_no_bn": round(ratio, 3)}


@claim("L4.spread_high_lr", "lesson 4 'ReLU, plain SGD, α = 1', answer",
       "ReLU, plain SGD, α = 1: over steps 1–100 the net without BN has the larger median loss "
       "spread along the gradient (its loss jumps about), or it diverges.")
def _(seed):
    def run():
        split = cached("why_split", lambda: lesson_split(WHY))
        tr = TwinTrainer(lesson_config(WHY, seed=seed, **L.HIGH_LR_CONFIG), split,
                         smoothness_every=10)
        for _ in range(100):
            tr.step()
        return tr
    tr = cached(("high_spread", seed), run)
    m = {n: median_spread(r.smoothness.view(), 1, 100) for n, r in tr.runs.items()}
    diverged = tr.runs["no_bn"].diverged_at
    ok = diverged is not None or m["no_bn"] > m["bn"]
    return ok, {"bn_median_spread_1_100": round(m["bn"], 4),
                "no_bn_median_spread_1_100": round(m["no_bn"], 4), "no_bn_diverged_at": diverged}


@claim("L4.noisy_spread", "lesson 4 noisy-BN switch, answer",
       "Noise does not make the BN net's loss rougher: its median spread over steps 1–300 with "
       "noise is within a factor 2 of the one without.")
def _(seed):
    noisy = median_spread(noisy_run(seed)["spread"]["bn"], 1, SHIFT_AT)
    clean = median_spread(why_run(seed, shift=False)["spread"]["bn"], 1, SHIFT_AT)
    return 0.5 <= noisy / clean <= 2.0, {"noisy_bn_median_spread_1_300": round(noisy, 4),
                                         "clean_bn_median_spread_1_300": round(clean, 4)}


# Lesson 5 (and the test-time BN panel)
TT = L.lesson("test_time")


def tt_run(seed: int, batch: int) -> dict:
    def run():
        split = cached("tt_split", lambda: lesson_split(TT))
        tr = TwinTrainer(lesson_config(TT, seed=seed, batch=batch), split)
        bvar, rvar = [], []
        for step in range(500):
            tr.step()
            if step >= 400:
                bvar.append(tr.runs["bn"].net.hidden[0].bn.batch_var.copy())
                rvar.append(tr.runs["bn"].net.hidden[0].bn.running_var.copy())
        bn = tr.runs["bn"].net
        acc = L.train_vs_eval_accuracy(bn, split.X_val, split.y_val, batch=batch, seed=seed)
        _, no_bn_acc = tr.runs["no_bn"].evaluate(tr.X_val, tr.y_val)
        ratio = float(np.mean(rvar) / np.mean(bvar))
        return {"train": acc["train_mode"], "eval": acc["eval_mode"], "no_bn": no_bn_acc,
                "var_ratio": ratio, "net": bn, "split": split}
    return cached(("tt", seed, batch), run)


@claim("L5.m2_pm1", "lesson 5 answer",
       "With m = 2 the normalised values are ±1 (up to ε).")
def _(seed):
    z = np.random.default_rng(seed).normal(0.0, 1.0, 2)
    zn = L.bn_by_hand(z)["z_norm"]
    return bool(np.allclose(np.abs(zn), 1.0, atol=1e-3)), {"z": z.round(4).tolist(),
                                                           "z_norm": zn.round(6).tolist()}


@claim("L5.tiny_batch_hurts", "lesson 5 answer",
       "At batch 2 BN itself hurts: train-mode < eval-mode < no-BN validation accuracy at "
       "step 500.")
def _(seed):
    r = tt_run(seed, 2)
    ok = r["train"] < r["eval"] < r["no_bn"]
    return ok, {"train_mode": round(r["train"], 3), "eval_mode": round(r["eval"], 3),
                "no_bn": round(r["no_bn"], 3)}


@claim("L5.close_at_128", "lesson 5 question/answer",
       "Train- and eval-mode accuracy are far apart at batch 2 (> 0.1) but close at 128 "
       "(< 0.03).")
def _(seed):
    r2, r128 = tt_run(seed, 2), tt_run(seed, 128)
    gap2, gap128 = r2["eval"] - r2["train"], abs(r128["eval"] - r128["train"])
    return gap2 > 0.1 and gap128 < 0.03, {"gap_batch_2": round(gap2, 3),
                                          "gap_batch_128": round(gap128, 3),
                                          "train_eval_128": [round(r128["train"], 3),
                                                             round(r128["eval"], 3)]}


@claim("L5.depends_on_batch", "lesson 5 steps, test-time BN panel",
       "In training mode one point's prediction depends on the other examples in its batch "
       "(batch 8: max |Δa| between two batches > 0.01 for most points).")
def _(seed):
    r = tt_run(seed, 8)
    X = r["split"].X_val
    rng = np.random.default_rng(seed)
    diffs = [float(np.abs(v["batch_a"] - v["batch_b"]).max()) for v in
             (L.one_point_in_two_batches(r["net"], X[i], r["split"].X_train, 8, seed + i)
              for i in rng.choice(X.shape[0], 20, replace=False))]
    share = float(np.mean(np.array(diffs) > 0.01))
    return share >= 0.5, {"share_of_20_points_delta_a_gt_0.01": share,
                          "median_delta_a": round(float(np.median(diffs)), 4)}


@claim("L5.one_example_biased", "lesson 5, test-time BN panel, network panel",
       "With the biased σ² one example gives σ² = 0, and every input maps to β.")
def _(seed):
    rng = np.random.default_rng(seed)
    beta = rng.normal()
    outs = []
    for x in rng.normal(0, 5, 5):
        var = np.mean((np.array([x]) - x) ** 2)          # biased σ² of one value
        outs.append(1.7 * (x - x) / np.sqrt(var + 1e-5) + beta)
    return bool(np.allclose(outs, beta)), {"beta": round(beta, 4), "outputs": np.round(outs, 4)
                                           .tolist()}


@claim("L5.running_var_factor", "test-time BN panel, network panel",
       "The running σ² averages m/(m − 1)·σ²_B: at m = 2 it sits about twice above the batch "
       "values (layer 1, both averaged over units and steps 401–500).")
def _(seed):
    ratio = tt_run(seed, 2)["var_ratio"]
    return 1.6 <= ratio <= 2.4, {"running_over_batch_var": round(ratio, 3)}


# Lesson 6
@claim("L6.logistic", "lesson 6 intro/steps",
       "With C = 2 softmax's a₁ equals σ(z₁ − z₀).")
def _(seed):
    z = np.random.default_rng(seed).normal(0, 3, 2)
    v = L.logistic_equivalence(z)
    return abs(v["a1"] - v["sigmoid"]) < 1e-12, {"a1": v["a1"], "sigmoid": v["sigmoid"]}


@claim("L6.dz", "lesson 6 steps",
       "L = −Σ y log a with one-hot y; its gradient is dz = a − y.")
def _(seed):
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 2, 4)
    y = int(rng.integers(4))
    w = L.softmax_worked_example(z, y)
    loss, dz = softmax_cross_entropy(z[None, :], np.array([y]))
    err = float(np.abs(dz[0] - w["dz"]).max())
    return err < 1e-12 and abs(loss - w["loss"]) < 1e-12, {"max_abs_dz_error": err}


@claim("L6.worked", "lesson 6 worked example",
       "For z = [5, 2, −1, 3]: t = e^z = 148.4, 7.4, 0.37, 20.1; a = 0.842, 0.042, 0.002, 0.114.")
def _(seed):
    w = L.softmax_worked_example()
    ok = (abs(w["t"][0] - 148.4) < 0.05 and np.allclose(w["a"], [0.842, 0.042, 0.002, 0.114],
                                                          atol=5e-4)
          and np.allclose(softmax(w["z"]), w["a"]))
    return ok, {"t": np.round(w["t"], 3).tolist(), "a": np.round(w["a"], 4).tolist()}


# Lesson 7: α × 10 mid-run
JUMP = L.lesson("lr_jump")
JUMP_AT = JUMP.train_config().changes[0][0]


def jump_run(seed: int) -> dict:
    """Lesson 7 exactly as the app runs it: the pack's config, whose change applies itself."""
    def run():
        split = cached("jump_split", lambda: lesson_split(JUMP))
        tr = TwinTrainer(JUMP.train_config().replace(seed=seed), split)
        for _ in range(1000):
            tr.step()
        return {"tr": tr, "evals": {n: r.evals.view() for n, r in tr.runs.items()},
                "diverged": {n: r.diverged_at for n, r in tr.runs.items()},
                "final_acc": {n: (None if r.diverged_at else r.evaluate(tr.X_val, tr.y_val)[1])
                              for n, r in tr.runs.items()}}
    return cached(("jump", seed), run)


@claim("L7.before", "lesson 7 intro",
       "Before the change (α = 0.2) both nets learn: validation accuracy ≥ 0.9 at step 500.")
def _(seed):
    ev = jump_run(seed)["evals"]
    acc = {n: float(e[e[:, 0] == JUMP_AT][0, 4]) for n, e in ev.items()}
    return min(acc.values()) >= 0.9, {f"{n}_val_accuracy_500": round(v, 3)
                                      for n, v in acc.items()}


@claim("L7.scale_invariance", "lesson 7 answer",
       "Dense → BN: scaling W by 10 leaves the output unchanged (up to ε) and divides dW by 10.")
def _(seed):
    from bn_studio.core.layers import Dense
    rng = np.random.default_rng(seed)
    x, dout = rng.standard_normal((32, 5)), rng.standard_normal((32, 4))
    outs, grads = [], []
    for a in (1.0, 10.0):
        dense, bn = Dense(5, 4, bias=False, rng=np.random.default_rng(seed)), BatchNorm(4)
        dense.params["W"] *= a
        outs.append(bn.forward(dense.forward(x)))
        dense.backward(bn.backward(dout))
        grads.append(dense.grads["W"].copy())
    out_err = float(np.abs(outs[1] - outs[0]).max())
    ratio = float(np.median(grads[0] / grads[1]))
    return out_err < 1e-4 and abs(ratio - 10) < 0.01, {"max_output_change": out_err,
                                                      "dW_ratio": round(ratio, 4)}


@claim("L7.jump", "lesson 7 answer, bn-studio train --change 500:lr=2",
       "α 0.2 → 2.0 at step 500: the net without BN diverges within 50 steps; the net with BN "
       "does not diverge and ends (step 1000) with validation accuracy ≥ 0.95.")
def _(seed):
    r = jump_run(seed)
    d, acc = r["diverged"], r["final_acc"]["bn"]
    ok = (d["no_bn"] is not None and JUMP_AT < d["no_bn"] <= JUMP_AT + 50 and d["bn"] is None
          and acc is not None and acc >= 0.95)
    return ok, {"no_bn_diverged_at": d["no_bn"], "bn_diverged_at": d["bn"],
                "bn_val_accuracy_1000": acc,
                "no_bn_val_accuracy_1000_if_not_diverged": r["final_acc"]["no_bn"]}


def summarise(values: list):
    """Per-seed numbers → lists; numeric scalars also get min/median/max."""
    out = {}
    for key in values[0]:
        col = [v[key] for v in values]
        if all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in col):
            out[key] = {"min": min(col), "median": float(np.median(col)), "max": max(col),
                        "per_seed": col}
        else:
            out[key] = col if len({json.dumps(c) for c in col}) > 1 else col[0]
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--only", default="", help="run only claims whose id contains this text")
    args = ap.parse_args(argv)
    if args.seeds < 1:
        print("--seeds must be at least 1", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    rows = []
    for cid, where, sentence, fn in CLAIMS:
        if args.only and args.only not in cid:
            continue
        results = [fn(seed) for seed in range(args.seeds)]
        held = sum(bool(ok) for ok, _ in results)
        rows.append({"id": cid, "where": where, "claim": sentence,
                     "holds": f"{held}/{args.seeds}", "share": held / args.seeds,
                     "ok": held >= 0.8 * args.seeds,
                     "numbers": summarise([n for _, n in results])})
    print(json.dumps({"seeds": args.seeds, "seconds": round(time.perf_counter() - t0, 1),
                      "all_ok": all(r["ok"] for r in rows), "claims": rows},
                     indent=1, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
