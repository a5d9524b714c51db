"""Hostile-input census: mutated CSVs, workspaces, saved settings and command lines through
every entry point, counted as trained/loaded, clean error (one line) or anything else
(traceback, hang, crash), plus the peak memory of refusing each oversized input. Prints JSON.

    python benchmarks/hostile_inputs.py [--csv 2000] [--workspaces 500] [--settings 300]
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bn_studio.core import limits  # noqa: E402
from bn_studio.core.csv_read import load_csv  # noqa: E402
from bn_studio.core.datasets import DatasetError, split_and_standardize  # noqa: E402
from bn_studio.core.trainer import TrainConfig, TwinTrainer  # noqa: E402
from bn_studio.workspace import WorkspaceError, check_workspace, load_workspace  # noqa: E402


def tally():
    return {"cases": 0, "ok": 0, "clean_error": 0, "bad": 0, "examples_bad": []}


def count(t, outcome, note=""):
    t["cases"] += 1
    t[outcome] += 1
    if outcome == "bad" and len(t["examples_bad"]) < 5:
        t["examples_bad"].append(note[:200])


# CSV
def base_csv(rng) -> bytes:
    n = int(rng.integers(5, 80))
    X = rng.normal(size=(n, 2)) * 10.0 ** int(rng.integers(-3, 4))
    head = rng.choice(["x,y,label\n", "", "id;a;b;class\n", "\ufeffx\ty\tz\n"])
    sep = {"x": ",", "": ",", "i": ";", "\ufeff": "\t"}[head[:1]]
    rows = "".join(f"{a:.5g}{sep}{b:.5g}{sep}{rng.choice(['a', 'b', 'c', '1', '2'])}\n"
                   for a, b in X)
    return (head + rows).encode()


MUTATIONS = [b",", b";", b"\t", b"\r", b"\r\n", b"\n", b'"', b"\x00", b"NA", b"1e300",
             b"-inf", b"nan", b"\xff\xfe", b"9" * 200_000, b",,,,,,", b"\n" * 50, b"\xe2\x82"]


def mutate(data: bytes, rng) -> bytes:
    b = bytearray(data)
    for _ in range(int(rng.integers(1, 6))):
        op = int(rng.integers(0, 5))
        i = int(rng.integers(0, max(1, len(b))))
        if op == 0 and b:
            b[i % len(b)] = int(rng.integers(0, 256))
        elif op == 1:
            b[i:i] = MUTATIONS[int(rng.integers(0, len(MUTATIONS)))]
        elif op == 2 and b:
            del b[i:i + int(rng.integers(1, 20))]
        elif op == 3:
            b = b[:i]
        else:
            b = b.replace(b"\n", b"\r") if rng.random() < 0.5 else b + b[: i % 500]
    return bytes(b)


def fuzz_csv(n, rng):
    t = tally()
    trained = 0
    with tempfile.TemporaryDirectory() as d:
        for k in range(n):
            p = Path(d) / f"f{k}.csv"
            p.write_bytes(mutate(base_csv(rng), rng) if k % 10 else base_csv(rng))
            try:
                ds = load_csv(p)
                split = split_and_standardize(ds)
                tr = TwinTrainer(TrainConfig(hidden=(8,), steps=5), split)
                for _ in range(5):
                    tr.step()
                trained += 1
                count(t, "ok")
            except DatasetError as e:
                count(t, "clean_error" if "\n" not in str(e) else "bad", str(e))
            except Exception as e:
                count(t, "bad", f"{e.__class__.__name__}: {e}")
    t["trained"] = trained
    return t


# Workspaces
GOOD = {"format": "bn-studio-workspace", "version": 1,
        "config": {"hidden": [8, 8], "lr": 0.01, "optimizer": "adam", "seed": 0},
        "dataset": {"kind": "generated", "name": "moons", "n": 200, "noise": 0.1,
                    "classes": None, "seed": 0},
        "search": {"space": [{"name": "lr", "scale": "log", "low": 0.001, "high": 1}],
                   "trials": 20, "steps": 300, "strategy": "random"}}
HOSTILE_VALUES = [None, True, -1, 0, 1e400, "HUGE-INT", "x", [], {}, [4] * 1000, [10**8],
                  [[0, 0, 0]] * 20, 10_000_000, "moons", [1.5, 2], {"a": [1, {"b": None}]},
                  -1e308, 2**63, "1e9", [[1, 2]] * 30, list(range(30))]
PATHS = [("config",), ("config", "hidden"), ("config", "lr"), ("config", "seed"),
         ("config", "batch"), ("config", "steps"), ("config", "dtype"), ("dataset",),
         ("dataset", "n"), ("dataset", "name"), ("dataset", "kind"), ("dataset", "noise"),
         ("dataset", "classes"), ("dataset", "X"), ("dataset", "y"), ("dataset", "class_names"),
         ("search",), ("search", "space"), ("search", "trials"), ("search", "results"),
         ("search", "searched_space"), ("search", "strategy"), ("version",), ("format",)]


def hostile_workspace(rng) -> str:
    doc = json.loads(json.dumps(GOOD))
    if rng.random() < 0.2:
        doc["dataset"] = {"kind": "points", "X": rng.normal(size=(30, 2)).tolist(),
                          "y": (np.arange(30) % 2).tolist(), "class_names": ["a", "b"]}
    for _ in range(int(rng.integers(1, 4))):
        path = PATHS[int(rng.integers(0, len(PATHS)))]
        node = doc
        for key in path[:-1]:
            if not isinstance(node.get(key), dict):
                node[key] = {}
            node = node[key]
        value = copy.deepcopy(HOSTILE_VALUES[int(rng.integers(0, len(HOSTILE_VALUES)))])
        node[path[-1]] = value
    text = json.dumps(doc).replace("Infinity", "1e400").replace('"HUGE-INT"', "9" * 5000)
    r = rng.random()
    if r < 0.05:
        text = "[" * 100_000 + "]" * 100_000
    elif r < 0.15:
        text = text[: int(rng.integers(0, len(text)))]
    return text


def fuzz_workspaces(n, rng):
    t = tally()
    with tempfile.TemporaryDirectory() as d:
        for k in range(n):
            p = Path(d) / f"w{k}.json"
            p.write_text(hostile_workspace(rng) if k % 10 else json.dumps(GOOD))
            try:
                check_workspace(load_workspace(p))
                count(t, "ok")
            except WorkspaceError as e:
                count(t, "clean_error" if "\n" not in str(e) else "bad", str(e))
            except Exception as e:
                count(t, "bad", f"{e.__class__.__name__}: {e}")
    return t


def fuzz_window(n, rng):
    """The same hostile workspaces through the real window (File → Open workspace): applied
    whole, or refused with nothing changed."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance() or QApplication([])
    from bn_studio.gui.main_window import MainWindow
    win = MainWindow()
    t = tally()
    try:
        with tempfile.TemporaryDirectory() as d:
            for k in range(n):
                p = Path(d) / f"w{k}.json"
                p.write_text(hostile_workspace(rng) if k % 10 else json.dumps(GOOD))
                before = (win.model.spec, win.model.config)
                try:
                    win.open_workspace_from(p)
                    count(t, "ok")
                except WorkspaceError as e:
                    same = (win.model.spec, win.model.config) == before
                    count(t, "clean_error" if same and "\n" not in str(e) else "bad", str(e))
                except Exception as e:
                    count(t, "bad", f"{e.__class__.__name__}: {e}")
                app.processEvents()
            win.model.flush()
            t["worker_alive_after"] = win.model.worker.alive
    finally:
        win.close()
    return t


