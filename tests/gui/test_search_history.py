"""Every tuning search is kept: a later search (even one cancelled at once) never loses an
earlier one's results; a new search draws new trials unless the seed is fixed; the History
tab reopens any search; the net each trial trains is chosen and recorded; one damaged store
never breaks the Resume menu."""

import csv
import sqlite3

import pytest

from bn_studio.core.search import Param, SearchSpace, TrialStore
from bn_studio.core.training.trainer import TrainConfig
from bn_studio.gui.search_model import TUNING


@pytest.fixture
def win(fresh_shared_window, tmp_path):
    w = fresh_shared_window(TrainConfig(hidden=(8,), batch=32, eval_every=10))
    w.model.searches.store_dir = tmp_path / "searches"
    return w


def launch(t, qtbot, trials=3, steps=20, wait=True):
    t.trials.setValue(trials)
    t.steps.setValue(steps)
    t.workers.setValue(1)
    assert t.launch_search(), t.error.text()
    if wait:
        qtbot.waitUntil(lambda: t.launch.isEnabled(), timeout=60000)


def test_a_cancelled_later_search_loses_nothing_and_each_search_draws_new_trials(win, qtbot):
    t = win.panels["tuning"]
    t.editor.set_space(SearchSpace([Param("lr", "log", 1e-3, 1.0)]))
    launch(t, qtbot)
    first = list(t.results)
    first_seed = t.seed.value()
    assert len(first) == 3 and t.view.table.rowCount() == 3
    launch(t, qtbot, steps=200000, wait=False)             # a second search, cancelled at once
    second_seed = t.seed.value()
    assert second_seed != first_seed                       # not fixed: new draws
    t.cancel_search()
    qtbot.waitUntil(lambda: t.launch.isEnabled(), timeout=30000)
    assert t.results == first and t.view.table.rowCount() == 3      # the first is shown again
    saved = win.workspace_state()["search"]["results"]
    assert [r["trial"] for r in saved] == [0, 1, 2]        # ... and a workspace keeps it
    launch(t, qtbot)                                       # a third one that finishes
    third = list(t.results)
    assert {r.params["lr"] for r in third}.isdisjoint({r.params["lr"] for r in first})
    t.tabs.setCurrentWidget(t.history)
    rows = t.history.entries
    assert [e["label"] for e in rows] == ["tuning-002", "tuning-001"]   # the empty one went
    assert [e["done"] for e in rows] == [3, 3] and rows[0]["shown"]
    assert t.history.table.item(1, 0).text() == "tuning-001"
    t.history.select(1)
    t.history.open_selected()                              # reopen the first
    assert t.results == first and t.view.table.rowCount() == 3
    assert t.tabs.currentWidget() is t.view
    t.fixed_seed.setChecked(True)
    t.seed.setValue(first_seed)
    launch(t, qtbot)                                       # a fixed seed draws the same trials
    assert [r.params for r in t.results] == [r.params for r in first]


def test_the_history_reopens_a_search_of_an_earlier_session(win, qtbot, make_window):
    t = win.panels["tuning"]
    t.editor.set_space(SearchSpace([Param("lr", "log", 1e-3, 1.0)]))
    launch(t, qtbot)
    first = [r.to_dict() for r in t.results]
    later = make_window(TrainConfig(hidden=(8,), batch=32, eval_every=10))
    later.model.searches.store_dir = win.model.searches.store_dir
    lt = later.panels["tuning"]
    lt.tabs.setCurrentWidget(lt.history)
    assert [e["label"] for e in lt.history.entries] == ["tuning-001"]
    assert lt.history.entries[0]["best"] == min(r["val_loss"] for r in first)
    lt.history.select(0)
    lt.history.open_selected()
    assert [r.to_dict() for r in lt.results] == first
    assert lt.view.table.rowCount() == 3


@pytest.mark.parametrize("net", ["no BN", "both"])
def test_the_net_each_trial_trains_is_chosen_and_recorded(win, qtbot, tmp_path, net):
    t = win.panels["tuning"]
    t.editor.set_space(SearchSpace([Param("lr", "log", 1e-3, 1.0)]))
    t.net.setCurrentText(net)
    launch(t, qtbot, trials=2)
    headers = [t.view.table.horizontalHeaderItem(j).text()
               for j in range(t.view.table.columnCount())]
    assert headers[:3] == ["trial", "net", "status"] and "bn" not in headers
    assert {t.view.table.item(i, 1).text() for i in range(2)} == {net}
    assert ("no-BN loss" in headers) == (net == "both")
    t.export_csv(tmp_path / "t.csv")
    with open(tmp_path / "t.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["net"] for r in rows} == {net}
    assert ("no_bn_val_loss" in rows[0]) == (net == "both")
    assert win.model.searches.history()[0]["net"] == net


def _stored(folder, name, spec=None, raw_spec=None):
    """A store in the app's folder holding ``spec`` (or the text ``raw_spec`` as its spec)."""
    store = TrialStore(folder / f"{name}.sqlite")
    store.set_spec(spec if spec is not None else {})
    store.close()
    if raw_spec is not None:
        con = sqlite3.connect(folder / f"{name}.sqlite")
        with con:
            con.execute("INSERT OR REPLACE INTO meta VALUES ('spec', ?)", (raw_spec,))
        con.close()


def test_one_damaged_stored_search_never_breaks_the_resume_menu(win, qtbot):
    t = win.panels["tuning"]
    folder = win.model.searches.stores()
    folder.mkdir(parents=True)
    t.editor.set_space(SearchSpace([Param("lr", "log", 1e-3, 1.0)]))
    launch(t, qtbot, trials=2)
    path = win.model.searches.run(TUNING).store_path
    store = TrialStore(path)                               # as if trial 1 never ran
    store.add(store.results()[1].replace(status="cancelled", val_loss=None, curve=None))
    good = store.spec()
    store.close()
    _stored(folder, "tuning-050", {**good, "trials": 30_000_000})
    _stored(folder, "tuning-051", {**good, "space": 5})
    _stored(folder, "tuning-052", {**good, "base": {"hidden": "wide"}})
    _stored(folder, "tuning-053", raw_spec='{"trials": "x"}')
    _stored(folder, "tuning-054", raw_spec="[1, 2]")
    (folder / "tuning-055.sqlite").write_bytes(b"SQLite format 3\x00" + b"\x01" * 3000)
    con = sqlite3.connect(folder / "tuning-056.sqlite")
    con.execute("CREATE VIEW trials AS SELECT 1")
    con.close()
    t.resume_menu.fill()
    assert [a.text().split(":")[0] for a in t.resume_menu.actions()] == ["tuning-001"]
    assert not t.resume_search(str(folder / "tuning-050.sqlite"))
    assert "trials" in t.error.text() and "10,000" in t.error.text()
    assert "\n" not in t.error.text()
    for n in range(51, 57):                 # each refused in one line, none raises
        assert not t.resume_search(str(folder / f"tuning-0{n}.sqlite"))
        assert f"tuning-0{n}.sqlite" in t.error.text() and "\n" not in t.error.text()
    t.tabs.setCurrentWidget(t.history)
    assert [e["label"] for e in t.history.entries] == ["tuning-001"]
