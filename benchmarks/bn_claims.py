"""The claims of lessons 12-15 (test-time estimates, where BN sits, regularisation by the
mini-batch, momentum β near 1), re-run with the core over seeds;
benchmarks/experiment_claims.py runs them with its own (python benchmarks/experiment_claims.py
--only L12 …). Each claim is (id, where, the sentence, fn(seed) → (holds, numbers)), as there."""

from __future__ import annotations

import numpy as np

from bn_studio.core.lessons import numbers as L
from bn_studio.core.nn.bn_estimates import full_pass_statistics, scores
from bn_studio.core.data.datasets import make_dataset
from bn_studio.core.lessons.pack import LESSON_DEFAULTS
from bn_studio.core.search.trials import run_trial
from bn_studio.core.training.trainer import TrainConfig, TwinTrainer, split_for
from claim_registry import cached, claim



def _r(v, nd=3):
    return None if v is None else round(float(v), nd)


def trainer(lesson_id: str, seed: int, runs=("bn", "no_bn"), **changes) -> TwinTrainer:
    """A lesson's twins on a fresh draw of its data (seed), its settings with ``changes``."""
    les = L.lesson(lesson_id)
    cfg = TrainConfig(**{**LESSON_DEFAULTS, **les.config, "seed": seed, **changes})
    return TwinTrainer(cfg, split_for(make_dataset(**les.dataset, seed=seed), cfg), runs=runs)


# Lesson 12: test-time estimates
DECAYS = (0.5, 0.9, 0.99, 0.999)
EST_STEPS = (300, 2000)


def estimate_run(seed: int) -> dict:
    """Lesson 12's BN net trained once (BN's β does not touch training: train mode uses the
    batch statistics), with the running averages of every β in DECAYS kept beside it exactly
    as BatchNorm keeps its own; at each step in EST_STEPS, the validation scores with each
    EWMA and with one pass over the training set."""
    def run():
        t = trainer("test_estimates", seed, runs=("bn",), bn_decay=0.9)
        net = t.runs["bn"].net
        n = t.config.batch
        ewma = {d: [(np.zeros_like(bn.running_mean), np.ones_like(bn.running_var))
                    for bn in net.bn_layers] for d in DECAYS}
        out = {}
        while t.step_count < max(EST_STEPS):
            t.step()
            for d, layers in ewma.items():
                for (m, v), bn in zip(layers, net.bn_layers):
                    m *= d
                    m += (1 - d) * bn.batch_mean
                    v *= d
                    v += (1 - d) * (n / (n - 1.0)) * bn.batch_var
            if t.step_count in EST_STEPS:
                assert all(np.allclose(m, bn.running_mean) for (m, _), bn
                           in zip(ewma[0.9], net.bn_layers))
                full = full_pass_statistics(net, t.X_train)
                row = {"full": scores(full, t.X_val, t.y_val)}
                for d, layers in ewma.items():
                    c = net.clone()
                    for (m, v), bn in zip(layers, c.bn_layers):
                        bn.running_mean[...], bn.running_var[...] = m, v
                    row[d] = scores(c, t.X_val, t.y_val)
                out[t.step_count] = row
        return out
    return cached(("estimates", seed), run)


@claim("L12.full_pass", "lesson 12 answer",
       "At step 300 one pass over the training set gives a validation accuracy above 0.9.")
def _(seed):
    acc = estimate_run(seed)[300]["full"][1]
    return acc > 0.9, {"full_pass_acc_300": _r(acc)}


@claim("L12.lag", "lesson 12 answer",
       "At step 300 the running averages trail it by more than 0.05 with β = 0.99, and by "
       "more than 0.3 with β = 0.999.")
def _(seed):
    r = estimate_run(seed)[300]
    full = r["full"][1]
    return full - r[0.99][1] > 0.05 and full - r[0.999][1] > 0.3, {
        "full_pass": _r(full), "acc_099": _r(r[0.99][1]), "acc_0999": _r(r[0.999][1])}


@claim("L12.close_09", "lesson 12 answer",
       "With β = 0.9 (about the last 10 batches) they are within 0.1 of the full pass at step "
       "300 and within 0.02 at step 2000.")
def _(seed):
    r = estimate_run(seed)
    d300, d2000 = (r[s]["full"][1] - r[s][0.9][1] for s in EST_STEPS)
    return abs(d300) < 0.1 and abs(d2000) < 0.02, {"gap_300": _r(d300), "gap_2000": _r(d2000)}


