"""Hostile or mistaken knowledge YAML is one clear line, never a MemoryError or a traceback."""

from __future__ import annotations

import sys
from types import FrameType

import pytest

from bot.examples import parse_examples
from bot.knowledge import MAX_YAML_DEPTH, parse_article

BOMB = "\n".join(
    ["a: &a [x, x, x, x, x, x, x, x, x]"]
    + [f"{chr(98 + n)}: &{chr(98 + n)} [{', '.join(['*' + chr(97 + n)] * 9)}]" for n in range(8)]
)
DEEP = "id: x\ntitle: " + "[" * (MAX_YAML_DEPTH + 50) + "]" * (MAX_YAML_DEPTH + 50)
TOO_DEEP_FOR_PYTHON = "[" * 20000 + "]" * 20000


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (BOMB, "an anchor (&) on a list or mapping is not allowed"),
        (DEEP, f"nested more than {MAX_YAML_DEPTH} levels deep"),
        (TOO_DEEP_FOR_PYTHON, f"nested more than {MAX_YAML_DEPTH} levels deep"),
    ],
    ids=["alias-bomb", "deep", "recursion"],
)
def test_hostile_yaml_is_one_line_for_articles_and_examples(text, words):
    # PyYAML's pure-Python scanner slows down with every level it opens (about a second to
    # reach the default recursion limit): a lower limit reaches the same RecursionError
    # sooner. 400 frames above this one are plenty for everything else the parse calls.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(min(limit, _depth() + 400))
    try:
        article, problems = parse_article(text, "evil.yaml")
        assert article is None and len(problems) == 1 and words in str(problems[0])
        examples, problems = parse_examples(text, "evil.examples.yaml")
        assert examples == [] and len(problems) == 1 and words in str(problems[0])
    finally:
        sys.setrecursionlimit(limit)


def _depth() -> int:
    """How many frames the stack holds here."""
    frame: FrameType | None = sys._getframe()
    depth = 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    return depth


def test_an_anchored_scalar_is_still_fine():
    """Translation files cite one Microsoft page for several menu names (&ref / *ref)."""
    text = "refs:\n  a: &page https://support.microsoft.com/de-de/x\n  b: *page\n"
    _, problems = parse_article(text, "ok.yaml")
    assert all("anchor" not in str(p) and "nested" not in str(p) for p in problems)
