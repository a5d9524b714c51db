"""The panels of the studio window hold what the core computed, for the state the user set up."""

import json

import numpy as np
import pytest

from bn_studio.core.data.datasets import DatasetSpec
from bn_studio.core.nn.losses import softmax
from bn_studio.core.training.trainer import TrainConfig
from studio_helpers import advance

CONFIG = TrainConfig(hidden=(8, 6, 5), activation="tanh", batch=16, eval_every=5)


@pytest.fixture
def win(fresh_shared_window):
    return fresh_shared_window(CONFIG)


def test_after_k_steps_plots_hold_data_of_the_right_shapes(win):
    advance(win.model, 40)
    snap = win.model.snapshot
    assert snap.step == 40
    dr = win.panels["decision_regions"]
    img = dr.images["bn"].image
    assert img is not None and img.ndim == 3 and img.shape[2] == 3
    assert dr.train_scatter["bn"].data.size == win.model.split.X_train.shape[0]
    curves = win.panels["curves"]
    x, y = curves.val_items["bn"].getData()
    assert x.size == 9 and x[-1] == 40          # evaluated at 0, 5, ..., 40
    hist = win.panels["histograms"]
    assert len(hist.rows) == 3
    for i, row in enumerate(hist.rows):
        _, counts = row["bn"].getData()
        np.testing.assert_allclose(counts, snap.runs["bn"].layers[i].out_hist)
        bx, _ = row["band_no_bn"][1].getData()
        assert bx.size == 9                  # bands from step 0 (the untrained nets)
    tt = win.panels["test_time_bn"]
    _, rm = tt.run_mean.getData()
    np.testing.assert_allclose(rm, snap.runs["bn"].layers[0].running_mean)


def test_softmax_inspector_matches_core_softmax(win, qtbot):
    advance(win.model, 20)
    x = np.array([0.3, -0.7])
    win.model.select_point(x)
    values = win.panels["softmax_inspector"].current_values()
    for name in ("bn", "no_bn"):
        logits = win.model.snapshot.runs[name].net.logits(x[None], train=False)
        np.testing.assert_allclose(values[name]["a"], softmax(logits.astype(np.float64))[0],
                                   rtol=1e-6)
        np.testing.assert_allclose(values[name]["a"].sum(), 1.0)
        np.testing.assert_allclose(values[name]["t"] / values[name]["t"].sum(),
                                   values[name]["a"])


def test_click_on_region_plot_selects_that_point(win, qtbot):
    advance(win.model, 5)
    dr = win.panels["decision_regions"]
    qtbot.wait(50)
    vb = dr.plot_items["no_bn"].vb
    scene_pos = vb.mapViewToScene(pg_point(0.5, 0.25))

    class Click:
        def button(self):
            from PySide6.QtCore import Qt
            return Qt.LeftButton

        def scenePos(self):
            return scene_pos

        def accept(self):
            pass

    dr._on_click(Click())
    np.testing.assert_allclose(win.model.selected_point, [0.5, 0.25], atol=1e-6)


def pg_point(x, y):
    from PySide6.QtCore import QPointF
    return QPointF(x, y)


def test_test_time_panel_explains_one_example_in_training_mode(win):
    advance(win.model, 30)
    res = win.panels["test_time_bn"].predict_one([0.1, 0.2])
    assert "variance" in res["train_error"]
    logits = win.model.snapshot.runs["bn"].net.logits(np.array([[0.1, 0.2]]), train=False)
    np.testing.assert_allclose(res["eval_bn"], softmax(logits.astype(np.float64))[0], rtol=1e-6)


def test_ewma_beta_control_changes_the_config(win):
    win.panels["test_time_bn"].set_decay(0.99)
    assert win.model.config.bn_decay == 0.99


def test_network_panel_applies_and_reflects_config(win, qtbot):
    net = win.panels["network"]
    net.layers.setValue(2)
    net.width_box.setValue(12)
    net.optimizer.setCurrentText("adam")
    qtbot.waitUntil(lambda: win.model.config.hidden == (12, 12), timeout=3000)
    assert win.model.config.optimizer == "adam"
    win.model.set_config(CONFIG.replace(hidden=(7,), lr=0.1))
    assert net.layers.value() == 1 and net.width_box.value() == 7
    assert "0.1" in net.lr_edit.text()
    net.widths.setText("4,x")
    net.apply()
    assert "whole numbers" in net.error.text()
    assert win.model.config.hidden == (7,)


