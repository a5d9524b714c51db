"""benchmarks/lesson_claims.py prints one JSON object with a share per claim."""

import importlib.util
import json
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "lesson_claims.py"


def _load():
    spec = importlib.util.spec_from_file_location("lesson_claims", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_cheap_claims_run_and_hold(capsys):
    mod = _load()
    assert mod.main(["--seeds", "2", "--only", "L6"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {c["id"] for c in out["claims"]} == {"L6.logistic", "L6.dz", "L6.worked"}
    assert out["all_ok"] and all(c["holds"] == "2/2" for c in out["claims"])


def test_every_lesson_has_claims_and_bad_seeds_are_refused(capsys):
    mod = _load()
    ids = {cid.split(".")[0] for cid, *_ in mod.CLAIMS}
    assert {"L1", "L2", "L3", "L4", "L5", "L6", "L7", "H", "P", "G", "L9"} <= ids
    assert mod.main(["--seeds", "0"]) == 2
    assert capsys.readouterr().err.strip() == "--seeds must be at least 1"
