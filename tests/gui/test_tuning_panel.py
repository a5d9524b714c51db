"""The tuning panel runs a real search in background processes and the window stays usable."""

import multiprocessing as mp

import numpy as np
import pytest

from bn_studio.core.search import Param, SearchSpace
from bn_studio.core.trainer import TrainConfig


@pytest.fixture
def win(make_window):
    return make_window(TrainConfig(hidden=(8,), batch=32, eval_every=10))


def search_children():
    return [p for p in mp.active_children() if p.name == "bn-studio-search-worker"]


def test_small_search_fills_the_table_and_apply_best(win, qtbot, tmp_path):
    t = win.panels["tuning"]
    t.set_space(SearchSpace([Param("lr", "log", 1e-3, 1.0), Param("hidden", "int", 4, 16)]))
    t.trials.setValue(6)
    t.steps.setValue(60)
    t.workers.setValue(2)
    assert t.launch_search()
    qtbot.waitUntil(lambda: t.table.rowCount() == 6 and t.launch.isEnabled(), timeout=60000)
    assert t.progress.value() == 6
    assert "6 done" in t.progress_label.text()
    assert t.scatter.getData()[0].size == 6
    assert t.apply_best_button.isEnabled()
    assert t.apply_best()
    best = min((r for r in t.results if r["status"] == "ok"), key=lambda r: r["val_loss"])
    assert win.model.config.lr == pytest.approx(best["params"]["lr"])
    assert win.model.config.hidden == (best["params"]["hidden"],)
    t.export_csv(tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_text().count("\n") == 7
    ok_lr = np.log10([r["params"]["lr"] for r in t.results if r["status"] == "ok"])
    assert t.x_param.currentText() == "lr" and t.region.isVisible()
    t.region.setRegion((ok_lr.min() - 0.01, ok_lr.max() + 0.01))    # log10 on the x axis
    assert t.next_round_from_selection() and t.error.text() == ""
    lr = t.space_from_table()["lr"]
    assert lr.scale == "log"
    assert 1e-3 <= lr.low <= 10 ** ok_lr.min() and 10 ** ok_lr.max() <= lr.high <= 1.0
    t.region.setRegion((5.0, 6.0))                                  # no trial in it
    assert not t.next_round_from_selection() and "nothing to narrow" in t.error.text()
    state = t.workspace_state()
    assert len(state["results"]) == 6


def test_impossible_range_is_refused_in_the_panel(win):
    t = win.panels["tuning"]
    t.space_table.item(0, 2).setText("0")            # lr log low = 0
    assert not t.launch_search()
    assert "low > 0" in t.error.text()
    assert "low > 0" in t.preview_label.text()


def test_cancel_and_close_mid_search_leave_no_child(win, qtbot):
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
    t.space_table.selectRow(0)
    t.update_preview()
    assert "Share per decade" in t.preview_label.text()
    t.space_table.selectRow(1)
    t.update_preview()
    assert "1/(1 − β)" in t.preview_label.text()
