"""Each lesson loads, sets the studio up, runs its experiment for a few steps offscreen."""

import numpy as np
import pytest

from bn_studio.core.lessons import numbers as L


@pytest.fixture
def win(fresh_shared_window):
    return fresh_shared_window()


def test_walk_through_every_lesson(win, qtbot):
    p = win.panels["lessons"]
    win.show_start_page()
    assert "Welcome" in p.title_label.text()
    p.next_button.click()                               # "Start lesson 1"
    for i, les in enumerate(L.LESSONS):
        assert p.current.id == les.id
        assert les.title in p.title_label.text()
        if les.dataset:
            assert win.model.dataset.name == les.dataset["name"]
        for key, value in les.config.items():
            assert getattr(win.model.config, key) == value
        win.model.flush()
        before = win.model.snapshot.step           # lesson 2 keeps the studio as it was
        win.model.step(5)
        win.model.flush()
        assert win.model.snapshot.step == before + 5
        p.show_answer.click()
        assert p.answer.isVisibleTo(p)
        if i < len(L.LESSONS) - 1:
            p.next_button.click()
    assert not p.next_button.isEnabled()


def test_lesson_experiments_compute_with_the_core(win, qtbot):
    p = win.panels["lessons"]
    win.start_lesson("scales")
    assert abs(p.scale_values["lr_uniform"][-1][2] - 0.9) < 0.05
    win.start_lesson("bn_by_hand")
    win.model.step(3)
    win.model.flush()
    p.new_minibatch()
    p.set_identity()
    assert abs(p.bn_values["z_tilde"] - p.bn_z).max() < 1e-8
    win.start_lesson("test_time")
    win.model.step(30)
    win.model.flush()
    res = p.measure_test_time()
    assert res["batch"] == 8 and "eval mode" in p.tt_label.text()
    win.start_lesson("why_bn")
    win.model.step(10)
    win.model.flush()
    x0 = win.model.split.X_train[0].copy()
    win.model.shift_inputs((1.5, 1.0))
    win.model.step(5)
    win.model.flush()
    assert win.model.snapshot.step == 15                # shifted without a reset
    assert abs(win.model.split.X_train[0][0] - x0[0] - 1.5) < 1e-9


def test_grid_vs_random_lesson_runs_both_searches(win, qtbot):
    p = win.panels["lessons"]
    win.start_lesson("grid_vs_random")
    assert L.GVR_TALLY in p.gvr_tally_label.text()       # the 40-seed tally from the start
    assert win.model.config.steps == 150 and p.gvr_seed == L.GVR_FIRST_SEED
    win.model.set_config(win.model.config.replace(hidden=(4,)))
    p.run_grid_vs_random()
    qtbot.waitUntil(lambda: p.gvr_button.isEnabled(), timeout=120000)
    assert "5 distinct" in p.gvr_label.text() and "25 distinct" in p.gvr_label.text()
    assert "of 1</b>" in p.gvr_tally_label.text() and p.gvr_seed == L.GVR_FIRST_SEED + 1
    tuning = win.panels["tuning"]                      # step 3 happens in the Tuning panel
    assert len(tuning.results) == 25 and tuning.view.table.rowCount() == 25
    assert tuning.space_used.to_list() == L.GRID_VS_RANDOM_SPACE.to_list()
    assert tuning.next_round.isEnabled() and "25 trials" in tuning.progress_label.text()
    assert [q.name for q in tuning.editor.space()] == ["lr", "decay"]   # the lesson's
    assert tuning.next_round_from_selection()          # the 5 best trials: a narrower α range
    narrowed = tuning.editor.space()
    lr = next(q for q in narrowed if q.name == "lr")
    assert 1e-4 < lr.low < lr.high < 10
    win.model.set_config(win.model.config.replace(hidden=(5,)))
    assert "changed since these searches ran" in p.gvr_label.text()


def test_switching_lessons_scrolls_back_to_the_title(win, qtbot):
    p = win.panels["lessons"]
    win.resize(1000, 500)
    win.start_lesson("why_bn")
    bar = p.scroll_area.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    bar.setValue(bar.maximum())
    win.start_lesson("test_time")
    assert bar.value() == 0
    bar.setValue(bar.maximum())
    assert p.chooser.currentData() == "test_time"
    win.show_start_page()
    assert bar.value() == 0
    assert p.chooser.currentText() == "Choose a lesson…"      # not the lesson just left


