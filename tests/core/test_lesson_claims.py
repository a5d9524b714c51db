"""benchmarks/lesson_claims.py: every claim is about a sentence that is really in its text,
every number a text quotes is what the stored 40-seed run measured, and the script runs."""

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from bn_studio.core.lessons import numbers as L
from bn_studio.core.data.datasets import DatasetSpec

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "lesson_claims.py"
RESULTS = ROOT / "benchmarks" / "results" / "lesson_claims.json"


@pytest.fixture(scope="module")
def claims():
    spec = importlib.util.spec_from_file_location("lesson_claims", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["lesson_claims"] = mod          # its dataclasses look their module up
    spec.loader.exec_module(mod)
    yield mod
    sys.modules.pop("lesson_claims", None)


def test_every_claim_is_about_a_sentence_of_its_text_and_every_lesson_has_one(claims):
    for c in claims.CLAIMS:
        assert claims._flat(c.sentence) in claims.text_of(c.text), (c.id, c.sentence)
        assert c.test and (c.holds is not None or c.quotes), c.id
        for q in c.quotes:
            assert q.pattern().search(claims.text_of(q.text or c.text)), (c.id, q.template)
    measured = {c.text for c in claims.CLAIMS}
    for les in L.LESSONS:           # lessons 2, 3 and 6 state identities: tests/core check them
        if les.id not in ("scales", "bn_by_hand", "softmax", "gamma_beta", "input_scale",
                          "covariate_shift", "test_estimates", "bn_placement",
                          "minibatch_noise", "beta_sensitivity", "importance"):
            assert les.id in measured, les.id
    experiments = json.loads((ROOT / "benchmarks" / "results" / "experiment_claims.json")
                             .read_text(encoding="utf-8"))      # lesson 9: experiment_claims.py
    assert experiments["seeds"] == 40 and experiments["all_stand"]
    assert any(cid.startswith("L9.") for cid in experiments["claims"])
    assert any(cid.startswith("L10.") for cid in experiments["claims"])
    for prefix in ("L11.", "L12.", "L13.", "L14.", "L15.", "L16."):
        assert any(cid.startswith(prefix) for cid in experiments["claims"]), prefix
    assert {"README.md", "example"} <= measured
    assert len({c.id for c in claims.CLAIMS}) == len(claims.CLAIMS)


def test_the_stored_40_seed_run_holds_and_the_texts_quote_what_it_measured(claims):
    """Rewording a text, or adding a claim, needs a new run of the script (results file)."""
    stored = json.loads(RESULTS.read_text(encoding="utf-8"))
    assert stored["seeds"] == claims.QUOTED_SEEDS == 40 and stored["all_ok"]
    rows = {r["id"]: r for r in stored["claims"]}
    assert set(rows) == {c.id for c in claims.CLAIMS}
    for c in claims.CLAIMS:
        row = rows[c.id]
        assert row["ok"] and row["sentence"] == c.sentence, c.id
        if c.holds is not None:
            assert row["share"] >= claims.SHARE, c.id
        assert len(row["quotes"]) == len(c.quotes), c.id
        for q, got in zip(c.quotes, row["quotes"]):
            assert got["ok"] and got["measured"] in claims.text_of(q.text or c.text), (
                c.id, got["measured"])


def test_the_driver_measures_a_claim_per_seed_and_refuses_bad_options(claims, capsys):
    assert claims.main(["--seeds", "2", "--only", "L7.before", "--jobs", "1"]) == 0
    out = json.loads(capsys.readouterr().out)
    (row,) = out["claims"]
    assert row["id"] == "L7.before" and row["holds"] == "2/2"
    assert len(row["per_seed"]) == 2 and set(row["numbers"]["both_min"]) == {"min", "median",
                                                                             "max"}
    assert row["quotes"][0]["ok"] is None           # quotes are checked over 40 seeds only
    assert claims.main(["--seeds", "0"]) == 2
    assert capsys.readouterr().err.strip() == "--seeds must be at least 1"
    assert claims.main(["--only", "no such claim"]) == 2


def test_quotes_format_ranges_typical_ranges_and_counts(claims):
    q = claims.Quote("by step {lo}–{hi}", "k", fmt="{:d}")
    assert q.expected([120, None, 150.0, 130]) == "by step 120–150"
    typical = claims.Quote("typically {lo}–{hi}", "k", "typical")
    assert typical.expected(list(range(100))) == "typically 10.00–89.00"
    assert claims.Quote("in {k} of {n} seeds", "k", "count").expected(
        [True, False, True]) == "in 2 of 3 seeds"
    assert q.pattern().search("… by step 110–160 …")


def test_lesson_7_command_line_is_the_lessons_run_and_shows_its_point(claims, capsys):
    """The printed command once lacked --activation relu: it trained a sigmoid net, nothing
    diverged, and the jump helped the net without BN."""
    from bn_studio.cli import build_parser
    from bn_studio.cli.options import changes_from_args, config_from_args, dataset_from_args
    argv = claims.printed_command()
    assert argv[0] == "bn-studio"
    args = build_parser().parse_args(argv[1:])
    les = L.lesson("lr_jump")
    config = config_from_args(args).replace(changes=tuple(changes_from_args(args)))
    assert config == les.train_config()
    ds, ours = dataset_from_args(args), DatasetSpec(**les.dataset).make()
    assert ds.name == ours.name and np.array_equal(ds.X, ours.X)     # same data, same draw
    n = claims.CLAIMS[[c.id for c in claims.CLAIMS].index("L7.command_line")].measure(0)
    assert n["exit_status"] == 0 and n["bn_diverged_at"] is None
    assert n["no_bn_diverged_at"] is not None and n["no_bn_diverged_at"] > 500


@pytest.fixture(scope="module")
def experiments():
    spec = importlib.util.spec_from_file_location("experiment_claims",
                                                  ROOT / "benchmarks" / "experiment_claims.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("prefix, lesson_id", [("L10.", "input_scale"),
                                               ("L11.", "covariate_shift"),
                                               ("L12.", "test_estimates"),
                                               ("L13.", "bn_placement"),
                                               ("L14.", "minibatch_noise"),
                                               ("L15.", "beta_sensitivity"),
                                               ("L16.", "importance")])
