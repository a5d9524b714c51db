"""Package data: icons, style sheets and desktop files are shipped, load, and validate."""

import shutil
import subprocess
import sys
import zipfile

import pytest
from PySide6.QtGui import QImage

from bn_studio.gui.resources import ICON_SIZES, app_icon, resource, style_sheet, toolbar_icon

TOOLBAR = ("play", "pause", "step", "reset", "export", "open", "save", "tuning", "lessons")
DESKTOP = "io.github.bnstudio.BNStudio.desktop"
METAINFO = "io.github.bnstudio.BNStudio.metainfo.xml"


@pytest.mark.parametrize("size", ICON_SIZES)
def test_app_icon_pngs_have_their_size(qapp, size):
    image = QImage(str(resource(f"icons/bn-studio-{size}.png")))
    assert not image.isNull() and image.width() == size and image.height() == size


def test_icons_and_style_sheets_load(qapp):
    assert not app_icon().isNull()
    for name in TOOLBAR:
        assert not toolbar_icon(name).isNull(), name
    assert "QDockWidget" in style_sheet("light") and "QDockWidget" in style_sheet("dark")


def validator(name):
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (Debian: desktop-file-utils / appstream)")
    return path


def test_desktop_file_validates():
    out = subprocess.run([validator("desktop-file-validate"), str(resource(DESKTOP))],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "error" not in out.stdout.lower()


def test_metainfo_validates():
    out = subprocess.run([validator("appstreamcli"), "validate", "--no-net",
                          str(resource(METAINFO))], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_wheel_contains_the_resources(tmp_path):
    import bn_studio
    from pathlib import Path
    project = Path(bn_studio.__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                          "--no-build-isolation", "-w", str(tmp_path), str(project)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    wheel = next(tmp_path.glob("bn_studio-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("bn_studio/resources/style.qss", f"bn_studio/resources/{DESKTOP}",
                   f"bn_studio/resources/{METAINFO}", "bn_studio/resources/icons/play.svg",
                   "bn_studio/resources/icons/bn-studio-256.png", "bn_studio/core/layers.py"):
        assert needed in names, needed


def test_every_subpackage_is_listed_for_packaging():
    import tomllib
    from pathlib import Path

    import bn_studio
    root = Path(bn_studio.__file__).resolve().parent
    listed = set(tomllib.loads((root.parent / "pyproject.toml").read_text())
                 ["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(root.parent).parts) for p in root.rglob("__init__.py")}
    assert found <= listed, f"add to pyproject's packages: {sorted(found - listed)}"
