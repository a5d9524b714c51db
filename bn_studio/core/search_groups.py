"""Moved to bn_studio.core.search.groups; this name keeps old imports working."""

from .search.groups import *  # noqa: F401,F403
from .search.groups import ExtrasTrialStore, TrialGroup, run_group, run_twin_trial  # noqa: F401
