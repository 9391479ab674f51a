"""What the case log can teach the matcher: candidates a person reviews into the examples.

- A question whose answer was marked *That fixed it* is a positive for its article.
- A suggestion answered *No* is a negative (no article answers it).
- A direct question (DM, mention, slash, shortcut, console) that matched nothing is listed
  for review: a person decides whether an article should have answered it.

Nothing is learned automatically: ``learn --out`` writes a YAML file to review, and
``learn --accept`` merges the reviewed lines into the examples files, skipping duplicates.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.examples import LANGUAGES, Example, Label, examples_file, merge_examples
from bot.knowledge import KnowledgeBase
from bot.store import Store

FIXED = "case_resolved"
REJECTED = "suggestion_rejected"
DIRECT_SOURCES = ("dm", "mention", "slash", "shortcut", "console")
REVIEW = "review"  # a candidate whose label a person must choose
FAMILY = "from_cases"

REASONS = {
    Label.POSITIVE: "answer marked 'That fixed it'",
    Label.NEGATIVE: "suggestion answered 'No'",
    REVIEW: "asked directly, no article matched",
}
# A handful of very common words per language: enough to pre-fill `lang` for a reviewer.
_COMMON_WORDS = {
    "en": "the is not my our why does are and it to of in for",
    "fr": "le la les est pas mon mes pourquoi des une et il que dans",
    "es": "el la los es no mi mis por que una y del en con",
    "de": "der die das ist nicht mein meine warum und ein eine bei mit",
    "pt": "o os a é não meu minha por que uma e do da em com",
    "it": "il lo la è non mio mia perché che una e del della con",
    "nl": "de het een is niet mijn waarom en van bij met ook",
}
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Candidate:
    case: int | None  # the case id (None for a gap: a question no article matched)
    gap: int | None
    reason: str
    label: str  # positive | negative | review
    article: str
    lang: str
    text: str


def guess_language(text: str) -> str:
    """The language whose common words the text uses most ('en' when unsure)."""
    words = Counter(w.casefold() for w in _WORD.findall(text))
    scores = {lang: sum(words[w] for w in common.split()) for lang, common in _COMMON_WORDS.items()}
    best = max(scores, key=lambda lang: scores[lang])
    return best if scores[best] > 0 else "en"


def find_candidates(store: Store, knowledge: KnowledgeBase) -> list[Candidate]:
    fallback = knowledge.primary.id if knowledge.articles else ""
    found: list[Candidate] = []
    for label, action in ((Label.POSITIVE, FIXED), (Label.NEGATIVE, REJECTED)):
        for row in _cases_clicked(store, action):
            article = row["article_id"] or fallback
            found.append(_candidate(row["id"], None, label, article, row["question"]))
    for gap in store.gaps.iter():
        if gap["reason"] == "no article matched" and gap["source"] in DIRECT_SOURCES:
            found.append(_candidate(None, gap["id"], REVIEW, fallback, gap["question"] or ""))
    return [c for c in found if c.text.strip()]


def _candidate(case: int | None, gap: int | None, label: str, article: str, text: str) -> Candidate:
    return Candidate(case, gap, REASONS[label], str(label), article, guess_language(text), text)


def _cases_clicked(store: Store, action: str) -> list[dict[str, Any]]:
    query = (
        "select id, article_id, question from cases where id in "
        "(select case_id from case_clicks where action = ?) order by id"
    )
    with store.conn.read() as db:
        return [dict(zip(("id", "article_id", "question"), r, strict=True))
                for r in db.execute(query, [action]).fetchall()]  # fmt: skip


def texts_stored(store: Store) -> bool:
    """Did the case log keep any question text (STORE_QUESTION_TEXT)?"""
    with store.conn.read() as db:
        return bool(db.execute("select 1 from cases where question != '' limit 1").fetchone()) or (
            bool(db.execute("select 1 from gaps where question != '' limit 1").fetchone())
        )


REVIEW_HEADER = """\
# Candidates from the case log for the matcher's examples, written by `emailstatus-bot learn`.
# Review every one before you accept the file:
# - label: positive (the article answers it), negative (no article does), or review
#   (undecided: it is skipped until you choose). Delete any candidate you don't want.
# - article: the article it belongs to; lang: the language it is written in.
# Then: emailstatus-bot learn --accept {path}   and   emailstatus-bot replay
"""


def write_candidates(path: Path, candidates: list[Candidate]) -> None:
    rows = [
        {"case": c.case, "gap": c.gap, "reason": c.reason, "label": c.label,
         "article": c.article, "lang": c.lang, "text": c.text}
        for c in candidates
    ]  # fmt: skip
    body = yaml.safe_dump({"candidates": rows}, allow_unicode=True, sort_keys=False, width=100)
    path.write_text(REVIEW_HEADER.format(path=path) + body, encoding="utf-8")


@dataclass(frozen=True)
class Accepted:
    added: dict[str, int]  # examples file -> lines added
    duplicates: int
    undecided: int


def accept_candidates(path: Path, knowledge: KnowledgeBase) -> Accepted:
    """Merge the reviewed candidates; raises ValueError (naming the item) on a bad one."""
    by_article: dict[str, list[Example]] = {}
    undecided = 0
    for index, item in enumerate(_read_candidates(path)):
        example = _reviewed_example(item, index, knowledge)
        if example is None:
            undecided += 1
        else:
            by_article.setdefault(example.article_id, []).append(example)
    added: dict[str, int] = {}
    duplicates = 0
    for article_id, examples in by_article.items():
        article = knowledge.get(article_id)
        assert article is not None
        target = examples_file(article.path, article_id)
        new, skipped = merge_examples(target, article_id, examples)
        added[str(target)] = new
        duplicates += skipped
    return Accepted(added, duplicates, undecided)


def _read_candidates(path: Path) -> list[Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read the candidates ({exc})") from exc
    items = data.get("candidates") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ValueError(f"{path}: expected a 'candidates:' list")
    return items


def _reviewed_example(item: Any, index: int, knowledge: KnowledgeBase) -> Example | None:
    where = f"candidates[{index}]"
    if not isinstance(item, dict):
        raise ValueError(f"{where}: must be a mapping")
    label, article, lang = item.get("label"), item.get("article"), item.get("lang")
    text = str(item.get("text") or "").strip()
    if label == REVIEW:
        return None
    if label not in tuple(Label):
        raise ValueError(f"{where}: label must be positive, negative or review, not {label!r}")
    if knowledge.get(str(article)) is None:
        raise ValueError(f"{where}: unknown article {article!r}")
    if lang not in LANGUAGES:
        raise ValueError(f"{where}: lang {lang!r} is not a language code (en, fr, …)")
    if not text:
        raise ValueError(f"{where}: text is empty")
    return Example(text, Label(label), str(lang), FAMILY, "case-log", str(article))
