"""Preferences that persist between launches: layout, last dataset, network, theme. The file is
QSettings' INI file, read and written by settings_store (plain values only, never unpickled)."""

from __future__ import annotations

import dataclasses
import json
import logging

from PySide6.QtCore import QByteArray

from bn_studio.core.data.datasets import DatasetSpec
from bn_studio.core.training.trainer import TrainConfig

from .settings_store import SettingsStore, settings_path
from .theme import THEMES

SETTINGS_VERSION = 1
MAX_SETTING_CHARS = 100_000     # a saved config or dataset is a few hundred characters

log = logging.getLogger(__name__)


_store: SettingsStore | None = None


def settings() -> SettingsStore:
    """The settings file, read once (and again only if something else changed it): a
    refused value is warned about once, not at every read."""
    global _store
    path = settings_path()
    if _store is None or _store.path != path or _store.changed_on_disk():
        _store = SettingsStore(path)
    return _store


def save_window(win) -> None:
    s = settings()
    s.setValue("version", SETTINGS_VERSION)
    s.setValue("window/geometry", bytes(win.saveGeometry().data()))
    s.setValue("window/state", bytes(win.saveState(SETTINGS_VERSION).data()))
    s.setValue("theme", getattr(win, "theme", "light"))
    s.setValue("config", json.dumps(win.model.config.to_dict()))
    spec = win.model.spec
    s.setValue("dataset", json.dumps(dataclasses.asdict(spec)) if spec is not None else "")
    s.sync()


def restore_window(win) -> None:
    """Apply what was saved; anything unreadable is logged and its default stays, so a
    damaged settings file can never stop the app from starting."""
    s = settings()
    theme = _value(s, "theme")   # first: a new style sheet re-polishes widgets and moves docks
    if isinstance(theme, str) and theme in THEMES and hasattr(win, "set_theme"):
        win.set_theme(theme)
    geometry, state = _value(s, "window/geometry"), _value(s, "window/state")
    if geometry is not None and not _restored(win.restoreGeometry, geometry):
        log.warning("saved window geometry is unusable; using the default")
    if state is not None and not _restored(lambda v: win.restoreState(v, SETTINGS_VERSION),
                                           state):
        log.warning("saved window layout is unusable; using the default")
    model = win.model
    spec = _json_value(s, "dataset", lambda d: _checked_spec(d))
    if spec is not None and not model.set_spec(spec):
        log.warning("saved dataset is unusable; using the default")
    config = _json_value(s, "config", TrainConfig.from_dict)
    if config is not None:
        model.set_config(config)


def _value(s: SettingsStore, key: str):
    return s.value(key)             # text, bytes, a list of text or None: nothing else


def _restored(restore, value) -> bool:
    if not isinstance(value, bytes):
        return False
    try:
        return bool(restore(QByteArray(value)))
    except (TypeError, ValueError, OverflowError):
        return False


def _json_value(s: SettingsStore, key: str, build):
    """``build(json object)`` of the saved text, or None (logged) if anything is wrong."""
    text = _value(s, key)
    if text in (None, ""):
        return None
    try:
        if not isinstance(text, str) or len(text) > MAX_SETTING_CHARS:
            raise ValueError("not a short text")
        doc = json.loads(text)
        if not isinstance(doc, dict):
            raise ValueError("not an object")
        return build(doc)
    except (TypeError, ValueError, KeyError, OverflowError, RecursionError) as e:
        why = str(e).splitlines()[0] if str(e) else e.__class__.__name__
        log.warning("saved %s is unusable (%s); using the default", key, why[:200])
        return None


def _checked_spec(d: dict) -> DatasetSpec:
    """A DatasetSpec whose settings make_dataset accepts (types and limits checked)."""
    from bn_studio.core.data.datasets import make_dataset
    spec = DatasetSpec(**d)
    make_dataset(spec.name, n=spec.n, noise=spec.noise, classes=spec.classes, seed=spec.seed)
    return spec


def has_saved_state() -> bool:
    return settings().contains("window/state")
