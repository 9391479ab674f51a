"""`knowledge check` a person can trust: one problem per fault, at the right field and line,
driven by the field table; and the articles that ship are complete and sourced."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.knowledge import ARTICLE, EXAMPLES_SUFFIX, is_article_file, load_knowledge, parse_article
from tests.conftest import KNOWLEDGE_DIR

ARTICLE_TEXT = (KNOWLEDGE_DIR / "000385822.yaml").read_text(encoding="utf-8")
LANGS = {"en", "fr", "es", "de", "pt", "it", "nl"}
NEW_ARTICLES = ("emailadmin_tracking_considerations", "000385622")


def problems(text: str) -> list[str]:
    article, found = parse_article(text, "a.yaml")
    assert article is None
    return [str(p) for p in found]


def line_of(text: str, needle: str) -> int:
    return next(i for i, row in enumerate(text.splitlines(), 1) if needle in row)


@pytest.mark.parametrize(
    ("old", "new", "field", "hint"),
    [
        ('topic: "HTML', 'topik: "HTML', "topik", "did you mean 'topic'?"),
        ("    applies_when:", "    applies_whem:", "notes[0].applies_whem", "'applies_when'"),
        ("variant_question:", "variant_qestion:", "variant_qestion", "'variant_question'"),
        ("    how_to_tell: \"In Outlook 2010", "    how_to_tel: \"In Outlook 2010",
         "variants[1].how_to_tel", "'how_to_tell'"),
    ],
)  # fmt: skip
def test_misspelled_keys_are_reported_once_with_a_did_you_mean(old, new, field, hint):
    text = ARTICLE_TEXT.replace(old, new, 1)
    found = problems(text)
    assert len(found) == 1, found
    assert found[0].startswith(f"a.yaml:{line_of(text, new)}: {field}: unknown key")
    assert hint in found[0]


def test_after_a_malformed_item_the_next_item_keeps_its_own_index_and_line():
    # variants[0] becomes a bare string; the fault in variants[2] must still be named [2].
    start = ARTICLE_TEXT.index('  - id: "2007"')
    end = ARTICLE_TEXT.index('  - id: "2010"')
    text = ARTICLE_TEXT[:start] + '  - "just a string"\n' + ARTICLE_TEXT[end:]
    text = text.replace('    label: "Outlook 2013 and later', '    label: ""\n    lable: "x', 1)
    found = problems(text)
    assert f"a.yaml:{line_of(text, 'just a string')}: variants[0]: must be a mapping" in (found[0])
    empty_label = line_of(text, 'label: ""')
    assert any(p.startswith(f"a.yaml:{empty_label}: variants[2].label:") for p in found), found
    assert any(p.startswith(f"a.yaml:{line_of(text, 'lable:')}: variants[2].lable:")
               for p in found), found  # fmt: skip
    assert len(found) == 3, found


def test_a_yaml_error_is_reported_where_the_broken_construct_starts():
    lines = ARTICLE_TEXT.splitlines()
    broken_at = line_of(ARTICLE_TEXT, '    aliases: ["outlook 2010"')
    lines[broken_at - 1] = '    aliases: ["outlook 2010", "office 2010"'  # unclosed [
    found = problems("\n".join(lines))
    assert len(found) == 1
    assert found[0].startswith(f"a.yaml:{broken_at}: yaml: not valid YAML"), found
    assert "noticed at line" in found[0]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('id: x\ntitle: "unclosed\ncause: c\nfix_summary: f\nsource: {name: n}\n', 2),
        ("id: x\nsource: {name: n,\ncause: c\nfix_summary: f\n", 2),
        ("id: x\nvariants:\n  - id: a\n  label: b\n", 4),
        ("id: x\ntitle: y\nsource:\n  name: z\n   url: q\ncause: c\n", 5),
    ],
)
def test_yaml_errors_point_at_the_faulty_line(text, line):
    found = problems(text)
    assert len(found) == 1 and found[0].startswith(f"a.yaml:{line}: yaml:"), found


def test_a_bad_weight_is_one_problem_not_three():
    text = ARTICLE_TEXT.replace("      weight: 40\n", "      weight: forty\n", 1)
    found = problems(text)
    assert found == [
        f"a.yaml:{line_of(text, 'weight: forty')}: matching.concepts.open_tracking.weight: "
        "must be a number (negative rules the article out)"
    ]


def test_a_require_typo_gets_a_did_you_mean():
    text = ARTICLE_TEXT.replace("    - [open_tracking, opened, read]", "    - [open_trackin]")
    assert any("did you mean 'open_tracking'?" in p for p in problems(text))


def test_a_step_naming_another_domain_is_flagged():
    text = ARTICLE_TEXT.replace("Type @salesforce.com and", "Type @salesforce.con and", 1)
    found = problems(text)
    assert len(found) == 1
    assert "variants[0].steps[4]: mentions 'salesforce.con'" in found[0]
    assert found[0].startswith(f"a.yaml:{line_of(text, '@salesforce.con')}:")


def test_placeholders_in_the_customer_text_are_checked():
    text = ARTICLE_TEXT.replace("\n  {steps}\n", "\n  {stepz}\n", 1)
    assert any("unknown placeholder {stepz}" in p for p in problems(text))


def test_uncovered_closest_must_be_a_variant():
    text = ARTICLE_TEXT.replace('  closest: "2013+"', '  closest: "2016"', 1)
    assert any("uncovered.closest: '2016' is not a variant id" in p for p in problems(text))


def test_every_key_in_the_table_is_documented_in_the_readme():
    readme = (KNOWLEDGE_DIR / "README.md").read_text(encoding="utf-8")
    for field in ARTICLE:
        assert f"`{field.key}" in readme, field.key


def test_the_shipped_articles_load_with_sources_and_read_dates():
    kb = load_knowledge(KNOWLEDGE_DIR)
    assert kb.ok, kb.problems
    for article_id in NEW_ARTICLES:
        article = kb.get(article_id)
        assert article is not None
        assert article.source_url.startswith("https://help.salesforce.com/")
        assert article.source_read == "2026-12-01"
        assert not article.variants and article.points
        assert all(point.ref for point in article.points)


@pytest.mark.parametrize("article_id", NEW_ARTICLES)
def test_each_new_article_has_its_own_labelled_examples(article_id):
    path = KNOWLEDGE_DIR / f"{article_id}{EXAMPLES_SUFFIX}"
    assert not is_article_file(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["article"] == article_id
    positives = [(g["lang"], line) for g in data["groups"] if g["label"] == "positive"
                 for line in g["examples"]]  # fmt: skip
    assert len(positives) >= 80
    assert {lang for lang, _ in positives} == LANGS
    assert sum(lang == "en" for lang, _ in positives) > len(positives) / 2
    lines = [line.strip().lower() for _, line in positives]
    assert len(set(lines)) == len(lines) and all(lines)
    for group in data["groups"]:
        assert set(group) == {"label", "family", "lang", "source", "examples"}
        assert group["source"] in {"corpus-1", "team", "case-log"}


def test_examples_files_are_not_loaded_as_articles(tmp_path: Path):
    (tmp_path / "x.yaml").write_text(ARTICLE_TEXT, encoding="utf-8")
    (tmp_path / f"x{EXAMPLES_SUFFIX}").write_text("article: x\ngroups: []\n", encoding="utf-8")
    kb = load_knowledge(tmp_path)
    assert kb.ok and [a.id for a in kb.articles] == ["000385822"]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_the_checker_never_raises_on_any_text(text):
    article, found = parse_article(text, "any.yaml")
    assert (article is None) == bool(found)


@settings(max_examples=100, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.sampled_from([f.key for f in ARTICLE]), inner, max_size=6),
                    max_leaves=30))  # fmt: skip
def test_the_checker_never_raises_on_any_shape(data):
    article, found = parse_article(yaml.safe_dump(data), "any.yaml")
    assert (article is None) == bool(found)
