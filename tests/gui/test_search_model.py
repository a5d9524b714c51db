"""The studio's SearchModel runs the searches; the tuning panel's views only draw them."""

import os

import numpy as np
import pytest

from bn_studio.core.search import Param, SearchSpace, SearchSpec, TrialResult, TwinOutcome
from bn_studio.core.training.trainer import TrainConfig
from bn_studio.gui.search_model import TUNING


@pytest.fixture
def win(fresh_shared_window):
    return fresh_shared_window(TrainConfig(hidden=(8,), batch=32, eval_every=10))


def test_one_model_delivers_results_progress_and_the_end(win, qtbot, tmp_path):
    searches = win.model.searches
    searches.store_dir = tmp_path
    seen, ends = [], []
    searches.resultsAdded.connect(lambda name, new: seen.extend(new))
    searches.finished.connect(ends.append)
    spec = SearchSpec(SearchSpace([Param("lr", "log", 1e-3, 1.0)]), 3,
                      win.model.config.replace(steps=20), seed=0)
    run = searches.start("probe", spec, win.model.split, workers=1, store=True)
    qtbot.waitUntil(lambda: ends == ["probe"], timeout=60000)
    assert sorted(r.trial for r in seen) == [0, 1, 2] == [r.trial for r in run.results]
    assert all(isinstance(r, TrialResult) for r in seen)
    stored = searches.stored_searches()
    assert [(s["name"], s["done"], s["trials"]) for s in stored] == [("probe-001", 3, 3)]
    assert not searches.timer.isActive()            # nothing left to poll


def test_a_folder_that_cannot_be_written_only_costs_the_resume(win, qtbot, tmp_path):
    searches = win.model.searches
    (tmp_path / "file").write_text("")
    searches.store_dir = tmp_path / "file" / "searches"     # under a file: mkdir fails
    spec = SearchSpec(SearchSpace([Param("lr", "log", 1e-3, 1.0)]), 2,
                      win.model.config.replace(steps=10), seed=0)
    run = searches.start("probe", spec, win.model.split, workers=1, store=True)
    assert run.store_path is None
    qtbot.waitUntil(lambda: run.reported, timeout=60000)
    assert len(run.results) == 2


def test_the_store_folder_keeps_only_the_newest_searches(win, tmp_path, monkeypatch):
    from bn_studio.gui import search_model
    monkeypatch.setattr(search_model, "MAX_STORED", 3)
    searches = win.model.searches
    searches.store_dir = tmp_path
    for k in range(5):
        path = searches._new_store_path("tuning")
        path.write_bytes(b"")
        os.utime(path, (k, k))                  # each newer than the last
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "tuning-001.sqlite", "tuning-002.sqlite", "tuning-003.sqlite"]
    assert {p.stat().st_mtime for p in tmp_path.iterdir()} == {2, 3, 4}


def test_a_saved_workspace_reads_the_model_not_the_panel(win):
    t = win.panels["tuning"]
    t.trials.setValue(7)
    state = win.workspace_state()["search"]
    assert state["trials"] == 7 and state["space"] == t.editor.space().to_list()
    assert state["results"] == [] and state["searched_space"] is None
    space = SearchSpace([Param("lr", "log", 1e-3, 1.0)])
    result = TrialResult(0, 1, {"lr": 0.01}, "ok", 0.5, 0.8)
    win.model.searches.apply_workspace({"space": space.to_list(), "trials": 4,
                                        "searched_space": space.to_list(),
                                        "results": [result.to_dict()]})
    assert t.trials.value() == 4 and t.view.table.rowCount() == 1
    assert win.workspace_state()["search"]["results"] == [result.to_dict()]
    assert win.model.searches.results(TUNING) == [result]


def twin(i, lr, bn, no_bn):
    def out(loss):
        return TwinOutcome("diverged" if loss is None else "ok", loss)
    return TrialResult(i, i, {"lr": lr}, "ok", bn, bn=out(bn), no_bn=out(no_bn))