def test_lessons_10_to_16_say_what_the_stored_40_seed_run_measured(experiments, prefix,
                                                                   lesson_id):
    """Each claim is a sentence of its lesson's answer, stored as worded and standing in at
    least 80 % of 40 seeds (rewording one needs a new run: experiment_claims.json)."""
    stored = json.loads((ROOT / "benchmarks" / "results" / "experiment_claims.json")
                        .read_text(encoding="utf-8"))
    answer = " ".join(L.lesson(lesson_id).answer.split())
    mine = [(cid, sentence) for cid, _, sentence, _ in experiments.CLAIMS
            if cid.startswith(prefix)]
    assert len(mine) >= 3
    for cid, sentence in mine:
        assert " ".join(sentence.split()) in answer, cid
        row = stored["claims"][cid]
        assert row["sentence"] == sentence and row["share"] >= 0.8 and row["stands"], cid
        assert len(row["per_seed"]) == stored["seeds"] == 40


def test_lesson_10s_command_line_is_the_lessons_run(experiments):
    import re
    import shlex
    from bn_studio.cli import build_parser
    from bn_studio.cli.options import config_from_args, dataset_from_args, split_from_args
    les = L.lesson("input_scale")
    command = re.search(r"bn-studio train .*--json", les.steps[-1]).group(0)
    args = build_parser().parse_args(shlex.split(command)[1:])
    config = config_from_args(args)
    assert config == les.train_config() and not config.standardize
    ds, ours = dataset_from_args(args), DatasetSpec(**les.dataset).make()
    assert ds.name == ours.name and np.array_equal(ds.X, ours.X)
    assert not split_from_args(args).standardized


def test_the_x1_share_is_half_for_equal_weights_and_follows_the_scale(experiments):
    from bn_studio.core.data.datasets import make_dataset
    from bn_studio.core.nn.network import MLP, NetConfig
    from bn_studio.core.training.trainer import TrainConfig, split_for
    net = MLP(NetConfig(hidden=(3,)))
    net.hidden[0].dense.params["W"][...] = 1.0
    ds = make_dataset("spirals", n=200, seed=0)
    assert experiments.x1_share(net, split_for(ds, TrainConfig())) == pytest.approx(0.5)
    raw = split_for(ds, TrainConfig(standardize=False, x2_scale=100.0))
    s1, s2 = raw.X_train.std(axis=0)
    assert experiments.x1_share(net, raw) == pytest.approx(s1 / (s1 + s2))
    assert experiments.x1_share(net, raw) < 0.02


def test_lesson_14s_command_line_is_the_lessons_run_without_the_batch_noise():
    import re
    import shlex
    from bn_studio.cli import build_parser
    from bn_studio.cli.options import config_from_args, dataset_from_args
    les = L.lesson("minibatch_noise")
    command = re.search(r"bn-studio train .*--json", les.steps[-1]).group(0)
    args = build_parser().parse_args(shlex.split(command)[1:])
    assert config_from_args(args) == les.train_config().replace(bn_stats="train_set")
    ds, ours = dataset_from_args(args), DatasetSpec(**les.dataset).make()
    assert ds.name == ours.name and np.array_equal(ds.X, ours.X)


def test_lesson_16_quotes_the_counts_and_ranges_the_stored_run_measured():
    """'k of 40 seeds' in each claim, α's range and median, and how often each other
    parameter came second, as the stored 40-seed run of benchmarks/importance_claims.py
    measured them."""
    import re
    from collections import Counter
    stored = json.loads((ROOT / "benchmarks" / "results" / "experiment_claims.json")
                        .read_text(encoding="utf-8"))["claims"]
    answer = " ".join(L.lesson("importance").answer.split())
    for cid in ("L16.alpha_first", "L16.alpha_margin", "L16.others_small"):
        row = stored[cid]
        k = int(re.search(r"in (\d+) of 40 seeds", row["sentence"]).group(1))
        assert k == sum(r["holds"] for r in row["per_seed"]), cid
    rows = stored["L16.alpha_first"]["per_seed"]
    lr = [100 * r["score_lr"] for r in rows]
    assert f"Its bar was {min(lr):.0f}–{max(lr):.0f} % (median {np.median(lr):.0f} %)" in answer
    second = Counter(r["order"].split(" > ")[1] for r in rows)
    assert (f"the number of layers in {second['layers']} seeds, momentum β in "
            f"{second['momentum']}, the batch size and λ in {second['batch']} each, the width "
            f"in {second['hidden']}") in answer and second["batch"] == second["l2"]
