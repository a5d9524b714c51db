"""Raise α tenfold mid-run: the net without BN diverges, the net with BN keeps learning.

Runs `bn-studio train --change 500:lr=…` (the command line's own path, in process) for 10
seeds on moons with a 5-layer ReLU net and plain SGD, α = 0.2 → 2.0 at step 500, and reports
per seed where each twin diverged and the BN twin's final validation accuracy. The claim
holds for a seed when the no-BN twin diverged after the change and the BN twin did not.
Prints one JSON object.
Usage: python benchmarks/lr_jump.py [--seeds 10] [--steps 1000] [--at 500] [--factor 10]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import time

from bn_studio.cli import main as cli

ARGS = ["train", "--dataset", "moons", "--hidden", "32,32,32,32,32", "--activation", "relu",
        "--optimizer", "sgd", "--lr", "0.2", "--batch", "32"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--at", type=int, default=500)
    ap.add_argument("--factor", type=float, default=10.0)
    args = ap.parse_args()
    lr = float(ARGS[ARGS.index("--lr") + 1])
    t0 = time.perf_counter()
    rows = []
    for seed in range(args.seeds):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            cli([*ARGS, "--steps", str(args.steps), "--seed", str(seed),
                 "--change", f"{args.at}:lr={lr * args.factor:g}", "--json"])
        r = json.loads(out.getvalue())
        rows.append({"seed": seed, "no_bn_diverged_at": r["no_bn"]["diverged_at"],
                     "bn_diverged_at": r["bn"]["diverged_at"],
                     "bn_val_accuracy": r["bn"]["val_accuracy"],
                     "changes": r.get("changes")})
    holds = sum(r["no_bn_diverged_at"] is not None and r["no_bn_diverged_at"] > args.at
                and r["bn_diverged_at"] is None for r in rows)
    print(json.dumps({"command": " ".join(["bn-studio", *ARGS]),
                      "change": f"{args.at}:lr={lr * args.factor:g}",
                      "seeds": args.seeds, "claim_holds_in": holds,
                      "bn_val_accuracy_min": min((r["bn_val_accuracy"] or 0.0) for r in rows),
                      "per_seed": rows, "seconds": round(time.perf_counter() - t0, 1)}))


if __name__ == "__main__":
    main()
