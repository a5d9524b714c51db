"""The settings file holds plain values only: PySide's QSettings would unpickle a
``@Variant(...PyObjectWrapper...)`` value, so a settings file could run code at launch
(gui/settings_store.py reads and writes the file instead)."""

import logging
import os
import subprocess
import sys

import pytest
from PySide6.QtCore import QByteArray, QSettings

from bn_studio.gui import settings
from bn_studio.core.training.defaults import DEFAULT_CONFIG as FIRST_RUN_CONFIG
from bn_studio.gui.settings_store import SettingsStore, settings_path


class Opens:
    """Unpickling this creates ``path`` (open(path, "w")): the mark of code run."""

    def __init__(self, path) -> None:
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def pickled_variant(tmp_path, marker) -> str:
    """The line QSettings itself writes for a Python object: ``key=@Variant(...)``."""
    scratch = tmp_path / "scratch.ini"
    q = QSettings(str(scratch), QSettings.IniFormat)
    q.setValue("key", Opens(marker))
    q.sync()
    del q
    line = next(ln for ln in scratch.read_text().splitlines() if ln.startswith("key="))
    assert "@Variant(" in line and "PyObjectWrapper" in line
    return line.removeprefix("key=")


def hostile_files(variant: str) -> dict[str, str]:
    """The pickled value where a launch reads: beside the theme, in the layout's group,
    with its @ escaped, as an item of a list, and under a key the app never reads."""
    escaped = variant.replace("@Variant(", "\\x40Variant(", 1)
    return {
        "beside_theme": f"[General]\ntheme=dark\nconfig={variant}\n",
        "window_group": f"[General]\ntheme=dark\n\n[window]\nstate={variant}\n",
        "escaped_at": f"[General]\ntheme=dark\nconfig={escaped}\n",
        "list_item": f"[General]\ntheme=dark\nconfig=a, {variant}\n",
        "unused_key": f"[General]\ntheme=dark\nnever_read={variant}\n",
    }


@pytest.fixture
def clean_settings():
    settings.settings().clear()
    yield settings_path()
    settings.settings().clear()


@pytest.mark.parametrize("where", list(hostile_files("x")))
def test_a_pickled_object_in_the_settings_file_is_never_unpickled(
        where, tmp_path, clean_settings, settings_window, caplog):
    marker = tmp_path / "code-ran"
    path = clean_settings
    path.write_text(hostile_files(pickled_variant(tmp_path, marker))[where])
    win = settings_window()
    with caplog.at_level(logging.WARNING):
        assert not settings.has_saved_state()       # a refused layout is no layout
        settings.restore_window(win)                # what a launch reads
        assert settings.settings().value("theme") == "dark"     # plain values still count
        settings.settings().setValue("theme", "light")          # a save drops the refused
    assert not marker.exists()
    refusals = [r for r in caplog.records if "not plain data" in r.getMessage()]
    assert len(refusals) == 1 and "\n" not in refusals[0].getMessage()
    assert "Variant" not in path.read_text() and "theme=light" in path.read_text()
    assert win.model.config == FIRST_RUN_CONFIG


def test_the_app_starts_with_a_pickled_object_in_its_settings(tmp_path):
    """The real launch (run_app): it starts, closes, exits 0, and the code never ran."""
    marker = tmp_path / "code-ran"
    config = tmp_path / "config"
    conf = config / "BN Studio" / "BN Studio.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text(hostile_files(pickled_variant(tmp_path, marker))["beside_theme"])
    code = ("from PySide6.QtCore import QTimer\n"
            "from bn_studio.gui.app import make_application, run_app\n"
            "app = make_application()\n"
            "QTimer.singleShot(0, app.closeAllWindows)     # once the window is up\n"
            "raise SystemExit(run_app())\n")
    env = {**os.environ, "XDG_CONFIG_HOME": str(config), "QT_QPA_PLATFORM": "offscreen",
           "XDG_DATA_HOME": str(tmp_path / "data")}
    p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    assert not marker.exists()
    saved = conf.read_text()
    assert "[window]" in saved and "Variant" not in saved      # it ran, and saved on close


def test_settings_take_and_give_back_plain_values_only(clean_settings):
    s = settings.settings()
    values = {"text": 'a, "b"; =c\n\t@d é€😀 ', "at": "@Variant(x)", "bytes": bytes(range(256)),
              "list": ["x", " y ", "z,w"], "n": 7, "f": 0.25, "group/deep/key": "v"}
    for key, value in values.items():
        s.setValue(key, value)
    again = SettingsStore()
    back = {k: again.value(k) for k in values}
    assert back == {**values, "n": "7", "f": "0.25"}        # numbers read back as text
    with pytest.raises(TypeError):
        s.setValue("object", object())
    q = QSettings("BN Studio", "BN Studio")               # the file is QSettings' own format
    assert q.value("text") == values["text"] and q.value("at") == "@Variant(x)"
    assert bytes(q.value("bytes")) == values["bytes"] and q.value("list") == values["list"]
    assert q.value("group/deep/key") == "v"


def test_settings_saved_by_qsettings_still_load(clean_settings):
    q = QSettings("BN Studio", "BN Studio")
    q.setValue("theme", "dark")
    q.setValue("window/state", QByteArray(bytes(range(256))))
    q.setValue("config", '{"hidden": [4], "lr": 0.1}')
    q.sync()
    del q
    s = SettingsStore()
    assert s.value("theme") == "dark" and s.value("window/state") == bytes(range(256))
    assert s.value("config") == '{"hidden": [4], "lr": 0.1}'
