"""``bn-studio``: the app with no subcommand; ``train``, ``search`` and ``screenshot`` headless.

Every headless subcommand prints one JSON object with ``--json``. Unusable input exits with
status 2 and a one-line message on stderr, never a traceback (DESIGN.md §7).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

EXIT_USAGE = 2


class CliError(Exception):
    """A problem with the user's input: printed as one line, exit status 2."""


class DefaultsFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """``--help`` shows each option's default, unless it has none or the help already says."""

    def _get_help_string(self, action):
        text = action.help or ""
        if action.default in (None, False, argparse.SUPPRESS) or "default" in text:
            return text
        return (text + " (default: %(default)s)").strip()


# The panels ``screenshot --panel`` knows (their names in bn_studio.gui.main_window); kept
# here so that --help does not have to import Qt. A test checks the two lists agree.
PANEL_NAMES = ("decision_regions", "datasets", "network", "curves", "histograms",
               "test_time_bn", "softmax_inspector", "tuning", "lessons")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
PLAIN_DIGITS = 4            # significant digits of numbers in plain-text output


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


def run_train(args) -> int:
    from bn_studio.core.trainer import TwinTrainer, train_twins
    config = config_from_args(args)
    changes = changes_from_args(args)
    ds = dataset_from_args(args)
    from bn_studio.core.datasets import split_and_standardize
    split = split_and_standardize(ds, seed=args.data_seed)
    try:
        trainer = TwinTrainer(config, split)
    except ValueError as e:
        raise CliError(str(e)) from None
    t0 = time.perf_counter()
    try:
        train_twins(trainer, config.steps, changes)
    except ValueError as e:             # a change to an out-of-range value
        raise CliError(f"--change: {e}") from None
    out = trainer.summary(time.perf_counter() - t0)
    for name, run in trainer.runs.items():      # each twin's own training time, not the total
        out[name]["seconds"] = round(run.seconds, 4)
    out["config"] = {**config.to_dict(), "dataset": ds.name, "n": int(ds.X.shape[0]),
                     "classes": int(ds.classes), "data_seed": args.data_seed}
    out["eval_rows"] = trainer.eval_rows        # live curves on a sample, final on all rows
    if changes:
        out["changes"] = [{"step": st, "name": n, "value": v} for st, n, v in trainer.changes]
    if ds.skipped_rows:
        out["skipped_rows"] = ds.skipped_rows
    if args.json:
        print(json.dumps(out))
    else:
        for name, r in out.items():
            if name in ("config", "eval_rows"):
                print(f"{name}: " + " ".join(f"{k}={_plain(v)}" for k, v in r.items()))
            elif not isinstance(r, dict):
                print(f"{name}: {r}")
            else:
                state = f"diverged at step {r['diverged_at']}" if r["diverged_at"] else "ok"
                print(f"{name:6s} val_accuracy={_plain(r['val_accuracy'])} "
                      f"val_loss={_plain(r['val_loss'])} steps={r['steps_run']} ({state}) "
                      f"seconds={_plain(r['seconds'])}")
    return 0


def _plain(v) -> str:
    """A number for people: 4 significant digits, not 19."""
    if isinstance(v, float):
        return f"{v:.{PLAIN_DIGITS}g}"
    if isinstance(v, (list, tuple)):
        return ",".join(_plain(x) for x in v) or "none"
    return str(v)


def add_screenshot_parser(sub) -> None:
    from bn_studio.core.datasets import DATASETS
    p = sub.add_parser("screenshot", help="render the main window offscreen to a PNG",
                       formatter_class=DefaultsFormatter,
                       description="Render the main window (or one panel) offscreen after "
                                   "some training steps and write a PNG or JPEG. Panels: "
                                   f"{', '.join(PANEL_NAMES)}. Datasets: {', '.join(DATASETS)}.")
    p.add_argument("out", metavar="OUT.png", help="image file to write (.png or .jpg)")
    p.add_argument("--dataset", default=None, metavar="NAME",
                   help=f"one of {', '.join(DATASETS)}")
    when = p.add_mutually_exclusive_group()
    when.add_argument("--steps", type=int, default=None,
                      help="training steps before the picture (default 300)")
    when.add_argument("--play", type=float, default=None, metavar="SECONDS",
                      help="the live path instead: Reset, Play at the app's default speed "
                           "through the display timer, capture after SECONDS")
    p.add_argument("--lesson", type=int, default=None, metavar="N",
                   help="open lesson N (1-6) first, as the Lessons menu does")
    p.add_argument("--panel", default=None, metavar="NAME",
                   help=f"render only this panel: {', '.join(PANEL_NAMES)}")
    p.add_argument("--size", default="1600x1000",
                   help="window size WIDTHxHEIGHT, each side 200 … 4096")
    p.add_argument("--theme", choices=("light", "dark"), default="light", help="colour theme")
    p.add_argument("--workspace", metavar="FILE.json", help="open this saved workspace first")
    p.add_argument("--data", metavar="FILE.csv", help="import this CSV file first (as Import CSV…)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bn-studio",
        description="See batch norm, softmax regression and hyperparameter search while a "
                    "network trains. With no subcommand, opens the app.")
    sub = parser.add_subparsers(dest="command")
    train = sub.add_parser("train", help="train the BN and no-BN twins headless",
                           formatter_class=DefaultsFormatter)
    add_train_options(train)
    train.add_argument("--change", action="append", metavar="STEP:NAME=VALUE",
                       help="change a setting of both twins mid-run, e.g. 500:lr=5 (repeatable; "
                            "lr, momentum, beta1, beta2, l2, decay, bn_decay)")
    try:
        from bn_studio.cli_search import add_search_parser
        add_search_parser(sub, add_train_options)
    except ImportError:
        pass
    add_screenshot_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    import multiprocessing
    multiprocessing.freeze_support()    # a frozen (PyInstaller) app re-enters here in workers
    from bn_studio.core.datasets import DatasetError
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "train":
            return run_train(args)
        if args.command == "search":
            from bn_studio.cli_search import run_search
            return run_search(args)
        if args.command == "screenshot":
            from bn_studio.gui.app import run_screenshot
            return run_screenshot(args)
        from bn_studio.gui.app import run_app
        return run_app(argv or [])
    except (CliError, DatasetError) as e:
        print(f"bn-studio: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