def test_why_bn_lesson_sets_a_teaching_speed_and_shows_gradient_norms(win, qtbot, monkeypatch):
    speeds = []
    monkeypatch.setattr(win.model, "set_speed", lambda v: speeds.append(v))
    p = win.panels["lessons"]
    win.start_lesson("why_bn")
    assert speeds[-1] == L.lesson("why_bn").speed
    win.model.step(20)
    win.model.flush()
    snap = win.model.snapshot
    x, y = p.grad_items["no_bn"].getData()
    np.testing.assert_allclose(10 ** y, snap.runs["no_bn"].grad_norms, rtol=1e-6)  # log axis
    assert list(x) == [1, 2, 3, 4] and "‖dW‖" in p.grad_label.text()
    win.start_lesson("test_time")
    assert speeds[-1] is None


def test_measure_keeps_a_table_so_batch_2_and_128_compare_side_by_side(win, qtbot):
    p = win.panels["lessons"]
    win.start_lesson("test_time")
    win.model.step(20)
    win.model.flush()
    res = p.measure_test_time()
    assert "no_bn" in res and f"{res['no_bn']:.3f}" in p.tt_label.text()
    p.tt_batch.setCurrentIndex(0)
    p._apply_test_time()                                # as choosing "batch size 2" does
    assert win.model.config.batch == 2
    text = p.tt_label.text()
    assert "Measure' for the new row" in text and f"{res['eval_mode']:.3f}" in text   # kept
    win.model.step(20)
    win.model.flush()
    two = p.measure_test_time()
    assert two["batch"] == 2 and set(p.tt_rows) == {(8, 0.9), (2, 0.9)}
    text = p.tt_label.text()
    assert text.count("<tr>") == 3 and f"{two['train_mode']:.3f}" in text
    assert f"{res['train_mode']:.3f}" in text             # batch 8's row is still there
    win.start_lesson("test_time")                           # a new visit starts a new table
    assert p.tt_rows == {}


def test_point_in_two_batches_and_worked_softmax_example(win, qtbot):
    p = win.panels["lessons"]
    win.start_lesson("test_time")
    win.model.step(30)
    win.model.flush()
    v = p._on_point(np.array([0.3, -0.2]))
    assert set(v) == {"eval", "batch_a", "batch_b"} and "batch A" in p.tt_point.text()
    win.start_lesson("softmax")
    w = L.softmax_worked_example()
    text = p.sm_worked.text()
    assert "148.4" in text and "176.3" in text and f"{w['loss']:.3f}" in text
    assert "dz = a − y" in text


def test_scales_plot_shows_percent_without_si_prefix(win, qtbot):
    p = win.panels["lessons"]
    win.start_lesson("scales")
    axis = p.scales_plot.getAxis("left")
    assert not axis.autoSIPrefix and axis.labelText == "share (%)"
    heights = p.scales_bars["uniform"].opts["height"]
    assert 85 <= heights[-1] <= 95                     # a share in %, not a fraction
    labels = [t for _, t in p.scales_plot.getAxis("bottom")._tickLevels[0]]
    assert labels == ["10⁻⁴", "10⁻³", "10⁻²", "10⁻¹", "1"]


def test_high_learning_rate_button_switches_to_relu_sgd(win, qtbot):
    p = win.panels["lessons"]
    win.start_lesson("why_bn")
    p.try_high_lr()
    cfg = win.model.config
    assert (cfg.activation, cfg.optimizer, cfg.lr) == ("relu", "sgd", L.HIGH_LR_CONFIG["lr"])
    assert cfg.hidden == L.lesson("why_bn").config["hidden"]
    win.model.pause()


def test_lesson_4_never_carries_the_shift_or_noisy_bn_into_the_next_experiment(win, qtbot):
    p = win.panels["lessons"]
    regions = win.panels["decision_regions"].plot_items["bn"]
    win.start_lesson("why_bn")
    clean = win.model.split.X_train.copy()
    win.resize(1600, 1000)                            # room for the whole axis name
    axis = regions.getAxis("bottom")
    qtbot.waitUntil(lambda: axis.labelText == "x₁ (standardised)", timeout=5000)
    p.noisy_box.setChecked(True)
    win.model.step(5)
    win.model.flush()
    p.shift_why_inputs()
    assert "shifted by (+1.5, +1)" in p.why_state.text()
    qtbot.waitUntil(lambda: axis.labelText == "x₁ (standardised, +1.5 shift)", timeout=5000)
    p.try_high_lr()                                   # the next experiment starts clean
    win.model.pause()
    assert not win.model.config.noisy_bn and not p.noisy_box.isChecked()
    np.testing.assert_allclose(win.model.split.X_train, clean)
    assert "noisy BN off" in p.why_state.text() and "inputs unshifted" in p.why_state.text()
    qtbot.waitUntil(lambda: axis.labelText == "x₁ (standardised)", timeout=5000)
    p.shift_why_inputs()
    p.noisy_box.setChecked(True)                      # a restart unshifts too, and says so
    np.testing.assert_allclose(win.model.split.X_train, clean)
    assert "Noisy BN on" in p.why_state.text() and "inputs unshifted" in p.why_state.text()
    p.shift_why_inputs()
    win.start_lesson("scales")                        # a lesson without data of its own
    np.testing.assert_allclose(win.model.split.X_train, clean)
    assert not win.model.config.noisy_bn