# Saved settings
def fuzz_settings(n, rng):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp()
    from PySide6.QtWidgets import QApplication
    QApplication.instance() or QApplication([])  # QSettings needs a Qt application
    from bn_studio.gui import settings
    from bn_studio.gui.model import FIRST_RUN_CONFIG, FIRST_RUN_SPEC

    class Model:
        def __init__(self):
            self.config, self.spec = FIRST_RUN_CONFIG, FIRST_RUN_SPEC

        def set_spec(self, spec):
            spec.make()
            self.spec = spec
            return True

        def set_config(self, config):
            self.config = config

    class Window:
        def __init__(self):
            self.model = Model()

        def restoreGeometry(self, g):
            return False

        def restoreState(self, s, v):
            return False

    values = ["x", "[]", '"t"', '{"hidden": 5}', '{"hidden": [4, 4, 4, 4, 4, 4, 4, 4, 4]}',
              '{"name": "moons", "n": 1e9}', '{"name": "moons", "n": "x"}', "[" * 3000, 42,
              3.5, b"\x00\x01", '{"seed": -1}', '{"name": "moons", "classes": 99}',
              '{"lr": 1e400}', '{"name": "spirals", "n": 600}', '{"hidden": [16], "lr": 0.1}',
              "", "dark", "light", ["a"], '{"name": ["moons"]}']
    keys = ["config", "dataset", "theme", "window/geometry", "window/state"]
    t = tally()
    s = settings.settings()
    for _ in range(n):
        s.clear()
        for key in rng.choice(keys, size=int(rng.integers(1, 4)), replace=False):
            s.setValue(str(key), values[int(rng.integers(0, len(values)))])
        try:
            settings.restore_window(Window())
            count(t, "ok")
        except Exception as e:
            count(t, "bad", f"{e.__class__.__name__}: {e}")
    s.clear()
    return t


