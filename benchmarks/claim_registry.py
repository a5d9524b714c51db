"""The one registry of the experiment claims (experiment_claims.py runs them): lessons 9-11
register theirs in experiment_claims.py, lessons 12-15 in bn_claims.py, lesson 16 in
importance_claims.py. A claim is (id, where its text is, the sentence, fn(seed) -> dict)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

CLAIMS: list[tuple[str, str, str, Callable[[int], dict]]] = []
_cache: dict = {}           # runs several claims share, per (experiment, seed)


def claim(cid: str, where: str, sentence: str):
    """Register the decorated ``fn(seed)`` as claim ``cid``."""
    def register(fn):
        CLAIMS.append((cid, where, sentence, fn))
        return fn
    return register


def cached(key, fn: Callable[[], Any]) -> Any:
    """``fn()``, computed once per ``key`` for all the claims that read it."""
    if key not in _cache:
        _cache[key] = fn()
    return _cache[key]
