"""No banner comments (``# ---- name ----``) in the code: STYLE.md asks for a docstring or a
short comment that says why instead. ruff has no rule for them, so this test keeps them out."""

import io
import re
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# A comment with a run of four or more of one rule character: a banner or a ruler line.
BANNER = re.compile(r"([-=#*~_])\1{3,}")


def banner_comments(source: str) -> list[int]:
    """Line numbers of the comments in ``source`` that draw a rule."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return [tok.start[0] for tok in tokens
            if tok.type == tokenize.COMMENT and BANNER.search(tok.string.lstrip("#"))]


@pytest.mark.parametrize("source, lines", [
    ("x = 1\n# ---- data ----------\ny = 2\n", [2]),
    ("class A:\n    # ==== state ====\n    pass\n", [2]),
    ("x = 1  # ########\n", [1]),
    ("# A comment that says why (not a ruler): a - b -- c.\nx = '# ---- in a string'\n", []),
    ("#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n", []),
])
def test_the_check_finds_rules_in_comments_only(source, lines):
    assert banner_comments(source) == lines


def test_no_banner_comments_in_the_code():
    found = [f"{path.relative_to(ROOT)}:{line}"
             for folder in ("bn_studio", "tests", "benchmarks")
             for path in sorted((ROOT / folder).rglob("*.py"))
             for line in banner_comments(path.read_text(encoding="utf-8"))]
    assert not found, ("banner comments (say it in a docstring or a plain comment): "
                       + ", ".join(found))
