"""At run time too: importing every module of bn_studio.core loads no Qt (the static rule is
import-linter's contract, tests/test_import_rules.py)."""

import pkgutil
import subprocess
import sys

import bn_studio.core

QT_PACKAGES = ("PySide6", "pyqtgraph", "superqt", "qtpy", "PyQt5", "PyQt6")


def test_every_core_module_imports_no_qt_or_pyqtgraph():
    names = sorted(m.name for m in pkgutil.walk_packages(bn_studio.core.__path__,
                                                          "bn_studio.core."))
    assert "bn_studio.core.lessons.numbers" in names and len(names) >= 10
    code = (f"import importlib, sys\nfor n in {names!r}: importlib.import_module(n)\n"
            f"bad = [m for m in sys.modules if m.split('.')[0] in {QT_PACKAGES!r}]\n"
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
