"""``bn-studio train``: the BN and no-BN twins, headless; a summary as text or one JSON object."""

from __future__ import annotations

import json
import time

from bn_studio.errors import UsageError as CliError

from .options import (DefaultsFormatter, add_train_options, changes_from_args, config_from_args,
                      dataset_from_args)

PLAIN_DIGITS = 4            # significant digits of numbers in plain-text output


def add_train_parser(sub) -> None:
    train = sub.add_parser("train", help="train the BN and no-BN twins headless",
                           formatter_class=DefaultsFormatter)
    add_train_options(train)
    from bn_studio.core.training.params import LIVE
    train.add_argument("--change", action="append", metavar="STEP:NAME=VALUE",
                       help="change a setting of both twins mid-run, e.g. 500:lr=5 (repeatable; "
                            f"{', '.join(LIVE)})")


def run_train(args) -> int:
    from bn_studio.core.training.trainer import TwinTrainer, advance
    config = config_from_args(args)
    changes = changes_from_args(args)
    try:
        scheduled = config.replace(changes=changes)
    except ValueError as e:             # a change to an out-of-range value
        raise CliError(f"--change: {e}") from None
    ds = dataset_from_args(args)
    from bn_studio.core.training.trainer import split_for
    split = split_for(ds, config, seed=args.data_seed)
    try:
        trainer = TwinTrainer(scheduled, split)
    except ValueError as e:
        raise CliError(str(e)) from None
    t0 = time.perf_counter()
    advance(trainer, config.steps)
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


