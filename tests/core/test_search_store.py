"""One writer per search store; damaged, read-only and locked stores are one line (exit 2);
failed trials run again on --resume; SIGTERM and SIGHUP cancel a CLI search like Ctrl-C."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bn_studio.cli import main
from bn_studio.core.datasets import make_dataset, split_and_standardize
from bn_studio.core.search import (Param, Search, SearchSpace, SearchSpec, StoreError,
                                   TrialStore)
from bn_studio.core.trainer import TrainConfig

ROOT = Path(__file__).resolve().parents[2]
LOADED_S = 120             # an upper bound on a wait, never expected: only a failure waits it
SEARCH = ["search", "--dataset", "moons", "--n", "200", "--optimizer", "sgd", "--hidden", "8",
          "--param", "lr=log:1e-3:1e-2", "--json"]


def run_cli(argv, capsys):
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err.strip()


def test_a_second_writer_is_refused_while_the_first_holds_the_store(tmp_path, capsys):
    db = tmp_path / "s.sqlite"
    first = TrialStore(db)
    try:
        with pytest.raises(StoreError, match="another search is using this file"):
            TrialStore(db)
        code, out, err = run_cli([*SEARCH, "--trials", "2", "--steps", "20", "--out", str(db)],
                                 capsys)
        assert code == 2 and "another search is using this file" in err and "\n" not in err
    finally:
        first.close()
    TrialStore(db).close()                    # free again once the first is closed


def test_two_cli_searches_on_one_store_run_the_trials_once(tmp_path):
    db = tmp_path / "s.sqlite"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "bn_studio", *SEARCH, "--trials", "3", "--steps", "3000",
            "--workers", "1", "--out", str(db)]
    a = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 60
        while not db.exists() and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        b = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
        out_a, _ = a.communicate(timeout=120)
    finally:
        if a.poll() is None:
            a.kill()
    assert b.returncode == 2 and "another search is using this file" in b.stderr
    assert a.returncode == 0 and json.loads(out_a)["ok"] + json.loads(out_a)["diverged"] == 3
    store = TrialStore(db)
    assert len(store.results()) == 3
    store.close()


@pytest.mark.parametrize("damage", ["garbage", "truncated", "bad_json", "bad_status",
                                    "wrong_table"])
def test_a_damaged_store_is_one_line(tmp_path, capsys, damage):
    db = tmp_path / "d.sqlite"
    assert main([*SEARCH, "--trials", "2", "--steps", "20", "--out", str(db)]) == 0
    capsys.readouterr()
    if damage == "garbage":
        db.write_bytes(b"SQLite format 3\x00" + os.urandom(3000))
    elif damage == "truncated":
        db.write_bytes(db.read_bytes()[:3000])
    else:
        con = sqlite3.connect(db)
        with con:
            if damage == "bad_json":
                con.execute("UPDATE trials SET params = '{broken'")
            elif damage == "bad_status":
                con.execute("UPDATE trials SET status = 'weird'")
            else:
                con.execute("DROP TABLE trials")
                con.execute("CREATE TABLE trials (x)")
        con.close()
    code, _, err = run_cli([*SEARCH, "--trials", "2", "--steps", "20", "--out", str(db),
                            "--resume"], capsys)
    assert code == 2 and "d.sqlite" in err and "\n" not in err and "Traceback" not in err


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="root writes to read-only files")
def test_a_read_only_store_is_one_line(tmp_path, capsys):
    db = tmp_path / "r.sqlite"
    assert main([*SEARCH, "--trials", "2", "--steps", "20", "--out", str(db)]) == 0
    capsys.readouterr()
    db.chmod(0o444)
    code, _, err = run_cli([*SEARCH, "--trials", "3", "--steps", "20", "--out", str(db),
                            "--resume"], capsys)
    assert code == 2 and ("read-only" in err or "not writable" in err)


def test_an_unwritable_csv_is_found_before_the_search(tmp_path, capsys):
    t0 = time.perf_counter()
    code, _, err = run_cli([*SEARCH, "--trials", "2", "--steps", "200000",
                            "--csv", str(tmp_path / "no" / "o.csv")], capsys)
    assert code == 2 and "no folder" in err
    assert time.perf_counter() - t0 < 60          # it did not run 2 × 200,000 steps first


@pytest.mark.parametrize("extra, words", [
    (["--seed", "-1"], "seed must be at least 0"),
    (["--data-seed", "-1"], "--data-seed must be at least 0"),
    (["--search-seed", "-1"], "--search-seed must be at least 0"),
    (["--scheduler", ""], "--scheduler needs an address"),
    (["--steps", "0"], "--steps must be at least 1"),
    (["--trials", "100000000"], "limit on trials"),
    (["--param", "hidden=int:4:100000"], "limit on width"),
])
def test_bad_search_options_are_one_line(capsys, extra, words):
    code, _, err = run_cli([*SEARCH, "--trials", "2", "--steps", "20", *extra], capsys)
    assert code == 2 and words in err and "\n" not in err


def test_workers_beyond_the_cores_are_capped_with_a_note(capsys):
    code, out, err = run_cli([*SEARCH, "--trials", "1", "--steps", "10", "--workers", "64"],
                             capsys)
    assert code == 0 and f"capped at {os.cpu_count()}" in err


def test_failed_trials_run_again_on_resume(tmp_path):
    split = split_and_standardize(make_dataset("moons", n=200, seed=0))
    spec = SearchSpec(SearchSpace([Param("lr", "log", 1e-3, 1e-2)]), 3,
                      TrainConfig(hidden=(8,), steps=20), seed=0)
    db = tmp_path / "f.sqlite"
    store = TrialStore(db)
    first = Search(spec, split, workers=1, store=store)
    first.run()
    store.add(first.results[1].replace(status="failed", error="worker process died"))
    store.close()
    store = TrialStore(db)
    again = Search(spec, split, workers=1, store=store, resume=True)
    assert [t[0] for t in again.plan] == [1]
    results = again.run()
    store.close()
    assert [r["status"] for r in results] == ["ok"] * 3


def _alive_in_group(pgid: int) -> list[int]:
    out = []
    for e in Path("/proc").iterdir():
        try:
            fields = (e / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if e.name.isdigit() and int(fields[3]) == pgid and fields[0] != "Z":
            out.append(int(e.name))
    return out


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("sig, to_group", [(signal.SIGTERM, False), (signal.SIGHUP, True),
                                           (signal.SIGTERM, True)])
def test_sigterm_and_sighup_cancel_the_search_and_leave_no_worker(tmp_path, sig, to_group):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    db = tmp_path / "t.sqlite"
    p = subprocess.Popen([sys.executable, "-m", "bn_studio", *SEARCH, "--workers", "2",
                          "--steps", "200000", "--trials", "4", "--out", str(db)],
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True)
    try:
        # Generous deadlines (a loaded machine starts Python slowly): each is left as soon as
        # what it waits for has happened. The parent's handler is in place before it starts
        # the workers, so the signal goes only once all four are there.
        deadline = time.time() + LOADED_S
        while len(_alive_in_group(p.pid)) < 4 and time.time() < deadline and p.poll() is None:
            time.sleep(0.05)                # parent, resource tracker, two workers
        assert len(_alive_in_group(p.pid)) >= 4, "the search never started its two workers"
        time.sleep(0.5)
        if to_group:
            os.killpg(p.pid, sig)
        else:
            p.send_signal(sig)
        out, err = p.communicate(timeout=LOADED_S)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
    assert p.returncode == 128 + sig, err
    res = json.loads(out)
    assert (res["trials"], res["failed"], res["cancelled"]) == (4, 0, 4)
    assert b"Traceback" not in err
    deadline = time.time() + LOADED_S
    while _alive_in_group(p.pid) and time.time() < deadline:
        time.sleep(0.05)
    assert _alive_in_group(p.pid) == []
    store = TrialStore(db)                  # recorded, and the lock is gone with the process
    assert {r["status"] for r in store.results()} <= {"cancelled"}
    store.close()


def test_plain_search_output_rounds_numbers(capsys):
    assert main([*SEARCH[:-1], "--trials", "2", "--steps", "20", "--workers", "1"]) == 0
    best = json.loads(capsys.readouterr().out.splitlines()[-1])["best"]
    assert all(v == float(f"{v:.4g}") for v in best.values() if isinstance(v, float))


def _lose_the_first_attempt(marker, real):
    """run_trial that raises (as a lost worker would) the first time trial 1 runs."""
    def run(split, base, index, seed, params):
        if index == 1 and not os.path.exists(marker):
            open(marker, "w").close()
            raise RuntimeError("worker lost")
        return real(split, base, index, seed, params)
    return run


def test_a_trial_lost_on_a_dask_cluster_is_submitted_again(tmp_path, monkeypatch):
    distributed = pytest.importorskip("distributed")
    from bn_studio.core.search import executors as search_mod
    monkeypatch.setattr(search_mod, "run_trial",
                        _lose_the_first_attempt(str(tmp_path / "lost"), search_mod.run_trial))
    split = split_and_standardize(make_dataset("moons", n=200, seed=0))
    spec = SearchSpec(SearchSpace([Param("lr", "log", 1e-3, 1e-2)]), 3,
                      TrainConfig(hidden=(8,), steps=20), seed=0)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        results = Search(spec, split, scheduler=client).run()
    assert (tmp_path / "lost").exists()                 # trial 1 was lost once ...
    assert [r["status"] for r in results] == ["ok"] * 3  # ... and ran again
