"""Guided lessons: each sets up the studio, says what to watch, asks the learner to predict
before pressing Play, runs an experiment and reveals the answer after. The lessons are lesson
packs (bn_studio.core.lessons.pack): the built-in ones and any a teacher opens from a file."""

from __future__ import annotations

import html
import os

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QPushButton, QScrollArea, QVBoxLayout, QWidget
from superqt import QFlowLayout

from bn_studio.core.lessons import numbers as L
from bn_studio.core.lessons.pack import Lesson
from bn_studio.core.data.datasets import DatasetSpec
from bn_studio.core.lessons.pack import LessonPackError, read_pack
from bn_studio.core.search import Search, best_result

from ...search_model import TUNING
from ..base import Panel
from .bn import BnPages
from .controls import ControlLock
from .importance import ImportancePages
from .momentum import MomentumPages
from .predictions import PredictionPages
from .scales import ScalesPages
from .shift import ShiftPages
from .variants import STOPS as VARIANT_STOPS, VariantPages
from .widgets import _label, _Pages, _plot, _pow10

NUMBERS = ("No", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten",
           "Eleven", "Twelve", "Thirteen", "Fourteen", "Fifteen", "Sixteen")


def _count(n: int) -> str:
    return NUMBERS[n] if n < len(NUMBERS) else str(n)


def welcome_text() -> str:
    """The start page: how many lessons there are is counted from the built-in packs."""
    return ("<h3>Welcome to BN Studio</h3><p>Two copies of the same network train side by side "
            "on the same data: one with batch normalization, one without. "
            f"{_count(len(L.LESSONS))} short lessons walk through the ideas: pick one below, or "
            "just press Play and explore. Teachers can write their own lessons (File → Open "
            "lesson…).</p>")


STALE_SEARCH = ("<br><i>The network or data changed since these searches ran: run them "
                "again to compare on the current settings.</i>")
GVR_KEYS = {"grid": "<span style='color:#ff7f0e'>■</span>",      # the plot's symbols
            "random": "<span style='color:#1f77b4'>●</span>"}


def _text(s: str) -> str:
    """Lesson text is plain text (a pack may come from anyone): shown as such, never as HTML."""
    return html.escape(s, quote=False)