def test_alpha_range_view_draws_both_twins_and_puts_diverged_on_top(win):
    view = win.panels["tuning"].alpha
    alphas = 10.0 ** np.linspace(-3, 1, 9)
    bn = [0.6, 0.4, 0.25, 0.2, 0.21, 0.215, 0.3, 0.5, 0.7]
    no_bn = [0.7, 0.5, 0.3, 0.22, 0.21, None, None, None, None]
    report = view.show_results([twin(i, a, b, n) for i, (a, b, n) in
                                enumerate(zip(alphas, bn, no_bn))])
    assert report["bn"]["decades"] == pytest.approx(1.0)          # 10^-1.5 … 10^-0.5
    assert report["no_bn"]["decades"] == pytest.approx(0.5) and report["no_bn"]["diverged"] == 4
    item = view.diverged["no_bn"]                                   # data, not log10 of it
    assert item.xData.size == 4 and np.all(item.yData > max(bn))    # on the top edge
    assert view.lines["bn"].getData()[0].size == 9
    assert "1.00 decades" in view.summary.text() and "4 of 9 diverged" in view.summary.text()


def test_alpha_range_view_flags_a_twin_at_chance_instead_of_crediting_it(win):
    view = win.panels["tuning"].alpha
    alphas = 10.0 ** np.linspace(-3, 1, 5)
    bn = [1.0, 0.4, 0.3, None, None]                    # learns at two α, diverges at two
    no_bn = [1.0986, 1.0985, 1.0984, 1.0986, 1.0987]     # ln 3 everywhere: never learned
    report = view.show_results([twin(i, a, b, n) for i, (a, b, n) in
                                enumerate(zip(alphas, bn, no_bn))], classes=3)
    assert report["no_bn"]["verdict"] == "chance" and report["no_bn"]["decades"] is None
    text = view.summary.text()
    assert "never left chance" in text and "4.00 decades" not in text
    assert view.bars["no_bn"].getData()[0] is None or view.bars["no_bn"].getData()[0].size == 0
    assert view.bars["bn"].getData()[0].size == 2 and view.chance.isVisible()
    assert view.chance.value() == pytest.approx(np.log10(np.log(3)))
    names = [label.text for _sample, label in view.legend.items]
    assert names == ["with BN", "without BN", "chance (ln C)"]      # named once, in the legend
    view.clear()
    assert not view.chance.isVisible() and len(view.legend.items) == 2


def test_alpha_range_status_counts_each_twins_divergences(win):
    from bn_studio.core.search import Progress
    view = win.panels["tuning"].alpha
    results = [twin(i, a, 0.2, None if i > 2 else 0.3) for i, a in enumerate((0.01, 0.1, 1, 3, 10))]
    pr = Progress(5, 0, 0, 5, None, {"ok": 5, "diverged": 0, "failed": 0, "cancelled": 0})
    text = view.status_text(results, pr, finished=True, cancelled=False)
    assert text == ("Finished: 5 of 5 α done (with BN: 5 ok, 0 diverged; without BN: 3 ok, "
                    "2 diverged)")


def test_show_alpha_range_runs_a_twins_search_from_the_panel(win, qtbot, tmp_path):
    t = win.panels["tuning"]
    win.model.searches.store_dir = tmp_path
    t.steps.setValue(20)
    t.workers.setValue(1)
    t.alpha.trials.setValue(5)
    assert t.show_alpha_range()
    assert t.tabs.currentWidget() is t.alpha
    qtbot.waitUntil(lambda: t.alpha.run_button.isEnabled(), timeout=60000)
    results = win.model.searches.results("alpha_range")
    assert len(results) == 5 and all(r.bn is not None and r.no_bn is not None for r in results)
    assert t.alpha.lines["bn"].getData()[0].size == 5            # diverged ones as gaps
    assert "Finished: 5 of 5 α done" in t.alpha.status.text()
    t.alpha.trials.setValue(40)                          # again, and cancel it from its button
    assert t.show_alpha_range() and not t.alpha.run_button.isEnabled()
    t.alpha.cancel_button.click()
    qtbot.waitUntil(lambda: t.alpha.run_button.isEnabled(), timeout=60000)
    assert t.alpha.status.text().startswith("Cancelled: ")
    assert not t.alpha.cancel_button.isEnabled()


