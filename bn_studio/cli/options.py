"""The options ``train`` and ``search`` share (data, network, optimizer) and what turns them into
a dataset and a TrainConfig."""

from __future__ import annotations

import argparse

from bn_studio.core.limits import shown
from bn_studio.errors import UsageError as CliError


class DefaultsFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """``--help`` shows each option's default, unless it has none or the help already says."""

    def _get_help_string(self, action):
        text = action.help or ""
        if action.default in (None, False, argparse.SUPPRESS) or "default" in text:
            return text
        return (text + " (default: %(default)s)").strip()


def add_data_options(p: argparse.ArgumentParser) -> None:
    from bn_studio.core.data.datasets import DATASETS
    from bn_studio.core.training.defaults import DEFAULT_DATASET as D
    src = p.add_argument_group("data")
    src.add_argument("--dataset", choices=DATASETS, default=None,
                     help=f"a generated toy dataset (default: {D.name}, the app's first run)")
    src.add_argument("--data", metavar="FILE.csv", help="a CSV file: two feature columns + a label")
    src.add_argument("--columns", metavar="X1,X2,LABEL",
                     help="the CSV's two feature columns and its label column, by header name "
                          "or 0-based index (default: the label guessed from the data, the "
                          "first two numeric columns besides it)")
    src.add_argument("--classes", type=int, default=None,
                     help="number of classes C (generated data)")
    src.add_argument("--n", type=int, default=D.n,
                     help=f"number of generated points (default {D.n})")
    src.add_argument("--noise", type=float, default=None, help="noise of the generated data")
    src.add_argument("--data-seed", type=int, default=D.seed, help="seed of the generated data")


def add_train_options(p: argparse.ArgumentParser) -> None:
    """Every option of ``train``; ``search`` accepts them too (they fix a setting for all trials).
    One per hyperparameter of core/params.py, its default the app's first run."""
    from bn_studio.core.training.defaults import DEFAULT_CONFIG
    from bn_studio.core.training.params import PARAMS
    add_data_options(p)
    net = p.add_argument_group("network and optimizer (defaults: the app's first run)")
    for h in PARAMS:
        if h.cli:
            net.add_argument(h.option, **_argument(h, getattr(DEFAULT_CONFIG, h.name)))
    p.add_argument("--json", action="store_true", help="print one JSON object")


def _argument(h, default) -> dict:
    """argparse's keywords for hyperparameter ``h``."""
    if h.kind == "widths":
        return {"default": ",".join(map(str, default)), "help": h.help}
    if h.kind == "choice":
        return {"choices": h.choices, "default": default, "help": h.help}
    if h.kind == "bool":            # on by default: --name and --no-name
        action = argparse.BooleanOptionalAction if default else "store_true"
        return {"action": action, "default": default, "help": h.help}
    return {"type": float if h.kind == "float" else int, "default": default, "help": h.help}


def parse_hidden(text: str) -> tuple[int, ...]:
    text = (text or "").strip()
    if text in ("", "0", "none"):
        return ()
    try:
        widths = tuple(int(w) for w in text.split(","))
    except ValueError:
        raise CliError("--hidden must be comma-separated integers like 64,64, not "
                       f"{shown(text)}") from None
    if any(w < 1 for w in widths):
        raise CliError("--hidden widths must be ≥ 1")
    return widths


def config_from_args(args):
    from bn_studio.core.training.params import PARAMS
    from bn_studio.core.training.trainer import TrainConfig
    values = {h.name: getattr(args, h.name) for h in PARAMS if h.cli}
    values["hidden"] = parse_hidden(args.hidden)
    try:
        return TrainConfig(**values)
    except ValueError as e:
        raise CliError(str(e)) from None


def dataset_from_args(args):
    from bn_studio.core.data.csv_read import load_csv
    from bn_studio.core.data.datasets import make_dataset
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
    from bn_studio.core.training.defaults import DEFAULT_DATASET
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


def split_from_args(args, config=None):
    """The data the options name, split as ``config`` (by default the options') says."""
    from bn_studio.core.training.trainer import split_for
    config = config_from_args(args) if config is None else config
    return split_for(dataset_from_args(args), config, seed=args.data_seed)


def changes_from_args(args) -> list:
    from bn_studio.core.training.changes import parse_change
    try:
        return [parse_change(t) for t in (getattr(args, "change", None) or [])]
    except ValueError as e:
        raise CliError(f"--change: {e}") from None