# Command lines
def cli_cases(tmp: Path):
    good = tmp / "good.csv"
    good.write_text("".join(f"{i % 7},{i % 5 * 1.5},{i % 2}\n" for i in range(60)))
    mac = tmp / "mac.csv"
    mac.write_text("x,y,l\r" + "".join(f"{i % 7},{i % 5},{i % 2}\r" for i in range(60)),
                   newline="")
    big = tmp / "big.csv"
    with open(big, "wb") as f:
        f.truncate(2**31)
    fifo = tmp / "fifo.csv"
    os.mkfifo(fifo)
    base = ["--steps", "20", "--json"]
    train = [
        [], ["--data", str(good)], ["--data", str(mac)], ["--data", str(big)],
        ["--data", "/dev/zero"], ["--data", str(fifo)], ["--data", str(tmp)],
        ["--data", str(good), "--classes", "3"], ["--hidden", "100000000"],
        ["--hidden", ",".join(["4"] * 1000)], ["--hidden", "1000000,1000000"], ["--n", "10000000"],
        ["--n", "-5"], ["--seed", "-1"], ["--data-seed", "-1"], ["--steps", "-1"],
        ["--steps", str(10**12)], ["--batch", "1"], ["--lr", "nan"], ["--lr", "-1"],
        ["--noise", "inf"], ["--classes", "1000"], ["--dataset", "moons", "--classes", "3"],
        ["--hidden", "0"], ["--hidden", "x"], ["--beta1", "1"], ["--decay", "-1"],
        ["--columns", "a,b"], ["--data", str(good), "--columns", "0,0,2"],
    ]
    search = [
        ["--param", "lr=log:1e-3:1"], ["--param", "lr=log:1e-3:1", "--steps", "0"],
        ["--param", "lr=log:1e-3:1", "--seed", "-1"],
        ["--param", "lr=log:1e-3:1", "--search-seed", "-1"],
        ["--param", "lr=log:1e-3:1", "--data-seed", "-1"],
        ["--param", "lr=log:1e-3:1", "--scheduler", ""],
        ["--param", "lr=log:1e-3:1", "--workers", "64", "--trials", "2"],
        ["--param", "lr=log:1e-3:1", "--csv", str(tmp / "no" / "x.csv")],
        ["--param", "lr=log:1e-3:1", "--trials", "100000000"],
        ["--param", "hidden=int:4:100000"], ["--param", "lr=log:0:1"], ["--param", "nope=1"],
        ["--param", "lr=log:1e-3:1", "--resume"], ["--param", "lr=log:1e-3:1", "--workers", "0"],
    ]
    shots = [["s7"], ["x.png", "--steps", "-1"], ["x.png", "--size", "20000x20000"],
             ["x.png", "--size", "big"], ["x.png", "--panel", "nope"],
             ["nofolder/x.png"], ["x.png", "--dataset", "nope"]]
    return ([["train", *a, *base] for a in train]
            + [["search", "--trials", "2", "--workers", "1", *a, *base] for a in search]
            + [["screenshot", str(tmp / a[0]) if "/" not in a[0] else a[0], *a[1:]]
               for a in shots])


