"""Guided lessons as data, and the numbers each lesson talks about (computed here, by the core).

A lesson sets the studio up (dataset, network, optimizer, which panel to look at), says in two
or three sentences what to watch, names an interactive experiment, and ends with a question
the plots answer. The GUI turns these definitions into a panel; nothing here imports Qt.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .layers import BatchNorm
from .losses import softmax
from .search import Param, SearchSpace, decade_shares, distinct_values


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    intro: str                   # what to watch, in two or three sentences
    steps: tuple[str, ...]       # what to do
    question: str
    answer: str
    experiment: str              # which interactive widget the lesson shows
    panel: str                   # which panel to bring forward
    dataset: dict | None = None  # DatasetSpec fields
    config: dict = field(default_factory=dict)   # TrainConfig fields


LESSONS: tuple[Lesson, ...] = (
    Lesson(
        "grid_vs_random", "1. Grid vs random search",
        "Two hyperparameters, of which only one really matters: the learning rate α. A 5 × 5 "
        "grid spends 25 trials but tries only 5 values of α; 25 random trials try 25 values.",
        ("Press 'Run both searches' (50 short trainings in background processes).",
         "Compare the distinct values of α each search tried, and the best loss it found."),
        "Which search found the lower validation loss, and why?",
        "Usually random search: it tried 25 learning rates instead of 5, so one of them is "
        "likely closer to the best α. The unimportant parameter's extra grid values were wasted.",
        "grid_vs_random", "tuning", {"name": "moons", "n": 400, "noise": 0.2},
        {"hidden": (16,), "activation": "relu", "optimizer": "sgd", "batch": 32}),
    Lesson(
        "scales", "2. Picking the scale",
        "Sampling α uniformly in 1e-4 … 1 puts about 90 % of the trials in 0.1 … 1. On a log "
        "scale each decade gets a quarter. For β in 0.9 … 0.999, sample 1 − β on a log scale.",
        ("Read the shares per decade for the uniform and the log scale.",
         "Compare how often β lands above 0.99 on each scale; 1/(1 − β) is the EWMA's window.",
         "Open the Tuning panel: its preview shows the same for any range you type."),
        "Why is β = 0.999 → 0.9995 a bigger change than β = 0.9 → 0.9005?",
        "The EWMA averages about 1/(1 − β) values: 1000 → 2000 doubles the window, while "
        "10 → 10.05 barely changes it. Sampling 1 − β on a log scale spends trials evenly on "
        "that sensitivity.",
        "scales", "tuning"),
    Lesson(
        "bn_by_hand", "3. Batch norm, one mini-batch by hand",
        "Batch norm takes one unit's values z over a mini-batch, subtracts their mean μ, divides "
        "by √(σ² + ε), then scales by γ and shifts by β: z̃ = γ·z_norm + β.",
        ("Press 'New mini-batch' and read μ, σ², z_norm and z̃ for one unit.",
         "Drag γ and β: the output histogram stretches and moves.",
         "Press 'γ = √(σ²+ε), β = μ': the output equals the input."),
        "Why can the network still represent the identity if BN always normalises?",
        "Because γ and β are learnable: with γ = √(σ² + ε) and β = μ, z̃ = z exactly. BN only "
        "changes the parametrisation, so the net can choose the mean and spread it needs.",
        "bn_by_hand", "histograms", {"name": "moons", "n": 400, "noise": 0.2},
        {"hidden": (16, 16), "activation": "relu", "batch": 64}),
    Lesson(
        "why_bn", "4. Why batch norm helps",
        "A deep sigmoid net with a high learning rate. Without BN its hidden distributions drift "
        "and saturate (the percentile bands wander, the loss stalls); with BN they stay centred.",
        ("Press Play and watch the histograms and the loss curves for a few hundred steps.",
         "Press 'Shift the inputs' (covariate shift) and watch each net's first layer."),
        "After the shift, which net's loss jumps, and why does the other not notice?",
        "Without BN the first layer's z = W·x moves with x, and every later layer sees new "
        "inputs. With BN, BN(z + c) = BN(z): a shift of every input by a constant is normalised "
        "away in the first layer, so the BN net's training batches look the same as before.",
        "why_bn", "histograms", {"name": "spirals", "n": 600, "noise": 0.2, "classes": 3},
        {"hidden": (32, 32, 32, 32), "activation": "sigmoid", "optimizer": "momentum",
         "lr": 1.0, "momentum": 0.9, "batch": 32}),
    Lesson(
        "test_time", "5. Batch norm at test time",
        "At test time there may be one example: its variance is undefined, so BN cannot use "
        "batch statistics. It uses the running (EWMA) averages kept during training instead.",
        ("Click a point: the Test-time BN panel says why training mode fails for one example.",
         "Choose batch size 2, 8 or 128 and an EWMA β, train for a while, then press 'Measure'.",
         "Compare accuracy with batch statistics (train mode) and running statistics (eval)."),
        "Why are the two accuracies far apart with batch size 2 but close with 128?",
        "With 2 examples μ and σ² are very noisy, so the running averages (what eval mode uses) "
        "differ from any batch's statistics; with 128 the batch statistics are stable and the "
        "EWMA tracks them closely.",
        "test_time", "test_time_bn", {"name": "blobs", "n": 600, "noise": 0.3, "classes": 4},
        {"hidden": (32, 32), "activation": "relu", "batch": 8, "lr": 0.01}),
    Lesson(
        "softmax", "6. Softmax",
        "With C = 4 classes the output layer gives four numbers z; softmax turns them into "
        "probabilities a = e^z / Σe^z. With C = 2 it is logistic regression in disguise.",
        ("Click points on the decision regions and read z → t = e^z → a in the inspector.",
         "Press 'No hidden layer': boundaries become straight lines (softmax regression).",
         "Press 'Two classes' and compare a₁ with σ(z₁ − z₀)."),
        "Why are the boundaries straight without a hidden layer?",
        "Without hidden layers z = W·x + b is linear in x, and the boundary between classes i "
        "and j is where zᵢ = zⱼ: a straight line. Hidden layers make z non-linear in x.",
        "softmax", "softmax_inspector", {"name": "blobs", "n": 600, "noise": 0.2, "classes": 4},
        {"hidden": (32, 32), "activation": "relu", "lr": 0.01}),
)


def lesson(lesson_id: str) -> Lesson:
    return next(les for les in LESSONS if les.id == lesson_id)


# ---- lesson 1 ------------------------------------------------------------------------------
GRID_VS_RANDOM_SPACE = SearchSpace([Param("lr", "log", 1e-3, 10.0),
                                    Param("decay", "linear", 0.0, 1e-3)])


def grid_vs_random_plans(n: int = 25, seed: int = 0) -> dict:
    """The two plans of lesson 1 and how many distinct values of each parameter they try."""
    grid = GRID_VS_RANDOM_SPACE.grid(n)
    rand = GRID_VS_RANDOM_SPACE.sample(n, seed)
    return {"grid": grid, "random": rand, "grid_distinct": distinct_values(grid),
            "random_distinct": distinct_values(rand)}


# ---- lesson 2 ------------------------------------------------------------------------------
def scale_comparison(n: int = 1000, seed: int = 0) -> dict:
    """Per-decade shares of α ∈ [1e-4, 1] uniform vs log; share of β ≥ 0.99 linear vs 1 − β log."""
    lin = [t["lr"] for t in SearchSpace([Param("lr", "linear", 1e-4, 1.0)]).sample(n, seed)]
    log = [t["lr"] for t in SearchSpace([Param("lr", "log", 1e-4, 1.0)]).sample(n, seed)]
    b_lin = np.array([t["b"] for t in
                      SearchSpace([Param("b", "linear", 0.9, 0.999)]).sample(n, seed)])
    b_log = np.array([t["b"] for t in
                      SearchSpace([Param("b", "one_minus_log", 0.9, 0.999)]).sample(n, seed)])
    return {"lr_uniform": decade_shares(lin, 1e-4, 1.0), "lr_log": decade_shares(log, 1e-4, 1.0),
            "beta_linear_ge_099": float(np.mean(b_lin >= 0.99)),
            "beta_log_ge_099": float(np.mean(b_log >= 0.99)),
            "beta_linear": b_lin, "beta_log": b_log,
            "windows": {b: 1.0 / (1.0 - b) for b in (0.9, 0.99, 0.999)}}


# ---- lesson 3 ------------------------------------------------------------------------------
def bn_by_hand(z: np.ndarray, gamma: float = 1.0, beta: float = 0.0, eps: float = 1e-5) -> dict:
    """μ, σ², z_norm and z̃ = γ·z_norm + β for one unit's mini-batch, via BatchNorm itself."""
    z = np.asarray(z, dtype=np.float64).reshape(-1, 1)
    bn = BatchNorm(1, eps=eps)
    bn.params["gamma"] = np.array([gamma])
    bn.params["beta"] = np.array([beta])
    z_tilde = bn.forward(z, train=True)
    z_norm = bn._cache[0]
    return {"mu": float(bn.batch_mean[0]), "var": float(bn.batch_var[0]),
            "z_norm": z_norm[:, 0].copy(), "z_tilde": z_tilde[:, 0].copy(),
            "identity_gamma": float(np.sqrt(bn.batch_var[0] + eps)),
            "identity_beta": float(bn.batch_mean[0])}


