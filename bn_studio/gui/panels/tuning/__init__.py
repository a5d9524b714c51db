"""The tuning panel (panel.py), its run controls (controls.py) and its views."""

from .controls import SEARCH_STEPS, search_steps  # noqa: F401
from .panel import TuningPanel  # noqa: F401
