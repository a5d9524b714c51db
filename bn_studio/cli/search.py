"""``bn-studio search``: a random (or grid) hyperparameter search from the command line."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import time

from bn_studio.core import limits
from bn_studio.core.search import (DEFAULT_EXECUTOR, EXECUTORS, PARAM_NAMES, Param, Search,
                                   SearchSpace, SearchSpaceError, SearchSpec, StoreError,
                                   TrialResult, TrialStore, best_result, export_csv,
                                   split_fingerprint)
from bn_studio.core.search.analysis import param_importance
from bn_studio.errors import UsageError as CliError

from .options import DefaultsFormatter, config_from_args, dataset_from_args

TWIN_COLUMNS = ("bn_status", "bn_val_loss", "bn_val_accuracy", "bn_diverged_at",
                "no_bn_status", "no_bn_val_loss", "no_bn_val_accuracy", "no_bn_diverged_at")

# Signals that end a search the way Ctrl-C does: cancel, record what finished, exit.
STOP_SIGNALS = tuple(getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP")
                     if hasattr(signal, n))


def add_search_parser(sub, add_train_options) -> None:
    p = sub.add_parser(
        "search", help="random search of hyperparameters in worker processes",
        formatter_class=DefaultsFormatter,
        description="Random search (or a grid, for comparison) on the right scale. Parameters: "
                    f"{', '.join(PARAM_NAMES)}; scales: linear, int, log, one_minus_log, pow2, "
                    "choice. Example: --param lr=log:1e-4:1 --param beta1=one_minus_log:0.9:0.999 "
                    "--param hidden=int:50:100 --param bn=choice:0,1")
    add_train_options(p)
    s = p.add_argument_group("search")
    s.add_argument("--trials", type=int, default=20, help="number of trials")
    s.add_argument("--workers", type=int, default=None, help="worker processes (default: CPUs)")
    s.add_argument("--strategy", choices=("random", "grid"), default="random",
                   help="random search, or a grid for comparison")
    s.add_argument("--param", action="append", default=[], metavar="NAME=SCALE:LOW:HIGH",
                   help="a parameter to search (repeat for several)")
    s.add_argument("--search-seed", type=int, default=None,
                   help="seed of the trials' draws (default: --seed)")
    s.add_argument("--out", metavar="FILE.sqlite", help="store trials in this SQLite file")
    s.add_argument("--resume", action="store_true", help="continue the search in --out")
    s.add_argument("--csv", metavar="FILE.csv", help="write one row per trial")
    s.add_argument("--scheduler", metavar="ADDRESS",
                   help="run trials on a Dask distributed scheduler (needs 'distributed')")
    s.add_argument("--executor", choices=EXECUTORS, default=DEFAULT_EXECUTOR,
                   help="trial: one trial per task; population: trials of one structure "
                        "trained together, batched (the same results to rounding, several "
                        "times the trials per second)")
    s.add_argument("--population", action="store_const", dest="executor", const="population",
                   help="the same as --executor population")
    s.add_argument("--twins", action="store_true",
                   help="train every trial with and without BN on the same draws and report "
                        "both (bn_val_loss, no_bn_val_loss, …); val_loss etc. are the BN net's")


def run_search(args) -> int:
    from bn_studio.core.training.trainer import split_for
    if not args.param:
        raise CliError("give at least one --param, e.g. --param lr=log:1e-4:1")
    if args.resume and not args.out:
        raise CliError("--resume needs --out FILE.sqlite")
    check_search_args(args)
    try:
        space = SearchSpace([Param.parse(t) for t in args.param])
        base = config_from_args(args)
        spec = SearchSpec(space, args.trials, base,
                          seed=args.seed if args.search_seed is None else args.search_seed,
                          strategy=args.strategy, twins=args.twins)
    except SearchSpaceError as e:
        raise CliError(str(e)) from None
    ds = dataset_from_args(args)
    split = split_for(ds, base, seed=args.data_seed)
    info = {"dataset": ds.name, "n": int(ds.X.shape[0]), "classes": int(ds.classes),
            "noise": args.noise, "data_seed": args.data_seed,
            "sha1": split_fingerprint(split)}
    check_sizes(space, spec.base, int(ds.X.shape[0]))
    try:
        store = TrialStore(args.out) if args.out else TrialStore()
    except StoreError as e:
        raise CliError(str(e)) from None
    except Exception as e:
        raise CliError(f"cannot open {args.out}: {e}".splitlines()[0]) from None
    try:
        client = connect_scheduler(args.scheduler) if args.scheduler is not None else None
    except CliError:
        store.close()
        raise
    try:
        search = Search(spec, split, workers=args.workers, store=store, resume=args.resume,
                        scheduler=client, dataset_info=info,
                        executor=args.executor)
    except (SearchSpaceError, StoreError) as e:
        _close(client, store)
        raise CliError(str(e)) from None
    try:
        return _run(args, search, space, ds)
    finally:
        _close(client, store)


def _rounded(obj):
    """Floats to 4 significant digits, for people reading the plain-text summary."""
    if isinstance(obj, dict):
        return {k: _rounded(v) for k, v in obj.items()}
    if isinstance(obj, float):
        return float(f"{obj:.4g}")
    return obj


def check_search_args(args) -> None:
    """Options that would fail late (after the search) or waste the machine, refused or
    capped now, one line each."""
    try:
        limits.check_steps(args.steps, "--steps", low=1)
        limits.check_trials(args.trials)
        if args.search_seed is not None:
            limits.check_seed(args.search_seed, "--search-seed")
        if args.workers is not None:
            args.workers, note = limits.check_workers(args.workers)
            if note:
                print(f"bn-studio: note: {note}", file=sys.stderr)
    except ValueError as e:
        raise CliError(str(e)) from None
    if args.scheduler is not None and not args.scheduler.strip():
        raise CliError("--scheduler needs an address like tcp://host:8786 (it is empty)")
    if args.csv:
        check_writable(args.csv, "--csv")
    if args.out:
        check_writable(args.out, "--out")


def check_writable(path: str, option: str) -> None:
    """The file can be created or replaced: found before the search, not after it."""
    from pathlib import Path

    p = Path(path)
    folder = p.parent if str(p.parent) else Path(".")
    if p.is_dir():
        raise CliError(f"{option} {path}: is a folder, not a file")
    if not folder.is_dir():
        raise CliError(f"{option} {path}: no folder {folder}")
    if not os.access(p if p.exists() else folder, os.W_OK):
        raise CliError(f"{option} {path}: not writable")


def check_sizes(space: SearchSpace, base, points: int) -> None:
    """The widest net the space can draw must fit the points × units limit."""
    from bn_studio.core.search import apply_params
    widths = {p.name: max(p.extremes()) for p in space if p.name in ("hidden", "layers")
              and p.scale != "choice"}
    try:
        config, _ = apply_params(base, widths)
        limits.check_size(points, config.hidden)
    except ValueError as e:
        raise CliError(str(e)) from None


def twins_report(results: list[TrialResult]) -> dict:
    """Per net: how many trials ended ok / diverged, and every trial's pair of results."""
    twins = [r.twin_dict() for r in results]
    nets = {name: {s: sum(t.get(f"{name}_status") == s for t in twins)
                   for s in ("ok", "diverged")} for name in ("bn", "no_bn")}
    rows = [{"trial": r.trial, **r.params, **{k: t.get(k) for k in TWIN_COLUMNS}}
            for r, t in zip(results, twins) if r.status not in ("failed", "cancelled")]
    return {**nets, "results": rows}