# ---- lesson 5 ------------------------------------------------------------------------------
def train_vs_eval_accuracy(net, X: np.ndarray, y: np.ndarray, batch: int,
                           seed: int = 0) -> dict:
    """Accuracy when BN normalises with each mini-batch's own statistics (train mode, on a copy
    so the running averages are untouched) vs with the running averages (eval mode)."""
    net = net.clone()
    X = np.asarray(X, dtype=net.flat_params.dtype)
    order = np.random.default_rng(seed).permutation(len(y))
    correct_train = 0
    counted = 0
    for i in range(0, len(order) - batch + 1, batch):
        idx = order[i:i + batch]
        logits = net.forward(X[idx], train=True)
        correct_train += int(np.sum(np.argmax(logits, axis=1) == y[idx]))
        counted += len(idx)
    eval_logits = net.forward(X, train=False)
    return {"train_mode": correct_train / max(1, counted),
            "eval_mode": float(np.mean(np.argmax(eval_logits, axis=1) == y)),
            "batch": batch}


# ---- lesson 6 ------------------------------------------------------------------------------
def logistic_equivalence(z) -> dict:
    """For two classes, softmax's a₁ equals the logistic σ(z₁ − z₀)."""
    z = np.asarray(z, dtype=np.float64).reshape(1, 2)
    a = softmax(z)[0]
    return {"a1": float(a[1]), "sigmoid": float(1.0 / (1.0 + np.exp(-(z[0, 1] - z[0, 0]))))}