def test_softmax_lesson_is_slow_and_shows_a1_beside_the_logistic_without_a_click(win, qtbot):
    p = win.panels["lessons"]
    win.start_lesson("softmax")
    assert win.model.speed == L.lesson("softmax").speed <= 30
    p._softmax_classes(2)
    win.model.pause()
    assert win.model.spec.noise == L.lesson("softmax").dataset["noise"]
    win.model.step(10)
    win.model.flush()
    qtbot.waitUntil(lambda: "σ(z₁ − z₀)" in p.sm_label.text(), timeout=10000)
    z = win.model.snapshot.runs["bn"].net.logits(win.model.split.X_val[:1]).astype(float)[0]
    v = L.logistic_equivalence(z)
    assert f"{v['a1']:.4f}" in p.sm_label.text() and f"{v['sigmoid']:.4f}" in p.sm_label.text()


def test_lessons_help_and_start_page_count_the_lessons_from_the_packs(win):
    p = win.panels["lessons"]
    n = len(L.LESSONS)
    assert n == 16
    assert p.help_text.startswith("Sixteen guided experiments")
    assert all(les.title in p.help_text for les in L.LESSONS)
    win.show_start_page()
    assert "Sixteen short lessons" in p.title_label.text()
    net = win.panels["network"].help_text
    assert "Any change" not in net and "mid-run" in net


def test_question_shows_before_play_and_the_answer_after(win, qtbot):
    p = win.panels["lessons"]
    win.start_lesson("why_bn")                          # answer at step 300, after Play
    assert "Predict, then press Play" in p.question.text()
    assert p.play_button.isVisibleTo(p) and not p.answer.isVisibleTo(p)
    win.model.step(300)
    win.model.flush()
    assert not p.answer.isVisibleTo(p)                  # stepping without Play reveals nothing
    win.start_lesson("why_bn")
    p.play_button.click()
    win.model.pause()
    win.model.step(300)
    win.model.flush()
    qtbot.waitUntil(lambda: p.answer.isVisibleTo(p), timeout=20000)
    assert not p.play_button.isVisibleTo(p)
    win.start_lesson("softmax")                         # its buttons answer it, not Play
    assert "Predict, then try it" in p.question.text() and not p.play_button.isVisibleTo(p)


def test_lr_jump_lesson_changes_alpha_at_step_500_and_marks_it(win, qtbot):
    p = win.panels["lessons"]
    win.start_lesson("lr_jump")
    assert win.model.config.changes == ((500, "lr", 2.0),)
    assert not win.panels["network"].optimizer.isEnabled()      # locked by the pack
    win.model.step(510)
    win.model.flush(timeout=120)
    snap = win.model.snapshot
    assert snap.changes == ((500, "lr", 2.0),) and snap.config.lr == 2.0
    assert "α = 2" in p.jump_label.text()
    assert any(line.value() == 500 for _plot, line in win.panels["curves"]._change_lines)
    win.model.set_config(win.model.config.replace(lr=0.3), live=True)   # an edit mid-run
    win.model.flush(timeout=120)
    assert win.model.snapshot.config.changes == ((500, "lr", 2.0), (510, "lr", 0.3))
    assert "α = 0.3 (planned: α → 2 at step 500)" in p.jump_label.text()   # the edit is no plan
    win.start_lesson("softmax")
    assert win.panels["network"].optimizer.isEnabled()          # given back


def test_why_bn_plots_the_smoothness_of_both_nets_and_switches_noisy_bn(win, qtbot):
    p = win.panels["lessons"]
    win.start_lesson("why_bn")
    win.model.step(30)
    win.model.flush()
    for run in ("bn", "no_bn"):
        x, _y = p.smooth_items[run].getData()
        assert list(x) == [10, 20, 30]
    assert "Loss spread" in p.smooth_label.text()
    p.noisy_box.setChecked(True)
    assert win.model.config.noisy_bn
    win.model.step(10)
    win.model.flush()
    assert "noisy BN on" in p.smooth_label.text()
    win.start_lesson("why_bn")
    assert not win.model.config.noisy_bn and not p.noisy_box.isChecked()


