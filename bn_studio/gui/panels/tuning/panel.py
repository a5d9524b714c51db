"""The tuning panel: random search on the right scale, run in background processes, live.

A view of the studio's SearchModel (gui/search_model.py): the model runs the searches and
delivers finished trials; this panel edits the next search and shows the results, the
α range of the twins and every trial's curve. The window stays responsive however long the
trials take.
"""

from __future__ import annotations


from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QLabel, QProgressBar,
                               QPushButton, QSizePolicy, QSpinBox, QSplitter, QTabWidget,
                               QToolButton, QVBoxLayout, QWidget)

from bn_studio.core import limits
from bn_studio.core.nn.optim import ignored_message, ignored_params
from bn_studio.core.training.params import BY_NAME
from bn_studio.core.search import (Param, SearchSpace, SearchSpaceError, SearchSpec,
                                   StoreError, apply_params, best_result, default_space,
                                   export_csv, narrow_space, split_fingerprint)
from bn_studio.core.search.analysis import alpha_range_spec

from ...plain_text import escape
from ...search_model import TUNING
from ..base import Panel
from .all_trials import AllTrialsView
from .alpha_range import SEARCH as ALPHA_RANGE, AlphaRangeView
from .controls import apply_settings, build_run_controls, search_steps, status_text
from .history import HistoryView, ResumeMenu
from .importance import ImportanceView
from .results_view import ResultsView
from .space_editor import SpaceEditor


