"""A YAML syntax error is one plain line, at the line to fix, for articles and examples."""

from __future__ import annotations

import pytest

from bot.examples import parse_examples
from bot.knowledge import parse_article

CASES = [
    # text, the problem (file:line: field: message)
    ('id: "1"\ntitle: x\nsteps:\n  - a\n  - "b\n  - c\n',
     "a.yaml:5: yaml: not valid YAML: a quote opened here is never closed (noticed at line 6)"),
    ('id: "1"\ntitle: [a, b\nsteps: x\n',
     "a.yaml:2: yaml: not valid YAML: a '[' opened here is never closed (noticed at line 3)"),
    ('id: "1"\nsource: {name: n,\ncause: c\n',
     "a.yaml:2: yaml: not valid YAML: a '{' opened here is never closed (noticed at line 3)"),
    ('id: "1"\ntitle: x\n  nested: y\n',
     "a.yaml:3: yaml: not valid YAML: a ':' inside a value: quote the text, or check the "
     "indentation"),
    ('id: "1"\n\ttitle: x\n',
     "a.yaml:2: yaml: not valid YAML: a tab: YAML indents with spaces only"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_a_yaml_error_is_one_plain_line_at_the_line_to_fix(text: str, expected: str):
    article, problems = parse_article(text, "a.yaml")
    assert article is None and [str(p) for p in problems] == [expected]
    examples, problems = parse_examples(text, "a.yaml")
    assert examples == [] and [str(p) for p in problems] == [expected]
