"""Hyperparameter search: random (or grid) trials on the right scale, run in worker processes.

The course's lesson, as code: sample at random rather than on a grid, and sample each
hyperparameter on the scale where its effect is even — the learning rate log-uniformly,
β of an EWMA as 1 − β on a log scale. Every trial's parameters and seed are drawn before any
trial runs, so a result never depends on which worker ran it or when.

Shaped like Optuna: ``runner.Search`` plans the trials and records their results (in a
``store.TrialStore``); an executor (``executors``: process pool or Dask, one protocol) runs
tasks, each a ``groups.TrialGroup`` (a single trial is a group of one). The package, by job:
``space`` (parameters, scales, apply_params), ``trials`` (TrialResult, Status, run_trial),
``groups`` (tasks: population and twins), ``executors``, ``store`` (SQLite), ``runner``
(SearchSpec, Search), ``analysis`` (what a finished search shows).
"""

from .executors import CANCEL_JOIN_S, DASK_RESUBMITS, POLL_S, WORKER_DIED
from .executors import DaskCluster, Executor, ProcessPool, SchedulerLost
from .groups import (DEFAULT_EXECUTOR, EXECUTORS, TrialGroup, plan_groups,
                     run_group, run_twin_trial)
from .runner import Progress, Search, SearchSpec
from .space import (INTEGER_PARAMS, PARAM_NAMES, SCALES, SUGGESTED_PARAMS,
                    Param, SearchSpace, SearchSpaceError, apply_params, decade_shares,
                    default_space, distinct_values, narrow_space, suggested_param)
from .store import SCHEMA_VERSION, StoreError, TrialStore, split_fingerprint
from .trials import (CURVE_POINTS, STATUSES, TWIN_KEYS, Status, TrialResult,
                     TwinOutcome, best_result, blank_result, export_csv, run_trial)

__all__ = ["CANCEL_JOIN_S", "DASK_RESUBMITS", "POLL_S", "WORKER_DIED", "DaskCluster", "Executor",
           "ProcessPool", "SchedulerLost", "DEFAULT_EXECUTOR", "EXECUTORS", "TrialGroup",
           "plan_groups", "run_group", "run_twin_trial", "Progress", "Search", "SearchSpec",
           "INTEGER_PARAMS", "PARAM_NAMES", "SCALES", "SUGGESTED_PARAMS", "Param", "SearchSpace",
           "SearchSpaceError", "apply_params", "decade_shares", "default_space", "distinct_values",
           "narrow_space", "suggested_param", "SCHEMA_VERSION", "StoreError", "TrialStore",
           "split_fingerprint", "CURVE_POINTS", "STATUSES", "TWIN_KEYS", "Status", "TrialResult",
           "TwinOutcome", "best_result", "blank_result", "export_csv", "run_trial"]
