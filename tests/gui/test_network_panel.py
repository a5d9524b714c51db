"""The network panel turns its controls into the TrainConfig and follows external changes."""

import pytest

from bn_studio.core import limits
from bn_studio.core.training.trainer import TrainConfig
from bn_studio.gui.panels.network import LR_TICKS_PER_DECADE, NetworkPanel

CONFIG = TrainConfig(hidden=(8, 8), activation="tanh", optimizer="sgd", lr=0.1, batch=16,
                     eval_every=5)


@pytest.fixture
def panel(make_panel):
    return make_panel(NetworkPanel, CONFIG)


def test_lr_slider_sets_a_log_scaled_learning_rate_once(panel, model, qtbot):
    resets = []
    model.configChanged.connect(resets.append)
    for decades in (-2.0, -1.75, -1.5):
        panel.lr_slider.setValue(round(decades * LR_TICKS_PER_DECADE))
    qtbot.waitUntil(lambda: model.config.lr != CONFIG.lr, timeout=3000)
    assert model.config.lr == pytest.approx(0.0316)
    assert panel.lr_edit.text() == "0.0316"
    assert len(resets) == 1


def test_optimizer_shows_only_its_betas(panel, model, qtbot):
    panel.optimizer.setCurrentText("adam")
    assert panel.beta1.isVisible() and panel.beta2.isVisible()
    assert not panel.momentum.isVisible()
    qtbot.waitUntil(lambda: model.config.optimizer == "adam", timeout=3000)
    panel.optimizer.setCurrentText("rmsprop")
    assert panel.beta2.isVisible() and not panel.beta1.isVisible()
    panel.optimizer.setCurrentText("momentum")
    assert panel.momentum.isVisible() and not panel.beta2.isVisible()
    panel.momentum.setValue(0.95)
    qtbot.waitUntil(lambda: model.config.momentum == 0.95, timeout=3000)
    assert model.config.optimizer == "momentum"


def test_layers_width_and_per_layer_widths(panel, model, qtbot):
    panel.layers.setValue(3)
    panel.width_box.setValue(32)
    qtbot.waitUntil(lambda: model.config.hidden == (32, 32, 32), timeout=3000)
    assert panel.summary.text().startswith("2 → 32 → 32 → 32 → 3 (tanh)")
    panel.widths.setText("64, 32,16")
    assert panel.apply()
    assert model.config.hidden == (64, 32, 16)
    panel.layers.setValue(0)
    qtbot.waitUntil(lambda: model.config.hidden == (), timeout=3000)
    assert "no hidden layer" in panel.summary.text()


def test_other_settings_reach_the_config(panel, model):
    panel.activation.setCurrentText("relu")
    panel.batch.setCurrentText("128")
    panel.l2.setValue(0.001)
    panel.decay.setValue(0.5)
    panel.seed.setValue(3)
    panel.bn_decay.setValue(0.99)
    assert panel.apply()
    assert model.config == CONFIG.replace(activation="relu", batch=128, l2=0.001, decay=0.5,
                                          seed=3, bn_decay=0.99)


def test_external_set_config_updates_every_control_without_reapplying(panel, model, qtbot):
    new = CONFIG.replace(hidden=(7, 300), activation="sigmoid", optimizer="adam",
                         lr=0.0123456, beta1=0.85, beta2=0.99937, batch=24, l2=1e-4,
                         decay=0.25, seed=11, bn_decay=0.95)
    resets = []
    model.configChanged.connect(resets.append)
    model.set_config(new)
    assert panel.widths.text() == "7,300"
    assert panel.activation.currentText() == "sigmoid"
    assert panel.optimizer.currentText() == "adam"
    assert panel.lr_edit.text() == "0.01235"
    assert panel.batch.currentText() == "24" and panel.seed.value() == 11
    qtbot.wait(600)                          # longer than the debounce: nothing re-applied
    assert len(resets) == 1 and model.config == new
    assert panel.config_from_controls() == new           # exact values survive the display
    panel.set_controls(CONFIG)
    assert panel.config_from_controls() == CONFIG


def test_typed_learning_rate_outside_the_slider(panel, model):
    panel.lr_edit.setText("50")
    panel.lr_edit.editingFinished.emit()
    assert panel.apply() and model.config.lr == 50.0


@pytest.mark.parametrize("control, value, words", [
    ("batch", "1", "batch size must be at least 2"),
    ("widths", "4,x", "whole numbers"),
    ("widths", f"4,{limits.MAX_WIDTH + 1}", f"at most {limits.MAX_WIDTH} (the limit on width)"),
    ("lr", "-1", "learning rate must be a positive number"),
])
def test_invalid_input_is_refused_with_a_message(panel, model, control, value, words):
    before = model.config
    if control == "batch":
        panel.batch.setEditText(value)
    elif control == "widths":
        panel.widths.setText(value)
    else:
        panel.lr_edit.setText(value)
    assert not panel.apply()
    assert words in panel.error.text() and panel.error.isVisible()
    assert model.config is before
    panel.set_controls(before)
    assert not panel.error.text()


def test_the_width_boxes_take_the_limits_of_every_other_way_in(panel):
    assert (panel.width_box.minimum(), panel.width_box.maximum()) == (1, limits.MAX_WIDTH)
    assert panel.layers.maximum() == limits.MAX_DEPTH


def test_dragging_the_lr_slider_resets_once_on_release(panel, model, qtbot):
    resets = []
    model.configChanged.connect(resets.append)
    panel.lr_slider.setSliderDown(True)
    for decades in (-3.0, -2.5, -2.0):
        panel.lr_slider.setValue(round(decades * LR_TICKS_PER_DECADE))
    assert panel.lr_edit.text() == "0.01"    # the value shows while dragging
    qtbot.wait(600)                          # longer than the debounce: still dragging
    assert resets == []
    panel.lr_slider.setSliderDown(False)
    assert len(resets) == 1 and model.config.lr == 0.01


def test_every_optimizer_shows_exactly_the_betas_it_reads(panel):
    """The rows follow core/params.py and optim's table, so a new optimizer needs no edit here."""
    from bn_studio.core.nn.optim import BETA_NAMES, OPTIMIZER_BETAS, OPTIMIZERS
    for optimizer in OPTIMIZERS:
        panel.optimizer.setCurrentText(optimizer)
        shown = {b for b in BETA_NAMES if getattr(panel, b).isVisible()}
        assert shown == set(OPTIMIZER_BETAS[optimizer]), optimizer
    assert panel.form.labelForField(panel.beta2).text() == "Adam β₂"


def test_a_scheduled_mid_run_change_shows_in_its_control_without_a_reset(panel, model):
    config = CONFIG.replace(changes=((3, "lr", 0.5),))
    model.set_config(config)
    resets = []
    model.configChanged.connect(resets.append)
    model.step(5)
    model.flush()
    assert model.snapshot.step == 5 and model.snapshot.changes
    assert panel.lr_edit.text() == "0.5"             # what the twins train with now
    assert model.config == config and resets == []   # shown, not applied
    assert panel.config_from_controls() == config    # and not mistaken for an edit
    model.reset()
    model.flush()
    assert model.snapshot.step == 0 and panel.lr_edit.text() == "0.1"
