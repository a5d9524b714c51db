"""Dask faults: a worker lost with the only copy of the scattered data costs no trial (the data
is scattered anew and the lost tasks submitted again), and a scheduler killed mid-search ends
it with one line, not an asyncio traceback."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bn_studio.core.data.datasets import make_dataset, split_and_standardize
from bn_studio.core.search import Param, Search, SearchSpace, SearchSpec
from bn_studio.core.training.trainer import TrainConfig

distributed = pytest.importorskip("distributed")
ROOT = Path(__file__).resolve().parents[2]
SPEC = SearchSpec(SearchSpace([Param("lr", "log", 1e-3, 1e-2)]), 8,
                  TrainConfig(hidden=(8,), steps=1500, eval_every=100), seed=0)


def wait_until(condition, timeout=120.0):
    deadline = time.time() + timeout
    while not condition():
        assert time.time() < deadline, "timed out"
        time.sleep(0.05)


def _training(client) -> bool:
    """A task is running on the worker, which holds the scattered data."""
    return any(client.processing().values()) and any(client.has_what().values())


@pytest.mark.parametrize("executor", ["trial", "population"])
def test_a_worker_lost_with_the_scattered_data_loses_no_trial(executor):
    """"trial": one trial a task, the worker killed after the first finished; "population":
    trials of one structure trained together, a group a task, the worker killed while it
    trains the first."""
    split = split_and_standardize(make_dataset("moons", n=200, seed=0), seed=0)
    spec = SPEC if executor == "trial" else SearchSpec(
        SPEC.space, 32, SPEC.base.replace(steps=500), seed=0)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        s = Search(spec, split, scheduler=client, executor=executor)
        assert {len(t.trials) > 1 for t in s.tasks} == {executor == "population"}
        s.start()
        if executor == "trial":
            wait_until(lambda: s.progress().counts["ok"] >= 1)
        else:
            wait_until(lambda: _training(client))
        pid = list(client.run(os.getpid).values())[0]
        os.kill(pid, signal.SIGKILL)          # the only worker, and the only copy of the data
        assert s.join(300)
    assert s.error is None
    assert sorted(r.trial for r in s.results) == list(range(spec.trials))
    assert {r.status for r in s.results} == {"ok"}


def _spawn(*argv, **kw):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, *argv], env=env, **kw)


def test_a_killed_scheduler_ends_the_cli_search_with_one_line(tmp_path):
    info = tmp_path / "scheduler.json"
    scheduler = _spawn("-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                       "--port", "0", "--no-dashboard", "--scheduler-file", str(info),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = search = None
    try:
        wait_until(lambda: info.exists() and info.stat().st_size > 0)
        address = json.loads(info.read_text())["address"]
        worker = _spawn("-m", "distributed.cli.dask_worker", address, "--nworkers", "1",
                        "--nthreads", "1", "--no-dashboard", stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL)
        search = _spawn("-m", "bn_studio", "search", "--dataset", "moons", "--n", "200",
                        "--trials", "8", "--steps", "3000", "--param", "lr=log:1e-3:1e-2",
                        "--scheduler", address, stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE)
        seen = b""
        while b"1/8 done" not in seen and b"2/8 done" not in seen:   # mid-search
            byte = search.stderr.read(1)
            assert byte, seen.decode()
            seen += byte
        scheduler.kill()
        out, err = search.communicate(timeout=120)
    finally:
        for p in (search, worker, scheduler):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait(30)
    lines = (seen + err).decode().replace("\r", "\n").strip().splitlines()
    messages = [line for line in lines if "done" not in line]
    assert search.returncode == 1
    assert messages == [f"bn-studio: the search stopped: lost the connection to the Dask "
                        f"scheduler at {address} (did it stop?)"]
    summary = json.loads(out.decode().splitlines()[-1])     # what finished is still reported
    assert summary["trials"] == 8 and summary["ok"] >= 1
