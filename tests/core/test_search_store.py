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
from bn_studio.core.data.datasets import make_dataset, split_and_standardize
from bn_studio.core.search import (Param, Search, SearchSpace, SearchSpec, StoreError,
                                   TrialStore)
from bn_studio.core.search.store import TRIALS
from bn_studio.core.training.trainer import TrainConfig

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


@pytest.mark.slow
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
    assert [r.status for r in results] == ["ok"] * 3


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


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("sig, to_group", [(signal.SIGTERM, False), (signal.SIGHUP, True),
                                           (signal.SIGTERM, True)])
def test_sigterm_and_sighup_cancel_the_search_and_leave_no_worker(tmp_path, sig, to_group):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    db = tmp_path / "t.sqlite"
    # Under nohup (CI started in the background) the search would inherit an ignored SIGHUP
    # and, rightly, keep ignoring it: it starts with the default, as from a terminal.
    hup = signal.signal(signal.SIGHUP, signal.SIG_DFL)
    try:
        p = subprocess.Popen([sys.executable, "-m", "bn_studio", *SEARCH, "--workers", "2",
                              "--steps", "200000", "--trials", "4", "--out", str(db)],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             start_new_session=True)
    finally:
        signal.signal(signal.SIGHUP, hup)
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
    assert {r.status for r in store.results()} <= {"cancelled"}
    store.close()


def test_plain_search_output_rounds_numbers(capsys):
    assert main([*SEARCH[:-1], "--trials", "2", "--steps", "20", "--workers", "1"]) == 0
    best = json.loads(capsys.readouterr().out.splitlines()[-1])["best"]
    assert all(v == float(f"{v:.4g}") for v in best.values() if isinstance(v, float))


def _lose_the_first_attempt(marker, real):
    """run_plain that raises (as a lost worker would) the first time trial 1 runs."""
    def run(split, base, group):
        if group.trials[0][0] == 1 and not os.path.exists(marker):
            open(marker, "w").close()
            raise RuntimeError("worker lost")
        return real(split, base, group)
    return run


def test_a_trial_lost_on_a_dask_cluster_is_submitted_again(tmp_path, monkeypatch):
    distributed = pytest.importorskip("distributed")
    from bn_studio.core.search import executors as search_mod
    monkeypatch.setattr(search_mod, "run_plain",
                        _lose_the_first_attempt(str(tmp_path / "lost"), search_mod.run_plain))
    split = split_and_standardize(make_dataset("moons", n=200, seed=0))
    spec = SearchSpec(SearchSpace([Param("lr", "log", 1e-3, 1e-2)]), 3,
                      TrainConfig(hidden=(8,), steps=20), seed=0)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        results = Search(spec, split, scheduler=client).run()
    assert (tmp_path / "lost").exists()                 # trial 1 was lost once ...
    assert [r.status for r in results] == ["ok"] * 3  # ... and ran again


def _store_with(tmp_path, *sql, rows=True):
    """A store written by a search, then changed by ``sql`` (a crafted file)."""
    db = tmp_path / "c.sqlite"
    store = TrialStore(db)
    store.set_spec({"space": [], "trials": 1})
    if rows:
        from bn_studio.core.search import TrialResult
        store.add(TrialResult(0, 1, {"lr": 0.1}, "ok", 0.5, 0.9))
    store.close()
    con = sqlite3.connect(db)
    with con:
        for q in sql:
            con.execute(q)
    con.close()
    return db


CRAFTED = {
    "recursive view": ["DROP TABLE trials",
                       "CREATE VIEW trials AS WITH RECURSIVE r(trial) AS (SELECT 0 UNION ALL "
                       "SELECT trial + 1 FROM r) SELECT trial, 1 AS seed, 'ok' AS status, '{}' "
                       "AS params, 0.5 AS val_loss, 0.5 AS val_accuracy, NULL AS diverged_at, "
                       "NULL AS error, 'null' AS curve, 0.0 AS seconds, NULL AS extras FROM r"],
    "trigger": ["CREATE TRIGGER t BEFORE INSERT ON meta BEGIN "
                "SELECT count(*) FROM trials a, trials b, trials c; END"],
    "wrong type": ["UPDATE trials SET seed = 'x'"],
    "real trial column": ["DROP TABLE trials",
                          TRIALS.replace("trial INTEGER PRIMARY KEY", "trial REAL")],
    "huge string": ["UPDATE trials SET params = '{\"lr\": 0.1, \"x\": \"' || "
                    "hex(zeroblob(2000000)) || '\"}'"],
    "no spec": ["DELETE FROM meta WHERE key = 'spec'"],
    "negative trial": ["UPDATE trials SET trial = -2"],
    "other table": ["CREATE TABLE more (x)"],
}


@pytest.mark.parametrize("kind", list(CRAFTED))
def test_a_crafted_store_is_refused_in_one_line(tmp_path, kind):
    db = _store_with(tmp_path, *CRAFTED[kind])
    t0 = time.perf_counter()
    with pytest.raises(StoreError) as e:
        TrialStore(db)
    assert "c.sqlite: not a usable search file" in str(e.value) and "\n" not in str(e.value)
    assert time.perf_counter() - t0 < 30          # refused, not read (a hang would time out)
    assert db.stat().st_size < 50_000_000         # and nothing was written