class TuningPanel(Panel):
    # Made by controls.build_run_controls:
    trials: QSpinBox
    steps: QSpinBox
    workers: QSpinBox
    seed: QSpinBox
    strategy: QComboBox
    net: QComboBox
    fixed_seed: QCheckBox
    launch: QPushButton
    cancel_button: QPushButton
    resume_button: QToolButton
    resume_menu: ResumeMenu
    progress: QProgressBar
    progress_label: QLabel
    error: QLabel
    title = "Tuning"
    name = "tuning"
    area = "right"
    help_text = ("Random search, as the course recommends: each trial trains a fresh network "
                 "with hyperparameters drawn at random — on a log scale for the learning rate "
                 "(each decade as likely), as 1 − β on a log scale for β (β = 0.9 … 0.999 "
                 "averages over 10 … 1000 values), uniformly for hidden units. The preview shows "
                 "what each scale samples. Trials run in background processes; drag a region "
                 "in the scatter and press 'Next round' to search more finely there. "
                 "'Ranking' orders the searched parameters by how much of the loss each "
                 "explains. 'α range' trains a log grid of α with and without BN and compares "
                 "the range of good learning rates.")

    def __init__(self, model, parent=None) -> None:
        super().__init__(model, parent)
        self.searches = model.searches
        self._cancelled = False
        self.editor = SpaceEditor(lambda: self.model.config.optimizer)
        top = build_run_controls(self, model)
        self.view = ResultsView()
        self.view.set_steps(self.steps.value())       # the empty curve plot's step axis
        self._actions()
        self.alpha = AlphaRangeView()
        self.alpha.run_button.clicked.connect(lambda: self.show_alpha_range())
        self.alpha.follow(self.searches, lambda: self.model.split.classes)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.editor, "Space")
        self.tabs.setTabToolTip(0, "The parameters to search, their ranges and scales, and "
                                   "what each scale samples")
        self.tabs.addTab(self.view, "Results")
        self.importance = ImportanceView()
        self.importance.showParam.connect(self.show_loss_against)
        self.importance.failed.connect(self.error.setText)
        self.tabs.addTab(self.importance, "Ranking")      # 'Importance' did not fit at 1366 px
        self.tabs.setTabToolTip(2, "Which parameters mattered most: how much of the loss's "
                                   "spread each one explains")
        self.tabs.addTab(self.alpha, "α range")
        self.tabs.setTabToolTip(3, "α range: BN vs no BN — the range of good learning rates "
                                   "with and without batch norm")
        self.every = AllTrialsView()
        self.tabs.addTab(self.every, "Every trial")
        self.history = HistoryView(self.searches)
        self.history.openRequested.connect(self.open_search)
        self.history.resumeRequested.connect(self.resume_search)
        self.tabs.addTab(self.history, "History")
        self._layout(top)
        self._optimizer = model.config.optimizer
        self._dataset_name = model.dataset.name
        self.editor.set_space(default_space(self._optimizer))
        for signal in (self.editor.changed, self.trials.valueChanged, self.steps.valueChanged,
                       self.strategy.currentIndexChanged, self.seed.valueChanged,
                       self.fixed_seed.toggled, self.net.currentIndexChanged):
            signal.connect(self._sync_settings)
        self.editor.changed.connect(self._net_follows_space)
        self._sync_settings()
        model.configChanged.connect(self.on_config)
        model.datasetChanged.connect(lambda _split: self.on_dataset())
        self.searches.resultsAdded.connect(self._on_results)
        self.searches.progressChanged.connect(self._on_progress)
        self.searches.finished.connect(self._on_finished)
        self.searches.restored.connect(self._on_restored)
        self.searches.started.connect(self._on_started)

    def _actions(self) -> None:
        self.next_round = QPushButton("Next round from selection")
        self.next_round.setToolTip("Narrow the space to the region dragged in the scatter (or "
                                   "the 5 best trials), keeping each parameter's scale")
        self.next_round.clicked.connect(self.next_round_from_selection)
        self.apply_best_button = QPushButton("Apply best")
        self.apply_best_button.setToolTip("Load the best trial's settings into the training view")
        self.apply_best_button.clicked.connect(self.apply_best)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.clicked.connect(self.export_csv_dialog)
        for b in (self.next_round, self.apply_best_button, self.export_button):
            b.setEnabled(False)
            self.view.button_row.addWidget(b)

    def _layout(self, top: QWidget) -> None:
        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.addWidget(top)
        self.split.addWidget(self.tabs)
        self.tabs.currentChanged.connect(self._on_tab)
        self._on_tab(self.tabs.currentIndex())
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.split)

    @property
    def results(self) -> list:
        return self.searches.results(TUNING)

    @property
    def search(self):
        run = self.searches.run(TUNING)
        return run.search if run is not None else None

    @property
    def space_used(self) -> SearchSpace | None:
        run = self.searches.run(TUNING)
        return run.space if run is not None else None

    def _sync_settings(self) -> None:
        """The editor's state into the model (what a workspace saves)."""
        try:
            space = self.editor.space().to_list()
        except SearchSpaceError:                 # half-edited: keep the last usable one
            space = self.searches.settings.get("space", [])
        self.searches.settings = {"space": space, "trials": self.trials.value(),
                                  "steps": self.steps.value(),
                                  "strategy": self.strategy.currentText(),
                                  "seed": self.seed.value(),
                                  "fixed_seed": self.fixed_seed.isChecked(),
                                  "net": self.net.currentText()}

    def _net_follows_space(self) -> None:
        """A bn row in the space chooses each trial's net itself: the net box steps aside."""
        try:
            has_bn = any(p.name == "bn" for p in self.editor.space())
        except SearchSpaceError:
            return
        self.net.setEnabled(not has_bn)
        self.net.setToolTip("The space's bn row chooses each trial's net" if has_bn else
                            "Which net every trial trains: with batch norm (BN), without, "
                            "or both on the same draws")

    def on_config(self, config) -> None:
        """The default space follows the optimizer; a space the user edited is kept (a β the
        new optimizer ignores is then refused at launch, with one line)."""
        old, self._optimizer = self._optimizer, config.optimizer
        if old == config.optimizer:
            return
        try:
            untouched = self.editor.space() == default_space(old)
        except SearchSpaceError:
            untouched = False
        if untouched:
            self.editor.set_space(default_space(config.optimizer))
        else:
            self.editor.update_preview()

    def on_dataset(self) -> None:
        """Default steps follow the dataset, unless the user chose another number."""
        old, self._dataset_name = self._dataset_name, self.model.dataset.name
        if self.steps.value() == search_steps(old):
            self.steps.setValue(search_steps(self._dataset_name))

    def _data_info(self) -> dict:
        split = self.model.split
        return {"dataset": self.model.dataset.name, "sha1": split_fingerprint(split)}

    def spec_to_launch(self) -> SearchSpec:
        """The search the editor describes, with the net chosen and the seed it will use
        (SearchSpaceError with one line if it cannot run)."""
        space = self.editor.space()
        twins = False
        if not any(p.name == "bn" for p in space):
            net = self.net.currentText()
            twins = net == "both"
            if net == "no BN":
                space = SearchSpace([*space.params, Param("bn", "choice", [0])])
        return SearchSpec(space, self.trials.value(),
                          self.model.config.replace(steps=self.steps.value()),
                          seed=self._next_seed(), strategy=self.strategy.currentText(),
                          twins=twins)

    def _next_seed(self) -> int:
        """The seed box's seed; unless it is fixed, one no kept search used, so a new
        search draws new trials (shown in the box)."""
        seed = self.seed.value()
        if not self.fixed_seed.isChecked():
            used = {e["seed"] for e in self.searches.history()}
            while seed in used and seed < self.seed.maximum():
                seed += 1
            self.seed.setValue(seed)
        return seed

    def launch_search(self) -> bool:
        self.error.setText("")
        if self.searches.running(TUNING):
            return False
        try:
            spec = self.spec_to_launch()
            self._cancelled = False
            self.searches.start(TUNING, spec, self.model.split, workers=self.workers.value(),
                                store=True, dataset_info=self._data_info())
        except (SearchSpaceError, StoreError, ValueError, OSError) as e:
            return self._fail(e)
        self.launch.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setRange(0, self.search.total)
        self._update_actions()
        if self.tabs.currentWidget() in (self.editor, self.history):
            self.tabs.setCurrentWidget(self.view)
        return True

    def set_up_search(self, spec: SearchSpec) -> bool:
        """Fill the space editor and the run controls with ``spec`` (a lesson's search, on the
        studio's current network and data), so that Launch runs it; False (nothing changed)
        while the panel's own search runs."""
        if self.searches.running(TUNING):
            self.error.setText("A search is running: cancel it or let it finish first.")
            return False
        self.editor.set_space(spec.space)
        self.trials.setValue(spec.trials)
        self.steps.setValue(spec.base.steps)
        self.strategy.setCurrentText(spec.strategy)
        self.net.setCurrentText("both" if spec.twins else "BN")
        self.seed.setValue(spec.seed)
        return True

    def resume_search(self, path: str) -> bool:
        """Continue a stored search: its finished trials show at once, the rest run."""
        self.error.setText("")
        try:
            run = self.searches.resume(path, self.model.split, workers=self.workers.value(),
                                       dataset_info=self._data_info())
        except (SearchSpaceError, StoreError, ValueError, OSError) as e:
            return self._fail(e)
        if run.name == ALPHA_RANGE:
            self.tabs.setCurrentWidget(self.alpha)
            self.alpha.set_running(True)
            return True
        self.launch.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setRange(0, run.total)
        self.tabs.setCurrentWidget(self.view)
        return True

    def open_search(self, entry: dict) -> bool:
        """Show a kept search's results (the history's Open)."""
        self.error.setText("")
        if self.searches.running(TUNING):
            self.error.setText("A search is running: cancel it or let it finish first.")
            return False
        try:
            if entry.get("run") is not None:
                run = entry["run"]
                self.searches.runs[TUNING] = run
                self.searches.restored.emit(TUNING)
            else:
                self.searches.reopen(entry["path"])
        except (StoreError, ValueError, OSError) as e:
            return self._fail(e)
        self.searches.historyChanged.emit()
        self.tabs.setCurrentWidget(self.view)
        return True

    def _fail(self, e: Exception) -> bool:
        self.error.setText(limits.one_line(e) or e.__class__.__name__)
        return False

    def cancel_search(self) -> None:
        if self.searches.running(TUNING):
            self._cancelled = True
            self.searches.cancel(TUNING)
            self.progress_label.setText("Cancelling…")

    def shutdown(self) -> None:
        """Closing the window: stop the searches and their processes (the model's)."""
        self.searches.shutdown()

    def show_alpha_range(self, spec: SearchSpec | None = None) -> bool:
        """Show the α-range view and run its search: ``spec`` (a twins search over lr), or
        the default log grid with the current network, data and steps per trial."""
        self.tabs.setCurrentWidget(self.alpha)
        if self.searches.running(ALPHA_RANGE):
            return False
        try:
            spec = spec or alpha_range_spec(self.model.config.replace(steps=self.steps.value()),
                                            trials=self.alpha.trials.value(),
                                            seed=self.model.config.seed)
            self.searches.start(ALPHA_RANGE, spec, self.model.split,
                                workers=self.workers.value(), store=True,
                                dataset_info=self._data_info())
        except (SearchSpaceError, StoreError, ValueError, OSError) as e:
            self.alpha.status.setText(f"<span style='color:#c0392b'>{escape(e)}</span>")
            return False
        self.alpha.set_running(True)
        return True

    def _on_tab(self, index: int) -> None:
        """The space editor is a tab of its own, so the results get the dock's height (on a
        768 px screen they were below the fold); the α-range and History tabs do not use the
        run controls above the tabs, which hide while they show. Hidden tabs stop counting
        towards the tabs' minimum height (a stack takes its tallest page's), so each page fits
        the dock instead of scrolling with the Results table's height."""
        for i in range(self.tabs.count()):
            policy = QSizePolicy.Policy.Preferred if i == index else QSizePolicy.Policy.Ignored
            page = self.tabs.widget(i)
            if page is not None:
                page.setSizePolicy(policy, policy)
        controls = self.split.widget(0)
        if controls is not None:
            controls.setVisible(self.tabs.widget(index) not in (self.alpha, self.history))
        self.tabs.updateGeometry()

    def _on_started(self, name: str) -> None:
        """A search began (launched here, resumed, or by a lesson): fresh views for it."""
        run = self.searches.run(name)
        if name == TUNING:
            self._reset_views(run, run.spec.trials, run.spec.base.steps)
            self.progress.setRange(0, run.total)

    def _on_results(self, name: str, new: list) -> None:
        if name == TUNING:
            self.view.add(new)
            self.every.add(new)
            self.importance.update_results(self.results)
            self._update_actions()

    def _on_progress(self, name: str, pr) -> None:
        if name == TUNING:
            c = pr.counts                     # the bar, like the text, counts trials that ran
            self.progress.setValue(c["ok"] + c["diverged"] + c["failed"])
            self.progress_label.setText(self.status_text(pr, not self.searches.running(name)))

    def _on_finished(self, name: str) -> None:
        run = self.searches.run(name)
        if name == TUNING:
            self.launch.setEnabled(True)
            self.cancel_button.setEnabled(False)
            if run.search.error:
                self.error.setText(f"The search stopped: {run.search.error}")
            self._update_actions()

    def _on_restored(self, name: str) -> None:
        if name != TUNING:
            return
        run = self.searches.run(TUNING)
        if run is None or run.search is None:      # a workspace's settings come with it
            apply_settings(self, self.searches.settings)
        if run is not None and run.space is not None:
            spec = run.spec
            trials = getattr(spec, "trials", self.trials.value())
            steps = spec.base.steps if hasattr(spec, "base") else self.steps.value()
            self._reset_views(run, trials, steps)
            self.view.add(run.results)
            self.every.add(run.results)
            self.importance.update_results(run.results)
            if run.search is not None:
                self._on_progress(TUNING, run.search.progress())
            else:
                self.progress_label.setText(f"Showing {run.label}: {len(run.results)} trials.")
            self._update_actions()

    def _reset_views(self, run, trials: int, steps: int) -> None:
        twins = bool(getattr(run.spec, "twins", False)) or any(r.no_bn for r in run.results[:1])
        self.view.reset(run.space, trials, steps, run.results, twins)
        self.every.reset(run.space, run.results)
        self.importance.reset(run.space, run.results, twins)

    def _update_actions(self) -> None:
        has_best = best_result(self.results) is not None
        self.apply_best_button.setEnabled(has_best)
        self.next_round.setEnabled(has_best)
        self.export_button.setEnabled(bool(self.results))

    def status_text(self, pr, finished: bool, cancelled: bool | None = None) -> str:
        return status_text(pr, finished, self._cancelled if cancelled is None else cancelled)

    def next_round_from_selection(self) -> bool:
        if self.space_used is None:
            return False
        region = self.view.selected_region() if self.view.region.isVisible() else {}
        try:
            new = narrow_space(self.space_used, self.results, region=region or None,
                               top_k=None if region else 5)
        except SearchSpaceError as e:
            self.error.setText(str(e))
            return False
        self.editor.set_space(new)
        self.error.setText("")
        self.progress_label.setText("Space narrowed to the selection: press Launch for the next "
                                    "round.")
        return True

    def apply_best(self) -> bool:
        best = best_result(self.results)
        if best is None:
            return False
        optimizer = self.model.config.optimizer       # it may have changed since the search
        ignored = ignored_params(optimizer, best.params)
        if ignored:
            self.error.setText(f"Not applied: {ignored_message(optimizer, ignored[0])}; choose "
                               "the optimizer this search tuned first.")
            return False
        self.error.setText("")
        config, _bn = apply_params(self.model.config, best.params)
        self.model.set_config(config.replace(seed=self.model.config.seed))
        applied = ", ".join(f"{BY_NAME[k].label_for(optimizer) if k in BY_NAME else k} "
                            f"{v:.3g}" if isinstance(v, float) else f"{k} {v}"
                            for k, v in best.params.items() if k != "bn")
        self.model.message.emit(f"Applied trial {best.trial}'s settings to the training view: "
                                f"{applied}")
        return True

    def export_csv_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export trials", "trials.csv",
                                              "CSV (*.csv)")
        if path:
            self.export_csv(path)

    def export_csv(self, path) -> None:
        twins = any(r.no_bn is not None for r in self.results)
        extra = ("net", "bn_val_loss", "no_bn_val_loss", "bn_val_accuracy",
                 "no_bn_val_accuracy") if twins else ("net",)
        space = self.space_used
        names = [p.name for p in space if p.name != "bn"] if space is not None else []
        try:
            export_csv(self.results, path, names, extra)
        except OSError as e:
            self.error.setText(f"Could not write {path}: {e.strerror or e}")

    def show_loss_against(self, name: str) -> None:
        """The Results tab's scatter of the validation loss against parameter ``name``."""
        i = self.view.x_param.findText(name)
        if i >= 0:
            self.view.x_param.setCurrentIndex(i)
        self.tabs.setCurrentWidget(self.view)

    def importance_table(self) -> tuple[list[str], list[list]]:
        return self.importance.table()

    # Workspaces are the model's; these forward to it for callers of the panel.
    def workspace_state(self) -> dict:
        return self.searches.workspace_state()

    def apply_workspace(self, state: dict) -> None:
        self.searches.apply_workspace(state)

    def plots(self) -> dict:
        return {"preview": self.editor.preview.getPlotItem(),
                "scatter": self.view.scatter_plot.getPlotItem(),
                "best_curve": self.view.curve_plot.getPlotItem(),
                "importance": self.importance.plot.getPlotItem(),
                "alpha_range": self.alpha.plot.getPlotItem(),
                "every_trial": self.every.curves.getPlotItem(),
                "parallel": self.every.parallel.getPlotItem()}

