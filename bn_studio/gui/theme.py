"""Colours and fonts shared by every panel, so a class or a twin looks the same everywhere."""

from __future__ import annotations

import numpy as np

# Fixed class colours (Okabe–Ito, colour-blind safe), up to 8 classes.
CLASS_COLORS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7",
                "#56B4E9", "#D55E00", "#F0E442", "#7F7F7F"]

# The two twins: one colour each, used in curves, histograms and labels.
RUN_COLORS = {"bn": "#1f77b4", "no_bn": "#d62728"}
RUN_LABELS = {"bn": "with BN", "no_bn": "without BN"}
DIVERGED_COLOR = "#7f0000"

THEMES = {
    "light": {"background": "#ffffff", "foreground": "#202020", "grid": 0.15},
    "dark": {"background": "#1e1e1e", "foreground": "#e0e0e0", "grid": 0.2},
}


def class_rgb(c: int) -> tuple[int, int, int]:
    h = CLASS_COLORS[c % len(CLASS_COLORS)].lstrip("#")
    return tuple(int(h[i:i + 2], 16) for i in (0, 2, 4))


def class_rgb_array(classes: int) -> np.ndarray:
    """(C, 3) float array of class colours in 0..255."""
    return np.array([class_rgb(c) for c in range(classes)], dtype=np.float64)


def apply_pyqtgraph_theme(name: str = "light") -> None:
    import pyqtgraph as pg
    t = THEMES.get(name, THEMES["light"])
    pg.setConfigOptions(background=t["background"], foreground=t["foreground"],
                        antialias=False, imageAxisOrder="row-major")
