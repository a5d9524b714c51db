"""Preferences that persist between launches (QSettings): layout, last dataset, network, theme."""

from __future__ import annotations

import dataclasses
import json

from PySide6.QtCore import QSettings

from bn_studio.core.trainer import TrainConfig

from .model import DatasetSpec
from .theme import THEMES

SETTINGS_VERSION = 1


def settings() -> QSettings:
    return QSettings("BN Studio", "BN Studio")


def save_window(win) -> None:
    s = settings()
    s.setValue("version", SETTINGS_VERSION)
    s.setValue("window/geometry", win.saveGeometry())
    s.setValue("window/state", win.saveState(SETTINGS_VERSION))
    s.setValue("theme", getattr(win, "theme", "light"))
    s.setValue("config", json.dumps(win.model.config.to_dict()))
    spec = win.model.spec
    s.setValue("dataset", json.dumps(dataclasses.asdict(spec)) if spec is not None else "")
    s.sync()


def restore_window(win) -> None:
    """Apply what was saved; anything unreadable is ignored and the defaults stay."""
    s = settings()
    theme = s.value("theme")     # first: a new style sheet re-polishes widgets and moves docks
    if theme in THEMES and hasattr(win, "set_theme"):
        win.set_theme(theme)
    geometry, state = s.value("window/geometry"), s.value("window/state")
    if geometry is not None:
        win.restoreGeometry(geometry)
    if state is not None:
        win.restoreState(state, SETTINGS_VERSION)
    model = win.model
    try:
        text = s.value("dataset") or ""
        if text:
            model.set_spec(DatasetSpec(**json.loads(text)))
    except (TypeError, ValueError):
        pass
    try:
        text = s.value("config") or ""
        if text:
            model.set_config(TrainConfig.from_dict(json.loads(text)))
    except (TypeError, ValueError):
        pass


def has_saved_state() -> bool:
    return settings().contains("window/state")