@claim("L12.still_0999", "lesson 12 answer",
       "At step 2000 β = 0.999 still trails the full pass by more than 0.03.")
def _(seed):
    r = estimate_run(seed)[2000]
    gap = r["full"][1] - r[0.999][1]
    return gap > 0.03, {"gap_2000": _r(gap), "acc_0999": _r(r[0.999][1])}


@claim("L12.noisy_05", "lesson 12 answer",
       "β = 0.5 has no lag to speak of but averages only the last two batches or so: at step "
       "2000 its validation loss is higher than the full pass's.")
def _(seed):
    r = estimate_run(seed)[2000]
    return r[0.5][0] > r["full"][0], {"loss_05": _r(r[0.5][0], 4),
                                      "loss_full": _r(r["full"][0], 4),
                                      "loss_09": _r(r[0.9][0], 4)}


# Lesson 13: where BN sits
PLACE_STEPS = (300, 1000)


def placement_runs(seed: int) -> dict:
    """Lesson 13's twins with BN before g (the lesson's start), after g, and before g with
    b kept; per way, the validation losses at PLACE_STEPS and the kept b's size."""
    def run():
        out = {}
        for way, changes in (("before", {}), ("after", {"bn_after_g": True}),
                             ("bias", {"bn_keep_bias": True})):
            t = trainer("bn_placement", seed, **changes)
            row = {}
            while t.step_count < max(PLACE_STEPS):
                t.step()
                if t.step_count in PLACE_STEPS:
                    row[t.step_count] = {n: float(r.evals.view()[-1, 3])
                                         for n, r in t.runs.items()}
            net = t.runs["bn"].net
            row["losses"] = t.runs["bn"].train.view()[:, 1].astype(float)
            if way == "bias":
                row["b_max"] = max(float(np.abs(hl.dense.params["b"]).max())
                                   for hl in net.hidden)
                row["db_over_dw"] = max(float(np.abs(hl.dense.grads["b"]).max()
                                              / np.abs(hl.dense.grads["W"]).max())
                                        for hl in net.hidden)
            out[way] = row
        return out
    return cached(("placement", seed), run)


@claim("L13.both_learn", "lesson 13 answer",
       "Both places work on this net: by step 1000 the validation loss is below 0.3 with BN "
       "before g and with BN after g.")
def _(seed):
    r = placement_runs(seed)
    a, b = r["before"][1000]["bn"], r["after"][1000]["bn"]
    return a < 0.3 and b < 0.3, {"before": _r(a), "after": _r(b)}


@claim("L13.both_beat_no_bn_early", "lesson 13 answer",
       "Both are ahead of the net without BN at step 300.")
def _(seed):
    r = placement_runs(seed)
    a, b, plain = (r["before"][300]["bn"], r["after"][300]["bn"], r["before"][300]["no_bn"])
    return a < plain and b < plain, {"before": _r(a), "after": _r(b), "no_bn": _r(plain)}


@claim("L13.b_stays", "lesson 13 answer",
       "Kept, b's gradient is zero to rounding (below 1e-12 of dW's) and b never leaves 0 "
       "(|b| below 1e-10 at step 1000).")
def _(seed):
    r = placement_runs(seed)["bias"]
    return r["db_over_dw"] < 1e-12 and r["b_max"] < 1e-10, {
        "db_over_dw": float(f"{r['db_over_dw']:.1e}"), "b_max": float(f"{r['b_max']:.1e}")}


@claim("L13.b_changes_nothing", "lesson 13 answer",
       "The net with b trains as the one without, to rounding: their mini-batch losses agree "
       "to within 1e-9 for at least the first 50 steps.")
def _(seed):
    r = placement_runs(seed)
    diff = np.abs(r["bias"]["losses"] - r["before"]["losses"])
    apart = np.flatnonzero(diff > 1e-9)
    until = int(apart[0]) if len(apart) else len(diff)     # steps that agreed
    return until >= 50, {"agree_for_steps": until,
                          "max_difference_1000": float(f"{float(diff.max()):.1e}")}


# Lesson 14: regularisation by the mini-batch
NOISE_BATCHES = (8, 128)
NOISE_STEPS = 1000