def test_no_hidden_layer_is_softmax_regression_and_draws(win):
    win.model.set_config(CONFIG.replace(hidden=()))
    advance(win.model, 10)
    assert win.panels["histograms"].rows == []
    assert "no hidden layer" in win.panels["histograms"].note.text()
    assert win.panels["decision_regions"].images["bn"].image is not None


def test_diverged_nets_draw_grey_without_raising(win):
    win.model.set_config(CONFIG.replace(hidden=(8, 8), activation="relu", optimizer="sgd", lr=1e6))
    advance(win.model, 20)
    win.model.select_point([0.0, 0.0])
    assert win.model.snapshot.runs["no_bn"].diverged_at is not None
    assert "diverged" in win.panels["decision_regions"].plot_items["no_bn"].titleLabel.text
    assert "diverged at step" in win.panels["softmax_inspector"].caption.text()


def test_a_divergence_is_marked_and_does_not_flatten_the_loss_axis(win):
    # Lesson 7's run: the net without BN explodes after the jump (losses of 1e5 before it
    # is caught); the axis must still show the BN net's curve, not a line at 0.
    from types import SimpleNamespace
    steps = np.arange(0, 520, 10.0)
    bn_loss = 1.1 * np.exp(-steps / 100) + 0.05
    no_bn_loss = bn_loss.copy()
    no_bn_loss[-3:] = (30.0, 3e3, 3e5)

    def run(name, loss, diverged_at):
        steps_ = steps[:loss.size]
        evals = np.column_stack([steps_, loss, 0 * loss + 0.5, loss, 0 * loss + 0.5])
        return SimpleNamespace(name=name, train_curve=np.column_stack([steps_, loss]),
                               eval_curve=evals, diverged_at=diverged_at)
    curves = win.panels["curves"]
    before = SimpleNamespace(step=490, live=True, playing=True, changes=(), runs={
        "bn": run("bn", bn_loss[:-2], None), "no_bn": run("no_bn", no_bn_loss[:-2], None)})
    curves.on_snapshot(before)
    after = SimpleNamespace(step=510, live=True, playing=True, changes=(), runs={
        "bn": run("bn", bn_loss, None), "no_bn": run("no_bn", no_bn_loss, 508)})
    curves.on_snapshot(after)
    top = curves.loss_plot.viewRange()[1][1]
    assert 1.1 <= top < 10.0                        # the BN curve fills the plot
    line = curves.diverged_lines["no_bn"]
    assert line.isVisible() and line.value() == 508
    assert "diverged" in line.label.format and line.label.isVisible()
    assert not curves.diverged_lines["bn"].isVisible()


def test_validation_curves_follow_new_rows_and_a_new_run(win):
    # The validation curves are set again only when their rows change (every eval_every
    # steps): frames in between keep them; a new row or a new run (reset) shows at once.
    from types import SimpleNamespace
    curves = win.panels["curves"]

    def snap(step, evals, run_id=1):
        rows = np.column_stack([evals[:, 0], evals[:, 1]])
        runs = {name: SimpleNamespace(name=name, train_curve=rows, eval_curve=evals,
                                      diverged_at=None) for name in ("bn", "no_bn")}
        return SimpleNamespace(step=step, live=True, playing=False, changes=(), runs=runs,
                               run_id=run_id)

    def shown():
        return curves.val_items["bn"].getData()[1], curves.acc_items["no_bn"].getData()[1]
    evals = np.array([[0, 1.0, 0.5, 0.9, 0.4], [10, 0.8, 0.6, 0.7, 0.6]])
    curves.on_snapshot(snap(12, evals))
    np.testing.assert_array_equal(shown()[0], [0.9, 0.7])
    curves.on_snapshot(snap(15, evals))                 # no new row: kept
    np.testing.assert_array_equal(shown()[1], [0.4, 0.6])
    more = np.vstack([evals, [20, 0.5, 0.8, 0.3, 0.9]])
    curves.on_snapshot(snap(20, more))                  # a new row
    np.testing.assert_array_equal(shown()[0], [0.9, 0.7, 0.3])
    np.testing.assert_array_equal(shown()[1], [0.4, 0.6, 0.9])
    other = more.copy()
    other[:, 3] = (2.0, 1.5, 1.2)
    curves.on_snapshot(snap(20, other, run_id=2))       # a reset: same steps, other run
    np.testing.assert_array_equal(shown()[0], [2.0, 1.5, 1.2])