class LessonsPanel(BnPages, PredictionPages, ScalesPages, ShiftPages, VariantPages,
                   MomentumPages, ImportancePages, Panel):
    title = "Lessons"
    name = "lessons"
    area = "left"
    tabify_with = "datasets"

    # Panel's help_text is a class attribute; this one is computed when it is read.
    @property
    def help_text(self) -> str:  # type: ignore[override]
        """The lessons listed from the packs themselves, so the count is never stale."""
        titles = "; ".join(_text(les.title) for les in L.LESSONS)
        return (f"{_count(len(L.LESSONS))} guided experiments, one idea each: {titles}. Each "
                "asks you to predict before pressing Play or trying it. File → Open lesson… "
                "loads a teacher's lesson pack.")

    def __init__(self, model, parent=None) -> None:
        super().__init__(model, parent)
        self.current: Lesson | None = None
        self.lessons: list[Lesson] = list(L.LESSONS)   # built-in first, then opened packs
        self.controls = ControlLock()
        self._played = False
        self.chooser = QComboBox()
        self.chooser.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.chooser.setMinimumContentsLength(8)       # long titles elide, not widen the dock
        self.chooser.addItem("Choose a lesson…", None)
        for les in self.lessons:
            self.chooser.addItem(les.title, les.id)
        self.chooser.activated.connect(
            lambda i: self.start(self.chooser.itemData(i)) if self.chooser.itemData(i) else None)
        self.pop_button = QPushButton("Pop out")
        self.pop_button.setCheckable(True)
        self.pop_button.setToolTip("Read the lesson in its own window beside the studio (room "
                                   "on a small screen); press again to dock it back")
        self.pop_button.toggled.connect(self._pop_out)
        self.title_label = _label(welcome_text())
        self.steps_label = _label()
        self.stack = _Pages()
        self.experiments = {"welcome": QWidget(), "none": QWidget()}
        self.stack.addWidget(self.experiments["welcome"])
        self.stack.addWidget(self.experiments["none"])
        for name, build in (("grid_vs_random", self._build_grid_vs_random),
                            ("scales", self._build_scales), ("bn_by_hand", self._build_bn),
                            ("why_bn", self._build_why), ("test_time", self._build_test_time),
                            ("softmax", self._build_softmax), ("lr_jump", self._build_lr_jump),
                            ("alpha_range", self._build_alpha_range),
                            ("covariate_shift", self._build_covariate_shift),
                            ("test_estimates", self._build_test_estimates),
                            ("bn_placement", self._build_bn_placement),
                            ("minibatch_noise", self._build_minibatch_noise),
                            ("beta_sensitivity", self._build_beta_sensitivity),
                            ("importance", self._build_importance)):
            w = QWidget()
            build(QVBoxLayout(w))
            self.experiments[name] = w
            self.stack.addWidget(w)
        self.question = _label()
        self.play_button = QPushButton("Predicted? Play ▶")
        self.play_button.setToolTip("Start training; the answer appears once the run has "
                                    "shown it")
        self.play_button.clicked.connect(self.model.play)
        self.answer = _label()
        self.answer.setVisible(False)
        self.show_answer = QPushButton("Show answer")
        self.show_answer.clicked.connect(self.reveal_answer)
        self.prev_button, self.next_button = QPushButton("◀ Previous"), QPushButton("Next ▶")
        self.prev_button.clicked.connect(lambda: self.go(-1))
        self.next_button.clicked.connect(lambda: self.go(+1))
        # Rows that wrap rather than hold the pane wider than its dock (no sideways scrolling).
        nav = QFlowLayout()
        nav.addWidget(self.prev_button)
        nav.addWidget(self.next_button)
        answer_row = QFlowLayout()
        answer_row.addWidget(self.play_button)
        answer_row.addWidget(self.show_answer)
        top = QHBoxLayout()
        top.addWidget(self.chooser, 1)
        top.addWidget(self.pop_button)

        body = QWidget()
        lay = QVBoxLayout(body)
        lay.addLayout(top)
        for w in (self.title_label, self.question):
            lay.addWidget(w)
        lay.addLayout(answer_row)
        for w in (self.answer, self.steps_label, self.stack):
            lay.addWidget(w)
        lay.addLayout(nav)
        lay.addStretch(1)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll_area.setWidget(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.scroll_area)
        model.searches.resultsAdded.connect(lambda name, _new: self._on_search(name))
        model.searches.finished.connect(self._on_search_finished)
        self._searches: dict[str, Search] = {}
        self._show_welcome()
        model.pointSelected.connect(self._on_point)
        model.snapshotReady.connect(self._on_snapshot)
        model.playingChanged.connect(self._on_playing)
        model.configChanged.connect(lambda _cfg: self._mark_stale())
        model.datasetChanged.connect(lambda _split: self._mark_stale())

    def _leave_why(self, nxt: Lesson | None) -> None:
        """Lesson 4's shifted inputs and noisy BN do not follow the learner into another
        lesson: one that brings its own data and settings replaces them anyway, one that
        does not (or the start page) gets them undone."""
        self._leave_shift(nxt)
        self._leave_variant(nxt)
        if nxt is None or nxt.dataset is None:
            self.unshift_why_inputs()
        self._why_shifted = False
        leaving = self.current is not None and self.current.experiment == "why_bn"
        if leaving and (nxt is None or not nxt.config) and self.model.config.noisy_bn:
            self.model.set_config(self.model.config.replace(noisy_bn=False))
        # Lesson 10's unstandardised x₂ × 100 would spoil a lesson that keeps the settings.
        inputs = self.current is not None and self.current.id == "input_scale"
        if inputs and (nxt is None or not nxt.config) and not self.model.config.standardize:
            self.model.set_config(self.model.config.replace(standardize=True, x2_scale=1.0))

    def _show_welcome(self) -> None:
        self._leave_why(None)
        self.current = None
        self.controls.release()
        self.chooser.setCurrentIndex(0)         # "Choose a lesson…", not the lesson just left
        self.title_label.setText(welcome_text())
        self.steps_label.setText("<br>".join(_text(les.title) for les in self.lessons))
        self._show_page("welcome")
        for w in (self.question, self.play_button, self.show_answer, self.answer):
            w.setVisible(False)
        self.prev_button.setEnabled(False)
        self.next_button.setEnabled(True)
        self.next_button.setText("Start lesson 1 ▶")
        self.scroll_to_top()

    def _pop_out(self, out: bool) -> None:
        w = self.parentWidget()         # up to the main window (a floating dock's parent too)
        while w is not None and not hasattr(w, "pop_out_lessons"):
            w = w.parentWidget()
        if w is not None:
            w.pop_out_lessons(out)
        self.show_popped_out(out)

    def show_popped_out(self, out: bool) -> None:
        """The button follows the dock (also when it is floated or docked by its title bar)."""
        self.pop_button.blockSignals(True)
        self.pop_button.setChecked(out)
        self.pop_button.blockSignals(False)
        self.pop_button.setText("Dock" if out else "Pop out")

    def _show_page(self, name: str) -> None:
        self.stack.setCurrentWidget(self.experiments[name])

    def scroll_to_top(self) -> None:
        """A new lesson opens at its title, not where the previous one was scrolled to."""
        self.scroll_area.verticalScrollBar().setValue(0)

    def go(self, delta: int) -> None:
        ids = [les.id for les in self.lessons]
        i = -1 if self.current is None else ids.index(self.current.id)
        j = min(max(0, i + delta), len(ids) - 1)
        self.start(ids[j])

    def open_pack(self, path) -> Lesson | None:
        """Read a teacher's lesson pack and start it; a file that cannot be used gets one
        line in the window and changes nothing."""
        try:
            les = read_pack(path)
        except LessonPackError as e:
            self.model.errorOccurred.emit(f"Cannot open this lesson: {e}")
            return None
        builtin = {x.id for x in L.LESSONS}
        if les.id in builtin:
            self.model.errorOccurred.emit(f"Cannot open this lesson: its id {les.id!r} is a "
                                          "built-in lesson's; give it another id")
            return None
        self.lessons = [x for x in self.lessons if x.id != les.id] + [les]
        i = self.chooser.findData(les.id)
        if i < 0:
            self.chooser.addItem(les.title, les.id)
        else:
            self.chooser.setItemText(i, les.title)
        self.start(les.id)
        return les

    def start(self, lesson_id: str) -> None:
        """Set the studio up for a lesson and show its text, question and experiment."""
        les = next(x for x in self.lessons if x.id == lesson_id)
        self._leave_why(les)
        self.current = les
        self._played = False
        self._cancel_searches()
        self.controls.release()
        if les.dataset is not None:
            self.model.set_spec(DatasetSpec(**les.dataset))
        if les.config:
            self.model.set_config(les.train_config())
        self.chooser.setCurrentIndex(self.chooser.findData(les.id))
        self.title_label.setText(f"<h3>{_text(les.title)}</h3><p>{_text(les.intro)}</p>")
        self.steps_label.setText("<ol>" + "".join(f"<li>{_text(s)}</li>" for s in les.steps)
                                 + "</ol>")
        by_play = les.reveal_at_step is not None
        prompt = "Predict, then press Play:" if by_play else "Predict, then try it:"
        self.question.setText(f"<b>{prompt}</b> {_text(les.question)}")
        self.answer.setText(f"<b>Answer:</b> {_text(les.answer)}")
        for w in (self.question, self.show_answer):
            w.setVisible(True)
        self.play_button.setVisible(by_play)
        self.answer.setVisible(False)
        self._show_page(les.experiment)
        ids = [x.id for x in self.lessons]
        self.prev_button.setEnabled(ids.index(les.id) > 0)
        self.next_button.setEnabled(ids.index(les.id) < len(ids) - 1)
        self.next_button.setText("Next ▶")
        window = self.window()
        if hasattr(window, "raise_panel"):
            window.raise_panel(les.panel)
            window.raise_panel(self.name)
        if hasattr(window, "room_for_lessons"):
            window.room_for_lessons()
        self.controls.apply(window, les.hidden_controls, les.locked_controls)
        self.model.set_speed(les.speed)     # a lesson sets its pace (None: as fast as it goes)
        if les.experiment == "scales":
            self.update_scales()
        if les.experiment == "bn_by_hand":
            self.new_minibatch()
        if les.experiment == "softmax":
            self._sm_point = None
            self.show_worked_example()
        if les.experiment == "test_time":
            self._reset_test_time()
        if les.experiment == "why_bn":
            self._reset_why()
        if les.experiment == "lr_jump":
            self._start_lr_jump(window)
        if les.experiment == "covariate_shift":
            self._reset_shift()
        if les.experiment == "importance":
            self.reset_importance()
        if les.id in VARIANT_STOPS:
            self._reset_variant()
        self.scroll_to_top()

    def reveal_answer(self) -> None:
        self.answer.setVisible(True)
        self.show_answer.setVisible(False)
        self.play_button.setVisible(False)

    def _on_playing(self, playing: bool) -> None:
        if playing and self.current is not None:
            self._played = True
            if self.model.snapshot is not None:
                self._maybe_reveal(self.model.snapshot)

    def _maybe_reveal(self, snap) -> None:
        """After Play, once the run has reached the lesson's step, the answer shows."""
        les = self.current
        if les is not None and les.reveal_at_step is not None and self._played \
                and not self.answer.isVisible() and snap.step >= max(1, les.reveal_at_step):
            self.reveal_answer()

    def shutdown(self) -> None:
        self._cancel_searches()
        self.cancel_beta_sensitivity()

    def _build_grid_vs_random(self, lay) -> None:
        self.gvr_button = QPushButton("Run both searches")
        self.gvr_button.clicked.connect(self.run_grid_vs_random)
        self.gvr_label = _label("Each trial trains the network for 150 steps with its own α and "
                                "learning-rate decay.")
        self.gvr_tally_label = _label()
        self.gvr_plot = _plot(190)
        # Log loss too: diverging trials (loss ≫ 1) must not squash the ones near the best α.
        self.gvr_plot.setLogMode(x=True, y=True)
        # Fixed room beyond 1e-4 … 10 so the end labels (10⁻⁴, 10¹) are not clipped.
        self.gvr_plot.setXRange(-4.4, 1.4, padding=0)
        self.gvr_plot.enableAutoRange(x=False)
        self.gvr_plot.setLabel("bottom", "learning rate α")
        self.gvr_plot.setLabel("left", "val loss")
        self.gvr_plot.getAxis("bottom").setTicks([[(k, _pow10(10.0 ** k) if k < -2 else
                                                    f"{10.0 ** k:g}")
                                                   for k in range(-4, 2)]])
        self.gvr_plot.getAxis("left").setTicks([[(float(np.log10(v)), f"{v:g}")
                                                 for v in (0.05, 0.1, 0.2, 0.5, 1, 2, 5)]])
        self.gvr_items = {
            "grid": self.gvr_plot.plot(pen=None, symbol="s", symbolSize=9, symbolBrush="#ff7f0e",
                                       name="grid (5 × 5)"),
            "random": self.gvr_plot.plot(pen=None, symbol="o", symbolSize=7,
                                         symbolBrush="#1f77b4", name="random (25)")}
        best = pg.InfiniteLine(pos=0.0, angle=90, movable=False,
                               pen=pg.mkPen("#888888", width=1, style=Qt.PenStyle.DashLine),
                               label="best α ≈ 1", labelOpts={"position": 0.92,
                                                               "color": "#888888"})
        self.gvr_plot.addItem(best, ignoreBounds=True)
        self.gvr_seed = L.GVR_FIRST_SEED
        self.gvr_tally = {"runs": 0, "random": 0}
        self._show_tally()
        for w in (self.gvr_button, self.gvr_label, self.gvr_tally_label, self.gvr_plot):
            lay.addWidget(w)

    def run_grid_vs_random(self) -> None:
        """Both searches of lesson 1 with the next seed; the tally says how often random won."""
        self._cancel_searches()
        self._gvr_counted = False
        self._gvr_run_seed = self.gvr_seed
        self.gvr_seed += 1
        specs = L.grid_vs_random_specs(self.model.config, self._gvr_run_seed)
        for strategy, spec in specs.items():
            s = self.model.searches.start(f"lesson-{strategy}", spec, self.model.split,
                                          workers=max(1, (os.cpu_count() or 2) // 2)).search
            self._searches[strategy] = s
        self._gvr_specs = specs
        self.gvr_button.setEnabled(False)
        self.gvr_button.setText("Running…")
        self._poll_searches()

    def _poll_searches(self) -> None:
        lines = [f"Seed {self._gvr_run_seed}:"] if self._searches else []
        bests = {}
        for strategy, s in self._searches.items():
            results = self.model.searches.results(f"lesson-{strategy}")
            shown = [r for r in results if r.status == "ok" and r.val_loss is not None]
            if shown:
                self.gvr_items[strategy].setData([r.params["lr"] for r in shown],
                                                 [r.val_loss for r in shown])
            else:
                self.gvr_items[strategy].setData([], [])
            best = bests[strategy] = best_result(results)
            lrs = len({r.params["lr"] for r in results})
            key = GVR_KEYS[strategy]
            lines.append(f"{key} <b>{strategy}</b>: {len(results)}/{s.total} trials, "
                         f"{lrs} distinct α"
                         + (f", best val loss {best.val_loss:.3f} (α = "
                            f"{best.params['lr']:.2g})" if best else ""))
        if self._searches and all(self.model.searches.run(f"lesson-{k}").reported
                                  for k in self._searches):     # every result delivered
            self.gvr_button.setEnabled(True)
            self.gvr_button.setText("Run both searches again (next seed)")
            if not self._gvr_counted and all(bests.get(k) for k in ("grid", "random")) and all(
                    len(s.results) == s.total for s in self._searches.values()):
                self._gvr_counted = True
                self.gvr_tally["runs"] += 1
                rnd, grid = bests["random"], bests["grid"]       # both found (checked above)
                assert rnd is not None and grid is not None
                assert rnd.val_loss is not None and grid.val_loss is not None   # ok trials
                self.gvr_tally["random"] += rnd.val_loss < grid.val_loss
                lines.append(self._hand_over_to_tuning())
            self._show_tally()
        self.gvr_label.setText("<br>".join(lines))

    def _show_tally(self) -> None:
        t = self.gvr_tally
        so_far = (f"Random search found the lower loss in <b>{t['random']} of {t['runs']}</b> "
                  "of your runs so far. " if t["runs"] else "")
        self.gvr_tally_label.setText(so_far + L.GVR_TALLY)

    def _hand_over_to_tuning(self) -> str:
        """The random search's trials go to the Tuning panel (step 3: coarse to fine), unless
        the learner's own tuning search is running there."""
        if self.model.searches.running(TUNING):
            return ("<i>The Tuning panel is busy with your own search: the lesson's trials "
                    "stay here.</i>")
        spec = self._gvr_specs["random"]
        searches = self.model.searches
        # The editor shows the lesson's space and settings, so 'Next round' and 'Launch'
        # continue this search, not whatever the editor held before.
        searches.settings = {**searches.settings, "space": spec.space.to_list(),
                             "trials": spec.trials, "steps": spec.base.steps,
                             "strategy": spec.strategy}
        searches.restore(TUNING, spec.space, searches.results("lesson-random"), spec=spec)
        return ("The random search's 25 trials are now in the <b>Tuning</b> panel: drag a "
                "region around the lowest losses in its scatter for step 3.")

    def _on_search(self, name: str) -> None:
        if name.startswith("lesson-") and self._searches:
            self._poll_searches()

    def _on_search_finished(self, name: str) -> None:
        self._on_search(name)
        if name == "alpha_range" and self.current is not None and \
                self.current.experiment == "alpha_range":
            self.on_alpha_range_finished()

    def _cancel_searches(self) -> None:
        for s in self._searches.values():
            s.cancel()
        for s in self._searches.values():
            s.join(5)
        if hasattr(self, "gvr_button"):
            self.gvr_button.setEnabled(True)
            self.gvr_button.setText("Run both searches")

    def _on_snapshot(self, snap) -> None:
        if self.current is None:
            return
        if self.current.experiment == "why_bn":
            self.update_gradients(snap)
            self.update_smoothness(snap)
        if self.current.experiment == "lr_jump":
            self.update_lr_jump(snap)
        if self.current.experiment == "softmax":
            self.update_softmax_point(snap)
        self.update_variant(snap)
        self._maybe_reveal(snap)

    def _mark_stale(self) -> None:
        """Settings changed (training restarts): an old measurement no longer applies."""
        done = self._searches and all(x.finished.is_set() for x in self._searches.values())
        if done and STALE_SEARCH not in self.gvr_label.text():
            self.gvr_label.setText(self.gvr_label.text() + STALE_SEARCH)
        if getattr(self, "_tt_measured", False):
            self._tt_measured = False
            self.tt_label.setText(self.test_time_table(
                "<i>Settings changed, training restarted: the table keeps the measurements "
                "so far. Train 500 steps, then press 'Measure' for the new row.</i>"))

    def _on_point(self, xy):
        if self.current is not None and self.current.experiment == "test_time":
            return self.show_point_in_two_batches(xy)
        if self.current is not None and self.current.experiment == "softmax":
            return self.show_softmax_point(xy)
        return None
