"""A trial is train_single with the trial's own seed and BN choice; the best result is the
lowest validation loss among finished trials; a resumed search re-runs only cancelled trials."""

import pytest

from bn_studio.core.data.datasets import make_dataset, split_and_standardize
from bn_studio.core.search import TrialResult, TrialStore, best_result, run_trial
from bn_studio.core.training.trainer import TrainConfig, train_single

BASE = TrainConfig(hidden=(6,), optimizer="sgd", steps=30, eval_every=10)
KEYS = ("status", "val_loss", "val_accuracy", "diverged_at", "curve")


@pytest.fixture(scope="module")
def split():
    return split_and_standardize(make_dataset("moons", n=200, seed=0), seed=0)


def test_run_trial_is_train_single_with_the_trials_seed(split):
    a = run_trial(split, BASE, 0, 11, {"lr": 0.3})
    b = run_trial(split, BASE, 1, 12, {"lr": 0.3})
    assert a.status == b.status == "ok" and a.error is None
    assert a.val_loss != b.val_loss
    for r, seed in ((a, 11), (b, 12)):
        want = train_single(BASE.replace(lr=0.3, seed=seed), split, batch_norm=True)
        assert {k: getattr(r, k) for k in KEYS} == {k: want[k] for k in KEYS}
        assert r.seed == seed and r.params == {"lr": 0.3}


def test_run_trial_honours_the_bn_choice(split):
    plain = run_trial(split, BASE, 0, 5, {"bn": 0})
    with_bn = run_trial(split, BASE, 0, 5, {"bn": 1})
    want = train_single(BASE.replace(seed=5), split, batch_norm=False)
    assert plain.val_loss == want["val_loss"] != with_bn.val_loss


def result(trial, status, val_loss):
    return TrialResult(trial, 0, {}, status, val_loss)


def test_best_result_is_the_lowest_validation_loss_of_a_finished_trial():
    results = [result(0, "ok", 0.5), result(1, "ok", 0.2), result(2, "diverged", None),
               result(3, "ok", 0.9), result(4, "cancelled", None), result(5, "failed", None),
               result(6, "ok", 0.2)]
    assert best_result(results).trial == 1          # ties go to the earlier trial
    assert best_result(results[2:]) == result(6, "ok", 0.2)
    assert best_result([result(0, "diverged", None)]) is None


def test_store_counts_ok_and_diverged_trials_as_finished(tmp_path):
    """A cancelled trial, or one whose worker failed, runs again on --resume."""
    store = TrialStore(tmp_path / "s.sqlite")
    for i, status in enumerate(["ok", "diverged", "failed", "cancelled"]):
        store.add(TrialResult(i, i, {}, status))
    assert store.finished() == {0, 1}
    store.close()


GOOD = {"trial": 3, "seed": 9, "params": {"lr": 0.1}, "status": "ok", "val_loss": 0.5,
        "val_accuracy": 0.75, "diverged_at": None, "error": None,
        "curve": {"step": [0, 10], "val_loss": [0.9, 0.5]}, "seconds": 0.25}


@pytest.mark.parametrize("key, value", [
    ("seed", True), ("seed", "9"), ("seed", 2.0), ("seed", -1), ("trial", 1.5),
    ("trial", None), ("trial", 10_000), ("seconds", "0.25"), ("seconds", float("nan")),
    ("seconds", -1.0), ("status", "weird"), ("params", [0.1]), ("params", {"lr": [1]}),
    ("val_loss", "0.5"), ("diverged_at", 2.5), ("error", 5), ("error", "x" * 5000),
    ("curve", {"step": [0, 10], "val_loss": [0.9]}), ("curve", {"step": "0"}),
    ("curve", {"step": [0], "val_loss": ["a"]}),
    ("seed", 10**400), ("val_loss", 10**400), ("params", {"lr": 10**400}),  # beyond a float
    ("curve", {"step": [0, 10**400], "val_loss": [0.9, 0.5]}),
    ("curve", {"step": [0, 10], "val_loss": [0.9, float("inf")]})],
    ids=lambda v: "10**400" if type(v) is int and v > 10**300 else None)
def test_a_result_with_a_field_of_the_wrong_type_is_refused(key, value):
    from bn_studio.core.search import Status
    r = TrialResult.from_dict(GOOD)
    assert r.status is Status.OK and r.status.is_finished and r.to_dict() == GOOD
    with pytest.raises(ValueError, match="trial result") as e:
        TrialResult.from_dict({**GOOD, key: value})
    assert "\n" not in str(e.value) and len(str(e.value)) < 200


def test_a_worker_answer_that_is_not_plain_results_fails_its_trials():
    from bn_studio.core.search.groups import TrialGroup, results_of
    group = TrialGroup(((3, 9, {"lr": 0.1}), (4, 5, {"lr": 0.2})), population=False)
    other = {**GOOD, "trial": 4, "seed": 5, "params": {"lr": 0.2}}
    assert [r.trial for r in results_of(group, [GOOD, other])] == [3, 4]
    for answer in (None, [GOOD], [GOOD, GOOD], [GOOD, {**other, "seed": True}],
                   [GOOD, {**other, "trial": 7}], object()):
        out = results_of(group, answer)
        assert [(r.trial, r.status) for r in out] == [(3, "failed"), (4, "failed")]
        assert out[0].error.startswith("unusable answer from a worker")
