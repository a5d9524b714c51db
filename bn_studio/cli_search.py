"""``bn-studio search``: a random (or grid) hyperparameter search from the command line."""

from __future__ import annotations

import json
import signal
import sys
import time

from bn_studio.core.search import (PARAM_NAMES, Param, Search, SearchSpace, SearchSpaceError,
                                   SearchSpec, TrialStore, best_result, export_csv,
                                   split_fingerprint)
from bn_studio.core.search_groups import ExtrasTrialStore

TWIN_COLUMNS = ("bn_status", "bn_val_loss", "bn_val_accuracy", "bn_diverged_at",
                "no_bn_status", "no_bn_val_loss", "no_bn_val_accuracy", "no_bn_diverged_at")


def add_search_parser(sub, add_train_options) -> None:
    p = sub.add_parser(
        "search", help="random search of hyperparameters in worker processes",
        description="Random search (or a grid, for comparison) on the right scale. Parameters: "
                    f"{', '.join(PARAM_NAMES)}; scales: linear, int, log, one_minus_log, pow2, "
                    "choice. Example: --param lr=log:1e-4:1 --param beta1=one_minus_log:0.9:0.999 "
                    "--param hidden=int:50:100 --param bn=choice:0,1")
    add_train_options(p)
    s = p.add_argument_group("search")
    s.add_argument("--trials", type=int, default=20, help="number of trials")
    s.add_argument("--workers", type=int, default=None, help="worker processes (default: CPUs)")
    s.add_argument("--strategy", choices=("random", "grid"), default="random")
    s.add_argument("--param", action="append", default=[], metavar="NAME=SCALE:LOW:HIGH",
                   help="a parameter to search (repeat for several)")
    s.add_argument("--search-seed", type=int, default=None,
                   help="seed of the trials' draws (default: --seed)")
    s.add_argument("--out", metavar="FILE.sqlite", help="store trials in this SQLite file")
    s.add_argument("--resume", action="store_true", help="continue the search in --out")
    s.add_argument("--csv", metavar="FILE.csv", help="write one row per trial")
    s.add_argument("--scheduler", metavar="ADDRESS",
                   help="run trials on a Dask distributed scheduler (needs 'distributed')")
    s.add_argument("--population", action="store_true",
                   help="train trials of one structure together, batched (same results, "
                        "several times the trials per second)")
    s.add_argument("--twins", action="store_true",
                   help="train every trial with and without BN on the same draws and report "
                        "both (bn_val_loss, no_bn_val_loss, …); val_loss etc. are the BN net's")


def run_search(args) -> int:
    from bn_studio.cli import CliError, config_from_args, dataset_from_args
    from bn_studio.core.datasets import split_and_standardize
    if not args.param:
        raise CliError("give at least one --param, e.g. --param lr=log:1e-4:1")
    if args.resume and not args.out:
        raise CliError("--resume needs --out FILE.sqlite")
    if args.workers is not None and args.workers < 1:
        raise CliError("--workers must be at least 1")
    try:
        space = SearchSpace([Param.parse(t) for t in args.param])
        base = config_from_args(args)
        spec = SearchSpec(space, args.trials, base,
                          seed=args.seed if args.search_seed is None else args.search_seed,
                          strategy=args.strategy, twins=args.twins)
    except SearchSpaceError as e:
        raise CliError(str(e)) from None
    ds = dataset_from_args(args)
    split = split_and_standardize(ds, seed=args.data_seed)
    info = {"dataset": ds.name, "n": int(ds.X.shape[0]), "classes": int(ds.classes),
            "noise": args.noise, "data_seed": args.data_seed,
            "sha1": split_fingerprint(split)}
    try:
        store_class = ExtrasTrialStore if args.twins else TrialStore
        store = store_class(args.out) if args.out else store_class()
    except Exception as e:
        raise CliError(f"cannot open {args.out}: {e}") from None
    client = connect_scheduler(args.scheduler) if args.scheduler else None
    try:
        search = Search(spec, split, workers=args.workers, store=store, resume=args.resume,
                        scheduler=client, dataset_info=info,
                        executor="population" if args.population else "trial")
    except SearchSpaceError as e:
        _close(client, store)
        raise CliError(str(e)) from None
    try:
        return _run(args, search, space, ds)
    finally:
        _close(client, store)


