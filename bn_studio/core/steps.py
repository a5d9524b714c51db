"""Long jobs written as generators: they yield between steps (progress, a chance to stop or
to do other work) and return their result, so one function serves a GUI worker that runs it
a step at a time and a caller that wants only the result."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, TypeVar

T = TypeVar("T")


def run_to_end(steps: Generator[Any, Any, T]) -> T:
    """The value a steps generator returns, its yields ignored."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value
