"""Package data (icons, style sheets, desktop files), found with importlib.resources so it works
from a source checkout, an editable install, an installed wheel and a PyInstaller bundle alike.

``resources/`` at the repository root is installed as the package ``bn_studio.resources``
(see pyproject's ``package-dir``).
"""

from __future__ import annotations

import logging
from importlib.resources import as_file, files
from importlib.resources.abc import Traversable
from pathlib import Path

from PySide6.QtGui import QIcon, QPixmap

log = logging.getLogger(__name__)

PACKAGE = "bn_studio.resources"
APP_ID = "io.github.bnstudio.BNStudio"     # desktop file, metainfo and installed icon name
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)
TOOLBAR_ICONS = ("play", "pause", "step", "reset", "export", "open", "save", "tuning", "lessons")
THEMES = {"light": "style.qss", "dark": "style-dark.qss"}


def resource(name: str) -> Traversable:
    """``name`` inside bn_studio.resources (e.g. ``'icons/play.svg'``), as a Traversable:
    a pathlib.Path for files on disk; use :func:`resource_path` where a real file is needed."""
    node = files(PACKAGE)
    for part in name.split("/"):
        node = node.joinpath(part)
    return node


def resource_path(name: str):
    """A context manager giving a real filesystem path for ``name`` (a temporary copy only
    when the package is imported from a zip):  ``with resource_path("x.desktop") as p: ...``"""
    return as_file(resource(name))


def _add(icon: QIcon, name: str) -> bool:
    node = resource(name)
    if not node.is_file():
        log.warning("missing resource %s", name)
        return False
    if isinstance(node, Path):                    # on disk: let Qt load lazily (SVG scales)
        icon.addFile(str(node))
        return True
    pixmap = QPixmap()                            # in a zip: Qt cannot see the file, use bytes
    if not pixmap.loadFromData(node.read_bytes()):
        log.warning("could not load resource %s", name)
        return False
    icon.addPixmap(pixmap)
    return True


def _icon(names: list[str]) -> QIcon:
    icon = QIcon()
    for name in names:
        _add(icon, name)
    return icon


def app_icon() -> QIcon:
    """The application icon: every PNG size plus the scalable SVG."""
    return _icon([f"icons/bn-studio-{s}.png" for s in ICON_SIZES] + ["icons/bn-studio.svg"])


def toolbar_icon(name: str) -> QIcon:
    """A toolbar icon by name (see TOOLBAR_ICONS); a null QIcon (and a warning) if unknown."""
    return _icon([f"icons/{name}.svg"])


def style_sheet(theme: str = "light") -> str:
    """The Qt style sheet for ``theme`` ('light' or 'dark'; anything else means light)."""
    return resource(THEMES.get(theme, THEMES["light"])).read_text(encoding="utf-8")
