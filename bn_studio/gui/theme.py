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
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def class_rgb_array(classes: int) -> np.ndarray:
    """(C, 3) float array of class colours in 0..255."""
    return np.array([class_rgb(c) for c in range(classes)], dtype=np.float64)


def apply_pyqtgraph_theme(name: str = "light") -> None:
    import pyqtgraph as pg
    t = THEMES.get(name, THEMES["light"])
    pg.setConfigOptions(background=t["background"], foreground=t["foreground"],
                        antialias=False, imageAxisOrder="row-major")


def legend_brush():
    """A translucent plate of the background colour, so a curve under a legend cannot hide
    the legend's text."""
    import pyqtgraph as pg
    color = pg.mkColor(pg.getConfigOption("background"))
    color.setAlpha(210)
    return pg.mkBrush(color)


def apply_theme(name: str, root=None) -> str:
    """Switch the whole app to theme ``name`` and return the name used ('light' if unknown).

    The Qt style sheet is set only when it changes: setting one re-polishes every widget,
    which can resize docks that were just restored. pyqtgraph's options only reach items made
    later, so the plots already under ``root`` (a widget) are recoloured here.
    """
    import pyqtgraph as pg
    from PySide6.QtWidgets import QApplication

    name = name if name in THEMES else "light"
    old_foreground = pg.getConfigOption("foreground")
    apply_pyqtgraph_theme(name)
    app = QApplication.instance()
    try:
        from .resources import style_sheet
        sheet = style_sheet(name)
    except (ImportError, OSError):       # a broken install still gets themed plots
        sheet = None
    if isinstance(app, QApplication) and sheet is not None and app.styleSheet() != sheet:
        app.setStyleSheet(sheet)
    if root is not None:
        recolor_plots(root, old_foreground)
    return name


def recolor_plots(root, old_foreground) -> None:
    """Give every plot under ``root`` the current pyqtgraph background and foreground: axes,
    titles and legend labels, and text drawn in the old foreground. Explicit colours (a twin's
    title, a class colour) are left alone."""
    import pyqtgraph as pg

    background = pg.getConfigOption("background")
    fg = pg.mkColor(pg.getConfigOption("foreground"))
    old = pg.mkColor(old_foreground)
    for view in root.findChildren(pg.GraphicsView):
        view.setBackground(background)
        for item in view.scene().items():
            if isinstance(item, pg.AxisItem):
                item.setPen(fg)
                item.setTextPen(fg)
            elif isinstance(item, pg.LabelItem):
                color = item.opts.get("color")
                if color is None or pg.mkColor(color) == old:
                    item.opts["color"] = None          # follow the theme from now on
                    item.setText(item.text)
            elif isinstance(item, pg.TextItem) and pg.mkColor(item.color) == old:
                item.setColor(fg)
            elif isinstance(item, pg.LegendItem) and item.opts.get("brush") is not None:
                item.setBrush(legend_brush())
