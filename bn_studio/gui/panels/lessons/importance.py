"""Lesson 16's page, which hyperparameters matter most: a button that sets the Tuning panel up
with the lesson's random search over six parameters and launches it, and a line that follows
the ranking as trials end (the bars are the Tuning panel's Ranking tab). A mixin of the
lessons panel."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QPushButton

from bn_studio.core.lessons import numbers as L
from bn_studio.core.lessons.pack import Lesson
from bn_studio.core.search.analysis import IMPORTANCE_MIN_TRIALS, param_importance

from ...plain_text import escape
from ...search_model import TUNING
from ..tuning.importance import label
from .widgets import _label

if TYPE_CHECKING:           # mixed into LessonsPanel: mypy reads the panel's attributes
    from ..base import Panel as _Host
else:
    _Host = object

# Short: with the app's theme, the longer "Run the search in the Tuning panel" made the
# page 3 px wider than the lesson dock of a first launch at 1366×768.
IMPORTANCE_BUTTON = f"Run the {L.IMPORTANCE_TRIALS}-trial search"
IMPORTANCE_IDLE = ("The search runs in the Tuning panel; its Ranking tab draws the bars, and "
                   "Cancel is there too.")


class ImportancePages(_Host):
    """Lesson 16 of the lessons panel: ``self.model`` and ``self.current`` come from it."""

    current: Lesson | None

    def _build_importance(self, lay) -> None:
        run = QPushButton(IMPORTANCE_BUTTON)
        run.setToolTip(f"Put the lesson's search in the Tuning panel ({L.IMPORTANCE_TRIALS} "
                       f"random trials of {L.IMPORTANCE_STEPS} steps over "
                       + ", ".join(label(p.name) for p in L.IMPORTANCE_SPACE)
                       + ") and launch it; each press draws new trials")
        run.clicked.connect(self.run_importance)
        self.importance_button = run
        self.importance_label = _label(IMPORTANCE_IDLE)
        lay.addWidget(run)
        lay.addWidget(self.importance_label)
        searches = self.model.searches
        searches.resultsAdded.connect(lambda name, _new: self._follow_importance(name))
        searches.finished.connect(self._follow_importance)

    def reset_importance(self) -> None:
        """The lesson opened again: no ranking of an earlier search is shown as this one's."""
        self.importance_label.setText(IMPORTANCE_IDLE)

    def run_importance(self) -> bool:
        """Set the Tuning panel up with the lesson's search on the current network and data,
        launch it and show its Ranking tab."""
        window = self.window()
        tuning = getattr(window, "panels", {}).get("tuning")
        if tuning is None:
            self.importance_label.setText("This lesson needs the Tuning panel.")
            return False
        if hasattr(window, "raise_panel"):
            window.raise_panel("tuning")
        cfg = self.model.config
        if not (tuning.set_up_search(L.importance_spec(cfg, cfg.seed))
                and tuning.launch_search()):
            self.importance_label.setText("The Tuning panel could not start the search: "
                                          + escape(tuning.error.text() or "see the panel"))
            return False
        tuning.tabs.setCurrentWidget(tuning.importance)
        self.importance_label.setText(f"Running {L.IMPORTANCE_TRIALS} trials: the bars come "
                                      f"once {IMPORTANCE_MIN_TRIALS} have finished.")
        return True

    def _follow_importance(self, name: str) -> None:
        """The ranking so far, in words, while this lesson is open."""
        if name != TUNING or self.current is None or self.current.experiment != "importance":
            return
        run = self.model.searches.run(TUNING)
        if run is None or run.space is None:
            return
        ranked = param_importance(run.results, run.space)
        if not ranked:
            return
        done = not self.model.searches.running(TUNING)
        head = (f"Done: {len(run.results)} trials" if done else
                f"{len(run.results)} of {run.total} trials so far")
        self.importance_label.setText(
            f"{head}. Most first: " + ", ".join(
                f"{escape(label(i.name))} {100 * i.score:.0f} %" for i in ranked)
            + ". The bars and 'loss vs' each parameter are in the Tuning panel.")
