"""How many steps the tuning panel's default search needs before its "best" means anything.

For each gallery dataset (the dataset panel's defaults) it runs the default search space of the
first-run network (deep sigmoid net, momentum) once for ``--max-steps`` steps and reads every
trial's validation curve at each checkpoint: the best validation loss against ln C, the loss of
a guess at chance. A checkpoint "learns" when the best loss is below ``--ratio`` × ln C.
Prints one JSON object. Usage: python benchmarks/tuning_steps.py [--trials 12] [--max-steps 2000]
"""

from __future__ import annotations

import argparse
import json
import math

import numpy as np

from bn_studio.core.data.datasets import DATASETS, make_dataset, split_and_standardize
from bn_studio.core.search import Search, SearchSpec, default_space
from bn_studio.core.training.trainer import TrainConfig

# A deep sigmoid network trained with momentum, like the app's first run (core/defaults.py).
FIRST_RUN = TrainConfig(hidden=(32, 32, 32, 32), activation="sigmoid", optimizer="momentum",
                        lr=1.0, momentum=0.9, batch=32, eval_every=10)


def best_at(results: list, step: int) -> float:
    losses = []
    for r in results:
        c = r.curve or {}
        at = [i for i, s in enumerate(c.get("step", [])) if s <= step]   # curves are thinned
        if r.status == "ok" and at:
            v = c["val_loss"][at[-1]]
            if v is not None:
                losses.append(v)
    return min(losses) if losses else math.nan


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--trials", type=int, default=12)
    ap.add_argument("--max-steps", type=int, default=2000)
    ap.add_argument("--checkpoints", default="300,500,1000,1500,2000")
    ap.add_argument("--ratio", type=float, default=0.8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--datasets", default=",".join(DATASETS))
    args = ap.parse_args()
    checkpoints = [int(s) for s in args.checkpoints.split(",")]
    out = {}
    for name in args.datasets.split(","):
        ds = make_dataset(name, n=600, noise=0.2, seed=0)
        split = split_and_standardize(ds, seed=0)
        spec = SearchSpec(default_space("momentum"), args.trials,
                          FIRST_RUN.replace(steps=args.max_steps), seed=0)
        results = Search(spec, split, workers=args.workers).run()
        chance = math.log(ds.classes)
        best = {s: best_at(results, s) for s in checkpoints}
        learns = [s for s in checkpoints if best[s] < args.ratio * chance]
        out[name] = {"classes": int(ds.classes), "ln_C": round(chance, 4),
                     "best_val_loss": {s: round(v, 4) for s, v in best.items()},
                     "first_learning_checkpoint": learns[0] if learns else None,
                     "diverged": sum(r.status == "diverged" for r in results)}
    print(json.dumps(out, default=lambda v: None if isinstance(v, float) and np.isnan(v) else v))


if __name__ == "__main__":
    main()
