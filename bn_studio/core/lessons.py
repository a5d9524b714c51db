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
    speed: float | None = None   # teaching speed in steps per second (None: as fast as possible)


LESSONS: tuple[Lesson, ...] = (
    Lesson(
        "grid_vs_random", "1. Grid vs random search",
        "Two hyperparameters: the learning rate α (1e-4 … 10), which matters most, and the "
        "learning-rate decay (0 … 0.001 per epoch), which barely changes α in 150 steps. A 5 × 5 "
        "grid spends 25 trials on only 5 values of α; 25 random trials try 25.",
        ("Press 'Run both searches': 50 short trainings at once in background processes (the "
         "'caviar' way; nursing one run by hand is the 'panda' way). Press it a few times: "
         "each run uses a new seed and the tally is kept.",
         "Compare where each search's α values fall with the best α, about 1 here: the grid's "
         "nearest are 0.56 and 10.",
         "Coarse to fine: in the Tuning panel, select the best region of the scatter and press "
         "'Next round from selection' to search it more finely."),
        "Which search found the lower validation loss, and why?",
        "Usually random search (in 8 of 10 seeds; seed noise decides the rest): some of its 25 "
        "values of α land near the best α ≈ 1, while the grid tries only 0.56 and 10 near it. "
        "The grid's 5 decay values per α were near-repeats, because decay barely matters. Tune "
        "α first; Adam's β₁, β₂ and ε are rarely worth tuning.",
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
         "Drag γ and β: the output histogram stretches and moves. (This β is BN's learned "
         "shift; the β of an EWMA, in momentum, Adam or BN's running averages, is another.)",
         "Press 'γ = √(σ²+ε), β = μ': the output equals the input."),
        "Why can the network still represent the identity if BN always normalises?",
        "Because γ and β are learnable: with γ = √(σ² + ε) and β = μ, z̃ = z exactly, so BN "
        "takes nothing away from what a layer can represent. Training still differs from a "
        "plain layer: μ and σ² come from the mini-batch, so they add noise, more for small "
        "batches, and the gradients flow through them. The noise regularises slightly (on "
        "noisy data the net with BN overfits less than its twin), but that is not a reason "
        "to use BN.",
        "bn_by_hand", "histograms", {"name": "moons", "n": 400, "noise": 0.2},
        {"hidden": (16, 16), "activation": "relu", "batch": 64}),
    Lesson(
        "why_bn", "4. Why batch norm helps",
        "A deep sigmoid net with a high learning rate. Without BN the loss sits near ln 3 ≈ 1.1 "
        "for hundreds of steps: the first layers' weight gradients are tiny (vanishing "
        "gradients), not saturated units. With BN every layer gets gradients of similar size "
        "and the loss falls at once.",
        ("Press Play (the lesson slows training to 100 steps/s) and watch the gradient sizes "
         "below and the loss curves over the first few hundred steps.",
         "Keep going: the net without BN escapes the plateau too, later (around step 600), "
         "and by step 3000 it is even slightly ahead.",
         "Press 'Shift the inputs' (covariate shift) and watch both nets' validation and "
         "training loss.",
         "Press 'ReLU, plain SGD, α = 1': without BN the net usually stays at chance or "
         "diverges, with BN it learns. BN allows higher learning rates."),
        "After the shift, why does the validation loss of the net with BN jump while its "
        "training loss barely moves?",
        "Training normalises with each batch's own μ and σ², and BN(z + c) = BN(z): shifted "
        "training batches look as before. Validation runs in eval mode with running averages "
        "of the unshifted inputs, which no longer fit until the EWMA catches up: within a few "
        "times 1/(1 − β) = 10 batches for β = 0.9 (here 20–50 steps). So BN does not remove a "
        "shift between training and test data. Santurkar et al. (2018) found that BN helps "
        "less by reducing such 'internal covariate shift' than by making the loss landscape "
        "smoother.",
        "why_bn", "histograms", {"name": "spirals", "n": 600, "noise": 0.2, "classes": 3},
        {"hidden": (32, 32, 32, 32), "activation": "sigmoid", "optimizer": "momentum",
         "lr": 1.0, "momentum": 0.9, "batch": 32}, speed=100.0),
    Lesson(
        "test_time", "5. Batch norm at test time",
        "A prediction must not depend on which other examples share its batch, and at test "
        "time there may be only one. So at test time BN normalises with running averages "
        "(EWMAs) of μ and σ² kept during training instead of the batch's own.",
        ("Click a point: below, it is predicted inside two different batches; the Test-time BN "
         "panel predicts it alone.",
         "Choose batch size 2, 8 or 128 and an EWMA β, train 500 steps, then press 'Measure'.",
         "Compare accuracy with batch statistics (train mode), with running statistics (eval) "
         "and without BN."),
        "Why does the net with BN do worse at batch size 2, with its two accuracies far apart, "
        "but not at 128?",
        "With m = 2 the normalised values are ±1 (up to ε): each unit passes on one bit, so BN "
        "itself hurts at tiny batches (validation accuracy at step 500 over 10 seeds: train "
        "mode 0.49–0.62, eval 0.65–0.89, without BN 0.90–0.95). That is what motivated "
        "Group Norm (Wu & He 2018). The μ and σ² of 2 examples are also very noisy, so the running averages match no "
        "batch; with 128 the batch statistics are stable and the EWMA tracks them.",
        "test_time", "test_time_bn", {"name": "blobs", "n": 600, "noise": 0.3, "classes": 4},
        {"hidden": (32, 32), "activation": "relu", "batch": 8, "lr": 0.01}),
    Lesson(
        "softmax", "6. Softmax",
        "With C = 4 classes the output layer gives four numbers z; softmax turns them into "
        "probabilities a = e^z / Σe^z, a soft version of hardmax (1 for the largest z, 0 "
        "elsewhere). With C = 2 it is logistic regression in disguise.",
        ("Read the worked example below: the loss L = −Σ y log a with one-hot y is −log of the "
         "true class's a (the 'Loss' of the curves, averaged over examples); its gradient is "
         "dz = a − y.",
         "Click points on the decision regions and read z → t → a in the inspector.",
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


# Lesson 4's last step: a deep ReLU net with plain SGD at a learning rate only BN survives.
HIGH_LR_CONFIG = {"activation": "relu", "optimizer": "sgd", "lr": 1.0}


# ---- lesson 1 ------------------------------------------------------------------------------
# The log grid over 1e-4 … 10 tries α = 1e-4, 0.0018, 0.032, 0.56, 10: it misses the best α
# (≈ 1), as a grid usually does; decay changes α by < 2 % in 150 steps (~16 epochs).
GRID_VS_RANDOM_SPACE = SearchSpace([Param("lr", "log", 1e-4, 10.0),
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


def one_point_in_two_batches(net, x, X_pool: np.ndarray, batch: int, seed: int = 0) -> dict:
    """The probabilities of one example x predicted in training mode inside two different
    mini-batches (x plus batch − 1 random others each) and in eval mode: with batch statistics
    the prediction depends on the other examples, with running statistics it does not."""
    rng = np.random.default_rng(seed)
    dtype = net.flat_params.dtype
    x = np.asarray(x, dtype=dtype).reshape(1, -1)
    out = {"eval": softmax(net.clone().forward(x, train=False).astype(np.float64))[0]}
    for key in ("batch_a", "batch_b"):
        others = X_pool[rng.choice(X_pool.shape[0], size=max(1, batch - 1), replace=False)]
        logits = net.clone().forward(np.vstack([x, others.astype(dtype)]), train=True)
        out[key] = softmax(logits[:1].astype(np.float64))[0]
    return out


# ---- lesson 6 ------------------------------------------------------------------------------
WORKED_Z = (5.0, 2.0, -1.0, 3.0)      # the course's example


def softmax_worked_example(z=WORKED_Z, y: int = 0) -> dict:
    """z → t = e^z → a = t/Σt, the loss −Σ y·log a with one-hot y and its gradient dz = a − y.
    Also t shifted by max z, as computed (same a, no overflow), and hardmax."""
    z = np.asarray(z, dtype=np.float64)
    t = np.exp(z)
    a = t / t.sum()
    onehot = np.zeros_like(z)
    onehot[y] = 1.0
    hard = np.zeros_like(z)
    hard[np.argmax(z)] = 1.0
    return {"z": z, "t": t, "t_sum": float(t.sum()), "t_shifted": np.exp(z - z.max()), "a": a,
            "y": onehot, "loss": float(-np.sum(onehot * np.log(a))), "dz": a - onehot,
            "hardmax": hard}


def logistic_equivalence(z) -> dict:
    """For two classes, softmax's a₁ equals the logistic σ(z₁ − z₀)."""
    z = np.asarray(z, dtype=np.float64).reshape(1, 2)
    a = softmax(z)[0]
    return {"a1": float(a[1]), "sigmoid": float(1.0 / (1.0 + np.exp(-(z[0, 1] - z[0, 0]))))}