def twins_report(results: list[dict]) -> dict:
    """Per net: how many trials ended ok / diverged, and every trial's pair of results."""
    nets = {name: {s: sum(r.get(f"{name}_status") == s for r in results)
                   for s in ("ok", "diverged")} for name in ("bn", "no_bn")}
    rows = [{"trial": r["trial"], **r["params"], **{k: r.get(k) for k in TWIN_COLUMNS}}
            for r in results if r["status"] not in ("failed", "cancelled")]
    return {**nets, "results": rows}


def connect_scheduler(address: str):
    """A Dask client for ``--scheduler``, or a one-line CliError (exit status 2)."""
    from bn_studio.cli import CliError
    try:
        from distributed import Client
    except ImportError:
        raise CliError("--scheduler needs the optional 'distributed' package: "
                       "pip install 'bn-studio[dask]'") from None
    try:
        return Client(address, timeout="10s")
    except Exception as e:
        why = str(e).splitlines()[0] if str(e) else e.__class__.__name__
        raise CliError(f"cannot reach the Dask scheduler at {address}: {why}") from None


def _close(client, store) -> None:
    if client is not None:
        client.close()
    store.close()


def _run(args, search: Search, space: SearchSpace, ds) -> int:
    from bn_studio.cli import CliError

    t0 = time.perf_counter()
    previous = signal.signal(signal.SIGINT, lambda *_: search.cancel())
    try:
        search.start()
        while not search.join(0.2):
            if not args.json:
                pr = search.progress()
                print(f"\r{pr.done}/{pr.total} done, {pr.running} running", end="",
                      file=sys.stderr, flush=True)
    finally:
        signal.signal(signal.SIGINT, previous)
    if not args.json:
        print(file=sys.stderr)
    results = sorted(search.results, key=lambda r: r["trial"])
    if search.error:
        print(f"bn-studio: the search stopped: {search.error}", file=sys.stderr)
    if args.csv:
        try:
            export_csv(results, args.csv, [p.name for p in space],
                       TWIN_COLUMNS if args.twins else ())
        except OSError as e:
            raise CliError(f"cannot write {args.csv}: {e.strerror or e}") from None
    counts = {s: sum(r["status"] == s for r in results) for s in ("ok", "diverged", "failed")}
    counts["cancelled"] = search.total - sum(counts.values())    # includes never started
    best = best_result(results)
    out = {"trials": search.total, **counts,
           "best": ({**best["params"], "val_loss": best["val_loss"],
                     "val_accuracy": best["val_accuracy"], "seed": best["seed"],
                     "trial": best["trial"]} if best else None),
           "seconds": round(time.perf_counter() - t0, 3)}
    if ds.skipped_rows:
        out["skipped_rows"] = ds.skipped_rows
    if args.twins:
        out["twins"] = twins_report(results)
    if args.json:
        print(json.dumps(out))
    else:
        names = [p.name for p in space]
        print("trial  status    " + "  ".join(f"{n:>10s}" for n in names) + "    val_loss  val_acc")
        for r in results:
            vals = "  ".join(f"{r['params'][n]:>10.4g}" if isinstance(r['params'][n], float)
                             else f"{r['params'][n]!s:>10s}" for n in names)
            vl = "" if r["val_loss"] is None else f"{r['val_loss']:.4f}"
            va = "" if r["val_accuracy"] is None else f"{r['val_accuracy']:.3f}"
            print(f"{r['trial']:5d}  {r['status']:9s} {vals}  {vl:>10s}  {va:>7s}")
        print(json.dumps({k: out[k] for k in ("trials", "ok", "diverged", "failed", "best")}))
    if search.error:
        return 1
    return 130 if counts["cancelled"] else 0
