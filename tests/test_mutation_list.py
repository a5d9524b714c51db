"""benchmarks/mutation_score.py's mutants must all apply to the current core code: a refactor
that moves a mutated line shows up here, not only when someone runs the slow benchmark.

(Outside tests/core on purpose: the benchmark runs tests/core against mutated copies, where
this check would "kill" every mutant.)"""

import importlib.util
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "mutation_score.py"


def load_script():
    if "mutation_score" not in sys.modules:     # dataclasses look their module up there
        spec = importlib.util.spec_from_file_location("mutation_score", SCRIPT)
        mod = importlib.util.module_from_spec(spec)
        sys.modules["mutation_score"] = mod
        spec.loader.exec_module(mod)
    return sys.modules["mutation_score"]


def test_every_mutant_applies_to_the_current_code():
    ms = load_script()
    assert ms.check_all_apply(ms.MUTANTS) == []


def test_mutant_names_are_unique():
    names = [m.name for m in load_script().MUTANTS]
    assert len(names) == len(set(names))


def test_a_stale_pattern_is_reported_by_name_and_stops_the_script():
    ms = load_script()
    stale = ms.Mutant("stale_one", "nn/losses.py", "this text is not in losses.py", "x")
    moved = ms.Mutant("moved_one", "no_such_module.py", "a", "b")
    broken = ms.Mutant("broken_one", "nn/losses.py", "n = z.shape[0]", "n = (z.shape[0]")
    problems = ms.check_all_apply([stale, moved, broken, ms.MUTANTS[0]])
    assert [p.split(":")[0] for p in problems] == ["mutant stale_one", "mutant moved_one",
                                                    "mutant broken_one"]
    assert "not valid Python" in problems[2]


def test_the_check_option_exits_cleanly_when_all_apply():
    out = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "mutants apply" in out.stderr
