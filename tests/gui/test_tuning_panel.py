"""The tuning panel runs a real search in background processes and the window stays usable."""

import multiprocessing as mp

import numpy as np
import pytest

from bn_studio.core.search import Param, SearchSpace
from bn_studio.core.training.trainer import TrainConfig


@pytest.fixture
def win(fresh_shared_window):
    return fresh_shared_window(TrainConfig(hidden=(8,), batch=32, eval_every=10))


def search_children():
    return [p for p in mp.active_children() if p.name == "bn-studio-search-worker"]


def test_small_search_fills_the_table_and_apply_best(win, qtbot, tmp_path):
    t = win.panels["tuning"]
    t.editor.set_space(SearchSpace([Param("lr", "log", 1e-3, 1.0), Param("hidden", "int", 4, 16)]))
    t.trials.setValue(6)
    t.steps.setValue(60)
    t.workers.setValue(2)
    assert t.launch_search()
    qtbot.waitUntil(lambda: t.view.table.rowCount() == 6 and t.launch.isEnabled(), timeout=60000)
    assert t.progress.value() == 6
    assert "6 done" in t.progress_label.text()
    points = [i.getData()[0] for i in (t.view.scatter, t.view.diverged)]
    assert sum(0 if x is None else len(x) for x in points) == 6
    assert t.apply_best_button.isEnabled()
    assert t.apply_best()
    best = min((r for r in t.results if r.status == "ok"), key=lambda r: r.val_loss)
    assert win.model.config.lr == pytest.approx(best.params["lr"])
    assert win.model.config.hidden == (best.params["hidden"],)
    t.export_csv(tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_text().count("\n") == 7
    ok_lr = np.log10([r.params["lr"] for r in t.results if r.status == "ok"])
    assert t.view.x_param.currentText() == "lr" and not t.view.region.isVisible()   # no drag yet
    t.view.select_x_range(ok_lr.min() - 0.01, ok_lr.max() + 0.01)        # log10 on the x axis
    assert t.view.region.isVisible()
    assert t.next_round_from_selection() and t.error.text() == ""
    lr = t.editor.space()["lr"]
    assert lr.scale == "log"
    assert 1e-3 <= lr.low <= 10 ** ok_lr.min() and 10 ** ok_lr.max() <= lr.high <= 1.0
    t.view.select_x_range(5.0, 6.0)                                      # no trial in it
    assert not t.next_round_from_selection() and "nothing to narrow" in t.error.text()
    state = t.workspace_state()
    assert len(state["results"]) == 6


def test_impossible_range_is_refused_in_the_panel(win):
    t = win.panels["tuning"]
    t.editor.table.item(0, 2).setText("0")            # lr log low = 0
    assert not t.launch_search()
    assert "low > 0" in t.error.text()
    assert "low &gt; 0" in t.editor.preview_label.text()     # rich text: the value escaped


def test_cancel_and_close_mid_search_leave_no_child(make_window, qtbot):
    win = make_window(TrainConfig(hidden=(8,), batch=32, eval_every=10))
    t = win.panels["tuning"]
    t.trials.setValue(8)
    t.steps.setValue(200000)
    assert t.launch_search()
    qtbot.waitUntil(lambda: t.search.progress().running == t.workers.value(), timeout=20000)
    t.cancel_search()
    qtbot.waitUntil(lambda: t.launch.isEnabled(), timeout=5000)
    assert search_children() == []
    assert t.launch_search()
    qtbot.waitUntil(lambda: search_children() != [], timeout=20000)
    win.close()
    assert search_children() == []


def test_preview_shows_share_per_decade(win):
    t = win.panels["tuning"]
    t.editor.table.selectRow(0)
    t.editor.update_preview()
    assert "Share per decade" in t.editor.preview_label.text()
    t.editor.table.selectRow(1)
    t.editor.update_preview()
    assert "1/(1 − β)" in t.editor.preview_label.text()


# The space follows the optimizer; results read right
from bn_studio.core.search import Progress  # noqa: E402
from bn_studio.core.data.datasets import DatasetSpec  # noqa: E402
from bn_studio.gui.panels.tuning import SEARCH_STEPS  # noqa: E402
from bn_studio.gui.panels.tuning.results_view import format_number  # noqa: E402


def space_names(t):
    return [p.name for p in t.editor.space()]


def test_default_space_follows_the_optimizer(win):
    t = win.panels["tuning"]
    win.model.set_config(win.model.config.replace(optimizer="momentum"))
    assert space_names(t) == ["lr", "momentum", "hidden"]
    assert t.editor.space()["momentum"].scale == "one_minus_log"
    win.model.set_config(win.model.config.replace(optimizer="adam"))
    assert space_names(t) == ["lr", "beta1", "beta2", "hidden"]
    t.editor.table.item(0, 3).setText("0.5")                 # edited: no longer the default
    win.model.set_config(win.model.config.replace(optimizer="sgd"))
    assert space_names(t) == ["lr", "beta1", "beta2", "hidden"]


def test_a_parameter_the_optimizer_ignores_is_refused_in_one_line(win):
    t = win.panels["tuning"]
    win.model.set_config(win.model.config.replace(optimizer="momentum"))
    t.editor.set_space(SearchSpace([Param("lr", "log", 1e-3, 1.0),
                             Param("beta1", "one_minus_log", 0.9, 0.999)]))
    assert not t.launch_search()
    assert t.search is None
    text = t.error.text()
    assert "beta1" in text and "momentum" in text and "\n" not in text
    t.editor.table.selectRow(1)
    t.editor.update_preview()
    assert "changes nothing" in t.editor.preview_label.text()


def test_a_new_row_takes_its_parameters_own_range(win):
    t = win.panels["tuning"]
    win.model.set_config(win.model.config.replace(optimizer="momentum"))
    t.editor.table.cellWidget(0, 0).setCurrentText("l2")     # was lr on log 1e-4…1
    p = t.editor.row_param(0)
    assert (p.scale, p.low, p.high) == ("log", 1e-5, 0.1)
    t.editor.add_suggested_row()
    assert space_names(t) == ["l2", "momentum", "hidden", "lr"]   # not beta1: ignored


def test_default_steps_follow_the_dataset_unless_chosen(win):
    t = win.panels["tuning"]
    win.model.set_spec(DatasetSpec("checkerboard"))
    assert t.steps.value() == SEARCH_STEPS["checkerboard"] > SEARCH_STEPS["moons"]
    win.model.set_spec(DatasetSpec("moons"))
    assert t.steps.value() == SEARCH_STEPS["moons"]
    t.steps.setValue(777)
    win.model.set_spec(DatasetSpec("checkerboard"))
    assert t.steps.value() == 777


def fake_result(trial, loss, lr, status="ok"):
    return {"trial": trial, "seed": trial, "params": {"lr": lr, "hidden": 8}, "status": status,
            "val_loss": loss, "val_accuracy": None if loss is None else 0.44,
            "diverged_at": None, "error": None, "seconds": 0.1,
            "curve": {"step": [0, 10], "train_loss": [1.0, loss or 1.0],
                      "val_loss": [1.0, loss], "val_accuracy": [0.3, 0.44]}}


def test_results_are_sorted_by_loss_with_four_significant_digits(win):
    t = win.panels["tuning"]
    space = SearchSpace([Param("lr", "log", 1e-3, 1.0), Param("hidden", "int", 4, 16)])
    results = [fake_result(0, 0.7022, 0.01), fake_result(1, 0.698, 0.2),
               fake_result(2, None, 0.9, "diverged"), fake_result(3, 0.44, 0.00123456)]
    t.apply_workspace({"space": space.to_list(), "searched_space": space.to_list(),
                       "results": results})
    loss_col = 5                                    # trial, net, status, lr, hidden, val loss
    column = [t.view.table.item(r, loss_col).text() for r in range(t.view.table.rowCount())]
    assert column == ["0.4400", "0.6980", "0.7022", ""]     # best first, diverged last
    assert t.view.table.item(0, 3).text() == "0.001235"
    assert t.view.table.item(0, 1).text() == "BN"           # which net the trial trained
    assert format_number(1234.5) == "1234" and format_number(3) == "3"
    assert "trial 3" in t.view.best_label.text() and "lr = 0.001235" in t.view.best_label.text()
    assert t.view.best_label.wordWrap()
    assert t.view.table.minimumHeight() >= 4 * t.view.table.verticalHeader().defaultSectionSize()


def test_no_selection_band_before_a_drag_and_no_si_prefix(win):
    t = win.panels["tuning"]
    space = SearchSpace([Param("lr", "log", 1e-3, 1.0), Param("hidden", "int", 4, 16)])
    results = [fake_result(i, 0.0007 + 0.0001 * i, 10.0 ** -i) for i in range(4)]
    t.apply_workspace({"space": space.to_list(), "searched_space": space.to_list(),
                       "results": results})
    assert not t.view.region.isVisible()
    axis = t.view.scatter_plot.getPlotItem().getAxis("left")
    assert "x0.001" not in axis.labelString() and "(m)" not in axis.labelString()
    t.view.select_x_range(-2.5, -0.5)
    assert t.view.region.isVisible()
    assert t.view.selected_region()["lr"] == pytest.approx((10 ** -2.5, 10 ** -0.5))


def test_status_after_cancel_and_after_finish_has_no_time_left(win):
    t = win.panels["tuning"]
    counts = {"ok": 4, "diverged": 1, "failed": 0, "cancelled": 7}
    t._cancelled = True
    text = t.status_text(Progress(12, 0, 0, 12, 0.0, counts), finished=True)
    assert text.startswith("Cancelled: 5 of 12 done") and "left" not in text
    t._cancelled = False
    done = {"ok": 12, "diverged": 0, "failed": 0, "cancelled": 0}
    text = t.status_text(Progress(12, 0, 0, 12, 0.2, done), finished=True)
    assert text.startswith("Finished: 12 of 12 done") and "left" not in text
    running = t.status_text(Progress(3, 2, 7, 12, 40.0, done), finished=False)
    assert "about 40 s left" in running


def test_apply_best_refuses_a_beta_the_current_optimizer_ignores(win):
    t = win.panels["tuning"]
    win.model.set_config(win.model.config.replace(optimizer="adam"))
    space = SearchSpace([Param("lr", "log", 1e-3, 1.0),
                         Param("beta1", "one_minus_log", 0.8, 0.99)])
    best = fake_result(0, 0.3, 0.05)
    best["params"] = {"lr": 0.05, "beta1": 0.95}
    t.apply_workspace({"space": space.to_list(), "searched_space": space.to_list(),
                       "results": [best]})
    win.model.set_config(win.model.config.replace(optimizer="momentum"))
    assert not t.apply_best()
    assert "beta1" in t.error.text() and "\n" not in t.error.text()
    assert win.model.config.beta1 != 0.95
    win.model.set_config(win.model.config.replace(optimizer="adam"))
    assert t.apply_best() and win.model.config.beta1 == 0.95 and not t.error.text()


def test_the_alpha_tab_hides_the_run_controls_and_each_tab_fits_a_768_px_dock(make_window, qapp):
    # A new window's: a search's summary lines make the Results page taller (it still fits
    # the real dock at 1366×768, which is taller than this window's).
    win = make_window(TrainConfig(hidden=(8,), batch=32, eval_every=10))
    t = win.panels["tuning"]
    controls = t.split.widget(0)
    for page in (t.editor, t.view, t.importance, t.every, t.history):
        t.tabs.setCurrentWidget(page)
        qapp.processEvents()
        assert t.split.minimumSizeHint().height() <= 560, page     # the dock at 1366×768
    t.tabs.setCurrentWidget(t.view)
    qapp.processEvents()
    assert not controls.isHidden()
    t.tabs.setCurrentWidget(t.alpha)
    qapp.processEvents()
    assert controls.isHidden()
    # only the α page (and the tab bar) counts, not the taller Results page behind it
    assert t.split.minimumSizeHint().height() <= t.alpha.minimumSizeHint().height() + 60
    t.tabs.setCurrentWidget(t.every)
    assert not controls.isHidden()
