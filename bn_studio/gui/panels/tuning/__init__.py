"""The tuning panel (panel.py) and its views."""

from .panel import SEARCH_STEPS, TuningPanel, format_number, search_steps  # noqa: F401