def connect_scheduler(address: str):
    """A Dask client for ``--scheduler``, or a one-line CliError (exit status 2)."""
    try:
        from distributed import Client
    except ImportError:
        raise CliError("--scheduler needs the optional 'distributed' package: "
                       "pip install 'bn-studio[dask]'") from None
    quiet_dask_logs()
    try:
        return Client(address, timeout="10s")
    except Exception as e:
        why = str(e).splitlines()[0] if str(e) else e.__class__.__name__
        raise CliError(f"cannot reach the Dask scheduler at {address}: {why}") from None


def write_csv(results: list[TrialResult], path: str, names: list[str],
              extra: tuple[str, ...]) -> str | None:
    """The CSV, written beside ``path`` and moved over it only once complete: a full disk
    leaves the old file (or none), never a 0-byte or cut one. Returns what went wrong."""
    tmp = f"{path}.part-{os.getpid()}"
    try:
        export_csv(results, tmp, names, extra)
        os.replace(tmp, path)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        return f"cannot write {path}: {e.strerror or e} (the results are above)"
    return None


def quiet_dask_logs() -> None:
    """distributed logs a lost scheduler or worker as tracebacks; the search says it in one
    line (and its own warnings say which task it submitted again). Its config gives some
    loggers levels of their own, so each is set."""
    names = [n for n in logging.root.manager.loggerDict if n.split(".")[0] == "distributed"]
    for name in {"distributed", *names}:
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _close(client, store) -> None:
    if client is not None:
        client.close()
    store.close()


