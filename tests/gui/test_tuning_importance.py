"""The tuning panel's Ranking tab: which searched parameters mattered, for any search it
shows (restored results here: no trial trains), its 'loss against' button and its export."""

import csv

import numpy as np

from bn_studio.core.search import Param, SearchSpace
from bn_studio.core.search.analysis import IMPORTANCE_MIN_TRIALS
from bn_studio.gui.panels.tuning.panel import TuningPanel

SPACE = SearchSpace([Param("lr", "log", 1e-4, 1.0), Param("hidden", "int", 4, 64),
                     Param("batch", "pow2", 16, 256)])


def results(n: int, seed: int = 0) -> list[dict]:
    """Trials whose loss is a U in log10 α (best at 0.01): nothing else matters. The losses
    are NumPy floats: the table sorts them too (NumPy's bool from < once crashed Qt's sort)."""
    out = []
    for i, p in enumerate(SPACE.sample(n, seed)):
        loss = 0.1 + (np.log10(p["lr"]) + 2.0) ** 2 / 4
        out.append({"trial": i, "seed": i, "params": p, "status": "ok", "val_loss": loss,
                    "val_accuracy": 0.5})
    return out


def show(t, n: int) -> None:
    t.apply_workspace({"space": SPACE.to_list(), "searched_space": SPACE.to_list(),
                       "results": results(n)})


def test_the_bars_rank_the_parameter_the_loss_follows_first(make_panel, tmp_path):
    t = make_panel(TuningPanel, size=(520, 700))
    show(t, 30)
    ranked = t.importance.ranked
    assert [i.name for i in ranked][0] == "lr" and ranked[0].score > 0.7
    assert ranked[0].score > 3 * ranked[1].score
    widths = t.importance.bars.opts["width"]
    assert widths[0] == max(widths) and widths[0] > 70          # the top bar is drawn on top
    assert t.importance.bars.opts["y"][0] == 2
    ticks = t.importance.plot.getAxis("left")._tickLevels[0]
    assert (2.0, "α (lr)") in ticks
    assert t.importance.status.text().startswith("From 30 finished trials, most first: <b>α")
    # its own diagnostic and its own export, outside any lesson
    assert t.importance.export(tmp_path / "imp.csv")
    rows = list(csv.reader((tmp_path / "imp.csv").open(encoding="utf-8")))
    assert rows[0] == ["parameter", "rank", "importance", "share", "chance_share", "bands",
                       "trials"]
    assert [r[0] for r in rows[1:]] == [i.name for i in ranked] and rows[1][1] == "1"
    assert float(rows[1][2]) == round(ranked[0].score, 4) and rows[1][6] == "30"
    assert "importance" in t.plots()


def test_loss_against_the_top_parameter_opens_the_results_scatter(make_panel):
    t = make_panel(TuningPanel)
    show(t, 30)
    t.view.x_param.setCurrentText("hidden")
    t.tabs.setCurrentWidget(t.importance)
    assert t.importance.show_top.text() == "Loss against α (lr)"
    t.importance.show_top.click()
    assert t.tabs.currentWidget() is t.view and t.view.x_param.currentText() == "lr"


def test_too_few_trials_draw_no_bars_and_say_how_many_are_needed(make_panel):
    t = make_panel(TuningPanel)
    show(t, IMPORTANCE_MIN_TRIALS - 1)
    assert t.importance.ranked == []
    assert list(t.importance.bars.opts["width"]) == [0, 0, 0]
    assert f"{IMPORTANCE_MIN_TRIALS - 1} of at least {IMPORTANCE_MIN_TRIALS}" in \
        t.importance.status.text()
    assert not t.importance.show_top.isEnabled() and not t.importance.export_button.isEnabled()
    show(t, 30)                                 # a new search's results replace them
    assert t.importance.ranked and t.importance.export_button.isEnabled()
