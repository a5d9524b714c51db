"""The population executor and twins: the same trials as one trial per task, faster."""

import csv
import json
import multiprocessing as mp
import time

import pytest

from bn_studio.core.data.datasets import make_dataset, split_and_standardize
from bn_studio.core.search import (Param, Search, SearchSpace, SearchSpaceError, SearchSpec,
                                   run_trial)
from bn_studio.core.search import (TrialGroup, TrialStore, plan_groups, run_group,
                                   run_twin_trial)
from bn_studio.core.training.trainer import TrainConfig, train_single

BASE = TrainConfig(hidden=(8, 8), optimizer="momentum", steps=60, eval_every=20,
                   dtype="float64")
TWIN_SPACE = SearchSpace([Param("lr", "log", 1e-3, 1e6), Param("hidden", "int", 4, 12),
                          Param("momentum", "one_minus_log", 0.5, 0.99)])
SPACE = SearchSpace(TWIN_SPACE.params + [Param("bn", "choice", [0, 1])])


@pytest.fixture(scope="module")
def split():
    return split_and_standardize(make_dataset("moons", n=200, seed=0), seed=0)


def run(split, workers, executor, trials=12, twins=False, **kw):
    spec = SearchSpec(TWIN_SPACE if twins else SPACE, trials, BASE, seed=5, twins=twins)
    return Search(spec, split, workers=workers, executor=executor, **kw).run()


def without_seconds(results):
    return [{k: v for k, v in r.to_dict().items() if k != "seconds"} for r in results]


def same(a, b, rtol=1e-9) -> bool:
    """Equal results; floats to ``rtol`` (BLAS may sum a padded row in another order)."""
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= rtol * max(abs(a), abs(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k], rtol) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y, rtol) for x, y in zip(a, b))
    return a == b


def test_population_executor_gives_the_same_results_as_one_trial_per_task(split):
    one_by_one = run(split, 2, "trial")
    together = run(split, 2, "population")
    assert {r.status for r in one_by_one} == {"ok", "diverged"}
    assert same(without_seconds(together), without_seconds(one_by_one))
    assert without_seconds(run(split, 1, "population")) == without_seconds(together)


def test_groups_share_a_structure_and_depend_on_the_plan_only():
    space = SearchSpace([Param("hidden", "int", 4, 40), Param("bn", "choice", [0, 1])])
    plan = SearchSpec(space, 50, BASE, seed=1).plan()
    groups = plan_groups(plan, BASE, size=8)
    assert groups == plan_groups(plan, BASE, size=8)
    assert sorted(t[0] for g in groups for t in g.trials) == list(range(50))
    for g in groups:
        assert 1 <= len(g.trials) <= 8 and g.population
        assert len({t[2]["bn"] for t in g.trials}) == 1
        widths = [t[2]["hidden"] for t in g.trials]
        assert widths == sorted(widths)
    one_each = plan_groups(plan, BASE, population=False)
    assert [len(g.trials) for g in one_each] == [1] * 50 and not one_each[0].population


def test_a_small_plan_is_cut_into_enough_groups_to_stream():
    space = SearchSpace([Param("lr", "log", 1e-3, 1.0)])         # one structure
    for trials, groups in ((20, 10), (200, 8), (5, 5)):
        plan = SearchSpec(space, trials, BASE, seed=1).plan()
        assert len(plan_groups(plan, BASE)) == groups


def test_noisy_bn_and_scheduled_changes_train_as_populations_with_the_single_results(split):
    """No search falls back to one trial per task: noisy BN and a run's own changes are
    trained together, and each trial is the single-trial path's."""
    for base in (BASE.replace(noisy_bn=True), BASE.replace(changes=((30, "lr", 0.5),))):
        spec = SearchSpec(SPACE, 24, base, seed=5)          # groups of 3 (8 groups at least)
        groups = plan_groups(spec.plan(), base)
        assert max(len(g.trials) for g in groups) > 1 and groups[0].population
        together = Search(spec, split, workers=1, executor="population").run()
        one_by_one = Search(spec, split, workers=1, executor="trial").run()
        assert same(without_seconds(together), without_seconds(one_by_one), rtol=1e-6)


def test_float32_groups_are_padded_too_and_agree_to_float32_rounding(split):
    base = BASE.replace(dtype="float32")
    plan = SearchSpec(SearchSpace([Param("hidden", "int", 4, 9)]), 30, base, seed=1).plan()
    assert any(len({t[2]["hidden"] for t in g.trials}) > 1 for g in plan_groups(plan, base))
    spec = SearchSpec(SPACE, 8, base, seed=5)
    together = Search(spec, split, workers=1, executor="population").run()
    one_by_one = Search(spec, split, workers=1, executor="trial").run()
    assert same(without_seconds(together), without_seconds(one_by_one), rtol=1e-4)


