"""The layer rules of pyproject.toml's [tool.importlinter] hold, checked by import-linter: core
and the live engine import no Qt/pyqtgraph/superqt and nothing from the gui or the cli;
cli → gui → live → core; inside core, lessons → search → training → measure | data → nn."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT = ("import sys; from importlinter.cli import lint_imports; "
        "sys.exit(lint_imports(config_filename='pyproject.toml', no_cache=True, no_logo=True))")


def lint(root: Path) -> subprocess.CompletedProcess:
    """lint-imports in ``root`` (which holds pyproject.toml and the bn_studio package)."""
    return subprocess.run([sys.executable, "-c", LINT], cwd=root, capture_output=True,
                          text=True, env={"PYTHONPATH": str(root), "PATH": "",
                                          "PYTHONIOENCODING": "utf-8"}, timeout=120)


def test_the_layer_contracts_are_kept():
    out = lint(ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "4 kept, 0 broken" in out.stdout


def copy_of_the_package(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    shutil.copytree(ROOT / "bn_studio", tmp_path / "bn_studio",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def test_a_qt_import_in_core_breaks_the_contract(tmp_path):
    root = copy_of_the_package(tmp_path)
    with open(root / "bn_studio/core/measure/stats.py", "a") as f:
        f.write("\nfrom PySide6 import QtCore  # noqa\n")
    out = lint(root)
    assert out.returncode == 1
    assert "bn_studio.core.measure.stats -> PySide6" in out.stdout


def test_a_cli_import_in_the_gui_breaks_the_layers(tmp_path):
    root = copy_of_the_package(tmp_path)
    with open(root / "bn_studio/gui/theme.py", "a") as f:
        f.write("\nfrom bn_studio.cli import CliError  # noqa\n")
    out = lint(root)
    assert out.returncode == 1
    assert "bn_studio.gui.theme -> bn_studio.cli" in out.stdout


def test_a_qt_import_in_the_live_engine_breaks_the_contract(tmp_path):
    root = copy_of_the_package(tmp_path)
    with open(root / "bn_studio/live/protocol.py", "a") as f:
        f.write("\nfrom PySide6 import QtCore  # noqa\n")
    out = lint(root)
    assert out.returncode == 1
    assert "bn_studio.live.protocol -> PySide6" in out.stdout


def test_an_upward_import_inside_core_breaks_the_layers(tmp_path):
    root = copy_of_the_package(tmp_path)
    with open(root / "bn_studio/core/nn/layers.py", "a") as f:
        f.write("\nfrom bn_studio.core.training import trainer  # noqa\n")
    out = lint(root)
    assert out.returncode == 1
    assert "bn_studio.core.nn is not allowed to import bn_studio.core.training" in out.stdout