def curve_result(i, lr, losses):
    steps = list(range(0, 10 * len(losses), 10))
    return TrialResult(i, i, {"lr": lr}, "ok", losses[-1], 0.9,
                       curve={"step": steps, "train_loss": losses, "val_loss": losses,
                              "val_accuracy": [0.5] * len(losses)})


def test_every_trial_view_colours_each_curve_and_replays_median_stopping(win):
    from bn_studio.gui.panels.tuning.all_trials import CurveBundle
    view = win.panels["tuning"].every
    results = []
    view.reset(SearchSpace([Param("lr", "log", 1e-3, 1.0)]), results)
    good = [1.0, 0.6, 0.5, 0.4, 0.3, 0.25, 0.2, 0.2, 0.2, 0.2, 0.2]
    slow = [1.0, 0.9, 0.85, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8]
    new = [curve_result(i, 10.0 ** -(i % 3), good) for i in range(5)] + \
        [curve_result(5, 0.5, slow)]
    results.extend(new)                                 # the model's list, then the signal
    view.add(new)
    view.redraw()
    items = [i for i in view.curves.getPlotItem().items if isinstance(i, CurveBundle)]
    assert items == [view.bundle]                       # every curve in ONE item ...
    assert len(view.bundle.paths) == 4                  # ... one path per shade: α = 1, 0.1,
    #                                                     0.01 and the faded slow trial
    assert sum(p.elementCount() for p, _ in view.bundle.paths) == 6 * 11
    assert view.bundle.boundingRect().bottom() == pytest.approx(0.0)   # log₁₀ 1.0
    assert len(view.stops.data) == 1                    # the slow trial, at its stop step
    assert "stopped <b>1 of 6</b>" in view.summary.text()
    assert view.bar.levels() == pytest.approx((-3.0, 0.0))          # log₁₀ α
    assert sum(p.elementCount() for p, _ in view.parallel_bundle.paths) == 6 * 2  # lr, loss


def test_an_unfinished_search_started_in_the_app_resumes_from_the_panel(win, qtbot, tmp_path):
    from bn_studio.core.search import TrialStore
    t = win.panels["tuning"]
    win.model.searches.store_dir = tmp_path
    t.editor.set_space(SearchSpace([Param("lr", "log", 1e-3, 1.0)]))
    t.trials.setValue(4)
    t.steps.setValue(20)
    t.workers.setValue(1)
    assert t.launch_search()
    qtbot.waitUntil(lambda: t.launch.isEnabled(), timeout=60000)
    path = win.model.searches.run(TUNING).store_path
    store = TrialStore(path)                            # as if trials 2 and 3 never ran
    for r in store.results()[2:]:
        store.add(r.replace(status="cancelled", val_loss=None, curve=None))
    store.close()
    t.resume_menu.fill()
    assert [a.text().split(":")[0] for a in t.resume_menu.actions()] == ["tuning-001"]
    t.resume_menu.actions()[0].trigger()                # what choosing it in the menu does
    assert not t.launch.isEnabled() and not t.error.text()
    qtbot.waitUntil(lambda: t.launch.isEnabled(), timeout=60000)
    assert sorted(r.trial for r in t.results) == [0, 1, 2, 3]
    assert all(r.status == "ok" for r in t.results) and t.view.table.rowCount() == 4
    t.resume_menu.fill()
    assert not t.resume_menu.actions()[0].isEnabled()           # nothing left to resume
    win.model.set_spec(win.model.spec.__class__("circles"))     # other data: refused
    assert not t.resume_search(path) and "open that dataset first" in t.error.text()


@pytest.mark.parametrize("same_seed", [False, True])
def test_a_stored_spec_comes_back_with_its_same_seed_choice(same_seed):
    # Lesson 15's runs share one seed (SearchSpec.same_seed); a stored search reopened or
    # resumed must draw its trials the same way, not each from its own seed.
    from bn_studio.gui.search_model import spec_from_stored
    spec = SearchSpec(SearchSpace([Param("momentum", "choice", [0.9, 0.999])]), 2,
                      TrainConfig(steps=10, optimizer="momentum"), seed=3, same_seed=same_seed)
    back = spec_from_stored(spec.to_dict(), "s.sqlite")
    assert back.same_seed is same_seed and back.to_dict() == spec.to_dict()
