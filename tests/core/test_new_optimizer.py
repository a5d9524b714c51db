"""Adding an optimizer touches two files: its rule in core/nn/optim.py and its label in the
registry (core/training/params.py). The twins, `bn-studio train` and a population search then train
with it, the population equal to one trial at a time, with no other change."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

RULE = '''
@rule("momentum")
def sign_momentum(w, g, h) -> None:
    """signSGD with momentum (Bernstein et al. 2018): w ← w − α·sign(v)."""
    v, step = h.state("v"), h.scratch(0)
    ewma(v, g, h, "momentum", out=step)
    np.sign(v, out=step)
    step *= h.alpha()
    w -= step


'''
LABEL = '"rmsprop": "RMSprop", "adam": "Adam", "sign_momentum": "signSGD-M"}'

CHECK = '''
import json
from bn_studio.cli import main
from bn_studio.core.data.datasets import make_dataset, split_and_standardize
from bn_studio.core.training.population import train_population
from bn_studio.core.training.trainer import TrainConfig, train_single

split = split_and_standardize(make_dataset("moons", n=200, seed=0), seed=0)
base = TrainConfig(hidden=(6, 6), optimizer="sign_momentum", steps=30, eval_every=5,
                   batch=16, dtype="float64", noisy_bn=True)
members = [base.replace(seed=s, lr=lr, momentum=m, hidden=(w, 5))
           for s, lr, m, w in ((1, 0.01, 0.9, 6), (2, 0.03, 0.5, 4), (3, 0.002, 0.99, 5))]
for pop, config in zip(train_population(members, split), members):
    one = train_single(config, split)
    assert pop["status"] == one["status"] == "ok", (pop["status"], one["status"])
    for a, b in zip(pop["curve"]["val_loss"] + [pop["val_loss"]],
                    one["curve"]["val_loss"] + [one["val_loss"]]):
        assert abs(a - b) <= 1e-6 * abs(b), (a, b)
assert main(["train", "--dataset", "moons", "--optimizer", "sign_momentum", "--lr", "0.01",
             "--steps", "40", "--json"]) == 0
assert main(["search", "--dataset", "moons", "--optimizer", "sign_momentum", "--trials", "16",
             "--steps", "40", "--population", "--workers", "1", "--json",
             "--param", "lr=log:1e-3:1e-1", "--param", "momentum=one_minus_log:0.5:0.99",
             "--csv", "trials.csv"]) == 0
'''


def test_a_rule_and_its_label_are_all_a_new_optimizer_needs(tmp_path):
    shutil.copytree(ROOT / "bn_studio", tmp_path / "bn_studio",
                    ignore=shutil.ignore_patterns("__pycache__"))
    optim = tmp_path / "bn_studio/core/nn/optim.py"
    params = tmp_path / "bn_studio/core/training/params.py"
    code = optim.read_text(encoding="utf-8")
    optim.write_text(code.replace("OPTIMIZERS = tuple(UPDATES)",
                                  RULE + "OPTIMIZERS = tuple(UPDATES)"), encoding="utf-8")
    labels = params.read_text(encoding="utf-8")
    assert labels.count('"rmsprop": "RMSprop", "adam": "Adam"}') == 1
    params.write_text(labels.replace('"rmsprop": "RMSprop", "adam": "Adam"}', LABEL),
                      encoding="utf-8")
    out = subprocess.run([sys.executable, "-c", CHECK], cwd=tmp_path, capture_output=True,
                         text=True, timeout=300,
                         env={"PYTHONPATH": str(tmp_path), "PATH": "", "OMP_NUM_THREADS": "1",
                              "PYTHONIOENCODING": "utf-8"})
    assert out.returncode == 0, out.stderr[-3000:]
    search = [line for line in out.stdout.splitlines() if '"trials"' in line]
    assert '"trials": 16, "ok": 16' in search[-1]
    rows = (tmp_path / "trials.csv").read_text(encoding="utf-8").splitlines()
    assert len(rows) == 17 and all(",ok," in r for r in rows[1:])
