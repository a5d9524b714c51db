"""Package data (icons, style sheets, desktop files), found with importlib.resources so it works
from a source checkout, an installed wheel and a PyInstaller bundle alike."""

from __future__ import annotations

from importlib.resources import as_file, files

from PySide6.QtGui import QIcon

ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)
APP_ID = "io.github.bnstudio.BNStudio"


def resource(name: str):
    """A Traversable for ``name`` inside bn_studio.resources (e.g. 'icons/play.svg')."""
    return files("bn_studio.resources").joinpath(name)


def _icon_from(names: list[str]) -> QIcon:
    icon = QIcon()
    for name in names:
        with as_file(resource(name)) as path:
            icon.addFile(str(path))
    return icon


def app_icon() -> QIcon:
    return _icon_from([f"icons/bn-studio-{s}.png" for s in ICON_SIZES] + ["icons/bn-studio.svg"])


def toolbar_icon(name: str) -> QIcon:
    return _icon_from([f"icons/{name}.svg"])


def style_sheet(theme: str = "light") -> str:
    name = "style-dark.qss" if theme == "dark" else "style.qss"
    return resource(name).read_text(encoding="utf-8")