def noise_runs(seed: int) -> dict:
    """Lesson 14's BN net at each batch size with batch statistics and with the training
    set's, trained NOISE_STEPS steps on the same mini-batches; its final train and validation
    loss (eval mode, all of each split)."""
    def run():
        out = {}
        for batch in NOISE_BATCHES:
            for stats in ("batch", "train_set"):
                t = trainer("minibatch_noise", seed, runs=("bn",), batch=batch,
                            bn_stats=stats)
                while t.step_count < NOISE_STEPS:
                    t.step()
                net = t.runs["bn"].net
                tl, _ = scores(net, t.X_train, t.y_train)
                vl, _ = scores(net, t.X_val, t.y_val)
                out[batch, stats] = {"train": tl, "val": vl, "gap": vl - tl}
        return out
    return cached(("noise", seed), run)


@claim("L14.batch8_no_fit", "lesson 14 answer",
       "At batch 8, with the mini-batch's statistics the training loss stays above 0.05 at step "
       "1000; with the training set's it is at least 3 times lower.")
def _(seed):
    r = noise_runs(seed)
    a, b = r[8, "batch"]["train"], r[8, "train_set"]["train"]
    return a > 0.05 and a >= 3 * b, {"batch_stats": _r(a, 4), "train_set_stats": _r(b, 4)}


@claim("L14.val_batch8", "lesson 14 answer",
       "Yet at batch 8 the validation loss is lower with the training set's statistics than "
       "with the mini-batch's.")
def _(seed):
    r = noise_runs(seed)
    a, b = r[8, "batch"]["val"], r[8, "train_set"]["val"]
    return b < a, {"batch_stats": _r(a), "train_set_stats": _r(b)}


@claim("L14.batch128_same", "lesson 14 answer",
       "At batch 128 the two train alike: both training losses are below 0.01.")
def _(seed):
    r = noise_runs(seed)
    a, b = r[128, "batch"]["train"], r[128, "train_set"]["train"]
    return a < 0.01 and b < 0.01, {"batch_stats": _r(a, 4), "train_set_stats": _r(b, 4)}


@claim("L14.noise_shrinks", "lesson 14 answer",
       "With the mini-batch's statistics the training loss is higher at batch 8 than at batch "
       "128: the fewer the examples, the noisier their μ and σ².")
def _(seed):
    r = noise_runs(seed)
    a, b = r[8, "batch"]["train"], r[128, "batch"]["train"]
    return a > b, {"batch_8": _r(a, 4), "batch_128": _r(b, 4)}


# Lesson 15: momentum β near 1
def beta_runs(seed: int) -> dict:
    """Lesson 15's runs as its page runs them (the search's trials: one seed for all β), on a
    fresh draw of its data: the final validation loss per momentum β."""
    def run():
        les = L.lesson("beta_sensitivity")
        cfg = TrainConfig(**{**LESSON_DEFAULTS, **les.config, "seed": seed})
        split = split_for(make_dataset(**les.dataset, seed=seed), cfg)
        spec = L.beta_sensitivity_spec(cfg, seed, values=(0.9, 0.9005, 0.999, 0.9995))
        return {p["momentum"]: run_trial(split, spec.base, i, s, p).val_loss
                for i, s, p in spec.plan()}
    return cached(("beta", seed), run)


@claim("L15.same_near_09", "lesson 15 answer",
       "β = 0.9 and 0.9005 end within a factor of 1.5 of each other.")
def _(seed):
    r = beta_runs(seed)
    ratio = r[0.9005] / r[0.9]
    return 1 / 1.5 <= ratio <= 1.5, {"loss_09": _r(r[0.9], 4), "loss_09005": _r(r[0.9005], 4),
                                     "ratio": _r(ratio, 2)}


@claim("L15.apart_near_1", "lesson 15 answer",
       "β = 0.9995 ends with at least twice the loss of β = 0.999.")
def _(seed):
    r = beta_runs(seed)
    ratio = r[0.9995] / r[0.999]
    return ratio >= 2, {"loss_0999": _r(r[0.999], 4), "loss_09995": _r(r[0.9995], 4),
                        "ratio": _r(ratio, 2)}


@claim("L15.near_1_matters_more", "lesson 15 answer",
       "The step of 0.0005 next to 1 changes the loss more than the same step next to 0.9.")
def _(seed):
    r = beta_runs(seed)
    near_09 = max(r[0.9005] / r[0.9], r[0.9] / r[0.9005])
    near_1 = max(r[0.9995] / r[0.999], r[0.999] / r[0.9995])
    return near_1 > near_09, {"factor_near_09": _r(near_09, 2), "factor_near_1": _r(near_1, 2)}
