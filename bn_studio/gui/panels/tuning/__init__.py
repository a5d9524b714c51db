"""The tuning panel (panel.py) and its views."""

from .panel import SEARCH_STEPS, TuningPanel, search_steps  # noqa: F401
