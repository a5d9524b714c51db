"""Hyperparameter search: random (or grid) trials on the right scale, run in worker processes.

The course's lesson, as code: sample at random rather than on a grid, and sample each
hyperparameter on the scale where its effect is even — the learning rate log-uniformly,
β of an EWMA as 1 − β on a log scale. Every trial's parameters and seed are drawn before any
trial runs, so a result never depends on which worker ran it or when.

The package, by job: ``space`` (parameters, scales, apply_params), ``trials`` (TrialResult,
run_trial), ``store`` (SQLite), ``runner`` (SearchSpec, Search), ``executors`` (process pool,
Dask), ``groups`` (population and twins tasks), ``analysis`` (what a finished search shows).
"""

from ..procs import BLAS_THREAD_VARS, single_blas_thread  # noqa: F401  (their old home)
from .executors import CANCEL_JOIN_S, DASK_RESUBMITS, POLL_S, WORKER_DIED  # noqa: F401
from .runner import Progress, Search, SearchSpec  # noqa: F401
from .space import (INTEGER_PARAMS, PARAM_NAMES, SCALES, SUGGESTED_PARAMS,  # noqa: F401
                    Param, SearchSpace, SearchSpaceError, apply_params, decade_shares,
                    default_space, distinct_values, narrow_space, suggested_param)
from .store import ExtrasTrialStore, StoreError, TrialStore, split_fingerprint  # noqa: F401
from .trials import (CURVE_POINTS, STATUSES, TWIN_KEYS, TrialResult,  # noqa: F401
                     TwinOutcome, best_result, blank_result, export_csv, run_trial)
