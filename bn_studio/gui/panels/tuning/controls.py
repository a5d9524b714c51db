"""The tuning panel's run controls: the next search's settings (trials, steps, workers,
strategy, net, seed) and its run row, how a workspace's settings come back into them, and the
one-line status of a running search."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QHBoxLayout, QLabel, QProgressBar,
                               QPushButton, QSpinBox, QToolButton, QVBoxLayout, QWidget)

from bn_studio.core import limits
from bn_studio.core.search import SearchSpace

from .history import ResumeMenu

NETS = ("BN", "no BN", "both")
NET_TIPS = {"BN": "Every trial trains the net with batch norm after each hidden layer",
            "no BN": "Every trial trains the net without batch norm",
            "both": "Every trial trains both nets on the same draws (weights, batches); the "
                    "table shows both losses, val loss is the BN net's"}
# Steps per trial that the first-run network (deep sigmoid net, momentum) needs on each
# gallery dataset before the best trial is clearly below ln C, the loss at chance; measured
# with benchmarks/tuning_steps.py (best of 12: checkerboard 0.69 at 1 000 steps, 0.55 at
# 3 000, 0.41 at 5 000; spirals 0.23 at 300, 0.03 at 500; the rest < 0.1 at 300).
# Others (imported, drawn) get the default.
SEARCH_STEPS = {"moons": 300, "blobs": 300, "circles": 300, "spirals": 500, "xor": 300,
                "checkerboard": 5000}
DEFAULT_SEARCH_STEPS = 1000


def search_steps(dataset_name: str) -> int:
    """The tuning panel's default steps per trial for a dataset."""
    return SEARCH_STEPS.get(dataset_name, DEFAULT_SEARCH_STEPS)


def build_run_controls(panel, model) -> QWidget:
    """The next search's settings and the run row (Launch, Cancel, Resume…, progress) as
    attributes of ``panel``; returns the widget that lays them out."""
    panel.trials = _spin(1, 500, 20, "How many trials (networks) to train")
    panel.steps = _spin(10, 20000, search_steps(model.dataset.name),
                       "Training steps per trial (the default is what the current dataset "
                       "needs before the first-run network learns)")
    panel.workers = _spin(1, max(1, os.cpu_count() or 1) * 2, os.cpu_count() or 1,
                         "Worker processes (one per CPU core is best)")
    panel.strategy = QComboBox()
    panel.strategy.addItems(["random", "grid"])
    panel.strategy.setToolTip("Random search tries a new value of every parameter in every "
                             "trial; a grid tries only a few values of each")
    panel.net = QComboBox()
    for k, name in enumerate(NETS):
        panel.net.addItem(name)
        panel.net.setItemData(k, NET_TIPS[name], Qt.ItemDataRole.ToolTipRole)
    panel.net.setToolTip("Which net every trial trains: with batch norm (BN), without, or "
                        "both on the same draws")
    panel.seed = _spin(0, 2**31 - 1, model.config.seed,
                      "Seed of the trials' draws (parameters, initial weights, batches)")
    panel.fixed_seed = QCheckBox("fixed")
    panel.fixed_seed.setToolTip("Keep this seed: a new search draws the same trials again. "
                               "Unchecked, a search whose seed was used before moves on to "
                               "a new one, so each search draws new trials")
    panel.launch = QPushButton("Launch search")
    panel.launch.clicked.connect(panel.launch_search)
    panel.cancel_button = QPushButton("Cancel")
    panel.cancel_button.setEnabled(False)
    panel.cancel_button.clicked.connect(panel.cancel_search)
    panel.resume_button = QToolButton()
    panel.resume_button.setText("Resume…")
    panel.resume_button.setToolTip("Continue a search started in the app that did not "
                                  "finish (every search is stored as it runs)")
    panel.resume_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    panel.resume_menu = ResumeMenu(model.searches, panel.resume_button)
    panel.resume_menu.resumeRequested.connect(panel.resume_search)
    panel.resume_button.setMenu(panel.resume_menu)
    panel.progress = QProgressBar()
    panel.progress_label = QLabel("No search yet.")
    panel.progress_label.setWordWrap(True)       # a narrow dock (1366 px screens) shows it all
    panel.error = QLabel()
    panel.error.setStyleSheet("color: #c0392b;")
    panel.error.setWordWrap(True)
    panel.resume_menu.failed.connect(panel.error.setText)
    top = QWidget()
    t = QVBoxLayout(top)
    t.setContentsMargins(0, 0, 0, 0)
    for row in ((("trials", panel.trials), ("steps", panel.steps),
                 ("workers", panel.workers), ("", panel.strategy)),
                (("net", panel.net), ("seed", panel.seed), ("", panel.fixed_seed))):
        settings = QHBoxLayout()
        for label, w in row:
            if label:
                settings.addWidget(QLabel(label))
            settings.addWidget(w)
        settings.addStretch(1)
        t.addLayout(settings)
    run = QHBoxLayout()
    run.addWidget(panel.launch)
    run.addWidget(panel.cancel_button)
    run.addWidget(panel.resume_button)
    run.addWidget(panel.progress, 1)
    t.addLayout(run)
    t.addWidget(panel.progress_label)
    t.addWidget(panel.error)
    return top


def apply_settings(panel, state: dict) -> None:
    """A workspace's editor settings; a value of the wrong type is left as it is."""
    if state.get("space"):
        panel.editor.set_space(SearchSpace.from_list(state["space"]))
    for key, box in (("trials", panel.trials), ("steps", panel.steps), ("seed", panel.seed)):
        try:
            box.setValue(limits.check_int(state.get(key, box.value()), key, box.minimum(),
                                          box.maximum()))
        except ValueError:
            pass
    if state.get("strategy") in ("random", "grid"):
        panel.strategy.setCurrentText(state["strategy"])
    if state.get("net") in NETS:
        panel.net.setCurrentText(state["net"])
    if isinstance(state.get("fixed_seed"), bool):
        panel.fixed_seed.setChecked(state["fixed_seed"])


def status_text(pr, finished: bool, cancelled: bool) -> str:
    """One line: progress with a time estimate while running; at the end what came of it,
    without an estimate ("cancelled: 14 of 100 done", "finished: 20 of 20 done")."""
    c = pr.counts
    ran = c["ok"] + c["diverged"] + c["failed"]
    outcome = f"{c['ok']} ok, {c['diverged']} diverged, {c['failed']} failed"
    if finished:
        state = "Cancelled" if cancelled or c["cancelled"] else "Finished"
        return f"{state}: {ran} of {pr.total} done ({outcome})"
    if cancelled:
        return f"Cancelling… {ran} of {pr.total} done"
    return (f"{ran} of {pr.total} done ({outcome}), {pr.running} running, "
            f"{pr.remaining} waiting{eta_text(pr)}")


def eta_text(pr) -> str:
    """" — about 12 s left", " — almost done", or "" while there is no estimate yet."""
    if pr.eta_seconds is None:
        return ""
    return f" — about {pr.eta_seconds:.0f} s left" if pr.eta_seconds >= 1 else " — almost done"


def _spin(lo: int, hi: int, value: int, tip: str) -> QSpinBox:
    s = QSpinBox()
    s.setRange(lo, hi)
    s.setValue(value)
    s.setToolTip(tip)
    return s
