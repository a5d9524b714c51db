import subprocess
import sys


def test_core_imports_no_qt_or_pyqtgraph():
    code = ("import sys, bn_studio.core, bn_studio.core.layers, bn_studio.core.losses, "
            "bn_studio.core.network, bn_studio.core.optim, bn_studio.core.trainer, "
            "bn_studio.core.datasets, bn_studio.core.stats, bn_studio.core.search\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in "
            "('PySide6', 'pyqtgraph', 'superqt', 'qtpy', 'PyQt5', 'PyQt6')]\n"
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
