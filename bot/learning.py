"""What the case log can teach the matcher: candidates a person reviews into the examples.

- A case whose final status is *resolved* is a positive for its article (a case marked
  *That fixed it* and then escalated is not: its final status is escalated).
- A case whose final status is *rejected* (a suggestion answered *No*) is a negative.
- A direct question (every source but a channel) that matched nothing is listed for
  review, with no article: a person decides whether an article should have answered it.

Nothing is learned automatically: ``learn --out`` writes a YAML file to review, and
``learn --accept`` merges the reviewed lines into the examples files, skipping duplicates.
A candidate is offered once: what ``--out`` offered is remembered (``Offered``), and a
text an examples file already has is never offered.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.examples import (
    LANGUAGES,
    Example,
    Label,
    examples_file,
    merge_examples,
    parse_examples_file,
)
from bot.knowledge import KnowledgeBase
from bot.store import GapReason, Status, Store
from bot.text import normalise
from bot.vocabulary import Source

# The final status that makes a case a candidate, and its label.
FINAL_STATUS_LABELS = {Status.RESOLVED: Label.POSITIVE, Status.REJECTED: Label.NEGATIVE}
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
    article: str  # "" for review: the reviewer names the article, if any
    lang: str
    text: str
    target: str = ""  # the examples file it would be merged into
    team: str = ""  # the workspace it was asked in ('' for none: console, older logs)

    @property
    def key(self) -> str:
        return f"case:{self.case}" if self.case is not None else f"gap:{self.gap}"


@dataclass
class Offered:
    """What ``learn --out`` offered before (kept beside the case log): never offered twice."""

    path: Path
    keys: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, path: Path) -> Offered:
        try:
            keys = json.loads(path.read_text(encoding="utf-8")).get("offered", [])
        except (OSError, ValueError, AttributeError):
            keys = []
        return cls(path, {str(k) for k in keys})

    def remember(self, candidates: list[Candidate]) -> None:
        self.keys |= {c.key for c in candidates}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps({"offered": sorted(self.keys)}, indent=1)
        self.path.write_text(body + "\n", encoding="utf-8")


def guess_language(text: str) -> str:
    """The language whose common words the text uses most ('en' when unsure)."""
    words = Counter(w.casefold() for w in _WORD.findall(text))
    scores = {lang: sum(words[w] for w in common.split()) for lang, common in _COMMON_WORDS.items()}
    best = max(scores, key=lambda lang: scores[lang])
    return best if scores[best] > 0 else "en"


def find_candidates(
    store: Store,
    knowledge: KnowledgeBase,
    *,
    since: str | None = None,
    offered: Offered | None = None,
    team: str | None = None,
) -> list[Candidate]:
    """Candidates: the cases and gaps created at or after ``since`` (an ISO date), leaving
    out what was ``offered`` before and texts the examples files already have; with
    ``team``, only that workspace's (and those with no workspace). Each names its team."""
    found: list[Candidate] = []
    settled = store.reports.settled_cases([str(s) for s in FINAL_STATUS_LABELS], since, team)
    for row in settled:
        label = FINAL_STATUS_LABELS[Status(row.status)]
        article = knowledge.get(row.article_id or "")
        if article is None:
            continue  # an article since removed: nothing to teach it
        target = str(examples_file(article.path, article.id))
        found.append(
            _candidate(row.id, None, label, article.id, row.question or "", target, row.team)
        )
    for gap in store.gaps.iter():
        if gap["reason"] != GapReason.NO_MATCH or gap["created_at"] < (since or ""):
            continue
        if team and gap.get("team") not in (team, None):
            continue
        if gap["source"] in tuple(Source) and Source(gap["source"]).direct:
            question = gap["question"] or ""
            found.append(_candidate(None, gap["id"], REVIEW, "", question, "", gap.get("team")))
    known = _known_texts(knowledge)
    skip = offered.keys if offered is not None else set()
    return [
        c for c in found if c.text.strip() and c.key not in skip and normalise(c.text) not in known
    ]


def _candidate(
    case: int | None,
    gap: int | None,
    label: str,
    article: str,
    text: str,
    target: str = "",
    team: str | None = None,
) -> Candidate:
    return Candidate(
        case, gap, REASONS[label], str(label), article, guess_language(text), text, target,
        team or "",
    )  # fmt: skip


def _known_texts(knowledge: KnowledgeBase) -> set[str]:
    """Every text the articles' examples files already have (merged before, or written)."""
    known: set[str] = set()
    for article in knowledge.articles:
        path = examples_file(article.path, article.id)
        if path.exists():
            examples, _ = parse_examples_file(path)
            known |= {normalise(e.text) for e in examples}
    return known


REVIEW_HEADER = """\
# Candidates from the case log for the matcher's examples, written by `emailstatus-bot learn`.
# Review every one before you accept the file:
# - label: positive (the article answers it), negative (no article does), or review
#   (undecided: it is skipped until you choose). Delete any candidate you don't want.
# - article: the article it belongs to (empty for a review item: name one to label it
#   positive); file: the examples file it is merged into; lang: its language.
# Then: emailstatus-bot learn --accept {path}   and   emailstatus-bot replay
"""


def write_candidates(path: Path, candidates: list[Candidate]) -> None:
    rows = [
        {"case": c.case, "gap": c.gap, "reason": c.reason, "label": c.label,
         "article": c.article, "file": c.target or "(the article you name)", "lang": c.lang,
         "text": c.text, **({"team": c.team} if c.team else {})}
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
    if not article:
        raise ValueError(f"{where}: name the article it belongs to (article: is empty)")
    if knowledge.get(str(article)) is None:
        raise ValueError(f"{where}: unknown article {article!r}")
    if lang not in LANGUAGES:
        raise ValueError(f"{where}: lang {lang!r} is not a language code (en, fr, …)")
    if not text:
        raise ValueError(f"{where}: text is empty")
    return Example(text, Label(label), str(lang), FAMILY, "case-log", str(article))
