"""The options ``train`` and ``search`` share (data, network, optimizer) and what turns them into
a dataset and a TrainConfig."""

from __future__ import annotations

import argparse

from bn_studio.errors import UsageError as CliError


class DefaultsFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """``--help`` shows each option's default, unless it has none or the help already says."""

    def _get_help_string(self, action):
        text = action.help or ""
        if action.default in (None, False, argparse.SUPPRESS) or "default" in text:
            return text
        return (text + " (default: %(default)s)").strip()


def add_data_options(p: argparse.ArgumentParser) -> None:
    from bn_studio.core.datasets import DATASETS
    from bn_studio.core.defaults import DEFAULT_DATASET as D
    src = p.add_argument_group("data")
    src.add_argument("--dataset", choices=DATASETS, default=None,
                     help=f"a generated toy dataset (default: {D.name}, the app's first run)")
    src.add_argument("--data", metavar="FILE.csv", help="a CSV file: two feature columns + a label")
    src.add_argument("--columns", metavar="X1,X2,LABEL", help="which CSV columns to use")
    src.add_argument("--classes", type=int, default=None, help="number of classes C (generated data)")
    src.add_argument("--n", type=int, default=D.n, help=f"number of generated points (default {D.n})")
    src.add_argument("--noise", type=float, default=None, help="noise of the generated data")
    src.add_argument("--data-seed", type=int, default=D.seed, help="seed of the generated data")


def add_train_options(p: argparse.ArgumentParser) -> None:
    """Every option of ``train``; ``search`` accepts them too (they fix a setting for all trials)."""
    from bn_studio.core.defaults import DEFAULT_CONFIG as C
    add_data_options(p)
    net = p.add_argument_group("network and optimizer (defaults: the app's first run)")
    net.add_argument("--hidden", default=",".join(map(str, C.hidden)),
                     help="hidden layer widths, e.g. 64,64")
    net.add_argument("--activation", choices=("relu", "tanh", "sigmoid"), default=C.activation,
                     help="g(z) of the hidden layers")
    net.add_argument("--optimizer", choices=("sgd", "momentum", "rmsprop", "adam"),
                     default=C.optimizer, help="update rule")
    net.add_argument("--lr", type=float, default=C.lr, help="learning rate α")
    net.add_argument("--beta1", type=float, default=C.beta1, help="Adam β₁")
    net.add_argument("--beta2", type=float, default=C.beta2, help="Adam/RMSprop β₂")
    net.add_argument("--momentum", type=float, default=C.momentum, help="momentum β")
    net.add_argument("--l2", type=float, default=C.l2, help="L2 weight decay λ")
    net.add_argument("--decay", type=float, default=C.decay, help="learning-rate decay rate")
    net.add_argument("--bn-decay", type=float, default=C.bn_decay,
                     help="β of the running-statistics EWMA used by BN at test time")
    net.add_argument("--batch", type=int, default=C.batch, help="mini-batch size")
    net.add_argument("--steps", type=int, default=C.steps, help="training steps")
    net.add_argument("--seed", type=int, default=C.seed, help="seed of weights and batch order")
    net.add_argument("--dtype", choices=("float32", "float64"), default=C.dtype,
                     help="floating-point precision")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def parse_hidden(text: str) -> tuple[int, ...]:
    text = (text or "").strip()
    if text in ("", "0", "none"):
        return ()
    try:
        widths = tuple(int(w) for w in text.split(","))
    except ValueError:
        raise CliError(f"--hidden must be comma-separated integers like 64,64, not {text!r}")
    if any(w < 1 for w in widths):
        raise CliError("--hidden widths must be ≥ 1")
    return widths


def config_from_args(args):
    from bn_studio.core.trainer import TrainConfig
    try:
        return TrainConfig(hidden=parse_hidden(args.hidden), activation=args.activation,
                           optimizer=args.optimizer, lr=args.lr, beta1=args.beta1,
                           beta2=args.beta2, momentum=args.momentum, l2=args.l2,
                           decay=args.decay, bn_decay=args.bn_decay, batch=args.batch,
                           steps=args.steps, seed=args.seed, dtype=args.dtype)
    except ValueError as e:
        raise CliError(str(e)) from None


def dataset_from_args(args):
    from bn_studio.core.datasets import load_csv, make_dataset
    if args.data and args.dataset:
        raise CliError("give either --dataset or --data, not both")
    check_data_args(args)
    if args.data:
        if args.classes is not None:
            raise CliError("--classes applies to generated data only; a CSV file's labels "
                           "give its classes (drop --classes or --data)")
        return load_csv(args.data, columns=args.columns)
    kwargs = {"n": args.n, "classes": args.classes, "seed": args.data_seed}
    if args.noise is not None:
        kwargs["noise"] = args.noise
    from bn_studio.core.defaults import DEFAULT_DATASET
    if args.dataset is None:
        kwargs.setdefault("noise", DEFAULT_DATASET.noise)
        if kwargs["classes"] is None:
            kwargs["classes"] = DEFAULT_DATASET.classes
    return make_dataset(args.dataset or DEFAULT_DATASET.name, **kwargs)


def check_data_args(args) -> None:
    """Seeds and sizes within the limits (core/limits.py), before anything is generated."""
    from bn_studio.core import limits
    try:
        limits.check_seed(args.data_seed, "--data-seed")
        limits.check_seed(args.seed, "--seed")
        if not args.data:
            limits.check_points(args.n, "--n")
    except ValueError as e:
        raise CliError(str(e)) from None


def split_from_args(args):
    from bn_studio.core.datasets import split_and_standardize
    return split_and_standardize(dataset_from_args(args), seed=args.data_seed)


def changes_from_args(args) -> list:
    from bn_studio.core.trainer import parse_change
    try:
        return [parse_change(t) for t in (getattr(args, "change", None) or [])]
    except ValueError as e:
        raise CliError(f"--change: {e}") from None


