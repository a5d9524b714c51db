"""Mid-run changes, one mechanism for all: a run's ``config.changes`` is its list of
(step, name, value), applied once each when the step counter reaches the step (from the next
step on). A ``--change`` option, a lesson's planned α jump and the user's edit while the twins
train (appended at the current step) all become entries of that list.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence
from typing import Any

from .. import limits
from . import params


def parse_change(text: str) -> tuple[int, str, float]:
    """'STEP:NAME=VALUE' (e.g. '500:lr=5') → (500, 'lr', 5.0); ValueError with one line."""
    try:
        step, rest = text.split(":", 1)
        name, value = rest.split("=", 1)
        step_i, value_f = int(step), float(value)
    except ValueError:
        raise ValueError("a change looks like STEP:NAME=VALUE, e.g. 500:lr=5, not "
                         f"{limits.shown(text)}") from None
    name = name.strip().replace("-", "_")
    step_i = limits.check_steps(step_i, "the step of a change")     # as packs cap it
    if name not in params.LIVE:
        raise ValueError(f"{name} cannot change mid-run (only {', '.join(params.LIVE)})")
    return step_i, name, value_f


def check_changes(changes: Iterable[Sequence[Any]]) -> tuple[tuple[int, str, float], ...]:
    """(step, name, value) triples (lists from JSON too), each value in its setting's range:
    sorted by step (stable: changes at one step keep their order)."""
    if isinstance(changes, (str, bytes)) or not isinstance(changes, (list, tuple)):
        raise ValueError(f"changes must be a list of [step, name, value], not "
                         f"{limits.shown(changes)}")
    if len(changes) > limits.MAX_CHANGES:
        raise ValueError(f"at most {limits.MAX_CHANGES} mid-run changes, not {len(changes)}")
    out = []
    for c in changes:
        if not isinstance(c, (list, tuple)) or len(c) != 3 or not isinstance(c[1], str):
            raise ValueError(f"a change must be [step, name, value], not {limits.shown(c)}")
        step = limits.check_int(c[0], "a change's step", 0, limits.MAX_STEPS)
        name, value = c[1], c[2]
        if name not in params.LIVE:
            raise ValueError(f"{limits.shown(name)} cannot change mid-run (only "
                             f"{', '.join(params.LIVE)})")
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(f"a change's value must be a number, not {limits.shown(value)}")
        out.append((step, name, params.check(name, float(value))))
    return tuple(sorted(out, key=lambda c: c[0]))


def due(pending: list[tuple[int, str, float]], step: int) -> list[tuple[int, str, float]]:
    """Remove and return the changes of ``pending`` (sorted by step) whose step the counter
    has reached."""
    n = 0
    while n < len(pending) and pending[n][0] <= step:
        n += 1
    out = pending[:n]
    del pending[:n]
    return out
