"""Package data: icons, style sheets and desktop files are shipped, load, and validate."""

import configparser
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from PySide6.QtCore import QtMsgType, qInstallMessageHandler
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QLabel, QMainWindow

from bn_studio.gui.resources import (APP_ID, ICON_SIZES, TOOLBAR_ICONS, app_icon, resource,
                                     resource_path, style_sheet, toolbar_icon)

DESKTOP = f"{APP_ID}.desktop"
METAINFO = f"{APP_ID}.metainfo.xml"
PROJECT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("size", ICON_SIZES)
def test_app_icon_pngs_have_their_size(qapp, size):
    with resource_path(f"icons/bn-studio-{size}.png") as path:
        image = QImage(str(path))
    assert not image.isNull() and image.width() == size and image.height() == size
    assert image.hasAlphaChannel()               # rounded tile: transparent corners
    assert image.pixelColor(0, 0).alpha() == 0


def test_app_icon_has_every_size(qapp):
    icon = app_icon()
    assert not icon.isNull()
    sizes = {s.width() for s in icon.availableSizes()}
    assert set(ICON_SIZES) <= sizes


@pytest.mark.parametrize("name", TOOLBAR_ICONS)
def test_toolbar_icon_loads(qapp, name):
    icon = toolbar_icon(name)
    assert not icon.isNull(), name
    assert not icon.pixmap(24, 24).toImage().isNull()


def test_unknown_toolbar_icon_is_null_not_an_error(qapp):
    assert toolbar_icon("no-such-icon").isNull()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_style_sheet_parses(qapp, theme):
    text = style_sheet(theme)
    assert "QDockWidget::title" in text and 'QLabel[role="error"]' in text
    messages = []
    previous = qInstallMessageHandler(
        lambda kind, ctx, msg: messages.append(msg) if kind != QtMsgType.QtDebugMsg else None)
    try:
        win = QMainWindow()
        win.setStyleSheet(text)
        label = QLabel("x", win)
        label.setProperty("role", "error")
        win.setCentralWidget(label)
        win.ensurePolished()
        label.ensurePolished()
        if theme == "light":
            assert label.palette().color(label.foregroundRole()).name() == "#c0392b"
        win.close()
    finally:
        qInstallMessageHandler(previous)
    assert not [m for m in messages if "parse" in m.lower()], messages


def test_unknown_theme_falls_back_to_light():
    assert style_sheet("sepia") == style_sheet("light")


def test_ids_agree():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read_string(resource(DESKTOP).read_text(encoding="utf-8"))
    assert entry["Desktop Entry"]["Icon"] == APP_ID
    assert entry["Desktop Entry"]["Exec"].split()[0] == "bn-studio"
    root = ET.fromstring(resource(METAINFO).read_bytes())
    assert root.findtext("id") == APP_ID
    assert root.findtext("launchable") == DESKTOP
    assert root.findtext("provides/binary") == "bn-studio"


def validator(name):
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (Debian: desktop-file-utils / appstream)")
    return path


def test_desktop_file_validates():
    with resource_path(DESKTOP) as path:
        out = subprocess.run([validator("desktop-file-validate"), str(path)],
                             capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "error" not in (out.stdout + out.stderr).lower(), out.stdout + out.stderr


def test_metainfo_validates():
    with resource_path(METAINFO) as path:
        out = subprocess.run([validator("appstreamcli"), "validate", "--no-net", str(path)],
                             capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.slow
def test_wheel_contains_the_resources(tmp_path):
    """Build the wheel (no isolation, no dependencies: a few seconds) and look inside."""
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                          "--no-build-isolation", "-q", "-w", str(tmp_path), str(PROJECT)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    wheel = next(tmp_path.glob("bn_studio-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    needed = ["bn_studio/resources/__init__.py", "bn_studio/resources/style.qss",
              "bn_studio/resources/style-dark.qss", f"bn_studio/resources/{DESKTOP}",
              f"bn_studio/resources/{METAINFO}", "bn_studio/resources/icons/bn-studio.svg",
              "bn_studio/core/nn/layers.py", "bn_studio/gui/resources.py"]
    needed += [f"bn_studio/resources/icons/bn-studio-{s}.png" for s in ICON_SIZES]
    needed += [f"bn_studio/resources/icons/{n}.svg" for n in TOOLBAR_ICONS]
    needed += ["bn_studio/resources/example_lesson.json"]     # lesson packs
    needed += [f"bn_studio/resources/lessons/{p.name}"
               for p in (PROJECT / "resources" / "lessons").glob("*.json")]
    missing = [n for n in needed if n not in names]
    assert not missing, missing
    assert not [n for n in names if n.startswith(("resources/", "tests/", "packaging/"))]


def test_every_subpackage_is_listed_for_packaging():
    import tomllib

    listed = set(tomllib.loads((PROJECT / "pyproject.toml").read_text())
                 ["tool"]["setuptools"]["packages"])
    root = PROJECT / "bn_studio"
    found = {".".join(p.parent.relative_to(PROJECT).parts) for p in root.rglob("__init__.py")}
    assert found <= listed, f"add to pyproject's packages: {sorted(found - listed)}"
