"""Knowledge YAML: the real article loads, and every problem is reported as file:line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.knowledge import load_knowledge, parse_article
from bot.matching import Level, Matcher
from tests.conftest import KNOWLEDGE_DIR

FIXTURES = Path(__file__).parent / "fixtures"
VERSION_IDS = ("2007", "2010", "2013+")
SEED = Path(__file__).resolve().parents[3] / "shared" / "seed" / "article-000385822.txt"
ARTICLE = (KNOWLEDGE_DIR / "000385822.yaml").read_text(encoding="utf-8")


def test_the_article_loads_with_every_version(knowledge):
    article = knowledge.get("000385822")
    assert article is not None
    assert tuple(v.id for v in article.variants) == VERSION_IDS
    assert [n.id for n in article.notes] == ["stay_in_touch"]
    assert article.see_also == ("Considerations for Email Open Tracking",)


@pytest.mark.skipif(not SEED.exists(), reason="seed article not beside the repo")
def test_steps_and_note_are_word_for_word_from_the_seed(knowledge):
    seed = " ".join(SEED.read_text(encoding="utf-8").split())
    article = knowledge.get("000385822")
    for version in article.variants:
        assert version.heading in seed
        for step in version.steps:
            assert step in seed, step
    assert " ".join(article.notes[0].text.split()) in seed


def test_a_second_article_needs_no_code_change(tmp_path):
    shutil.copy(KNOWLEDGE_DIR / "000385822.yaml", tmp_path)
    shutil.copy(FIXTURES / "second_article.yaml", tmp_path)
    kb = load_knowledge(tmp_path)
    assert kb.ok and {a.id for a in kb.articles} == {"000385822", "000999001"}
    matcher = Matcher(kb)
    relay = matcher.match("Our email relay keeps failing the TLS handshake")
    assert (relay.level, relay.article_id) == (Level.ANSWER, "000999001")
    tracking = matcher.match("Times Opened stays at 0 for Outlook 2016 recipients")
    assert (tracking.level, tracking.article_id) == (Level.ANSWER, "000385822")


def _problems(text: str) -> list[str]:
    article, problems = parse_article(text, "bad.yaml")
    assert article is None
    return [str(p) for p in problems]


BROKEN = [
    ("a: [unclosed", "bad.yaml:1: yaml: not valid YAML"),
    ("- just\n- a list\n", "bad.yaml:1: article: must be a mapping"),
    (ARTICLE.replace('id: "000385822"\n', ""), "bad.yaml:3: id: 'id' is required"),
    (
        ARTICLE.replace('  - id: "2010"', '  - id: "2007"'),
        "variants[1].id: variant '2007' is listed twice",
    ),
    (ARTICLE.replace("      weight: 40\n", "      weight: lots\n", 1), "weight: must be a number"),
    (
        ARTICLE.replace("    - [open_tracking, opened, read]", "    - [open_trackin]"),
        "is not a concept",
    ),
    (
        ARTICLE.replace('      - "Click the Safe Senders tab."', "      - 42.5\n      - ''", 1),
        "variants[0].steps[3]: must be a non-empty string",
    ),
]


@pytest.mark.parametrize(("text", "expected"), BROKEN)
def test_problems_name_file_line_and_field(text, expected):
    assert any(expected in p for p in _problems(text)), _problems(text)


def test_line_numbers_point_at_the_bad_field():
    text = ARTICLE.replace('  - id: "2010"', '  - id: 2010.5\n    idd: "x"')
    line = next(i for i, row in enumerate(text.splitlines(), 1) if 'idd: "x"' in row)
    assert f"bad.yaml:{line}: variants[1].idd: unknown key 'idd'; did you mean 'id'?" in (
        _problems(text)
    )


def test_a_bad_file_does_not_hide_the_good_ones(tmp_path):
    shutil.copy(KNOWLEDGE_DIR / "000385822.yaml", tmp_path)
    (tmp_path / "broken.yaml").write_text("title: [", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not yaml, ignored", encoding="utf-8")
    kb = load_knowledge(tmp_path)
    assert [a.id for a in kb.articles] == ["000385822"]
    assert len(kb.problems) == 1 and "broken.yaml:1: yaml" in str(kb.problems[0])


def test_duplicate_ids_are_reported(tmp_path):
    shutil.copy(KNOWLEDGE_DIR / "000385822.yaml", tmp_path / "a.yaml")
    shutil.copy(KNOWLEDGE_DIR / "000385822.yaml", tmp_path / "b.yaml")
    kb = load_knowledge(tmp_path)
    assert any("duplicate id" in str(p) for p in kb.problems)


def test_missing_folder_is_a_problem_not_a_crash(tmp_path):
    kb = load_knowledge(tmp_path / "nope")
    assert not kb.articles and "no such file or folder" in str(kb.problems[0])
