"""The test-time BN panel shows batch vs running statistics and predicts one example."""

import numpy as np
import pytest

from bn_studio.core.data.datasets import DatasetSpec
from bn_studio.core.nn.losses import softmax
from bn_studio.core.training.trainer import TrainConfig
from bn_studio.gui.panels.bn_at_test_time import TestTimeBNPanel
from studio_helpers import advance

CONFIG = TrainConfig(hidden=(8, 6), activation="tanh", batch=16, eval_every=5)


@pytest.fixture
def panel(make_panel):
    return make_panel(TestTimeBNPanel, CONFIG, (640, 860))


def test_plots_hold_batch_and_running_statistics_of_the_chosen_layer_and_unit(model, panel,
                                                                               qtbot):
    snap = advance(model, 30, qtbot)
    layer = snap.runs["bn"].layers[0]
    np.testing.assert_allclose(panel.batch_mean.getData()[1], layer.batch_mean)
    np.testing.assert_allclose(panel.run_mean.getData()[1], layer.running_mean)
    np.testing.assert_allclose(panel.batch_var.getData()[1], layer.batch_var)
    np.testing.assert_allclose(panel.run_var.getData()[1], layer.running_var)
    panel.layer_box.setCurrentIndex(1)
    panel.unit_box.setValue(3)
    layer, f = snap.runs["bn"].layers[1], 6
    h = layer.running_history
    assert h.shape[0] == 6                              # evaluated at 5, 10, ..., 30
    steps, rm = panel.run_mean_t.getData()
    np.testing.assert_allclose(steps, h[:, 0])
    np.testing.assert_allclose(rm, h[:, 1 + 2 * f + 3])
    np.testing.assert_allclose(panel.batch_mean_t.getData()[1], h[:, 1 + 3])
    np.testing.assert_allclose(panel.batch_var_t.getData()[1], h[:, 1 + f + 3])
    np.testing.assert_allclose(panel.run_var_t.getData()[1], h[:, 1 + 3 * f + 3])
    assert panel.unit_lines[0].value() == 3
    assert "unit 3" in panel.p_mean_t.titleLabel.text


def test_predict_one_fails_in_training_mode_and_gives_probabilities_in_eval_mode(model, panel,
                                                                                  qtbot):
    snap = advance(model, 30, qtbot)
    x = np.array([0.3, -0.4])
    res = panel.predict_one(x)
    assert "variance" in res["train_error"]
    msg = res["train_message"]
    assert "σ² = 0" in msg and "maps to β" in msg and "other examples" in msg
    assert "running statistics" in msg
    for name in ("bn", "no_bn"):
        logits = snap.runs[name].net.logits(x[None], train=False).astype(np.float64)
        np.testing.assert_allclose(res[f"eval_{name}"], softmax(logits)[0], rtol=1e-6)
        np.testing.assert_allclose(res[f"eval_{name}"].sum(), 1.0)
    # The frozen net's running statistics are untouched by the failed training pass.
    np.testing.assert_array_equal(snap.runs["bn"].net.hidden[0].bn.running_mean,
                                  snap.runs["bn"].layers[0].running_mean)


def test_a_selected_point_is_predicted_and_drawn_as_bars(model, panel, qtbot):
    advance(model, 20, qtbot)
    x = model.split.X_val[0]
    model.select_point(x)
    res = panel.predict_one(x)
    text = panel.result.text()
    assert "Training mode" in text and "maps to β" in text and "Evaluation mode" in text
    np.testing.assert_allclose(panel.prob_bars["bn"].opts["height"], res["eval_bn"])
    np.testing.assert_allclose(panel.prob_bars["no_bn"].opts["height"], res["eval_no_bn"])
    panel.predict_button.click()
    assert any(np.array_equal(model.selected_point, row) for row in model.split.X_val)


def test_the_beta_control_changes_the_running_twins_without_a_reset(model, panel, qtbot):
    advance(model, 10, qtbot)
    i = panel.decay_box.findData(0.5)
    panel.decay_box.setCurrentIndex(i)
    panel.decay_box.activated.emit(i)
    assert model.config.bn_decay == 0.5
    assert "last <b>2</b> mini-batches" in panel.explain.text()
    snap = advance(model, 5, qtbot)
    assert snap.step == 15 and snap.config.bn_decay == 0.5
    assert snap.changes == ((10, "bn_decay", 0.5),)           # marked on the curves
    panel.set_decay(0.99)
    assert model.config.bn_decay == 0.99
    assert panel.decay_box.currentData() == 0.99


def test_a_narrower_layer_clamps_the_unit(model, panel, qtbot):
    advance(model, 10, qtbot)
    panel.unit_box.setValue(7)
    model.set_config(CONFIG.replace(hidden=(3,)))
    snap = advance(model, 10, qtbot)
    assert panel.layer_box.count() == 1 and panel.unit_box.value() == 2
    h = snap.runs["bn"].layers[0].running_history
    np.testing.assert_allclose(panel.run_mean_t.getData()[1], h[:, 1 + 2 * 3 + 2])


def test_no_hidden_layer_says_so_and_does_not_raise(model, panel, qtbot):
    model.set_config(CONFIG.replace(hidden=()))
    advance(model, 5, qtbot)
    model.select_point([0.1, 0.2])
    assert "no hidden layer" in panel.explain.text()
    assert not panel.layer_box.isEnabled()
    res = panel.predict_one([0.1, 0.2])
    assert res["train_error"] is None
    np.testing.assert_allclose(res["eval_bn"].sum(), 1.0)
    assert "no hidden layer" in panel.result.text()


def test_diverged_nets_and_a_dataset_switch_do_not_raise(model, panel, qtbot):
    model.set_config(CONFIG.replace(hidden=(8, 8), activation="relu", optimizer="sgd",
                                    lr=1e6))
    model.select_point([0.0, 0.0])
    snap = advance(model, 20, qtbot)
    assert snap.runs["no_bn"].diverged_at is not None
    assert "diverged" in panel.result.text()
    model.set_config(CONFIG)
    model.play()
    qtbot.wait(200)
    model.set_spec(DatasetSpec("blobs", n=300, classes=5))
    qtbot.wait(200)
    model.pause()
    advance(model, 1, qtbot)
    model.select_point([0.0, 0.0])
    assert len(panel.prob_bars["bn"].opts["height"]) == 5
    ticks = panel.p_prob.getAxis("bottom")._tickLevels[0]
    assert len(ticks) == 5


def test_explanation_shows_the_unbiased_running_variance_factor(model, panel):
    model.set_config(model.config.replace(batch=8))
    text = panel.explain.text()
    assert "(8/7)·σ²_B" in text and "running σ²" in text
    assert "m/(m − 1)" in panel.help_text and "1 − β" in panel.help_text
