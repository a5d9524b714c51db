"""Lesson 16's button sets the Tuning panel up with the search its text describes and
launches it there (launching is replaced here: no search process starts); the page follows
the ranking as results arrive."""

import pytest

from bn_studio.core.lessons import numbers as L
from bn_studio.core.search import SearchSpace
from bn_studio.gui.search_model import TUNING


@pytest.fixture
def win(shared_window):
    """One window for the module: each test starts the lesson afresh."""
    return shared_window


def test_the_button_sets_up_the_search_the_lesson_describes(win, monkeypatch):
    p, t = win.panels["lessons"], win.panels["tuning"]
    win.start_lesson("importance")
    les = p.current
    assert p.stack.currentWidget() is p.experiments["importance"]
    text = " ".join([les.intro, *les.steps])
    assert f"{L.IMPORTANCE_TRIALS} random trials" in text and \
        f"{L.IMPORTANCE_STEPS} steps" in text
    launched = []
    monkeypatch.setattr(t, "launch_search", lambda: launched.append(t.spec_to_launch()) or True)
    p.importance_button.click()
    [spec] = launched
    assert spec.space == SearchSpace(list(L.IMPORTANCE_SPACE))
    assert [(q.name, q.scale) for q in spec.space] == [
        ("lr", "log"), ("momentum", "one_minus_log"), ("hidden", "int"), ("batch", "pow2"),
        ("layers", "int"), ("l2", "log")]               # each on the scale the text names
    assert spec.trials == L.IMPORTANCE_TRIALS and spec.strategy == "random"
    assert not spec.twins and spec.base == les.train_config().replace(
        steps=L.IMPORTANCE_STEPS, seed=win.model.config.seed)
    assert spec.base.optimizer == "momentum" and spec.base.activation == "relu"
    assert t.tabs.currentWidget() is t.importance
    assert "Running" in p.importance_label.text()


def test_the_page_ranks_the_parameters_as_results_arrive(win):
    p, t = win.panels["lessons"], win.panels["tuning"]
    win.start_lesson("importance")
    space = SearchSpace(list(L.IMPORTANCE_SPACE))
    results = []
    for i, params in enumerate(space.sample(30, 4)):
        loss = 0.05 + abs(params["lr"] - 0.1)           # α alone decides
        results.append({"trial": i, "seed": i, "params": params, "status": "ok",
                        "val_loss": loss, "val_accuracy": 0.9})
    t.apply_workspace({"space": space.to_list(), "searched_space": space.to_list(),
                       "results": results})
    win.model.searches.resultsAdded.emit(TUNING, [])          # as a search delivers them
    assert p.importance_label.text().startswith("Done: 30 trials. Most first: α (lr)")
    assert t.importance.ranked[0].name == "lr"
    win.start_lesson("importance")                      # opened again: nothing stale
    assert p.importance_label.text().startswith("The search runs in the Tuning panel")


def test_a_running_tuning_search_is_not_overwritten(win, monkeypatch):
    p, t = win.panels["lessons"], win.panels["tuning"]
    win.start_lesson("importance")
    before = t.editor.space()
    monkeypatch.setattr(win.model.searches, "running", lambda name: name == TUNING)
    assert not p.run_importance()
    assert t.editor.space() == before
    assert "cancel it or let it finish" in p.importance_label.text()
