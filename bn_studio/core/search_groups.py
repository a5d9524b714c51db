"""Moved to bn_studio.core.search.groups; this name keeps old imports working."""

from .search.groups import (EXECUTORS, GROUP_SIZE, ExtrasTrialStore, TrialGroup,  # noqa: F401
                            blank_task, plan_groups, run_group, run_groups, run_task,
                            run_twin_trial)