def test_dataset_panel_gallery_draw_and_csv(win, qtbot, tmp_path):
    panel = win.panels["datasets"]
    for name in ("moons", "blobs", "xor"):
        panel.select_dataset(name)
        assert win.model.dataset.name == name
    assert win.model.dataset.classes == 2
    panel.select_dataset("blobs")
    assert win.model.dataset.classes == 4
    # Drawing: one class is refused and the data kept; two classes are used.
    for i in range(12):
        panel.draw.add_point(i / 4 - 1.5, (i % 3) - 1, cls=0)
    assert not panel.use_drawn_points()
    assert "2 classes" in panel.error.text() and win.model.dataset.name == "blobs"
    for i in range(6):
        panel.draw.add_point(i / 4, 1.5, cls=1)
    assert panel.use_drawn_points() and win.model.dataset.X.shape == (18, 2)
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y,l\n" + "1,2,a\n" * 6 + "1,2\n" + "3,4,b\n" * 6)
    assert not panel.import_csv(bad)
    assert "line 8" in panel.error.text() and win.model.dataset.name == "drawn"
    good = tmp_path / "good.csv"
    good.write_text("x,y,l\n" + "".join(f"{i},{i % 5},{'ab'[i % 2]}\n" for i in range(30)))
    assert panel.import_csv(good) and win.model.dataset.name == "good.csv"
    panel.n_slider.setValue(200)
    panel.select_dataset("spirals")
    assert win.model.dataset.X.shape[0] == 200


def test_exports_write_png_svg_and_csv(win, tmp_path):
    from bn_studio.gui import exports
    advance(win.model, 10)
    for name, panel in win.panels.items():
        for key, item in panel.plots().items():
            if name == "unit_maps" and panel._drawn is None:
                continue                    # hidden: no pictures yet (test_exports has it)
            for ext in ("png", "svg"):
                out = exports.export_plot(item, tmp_path / f"{name}_{key}.{ext}")
                assert out.stat().st_size > 500
    assert win.export_table("curves", tmp_path / "c.csv").read_text().count("\n") > 2
    assert win.export_table("layer_stats", tmp_path / "l.csv").read_text().count("\n") == 7
    assert exports.export_widget(win, tmp_path / "w.png").stat().st_size > 10_000


def test_workspace_round_trip_through_the_window(win, tmp_path):
    win.model.set_spec(DatasetSpec("circles", n=300, noise=0.1, classes=3, seed=4))
    win.model.set_config(CONFIG.replace(lr=0.05, hidden=(9,)))
    path = tmp_path / "ws.json"
    win.save_workspace_to(path)
    win.model.set_spec(DatasetSpec("moons"))
    win.model.set_config(CONFIG)
    win.open_workspace_from(path)
    assert win.model.spec == DatasetSpec("circles", n=300, noise=0.1, classes=3, seed=4)
    assert win.model.config == CONFIG.replace(lr=0.05, hidden=(9,))


def test_drawn_points_survive_a_workspace_round_trip(win, tmp_path):
    panel = win.panels["datasets"]
    for i in range(12):
        panel.draw.add_point(i / 4 - 1.5, i % 2, cls=i % 2)
    assert panel.use_drawn_points()
    X = win.model.dataset.X.copy()
    win.save_workspace_to(tmp_path / "ws.json")
    win.model.set_spec(DatasetSpec("moons"))
    win.open_workspace_from(tmp_path / "ws.json")
    np.testing.assert_array_equal(win.model.dataset.X, X)


def test_a_workspace_with_a_broken_search_section_changes_nothing(win, tmp_path):
    """All or nothing: the dataset and network in the file are fine, the search is not, so
    neither the dataset nor the network may change."""
    from bn_studio.workspace import WorkspaceError
    before = (win.model.spec, win.model.config)
    path = tmp_path / "ws.json"
    path.write_text(json.dumps({
        "format": "bn-studio-workspace", "version": 1,
        "config": {"hidden": [5], "lr": 0.2},
        "dataset": {"kind": "generated", "name": "circles", "n": 300},
        "search": {"space": [{"name": "lr", "scale": "nope"}]}}))
    with pytest.raises(WorkspaceError):
        win.open_workspace_from(path)
    assert (win.model.spec, win.model.config) == before