def test_a_crafted_store_is_refused_by_the_cli_before_any_trial(tmp_path, capsys):
    db = _store_with(tmp_path, *CRAFTED["no spec"])
    code, _, err = run_cli([*SEARCH, "--trials", "2", "--steps", "20", "--out", str(db),
                            "--resume"], capsys)
    assert code == 2 and err == ("bn-studio: c.sqlite: not a usable search file (it holds "
                                 "trials but no search spec)")


def _v1_store(path, twins: bool) -> None:
    """A store as BN Studio wrote it before the schema had a version (twins in a table of
    their own)."""
    con = sqlite3.connect(path)
    with con:
        con.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        con.execute("CREATE TABLE trials (trial INTEGER PRIMARY KEY, seed INTEGER, status "
                    "TEXT, params TEXT, val_loss REAL, val_accuracy REAL, diverged_at INTEGER, "
                    "error TEXT, curve TEXT, seconds REAL)")
        con.execute("INSERT INTO meta VALUES ('format', 'bn-studio-trials')")
        con.execute("INSERT INTO meta VALUES ('spec', '{\"trials\": 2}')")
        con.execute("INSERT INTO trials VALUES (0, 7, 'ok', '{\"lr\": 0.1}', 0.25, 0.9, NULL, "
                    "NULL, '{\"step\": [0, 10], \"val_loss\": [0.7, 0.25]}', 1.5)")
        if twins:
            con.execute("CREATE TABLE extras (trial INTEGER PRIMARY KEY, data TEXT)")
            con.execute("INSERT INTO extras VALUES (0, '{\"bn_status\": \"ok\", \"bn_val_loss\":"
                        " 0.25, \"bn_val_accuracy\": 0.9, \"bn_diverged_at\": null, "
                        "\"no_bn_status\": \"diverged\", \"no_bn_val_loss\": null, "
                        "\"no_bn_val_accuracy\": null, \"no_bn_diverged_at\": 4}')")
    con.close()


@pytest.mark.parametrize("twins", [False, True])
def test_a_store_of_the_first_schema_opens_and_is_migrated(tmp_path, twins):
    from bn_studio.core.search import SCHEMA_VERSION
    db = tmp_path / "old.sqlite"
    _v1_store(db, twins)
    store = TrialStore(db)
    (r,) = store.results()
    assert (r.trial, r.seed, r.status, r.val_loss, r.params) == (0, 7, "ok", 0.25, {"lr": 0.1})
    assert r.curve == {"step": [0, 10], "val_loss": [0.7, 0.25]}
    if twins:
        assert (r.bn.val_loss, r.no_bn.status, r.no_bn.diverged_at) == (0.25, "diverged", 4)
    else:
        assert r.bn is None and r.no_bn is None
    store.close()
    con = sqlite3.connect(db)
    tables = {n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    version = con.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()[0]
    con.close()
    assert tables == {"meta", "trials"} and version == str(SCHEMA_VERSION)
    assert TrialStore(db).results() == [r]


def _as_a_user(argv):
    """argv as run by a user who cannot write where permissions say no: root drops the
    capabilities that let it write anywhere (setpriv), others run it as they are."""
    if os.geteuid() != 0:
        return argv
    import shutil
    if shutil.which("setpriv") is None:
        pytest.skip("root without setpriv writes into read-only folders")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *argv]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_resume_of_a_writable_store_in_a_read_only_folder_is_one_line(tmp_path, capsys):
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "s.sqlite"
    argv = [*SEARCH, "--trials", "2", "--steps", "20", "--out", str(db)]
    assert main(argv) == 0
    folder.chmod(0o555)
    try:
        p = subprocess.run(_as_a_user([sys.executable, "-m", "bn_studio", *argv, "--resume"]),
                           env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                           text=True, timeout=120)
    finally:
        folder.chmod(0o755)
    err = p.stderr.strip()
    assert p.returncode == 2 and "\n" not in err and "Traceback" not in err
    assert err == ("bn-studio: s.sqlite: its folder is read-only (a search writes a journal "
                   "beside the file); copy the file elsewhere or choose another --out")


def test_csv_on_a_full_disk_still_prints_the_json_and_leaves_no_empty_file(
        tmp_path, capsys, monkeypatch):
    import errno

    from bn_studio.cli import search as cli_search

    def full_disk(results, path, names, extra=()):
        with open(path, "w") as f:
            f.write("trial,seed")
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(cli_search, "export_csv", full_disk)
    out_csv = tmp_path / "o.csv"
    code, out, err = run_cli([*SEARCH, "--trials", "2", "--steps", "20", "--csv",
                              str(out_csv)], capsys)
    assert code == 1
    assert json.loads(out)["trials"] == 2                  # the results, printed anyway
    assert err == (f"bn-studio: cannot write {out_csv}: No space left on device (the "
                   "results are above)")
    assert list(tmp_path.iterdir()) == []                  # no 0-byte or cut CSV
