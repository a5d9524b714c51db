"""Lesson 11's page (covariate shift done right): the run pauses at step SHIFT_AT, then the
learner moves every input, or only the validation inputs, and trains on (a mixin of the
lessons panel, like lesson_bn.py's pages)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QPushButton

from bn_studio.core.lessons import numbers as L
from bn_studio.core.lessons.pack import Lesson

from ...model import DatasetSpec
from .widgets import _label

if TYPE_CHECKING:           # mixed into LessonsPanel: mypy reads the panel's attributes
    from ..base import Panel as _Host
else:
    _Host = object

SHIFT_AT = 1000                 # the lesson pauses here: both nets fit the spirals by then


class ShiftPages(_Host):
    """Mixin for LessonsPanel: ``self.model``, ``self.current`` come from the panel."""

    current: Lesson | None      # set up by LessonsPanel

    def _build_covariate_shift(self, lay) -> None:
        dx, dy = L.SHIFT_OFFSET
        self.shift_all_button = QPushButton("Shift all inputs")
        self.shift_all_button.setToolTip(
            f"Add ({dx:g}, {dy:g}) to every input, training and validation alike, from now "
            "on; training goes on and sees the moved inputs (a shift over time)")
        self.shift_all_button.clicked.connect(lambda: self.shift_lesson_inputs(False))
        self.shift_val_button = QPushButton("Shift validation inputs only")
        self.shift_val_button.setToolTip(
            f"Add ({dx:g}, {dy:g}) to the validation inputs only: the net is used on moved "
            "inputs while it still trains on the old ones (a shift at test time)")
        self.shift_val_button.clicked.connect(lambda: self.shift_lesson_inputs(True))
        again = QPushButton("Start again, unshifted")
        again.setToolTip(f"The lesson's data as it was, training from step 0; pauses at step "
                         f"{SHIFT_AT} again")
        again.clicked.connect(self.restart_shift_lesson)
        play = QPushButton("Play / pause")
        play.clicked.connect(self.model.toggle_play)
        lay.addWidget(_label(f"The run pauses by itself at step {SHIFT_AT}. Then shift, and "
                             "press Play to train on."))
        lay.addWidget(play)
        lay.addWidget(self.shift_all_button)
        lay.addWidget(self.shift_val_button)
        lay.addWidget(again)
        self.shift_state = _label()
        lay.addWidget(self.shift_state)

    def shift_lesson_inputs(self, validation_only: bool) -> None:
        """Move the inputs once per run (a second shift would be another experiment)."""
        self.model.pause_at(None)
        self.model.shift_inputs(L.SHIFT_OFFSET, validation_only=validation_only)
        self._shift_spec_moved = True
        step = self.model.snapshot.step if self.model.snapshot is not None else 0
        dx, dy = L.SHIFT_OFFSET
        what = ("the validation inputs only; training goes on with the old ones"
                if validation_only else "all inputs, training and validation; training goes on")
        self.shift_state.setText(f"<i>Shifted by ({dx:+g}, {dy:+g}) at step {step}: {what}. "
                                 "'Start again' unshifts them.</i>")
        for b in (self.shift_all_button, self.shift_val_button):
            b.setEnabled(False)

    def restart_shift_lesson(self) -> None:
        """The lesson's data unshifted, training from step 0, pausing at SHIFT_AT."""
        self.model.pause()
        self._reset_shift()
        if self.current is not None and self.current.dataset:
            self.model.set_spec(DatasetSpec(**self.current.dataset))
        self.shift_state.setText(f"<i>Unshifted; training restarted from step 0 (pauses at "
                                 f"step {SHIFT_AT}).</i>")

    def _reset_shift(self) -> None:
        self._shift_spec_moved = False
        for b in (self.shift_all_button, self.shift_val_button):
            b.setEnabled(True)
        self.shift_state.setText("")
        self.model.pause_at(SHIFT_AT)

    def _leave_shift(self, nxt) -> None:
        """Neither the pause at SHIFT_AT nor moved inputs follow the learner out of lesson 11
        (a next lesson with its own data replaces them anyway)."""
        if self.current is None or self.current.experiment != "covariate_shift":
            return
        self.model.pause_at(None)
        moved = getattr(self, "_shift_spec_moved", False)
        if moved and self.current.dataset and (nxt is None or nxt.dataset is None):
            self.model.set_spec(DatasetSpec(**self.current.dataset))
        self._shift_spec_moved = False