def _run(args, search: Search, space: SearchSpace, ds) -> int:
    t0 = time.perf_counter()
    received: list[int] = []

    def stop(signum, _frame) -> None:
        received.append(signum)
        search.cancel()

    previous = {sig: signal.signal(sig, stop) for sig in STOP_SIGNALS
                if signal.getsignal(sig) is not signal.SIG_IGN}     # nohup's SIGHUP stays ignored
    try:
        search.start()
        while not search.join(0.2):
            if not args.json:
                pr = search.progress()
                print(f"\r{pr.done}/{pr.total} done, {pr.running} running", end="",
                      file=sys.stderr, flush=True)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if not args.json:
        print(file=sys.stderr)
    results = search.results
    if search.error:
        print(f"bn-studio: the search stopped: {search.error}", file=sys.stderr)
    csv_error = None
    if args.csv:
        csv_error = write_csv(results, args.csv, [p.name for p in space],
                              TWIN_COLUMNS if args.twins else ())
    counts = {s: sum(r.status == s for r in results) for s in ("ok", "diverged", "failed")}
    counts["cancelled"] = search.total - sum(counts.values())    # includes never started
    best = best_result(results)
    out = {"trials": search.total, **counts,
           "best": ({**best.params, "val_loss": best.val_loss,
                     "val_accuracy": best.val_accuracy, "seed": best.seed,
                     "trial": best.trial} if best else None),
           "seconds": round(time.perf_counter() - t0, 3)}
    if ds.skipped_rows:
        out["skipped_rows"] = ds.skipped_rows
    # Which parameters mattered, most first ({} under IMPORTANCE_MIN_TRIALS finished trials).
    out["importance"] = {i.name: round(i.score, 4) for i in
                         param_importance(results, space, twin="bn" if args.twins else None)}
    if args.twins:
        out["twins"] = twins_report(results)
    if args.json:
        print(json.dumps(out))
    else:
        names = [p.name for p in space]
        print("trial  status    " + "  ".join(f"{n:>10s}" for n in names) + "    val_loss  val_acc")
        for r in results:
            vals = "  ".join(f"{r.params[n]:>10.4g}" if isinstance(r.params[n], float)
                             else f"{r.params[n]!s:>10s}" for n in names)
            vl = "" if r.val_loss is None else f"{r.val_loss:.4f}"
            va = "" if r.val_accuracy is None else f"{r.val_accuracy:.3f}"
            print(f"{r.trial:5d}  {r.status:9s} {vals}  {vl:>10s}  {va:>7s}")
        print(json.dumps(_rounded({k: out[k] for k in ("trials", "ok", "diverged", "failed",
                                                        "best", "importance")})))
    if csv_error:
        print(f"bn-studio: {csv_error}", file=sys.stderr)
        return 1
    if search.error:
        return 1
    if received and received[0] != signal.SIGINT:
        return 128 + received[0]            # the shell's convention: 143 for SIGTERM
    return 130 if counts["cancelled"] else 0