def test_open_lesson_pack_starts_it_with_its_controls_and_refuses_a_bad_file(win, qtbot,
                                                                           tmp_path):
    from bn_studio.core.lessons.pack import example_pack_path
    p = win.panels["lessons"]
    path = tmp_path / "pack.json"
    path.write_bytes(example_pack_path().read_bytes())
    les = win.open_lesson_from(path)
    assert p.current is les and les.title in p.title_label.text()
    assert win.model.config.noisy_bn
    net = win.panels["network"]
    assert not net.optimizer.isEnabled() and not net.form.isRowVisible(net.seed)
    assert p.chooser.currentText() == les.title
    errors = []
    win.model.errorOccurred.connect(errors.append)
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "bn-studio-lesson", "version": 1, "id": "x", "title": 3}')
    assert win.open_lesson_from(bad) is None
    assert len(errors) == 1 and errors[0].startswith("Cannot open this lesson: bad.json: title")
    assert p.current is les                               # nothing changed
    win.show_start_page()
    assert net.optimizer.isEnabled() and net.form.isRowVisible(net.seed)


def test_alpha_range_lesson_runs_the_twins_sweep_with_its_network(win, qtbot):
    p = win.panels["lessons"]
    win.start_lesson("alpha_range")
    assert win.model.config.hidden == (32, 32, 32, 32) and win.model.config.optimizer == "sgd"
    assert "Predict, then" in p.question.text() or p.question.text()
    tuning = win.panels["tuning"]
    assert p.run_alpha_range()
    assert tuning.tabs.currentWidget() is tuning.alpha
    assert win.model.searches.running("alpha_range")
    win.model.searches.cancel("alpha_range")
    qtbot.waitUntil(lambda: not win.model.searches.running("alpha_range"), timeout=30000)
    qtbot.waitUntil(lambda: "Running" not in p.alpha_label.text(), timeout=30000)
    assert p.alpha_label.text().startswith("Cancelled")       # never "Running" after the end
    assert win.model.searches.run("alpha_range").spec.base.steps == 300   # the pack's steps


def test_lesson_10_feeds_x2_times_100_unstandardised_and_leaving_it_standardises(win, qtbot):
    p = win.panels["lessons"]
    win.start_lesson("input_scale")
    assert not win.model.config.standardize and win.model.config.x2_scale == 100.0
    assert not win.model.split.standardized
    inputs = win.panels["datasets"].inputs
    assert not inputs.standardize_box.isChecked() and inputs.scale_box.value() == 100.0
    assert "Standardise" in p.steps_label.text()
    inputs.standardize_box.setChecked(True)             # the lesson's second step
    assert win.model.split.standardized
    inputs.standardize_box.setChecked(False)
    win.show_start_page()                               # keeps the settings: not x₂ × 100
    assert win.model.config.standardize and win.model.config.x2_scale == 1.0
    assert win.model.split.standardized


def test_lesson_11_pauses_at_1000_shifts_once_and_leaves_nothing_behind(win, monkeypatch):
    p = win.panels["lessons"]
    pauses = []
    real_pause_at = win.model.pause_at
    monkeypatch.setattr(win.model, "pause_at", lambda s: (pauses.append(s), real_pause_at(s)))
    win.start_lesson("covariate_shift")
    assert pauses[-1] == 1000 and p.stack.currentWidget() is p.experiments["covariate_shift"]
    train, val = win.model.split.X_train.copy(), win.model.split.X_val.copy()
    offset = np.asarray(L.SHIFT_OFFSET)
    p.shift_val_button.click()                      # a shift at test time
    assert pauses[-1] is None                       # Play trains on past step 1000
    np.testing.assert_allclose(win.model.split.X_train, train)
    np.testing.assert_allclose(win.model.split.X_val, val + offset)
    assert "validation inputs only" in p.shift_state.text()
    assert not p.shift_all_button.isEnabled() and not p.shift_val_button.isEnabled()
    p.restart_shift_lesson()
    np.testing.assert_allclose(win.model.split.X_val, val)
    assert pauses[-1] == 1000 and p.shift_all_button.isEnabled()
    p.shift_all_button.click()                      # a shift over time: training sees it
    np.testing.assert_allclose(win.model.split.X_train, train + offset)
    np.testing.assert_allclose(win.model.split.X_val, val + offset)
    win.show_start_page()                           # no pause, no moved data left behind
    assert pauses[-1] is None
    np.testing.assert_allclose(win.model.split.X_train, train)
