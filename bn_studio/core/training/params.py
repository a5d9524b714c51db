"""Every hyperparameter of TrainConfig, described once: its type, default, bounds, choices,
search scale, label, symbol and tooltip, and which optimizers read it.

The command line's options (bn_studio.cli.options), the network panel's form
(bn_studio.gui.panels.network), TrainConfig's defaults and checks, the curves' change marks
and the search's names are all made from ``PARAMS``. Adding a hyperparameter = one ``Hyper``
here + a TrainConfig field of the same name + its maths; a test checks that the registry and
TrainConfig agree. Adding an optimizer = its rule in optim.py + its label here.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Any

from .. import limits
from ..nn.layers import ACTIVATIONS
from ..nn.optim import OPTIMIZER_BETAS, OPTIMIZERS

DTYPES = ("float32", "float64")
ACTIVATION_NAMES = tuple(ACTIVATIONS)
# Names an optimizer is shown by in a label ("Adam β₁"); the rest are shown as they are.
OPTIMIZER_LABELS = {"sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov",
                    "rmsprop": "RMSprop", "adam": "Adam"}


@dataclass(frozen=True)
class Hyper:
    """One hyperparameter. ``kind`` is float, int, bool, choice, widths (a tuple of layer
    widths), seed or changes (the run's own (step, name, value) schedule). ``low``/``high``
    bound the value (``open_low``/``open_high``: the bound itself is refused).
    ``scale``/``search`` are the search's scale and first range, or None if it is not searched.
    ``live``: may change while the twins train. ``cli``: an option of ``train`` and ``search``.
    ``widget`` and ``ui`` say how the network panel shows it (no widget: not shown).
    """

    name: str
    kind: str
    label: str
    help: str                           # the CLI's one-line help
    tip: str = ""                       # the panel's tooltip
    default: object = None              # TrainConfig's (the app's first run: defaults.py)
    symbol: str = ""                    # the course's symbol (α, β₁, λ), where one is shown
    low: float | None = None
    high: float | None = None
    open_low: bool = False
    open_high: bool = False
    choices: tuple = ()
    scale: str | None = None
    search: tuple | None = None
    live: bool = False
    cli: bool = True
    widget: str | None = None
    ui: dict = field(default_factory=dict, hash=False)

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def optimizers(self) -> tuple[str, ...]:
        """The optimizers that read this value (all of them for what is not an optimizer's β)."""
        if self.name not in BETA_NAMES:
            return OPTIMIZERS
        return tuple(o for o, betas in OPTIMIZER_BETAS.items() if self.name in betas)

    def label_for(self, optimizer: str) -> str:
        """The label, with ``{opt}`` naming the chosen optimizer (β₂: "Adam β₂", "RMSprop β₂")."""
        return self.label.format(opt=OPTIMIZER_LABELS.get(optimizer, optimizer))


BETA_NAMES = tuple(sorted({b for betas in OPTIMIZER_BETAS.values() for b in betas}))
# The β's settings (their values of each Hyper field's own type).
_BETA: dict[str, Any] = dict(
    kind="float", low=0.0, high=1.0, open_high=True, scale="one_minus_log", live=True,
    widget="beta", ui={"max": 0.99999, "decimals": 5, "step": 0.01})

PARAMS: tuple[Hyper, ...] = (
    Hyper("hidden", "widths", "Hidden layers", "hidden layer widths, e.g. 64,64",
          "Number of hidden layers L. 0 = softmax regression: only straight decision "
          "boundaries", default=(64, 64), low=1, high=limits.MAX_WIDTH, scale="int",
          search=(50, 100), widget="widths", ui={"max_layers": limits.MAX_DEPTH}),
    Hyper("activation", "choice", "Activation", "g(z) of the hidden layers",
          "g(z) of the hidden layers. sigmoid and tanh saturate (their slope is ~0 for large "
          "|z|). Saturation is not the only way a deep net stalls: in lesson 4 the sigmoid net "
          "without BN has few saturated units, yet its first layers' gradients vanish",
          default="relu", choices=ACTIVATION_NAMES, widget="choice"),
    Hyper("optimizer", "choice", "Optimizer", "update rule",
          "sgd: W ← W − α·dW.  momentum: step along an EWMA of the gradients.  nesterov: the "
          "same, stepping from where momentum is about to take W.  RMSprop: divide by the root "
          "of an EWMA of the squared gradients.  Adam: both, bias-corrected",
          default="adam", choices=OPTIMIZERS, widget="choice"),
    Hyper("lr", "float", "Learning rate", "learning rate α",
          "Learning rate α on a log scale (1e-4 … 10): every decade gets the same room, because "
          "going from 0.001 to 0.01 matters as much as going from 0.1 to 1",
          default=0.01, symbol="α", low=0.0, open_low=True, scale="log", search=(1e-4, 1.0),
          live=True, widget="log",
          ui={"min_log10": -4.0, "max_log10": 1.0, "ticks_per_decade": 20}),
    Hyper("beta1", label="{opt} β₁", help="Adam β₁",
          tip="Adam β₁: EWMA of the gradients (first moment), about 1/(1 − β₁) steps; 0.9 is "
              "the usual choice", default=0.9, symbol="β₁", search=(0.8, 0.99), **_BETA),
    Hyper("beta2", label="{opt} β₂", help="Adam/RMSprop β₂",
          tip="β₂: EWMA of the squared gradients, s ← β₂·s + (1 − β₂)·dW²; the step is divided "
              "by √s. 0.999 averages about 1000 steps", default=0.999, symbol="β₂",
          search=(0.99, 0.9999), **_BETA),
    Hyper("momentum", label="Momentum β", help="momentum β",
          tip="Momentum β: the step follows an EWMA of the gradients, v ← β·v + (1 − β)·dW, "
              "which averages about 1/(1 − β) steps (0.9 → the last 10)",
          default=0.9, symbol="β", search=(0.9, 0.999), **_BETA),
    Hyper("l2", "float", "L2 λ", "L2 weight decay λ",
          "L2 regularisation λ: adds λ·W to each weight gradient, so large weights shrink "
          "(weight decay). The course writes (λ/m)·W for the cost term (λ/2m)·Σ‖W‖²; this λ "
          "already includes the 1/m", default=0.0, symbol="λ", low=0.0, scale="log",
          search=(1e-5, 1e-1), live=True, widget="float",
          ui={"max": 10.0, "decimals": 6, "step": 0.001}),
    Hyper("decay", "float", "LR decay", "learning-rate decay rate",
          "Learning-rate decay: α = α₀ / (1 + decay_rate · epoch), so the steps shrink as "
          "training goes on (0 = constant α)", default=0.0, symbol="decay", low=0.0,
          scale="log", search=(1e-4, 1e-1), live=True, widget="float",
          ui={"max": 100.0, "decimals": 4, "step": 0.01}),
    Hyper("bn_decay", label="BN running β",
          help="β of the running-statistics EWMA used by BN at test time",
          tip="β of BN's running averages, used at test time: running μ ← β·running μ + "
              "(1 − β)·batch μ, running σ² ← β·running σ² + (1 − β)·m/(m − 1)·batch σ². 0.9 "
              "averages about the last 10 batches. Not BN's learned shift β; PyTorch's "
              "momentum is 1 − β", default=0.9, symbol="BN β", search=(0.9, 0.999), **_BETA),
    Hyper("batch", "int", "Batch size", "mini-batch size",
          "Mini-batch size m: examples per gradient step. BN's μ and σ² are computed from "
          "these m examples, so small batches make them noisy (at m = 2 every normalised value "
          "is ±1; at m = 1 σ² = 0 and every input maps to β). Pick or type",
          default=64, low=2, scale="pow2", search=(16, 256), widget="batch",
          ui={"sizes": (2, 4, 8, 16, 32, 64, 128, 256, 512)}),
    Hyper("steps", "int", "Steps", "training steps", default=1000, low=0,
          high=limits.MAX_STEPS),
    Hyper("seed", "seed", "Seed", "seed of weights and batch order",
          "Seed of the initial weights and of the mini-batch order; both twins share it, so "
          "the same seed gives the same curves", default=0, low=0, high=limits.MAX_SEED,
          widget="int",
          ui={"max": 2**31 - 1}),
    Hyper("dtype", "choice", "Precision", "floating-point precision", default="float32",
          choices=DTYPES),
    Hyper("noisy_bn", "bool", "Noisy BN",
          "the BN net only: random per-step scale and shift after each BN layer",
          "After Santurkar et al. (2018): each BN unit's output is multiplied by a random "
          "scale and shifted by a random amount, drawn anew for every unit at every step (the "
          "same for all examples of the mini-batch), so the next layer's inputs never keep a "
          "steady mean and variance. If BN still trains well, steady layer inputs are not "
          "necessary for its benefit (they may still help)", default=False),
    Hyper("freeze_bn_affine", "bool", "Freeze γ and β",
          "the BN net only: keep γ = 1 and β = 0 (not learned)",
          "Batch norm without its learned scale γ and shift β: every unit's input to g keeps "
          "mean 0 and variance 1 on each batch. Shows why γ and β are learned",
          default=False),
    Hyper("bn_after_g", "bool", "BN after g",
          "the BN net only: Dense → g → BN instead of Dense → BN → g",
          "Where batch norm sits: after the activation g (normalising A) instead of before it "
          "(normalising Z, as the course and the paper do)", default=False),
    Hyper("bn_keep_bias", "bool", "Keep b before BN",
          "the BN net only: the layer before BN keeps its bias b",
          "BN subtracts the mini-batch mean of Z = W·a + b, and b with it: b's gradient is "
          "zero and it never moves. Usually dropped (β takes its role)", default=False),
    Hyper("bn_stats", "choice", "BN statistics",
          "the BN net only: normalise with each mini-batch's μ, σ² (batch) or the whole "
          "training set's (train_set)",
          "batch: BN as usual, each mini-batch normalised with its own μ and σ² (noisy: they "
          "depend on which examples were drawn). train_set: the same mini-batches, but "
          "normalised with the μ and σ² of the whole training set at the current weights "
          "(no noise; costs a pass over the training set each step)",
          default="batch", choices=("batch", "train_set")),
    Hyper("standardize", "bool", "Standardise inputs",
          "standardise x₁ and x₂ with the training split's mean and std (--no-standardize: "
          "feed them as they are)",
          "Subtract each input's training mean and divide by its standard deviation before "
          "the first layer, as batch norm does for every hidden unit. Off: the nets see the "
          "inputs as they are (× the x₂ scale)", default=True),
    Hyper("x2_scale", "float", "x₂ scale", "multiply the input x₂ by this before the nets see it",
          "Multiplies the second input by this factor (× 100: x₂ spans a hundred times the "
          "range of x₁). Standardising undoes any scale exactly", default=1.0, low=0.0,
          open_low=True, high=limits.MAX_INPUT_SCALE),
    Hyper("changes", "changes", "Mid-run changes", "(step, name, value) changes the run makes",
          default=(), cli=False),
    Hyper("bn_eps", "float", "BN ε", "ε added to σ² in batch norm", default=1e-5, cli=False),
    Hyper("eval_every", "int", "Evaluate every", "steps between evaluations", default=10,
          low=1, cli=False),
)
BY_NAME = {p.name: p for p in PARAMS}
DEFAULTS: dict[str, Any] = {p.name: p.default for p in PARAMS}   # each its field's type
LIVE = tuple(p.name for p in PARAMS if p.live)

# Searched dimensions that are not a TrainConfig field: the number of hidden layers (their
# width is ``hidden``) and whether the trial's net has batch norm.
SEARCH_ONLY = {"layers": ("int", (1, 4)), "bn": ("choice", ([0, 1], None))}
SEARCHABLE = (*(p.name for p in PARAMS if p.scale), *SEARCH_ONLY)
INTEGER_SEARCH = tuple(n for n in SEARCHABLE
                       if n in SEARCH_ONLY or BY_NAME[n].kind in ("int", "widths"))


def symbol(name: str) -> str:
    """How a setting is written on the curves (α, β₁, λ), or its name if it has no symbol."""
    p = BY_NAME.get(name)
    return p.symbol if p is not None and p.symbol else name


def suggested(name: str) -> tuple[str, Any, Any]:
    """(scale, low, high) of a first search of ``name``; a choice gives (values, None)."""
    if name in SEARCH_ONLY:
        scale, (low, high) = SEARCH_ONLY[name]
        return scale, low, high
    p = BY_NAME[name]
    assert p.scale and p.search is not None, f"{name} has no search range"
    low, high = p.search
    return p.scale, low, high


def validate(name: str, value):
    """``value`` as the type of hyperparameter ``name``, or ValueError with one line. Types
    only: ranges are ``problem``'s (TrainConfig reports them all at once)."""
    p = BY_NAME.get(name)
    if p is None:
        raise ValueError(f"unknown hyperparameter {name!r}; use one of {', '.join(BY_NAME)}")
    if p.kind == "widths":
        return limits.check_hidden(value)
    if p.kind == "seed":
        return limits.check_seed(value, name)
    if p.kind == "int":
        v = limits.check_int(value, name)
        return limits.check_steps(v) if name == "steps" else v
    if p.kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be true or false, not {limits.shown(value)}")
        return value
    if p.kind == "changes":          # checked by TrainConfig against the config they change
        return value
    if p.kind == "choice":
        if not isinstance(value, str):
            raise ValueError(f"{name} must be a name, not {limits.shown(value)}")
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number, not {limits.shown(value)}")
    return value


# The messages TrainConfig has always given for a value out of range (tests and users know
# them); any other hyperparameter gets one made from its bounds.
_MESSAGES = {"dtype": "dtype must be float32 or float64",
             "lr": "learning rate must be a positive number",
             "batch": "batch size must be at least 2 (batch norm needs 2 examples)",
             "hidden": "every hidden layer needs at least 1 unit",
             "l2": "l2 and decay must be ≥ 0", "decay": "l2 and decay must be ≥ 0",
             "steps": "steps must be ≥ 0 and eval_every ≥ 1",
             "eval_every": "steps must be ≥ 0 and eval_every ≥ 1"}
# The order TrainConfig has always listed several problems in.
_PROBLEM_ORDER = ("dtype", "activation", "optimizer", "lr", "batch", "hidden", "beta1", "beta2",
                  "momentum", "bn_decay", "l2", "decay", "eval_every", "steps")


def problem(name: str, value) -> str | None:
    """Why ``value`` (of the right type) is out of range for ``name``, or None."""
    p = BY_NAME[name]
    if p.kind == "choice":
        if value in p.choices:
            return None
        return _MESSAGES.get(name, f"{name} must be one of {', '.join(p.choices)}")
    if p.low is None and p.high is None:
        return None
    for v in (value if p.kind == "widths" else (value,)):
        below = p.low is not None and (v <= p.low if p.open_low else v < p.low)
        above = p.high is not None and (v >= p.high if p.open_high else v > p.high)
        if below or above or not math.isfinite(v):       # NaN and ∞ are in no range
            return _MESSAGES.get(name) or _range_message(p)
    return None


def check(name: str, value):
    """``validate`` and ``problem`` together: the value, or ValueError with one line (what a
    search checks each end of a range with)."""
    v = validate(name, value)
    why = problem(name, v)
    if why:
        raise ValueError(why)
    return v


def _range_message(p: Hyper) -> str:
    if p.low is not None and p.high is not None:
        return (f"{p.name} must be in {'(' if p.open_low else '['}{p.low:g}, "
                f"{p.high:g}{')' if p.open_high else ']'}")
    if p.low is not None:
        return f"{p.name} must be {'>' if p.open_low else '≥'} {p.low:g}"
    return f"{p.name} must be {'<' if p.open_high else '≤'} {p.high:g}"


def check_config(config) -> dict:
    """The checked values of a TrainConfig's fields; ValueError naming every problem."""
    values = {p.name: validate(p.name, getattr(config, p.name)) for p in PARAMS}
    problems = []
    for name in (*_PROBLEM_ORDER, *(n for n in BY_NAME if n not in _PROBLEM_ORDER)):
        why = problem(name, values[name])
        if why and why not in problems:
            problems.append(why)
    if problems:
        raise ValueError("; ".join(problems))
    return values


def apply(config, **params):
    """``config`` with ``params`` replaced, each checked: ValueError with one line."""
    for name, value in params.items():
        validate(name, value)
    return config.replace(**params)


def apply_search(base, params: dict):
    """A search trial's TrainConfig and whether its net has BN (search.apply_params).

    ``hidden`` sets the width of every hidden layer, ``layers`` their number; ``bn`` (0/1)
    says whether the net has batch norm; the others replace the config field of that name.
    """
    changes: dict[str, Any] = {}
    bn = True
    for name, value in params.items():
        if name not in SEARCHABLE:
            raise ValueError(f"unknown parameter {name!r}; use one of {', '.join(SEARCHABLE)}")
        if name == "bn":
            if value not in (0, 1):                      # True/False compare equal to 1/0
                raise ValueError(f"bn must be 0 (no batch norm) or 1, not {value!r}")
            bn = bool(value)
            continue
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(f"{name} must be a number, not {value!r}")
        if name not in ("hidden", "layers"):
            changes[name] = int(round(value)) if BY_NAME[name].kind == "int" else float(value)
    if "hidden" in params or "layers" in params:     # independent of the parameters' order
        widths = list(base.hidden)
        width = int(round(params.get("hidden", widths[0] if widths else 64)))
        layers = int(round(params.get("layers", len(widths) or 1)))
        if "hidden" in params:
            widths = [width] * layers
        else:                        # more layers repeat the last width; fewer drop the tail
            widths = (widths + [widths[-1] if widths else width] * layers)[:layers]
        if layers < 0:
            raise ValueError("layers must be ≥ 0")
        changes["hidden"] = tuple(widths)
    return base.replace(**changes), bn