def test_a_group_that_cannot_train_falls_back_to_the_single_trial_messages(split):
    bad = TrialGroup(((0, 1, {"hidden": 4, "layers": -1}), (1, 2, {"hidden": 5})))
    results = run_group(split, BASE, bad)
    assert [r.status for r in results] == ["failed", "ok"]
    assert results[0].error == run_trial(split, BASE, 0, 1, bad.trials[0][2]).error


def test_cancel_stops_a_population_search_within_two_seconds(split):
    spec = SearchSpec(SPACE, 40, BASE.replace(steps=200000), seed=1)
    s = Search(spec, split, workers=2, executor="population")
    s.start()
    deadline = time.time() + 30
    while s.progress().running < 2 and time.time() < deadline:
        time.sleep(0.02)
    time.sleep(0.5)
    t0 = time.perf_counter()
    s.cancel()
    assert s.join(5)
    assert time.perf_counter() - t0 < 2.0
    assert [p for p in mp.active_children() if p.name == "bn-studio-search-worker"] == []
    assert s.results and {r.status for r in s.results} == {"cancelled"}
    assert s.progress().running == 0


def test_twins_report_both_nets_trained_on_the_same_draws(split):
    results = run(split, 2, "trial", trials=4, twins=True)
    for r in results:
        config = BASE.replace(lr=r.params["lr"], momentum=r.params["momentum"],
                              hidden=(r.params["hidden"],) * 2, seed=r.seed)
        bn, no_bn = (train_single(config, split, batch_norm=b) for b in (True, False))
        assert (r.bn.val_loss, r.no_bn.val_loss) == (bn["val_loss"], no_bn["val_loss"])
        assert (r.bn.status, r.no_bn.status) == (bn["status"], no_bn["status"])
        assert r.no_bn.val_accuracy == no_bn["val_accuracy"]
        assert (r.val_loss, r.status) == (r.bn.val_loss, r.bn.status)
    together = run(split, 2, "population", trials=4, twins=True)
    assert same(without_seconds(together), without_seconds(results))


def test_twins_refuse_a_bn_parameter():
    with pytest.raises(SearchSpaceError, match="drop the bn parameter"):
        SearchSpec(SearchSpace([Param("bn", "choice", [0, 1])]), 2, BASE, twins=True)


def test_twins_keep_their_extra_keys_through_the_store(split, tmp_path):
    store = TrialStore(tmp_path / "t.sqlite")
    r = run_twin_trial(split, BASE, 0, 3, {"lr": 0.1, "hidden": 5, "momentum": 0.9})
    store.add(r)
    back = store.results()[0]
    assert back.no_bn.val_loss == r.no_bn.val_loss and back.bn.status == r.bn.status
    assert back.curve == r.curve
    store.close()


def test_cli_twins_population_json_and_csv(tmp_path, capsys):
    from bn_studio.cli import main
    code = main(["search", "--dataset", "moons", "--n", "200", "--trials", "5", "--workers", "2",
                 "--optimizer", "sgd", "--steps", "40", "--hidden", "8", "--dtype", "float64",
                 "--param", "lr=log:1e-2:1e3", "--twins", "--population",
                 "--csv", str(tmp_path / "o.csv"), "--out", str(tmp_path / "o.sqlite"), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    twins = out["twins"]
    assert twins["bn"]["ok"] + twins["bn"]["diverged"] == 5 and len(twins["results"]) == 5
    assert {"lr", "bn_val_loss", "no_bn_val_loss", "bn_val_accuracy", "no_bn_val_accuracy",
            "bn_status", "no_bn_status"} <= set(twins["results"][0])
    with open(tmp_path / "o.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 5 and rows[0]["no_bn_status"] in ("ok", "diverged")
    assert rows[0]["val_loss"] == rows[0]["bn_val_loss"]


def test_cli_twins_refuse_the_bn_parameter(capsys):
    from bn_studio.cli import main
    code = main(["search", "--dataset", "moons", "--n", "200", "--trials", "2",
                 "--param", "bn=choice:0,1", "--twins"])
    assert code == 2
    assert "drop the bn parameter" in capsys.readouterr().err


def test_dask_runs_population_groups(split):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        dask_results = run(split, 2, "population", trials=6, scheduler=client)
    assert same(without_seconds(dask_results), without_seconds(run(split, 2, "trial", trials=6)))