def fuzz_cli(tmp: Path):
    out = {}
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    for argv in cli_cases(tmp):
        t = out.setdefault(argv[0], tally())
        try:
            p = subprocess.run([sys.executable, "-m", "bn_studio", *argv], capture_output=True,
                               text=True, timeout=120, env=env, cwd=tmp)
        except subprocess.TimeoutExpired:
            count(t, "bad", "hang: " + " ".join(argv))
            continue
        lines = [ln for ln in p.stderr.splitlines() if ln.strip() and "note:" not in ln]
        if p.returncode == 0:
            count(t, "ok")
        elif p.returncode == 2 and len(lines) == 1 and "Traceback" not in p.stderr:
            count(t, "clean_error", lines[0])
        else:
            count(t, "bad", f"rc={p.returncode} {' '.join(argv)}: {p.stderr[-300:]}")
    return out


HWM = '''
def vm_hwm_mb():
    """Peak resident memory of this process image in MB (VmHWM: unlike ru_maxrss it does not
    inherit the parent's peak across fork and exec)."""
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
'''


def peak_memory(tmp: Path) -> dict:
    """Peak memory (VmHWM) of a fresh interpreter refusing each oversized input (MB)."""
    big = tmp / "huge.csv"
    with open(big, "wb") as f:
        f.truncate(4 * 2**30)
    wsbig = tmp / "huge.json"
    with open(wsbig, "wb") as f:
        f.truncate(2**30)
    rows = tmp / "rows.csv"
    with open(rows, "w") as f:
        for i in range(limits.MAX_POINTS + 50_000):
            f.write(f"{i},{i % 5},{i % 2}\n")
    deep = tmp / "deep.json"
    deep.write_text('{"format": "bn-studio-workspace", "version": 1, "x": '
                    + "[" * 100_000 + "]" * 100_000 + "}")
    wide = tmp / "wide.csv"                 # just under the size limit, one huge line
    wide.write_text(",".join(["1.5"] * (limits.MAX_CSV_BYTES // 4 - 10)) + "\n")
    lists = tmp / "lists.json"              # just under the size limit, millions of []
    lists.write_text('{"format": "bn-studio-workspace", "version": 1, "config": ['
                     + "[]," * (limits.MAX_WORKSPACE_BYTES // 3 - 100) + "[]]}")
    strings = tmp / "strings.json"          # just under the size limit, 3 million short texts
    strings.write_text('{"format": "bn-studio-workspace", "version": 1, "config": ['
                       + '"ab",' * (limits.MAX_WORKSPACE_BYTES // 5 - 100) + '"ab"]}')
    long_rows = tmp / "long_rows.csv"       # just under the size limit, 900 columns per row
    with open(long_rows, "w") as f:
        row = ",".join(["7"] * 900) + "\n"
        f.write(row * (limits.MAX_CSV_BYTES // len(row) - 1))
    n_ws = tmp / "n.json"
    n_ws.write_text(json.dumps({**GOOD, "dataset": {"name": "moons", "n": 10_000_000}}))
    cases = {
        "csv_4GiB_sparse": f"load_csv({str(big)!r})",
        "csv_dev_zero": "load_csv('/dev/zero')",
        "csv_max_points_plus_50k_rows": f"load_csv({str(rows)!r})",
        "workspace_1GiB_sparse": f"load_workspace({str(wsbig)!r})",
        "workspace_100k_deep": f"load_workspace({str(deep)!r})",
        "csv_size_limit_one_line_of_columns": f"load_csv({str(wide)!r})",
        "workspace_16MiB_5M_lists": f"check_workspace(load_workspace({str(lists)!r}))",
        "workspace_16MiB_3M_strings": f"check_workspace(load_workspace({str(strings)!r}))",
        "csv_size_limit_900_columns_rows": f"load_csv({str(long_rows)!r}, columns='0,1,2')",
        "workspace_n_10M": f"check_workspace(load_workspace({str(n_ws)!r}))",
        "generated_n_10M": "make_dataset('moons', n=10_000_000)",
        "hidden_4x1000": "TrainConfig(hidden=[4] * 1000)",
        "hidden_1e8": "TrainConfig(hidden=(100_000_000,))",
        "hidden_1e6x1e6": "TrainConfig(hidden=(1_000_000, 1_000_000))",
    }
    out = {}
    for name, expr in cases.items():
        code = (HWM + "\n"
                "from bn_studio.core.csv_read import load_csv\n"
                "from bn_studio.core.datasets import make_dataset\n"
                "from bn_studio.core.trainer import TrainConfig\n"
                "from bn_studio.workspace import load_workspace, check_workspace\n"
                f"try:\n    {expr}\n    print('accepted')\nexcept ValueError as e:\n"
                "    print(vm_hwm_mb())\n")
        t0 = time.perf_counter()
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
        out[name] = {"peak_MB": p.stdout.strip() or p.stderr[-200:],
                     "seconds": round(time.perf_counter() - t0, 2)}
    return out


# Search stores and Dask (helper "search"; issue 27 items 3-5)
SEARCH_ARGS = ["search", "--dataset", "moons", "--n", "200", "--optimizer", "sgd", "--hidden",
               "8", "--param", "lr=log:1e-3:1e-2", "--trials", "2", "--steps", "20",
               "--workers", "1", "--json"]
STORE_TRIALS = ("CREATE TABLE trials (trial INTEGER PRIMARY KEY, seed INTEGER, status TEXT, "
                "params TEXT, val_loss REAL, val_accuracy REAL, diverged_at INTEGER, "
                "error TEXT, curve TEXT, seconds REAL)")
CRAFTED_STORES = {
    "recursive_view": ["DROP TABLE trials",
                       "CREATE VIEW trials AS WITH RECURSIVE r(trial) AS (SELECT 0 UNION ALL "
                       "SELECT trial + 1 FROM r) SELECT trial, 1 AS seed, 'ok' AS status, "
                       "'{}' AS params, 0.5 AS val_loss, 0.5 AS val_accuracy, NULL AS "
                       "diverged_at, NULL AS error, 'null' AS curve, 0.0 AS seconds FROM r "
                       "ORDER BY trial DESC"],
    "view_of_300MB_strings": ["DROP TABLE trials",
                              "CREATE VIEW trials AS SELECT 0 AS trial, 1 AS seed, 'ok' AS "
                              "status, '{\"x\": \"' || hex(zeroblob(150000000)) || '\"}' AS "
                              "params, 0.5 AS val_loss, 0.5 AS val_accuracy, NULL AS "
                              "diverged_at, NULL AS error, 'null' AS curve, 0.0 AS seconds"],
    "insert_trigger": ["CREATE TRIGGER t BEFORE INSERT ON trials BEGIN SELECT count(*) FROM "
                       "trials a, trials b, trials c, trials d; END"],
    "no_spec_foreign_rows": ["DELETE FROM meta WHERE key = 'spec'",
                             "UPDATE trials SET trial = trial + 100"],
    "wrong_column_types": ["UPDATE trials SET seed = 'x', seconds = 'y'"],
    "real_trial_column": ["DROP TABLE trials",
                          STORE_TRIALS.replace("trial INTEGER PRIMARY KEY", "trial REAL"),
                          "INSERT INTO trials VALUES (0.5, 1, 'ok', '{}', 0.1, 0.1, NULL, NULL, "
                          "'null', 0)"],
    "2MB_string_cell": ["UPDATE trials SET params = '{\"lr\": 0.1, \"x\": \"' || "
                        "hex(zeroblob(1000000)) || '\"}'"],
    "10001_rows": ["WITH RECURSIVE r(i) AS (SELECT 10 UNION ALL SELECT i + 1 FROM r WHERE "
                   "i < 10010) INSERT INTO trials SELECT i, 1, 'ok', '{\"lr\": 0.01}', 0.5, "
                   "0.5, NULL, NULL, 'null', 0.0, NULL FROM r"],
    "negative_trial_cancelled_minus_2": ["UPDATE trials SET trial = -2 WHERE trial = 0"],
    "first_schema_twins_table": ["CREATE TABLE extras (trial INTEGER PRIMARY KEY, data TEXT)"],
}


def _run_measured(argv, env, cwd, timeout=60):
    """(returncode or 'hang', stderr, seconds, peak MB of the child)."""
    import resource
    t0 = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env,
                           cwd=cwd)
    except subprocess.TimeoutExpired:
        return "hang", "", round(time.perf_counter() - t0, 2), None
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (p.returncode, p.stderr, round(time.perf_counter() - t0, 2),
            round(max(peak, before) / 1024))


def search_store_cases(tmp: Path) -> dict:
    """Crafted search stores (--resume), a store in a read-only folder, a Dask scheduler
    that is not there: one row per case with the census's columns (worked, clean, traceback,
    hang, crash, data loss, peak MB, seconds). A refusal must not change the file."""
    import hashlib
    import shutil
    import sqlite3
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    cmd = [sys.executable, "-m", "bn_studio"]
    rows = {}

    def classify(name, rc, err, seconds, peak, changed=False, want_ok=False):
        lines = [ln for ln in err.splitlines() if ln.strip() and "note:" not in ln]
        row = {"worked": int(rc == 0 and want_ok), "clean": int(rc in (1, 2) and len(lines) == 1
                                                                and "Traceback" not in err),
               "traceback": int("Traceback" in err), "hang": int(rc == "hang"),
               "crash": int(isinstance(rc, int) and rc < 0),
               "data_loss": int(changed or (rc == 0 and not want_ok)),
               "peak_MB": peak, "seconds": seconds, "message": (lines or [""])[-1][:160]}
        rows[name] = row

    for name, sql in CRAFTED_STORES.items():
        db = tmp / f"{name}.sqlite"
        subprocess.run([*cmd, *SEARCH_ARGS, "--out", str(db)], capture_output=True, env=env,
                       timeout=120)
        con = sqlite3.connect(db)
        with con:
            if name == "first_schema_twins_table":       # as the first schema wrote it
                con.execute("CREATE TABLE t2 AS SELECT trial, seed, status, params, val_loss, "
                            "val_accuracy, diverged_at, error, curve, seconds FROM trials")
                con.execute("DROP TABLE trials")
                con.execute(STORE_TRIALS)
                con.execute("INSERT INTO trials SELECT * FROM t2")
                con.execute("DROP TABLE t2")
                con.execute("DELETE FROM meta WHERE key = 'schema'")
            for q in sql:
                con.execute(q)
        con.close()
        digest = hashlib.sha256(db.read_bytes()).hexdigest()
        rc, err, seconds, peak = _run_measured([*cmd, *SEARCH_ARGS, "--out", str(db),
                                                "--resume"], env, tmp)
        want_ok = name == "first_schema_twins_table"
        changed = not want_ok and hashlib.sha256(db.read_bytes()).hexdigest() != digest
        classify(f"store_{name}", rc, err, seconds, peak, changed, want_ok)

    folder = tmp / "read_only_folder"                   # a writable store, a read-only folder
    folder.mkdir()
    db = folder / "s.sqlite"
    subprocess.run([*cmd, *SEARCH_ARGS, "--out", str(db)], capture_output=True, env=env,
                   timeout=120)
    folder.chmod(0o555)
    as_user = (["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
               if os.geteuid() == 0 and shutil.which("setpriv") else [])
    rc, err, seconds, peak = _run_measured([*as_user, *cmd, *SEARCH_ARGS, "--out", str(db),
                                            "--resume"], env, tmp)
    folder.chmod(0o755)
    classify("resume_in_read_only_folder", rc, err, seconds, peak)

    rc, err, seconds, peak = _run_measured([*cmd, *SEARCH_ARGS, "--scheduler",
                                            "tcp://127.0.0.1:9"], env, tmp)
    classify("dask_scheduler_not_there", rc, err, seconds, peak)
    totals = {k: sum(r[k] for r in rows.values()) for k in
              ("worked", "clean", "traceback", "hang", "crash", "data_loss")}
    return {"cases": len(rows), **totals,
            "peak_MB": max((r["peak_MB"] or 0) for r in rows.values()),
            "seconds": max(r["seconds"] for r in rows.values()), "rows": rows}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--csv", type=int, default=2000)
    ap.add_argument("--workspaces", type=int, default=500)
    ap.add_argument("--settings", type=int, default=300)
    ap.add_argument("--window", type=int, default=150)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    random.seed(a.seed)
    report = {}
    with contextlib.redirect_stderr(io.StringIO()):
        report["csv_loader"] = fuzz_csv(a.csv, rng)
        report["workspace_loader"] = fuzz_workspaces(a.workspaces, rng)
        report["settings_reader"] = fuzz_settings(a.settings, rng)
        report["window_open_workspace"] = fuzz_window(a.window, rng)
    with tempfile.TemporaryDirectory() as d:
        report.update({f"cli_{k}": v for k, v in fuzz_cli(Path(d)).items()})
    with tempfile.TemporaryDirectory() as d:
        report["peak_memory_of_refusals"] = peak_memory(Path(d))
    with tempfile.TemporaryDirectory() as d:
        report["search_stores_and_dask"] = search_store_cases(Path(d))
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
