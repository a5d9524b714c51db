"""NumPy's BLAS runs one thread in `bn-studio train` and in the app's training process, unless
the user chose a number: small matrices gain nothing from more, a shared machine loses."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bn_studio.core.procs import BLAS_THREAD_VARS, one_blas_thread_by_default

# Records the BLAS variables at the moment NumPy is first imported, then runs the CLI.
SPY = """
import json, os, sys
seen = []
class Spy:
    def find_spec(self, name, path=None, target=None):
        if name == "numpy" and not seen:
            seen.append({k: os.environ.get(k) for k in %r})
sys.meta_path.insert(0, Spy())
from bn_studio.cli import main
rc = main(sys.argv[1:])
sys.stderr.write("SEEN " + json.dumps(seen[0]) + "\\n")
sys.exit(rc)
""" % (BLAS_THREAD_VARS,)  # noqa: UP031 (an f-string would double every brace)


def env_without_blas_vars(**extra):
    env = {k: v for k, v in os.environ.items() if k not in BLAS_THREAD_VARS}
    return {**env, **extra}


def numpy_sees(argv, env) -> dict:
    out = subprocess.run([sys.executable, "-c", SPY, *argv], env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    line = [ln for ln in out.stderr.splitlines() if ln.startswith("SEEN ")][-1]
    return json.loads(line[len("SEEN "):])


def test_unset_variables_become_one_and_a_users_choice_stays():
    env = {"OPENBLAS_NUM_THREADS": "4", "MKL_NUM_THREADS": ""}
    added = one_blas_thread_by_default(env)
    assert env["OPENBLAS_NUM_THREADS"] == "4"
    assert all(env[k] == "1" for k in BLAS_THREAD_VARS if k != "OPENBLAS_NUM_THREADS")
    assert set(added) == set(BLAS_THREAD_VARS) - {"OPENBLAS_NUM_THREADS"}


def test_train_sets_one_blas_thread_before_numpy_loads():
    seen = numpy_sees(["train", "--steps", "2", "--json"], env_without_blas_vars())
    assert seen == {k: "1" for k in BLAS_THREAD_VARS}


def test_train_keeps_the_users_thread_count():
    seen = numpy_sees(["train", "--steps", "2", "--json"],
                      env_without_blas_vars(OPENBLAS_NUM_THREADS="2"))
    assert seen["OPENBLAS_NUM_THREADS"] == "2" and seen["OMP_NUM_THREADS"] == "1"


def child_environ(pid: int) -> dict:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
@pytest.mark.parametrize("user", [None, "3"])
def test_the_apps_training_process_runs_one_blas_thread_unless_the_user_chose(user,
                                                                               monkeypatch):
    from bn_studio.live.worker import TrainingWorker
    for k in BLAS_THREAD_VARS:
        monkeypatch.delenv(k, raising=False)
    if user is not None:
        monkeypatch.setenv("OMP_NUM_THREADS", user)
    worker = TrainingWorker()
    try:
        env = child_environ(worker._proc.pid)
    finally:
        worker.stop()
    assert env["OPENBLAS_NUM_THREADS"] == "1" and env["MKL_NUM_THREADS"] == "1"
    assert env["OMP_NUM_THREADS"] == (user or "1")
    assert all(k not in os.environ for k in BLAS_THREAD_VARS if k != "OMP_NUM_THREADS")
