"""`knowledge check` for translations: each one held to its English article.

A translation must have the article's variants and, where it translates steps, the same
number of steps; keep every ``{placeholder}``; give every ``[UI name]`` a ``ref`` that is a
Microsoft page in the translation's own language (``support.microsoft.com/de-de/…``); and
leave no English behind in a translated field. UI strings files must have the English
file's keys and placeholders. Problems read ``file:line: field: message`` like the
article checker's. Coverage (``knowledge list``) says which versions carry the language's
own menu names.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bot.i18n import ENGLISH, UI_NAME, Translation, Translations, load_translations, placeholders
from bot.knowledge import Article, Problem

# Microsoft's help sites, whose first path segment is the page's language-region.
MICROSOFT_HOSTS = re.compile(
    r"^(support\.microsoft\.com|support\.office\.com|office\.microsoft\.com|"
    r"learn\.microsoft\.com|[a-z]+\.prod\.support\.services\.microsoft\.com)$"
)
# Words that only English text has: two of them in a translated field mean it was left
# in English (names of Outlook's menus in [brackets] and {placeholders} do not count).
ENGLISH_WORDS = frozenset(
    {
        "the", "and", "click", "your", "with", "this", "that", "which", "from", "then", "when",
        "does", "you", "tab", "menu", "steps", "please", "thank", "hello", "here", "how",
        "what", "open", "opened",
    }
)  # fmt: skip
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
Fail = Callable[[str, str], None]


def check_translations(articles: list[Article], folder: str | Path) -> list[Problem]:
    """Every problem in one translations folder, against the loaded English articles."""
    found = load_translations(folder)
    problems = list(found.problems)
    problems += _check_ui(found)
    by_id = {a.id: a for a in articles}
    for translation in found.articles.values():
        article = by_id.get(translation.article_id)
        if article is None:
            problems.append(_problem(translation, "article", "no such article is loaded"))
            continue
        problems += check_translation(article, translation, found)
    return problems


def _problem(translation: Translation, where: str, message: str) -> Problem:
    return Problem(translation.path, _line(translation.path, where), where, message)


def _line(path: str, where: str) -> int:
    """The line of a field's last key (``variants.2010.steps[1]`` -> ``steps:``)."""
    key = re.sub(r"\[\d+\]$", "", where).rsplit(".", 1)[-1].strip('"')
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return 0
    pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*:")
    return next((n for n, line in enumerate(lines, 1) if pattern.match(line)), 1)


def check_translation(
    article: Article, translation: Translation, found: Translations
) -> list[Problem]:
    problems: list[Problem] = []

    def fail(where: str, message: str) -> None:
        problems.append(_problem(translation, where, message))

    language = translation.language
    if language == ENGLISH:
        fail("language", "English is the article itself: no translation file for it")
    if language not in found.ui:
        fail("language", f"no ui.{language}.yaml next to it: the bot has no phrases in it")
    _check_variants(article, translation, fail)
    _check_sources(translation, fail)
    _check_notes(article, translation, fail)
    if bool(article.uncovered) != bool(translation.uncovered):
        fail("uncovered", "must be there exactly when the article has 'uncovered'")
    if bool(article.other_clients) != bool(translation.other_clients):
        fail("other_clients", "must be there exactly when the article has 'other_clients'")
    english = placeholders(article.customer_text)
    local = placeholders(translation.texts.get("customer_text", ""))
    if "customer_text" in translation.texts and english != local:
        fail("customer_text", f"placeholders {sorted(local)} differ from English {sorted(english)}")
    for where, text in _translated_fields(translation):
        leftover = english_left(text)
        if leftover:
            fail(where, f"looks untranslated (English words: {', '.join(leftover)})")
    return problems


def _check_variants(article: Article, translation: Translation, fail: Fail) -> None:
    english = {v.id: v for v in article.variants}
    for variant_id in sorted(set(english) - set(translation.variants)):
        fail("variants", f"variant '{variant_id}' of the article is missing")
    for variant_id in sorted(set(translation.variants) - set(english)):
        fail(f"variants.{variant_id}", f"'{variant_id}' is not a variant of the article")
    for variant_id, text in translation.variants.items():
        if variant_id not in english:
            continue
        where = f"variants.{variant_id}"
        if not text.label:
            fail(f"{where}.label", "'label' is required")
        if text.steps is None:
            if text.refs:
                fail(f"{where}.ui", "steps stay English: there are no names to give refs to")
            continue
        count = len(english[variant_id].steps)
        if len(text.steps) != count:
            fail(f"{where}.steps", f"has {len(text.steps)} steps; the article has {count}")
        _check_names(text.steps, text.refs, translation.language, where, fail)


def _check_names(
    steps: tuple[str, ...], refs: dict[str, str], language: str, where: str, fail: Fail
) -> None:
    named = [name for step in steps for name in UI_NAME.findall(step)]
    for name in dict.fromkeys(named):
        if name not in refs:
            fail(f"{where}.steps", f"UI name [{name}] has no ref in '{where}.ui'")
    for name, url in refs.items():
        if name not in named:
            fail(f"{where}.ui", f"ref for '{name}', which no step names in [brackets]")
        elif not in_language(url, language):
            fail(f"{where}.ui", f"ref for '{name}' is not a Microsoft page in '{language}': {url}")


def _check_sources(translation: Translation, fail: Fail) -> None:
    """Each [name] must be in the quote of the page its ref names: checked against its source."""
    used: set[str] = set()
    for variant_id, text in translation.variants.items():
        for name, url in text.refs.items():
            used.add(url)
            quote = translation.sources.get(url)
            if quote is None:
                fail(f"variants.{variant_id}.ui", f"no quote in 'sources' for the page of '{name}'")
            elif name not in quote:
                fail(f"variants.{variant_id}.ui", f"'{name}' is not in the quote of its page")
    for url in sorted(set(translation.sources) - used):
        fail("sources", f"no [name] refers to {url}")


def in_language(url: str, language: str) -> bool:
    """Is ``url`` a Microsoft help page whose path starts with ``<language>-<region>``?"""
    parts = urlsplit(url)
    first = parts.path.lstrip("/").split("/", 1)[0].lower()
    return (
        parts.scheme in ("http", "https")
        and bool(MICROSOFT_HOSTS.match(parts.hostname or ""))
        and re.fullmatch(rf"{re.escape(language.lower())}-[a-z]{{2}}", first) is not None
    )


def _check_notes(article: Article, translation: Translation, fail: Fail) -> None:
    ids = {n.id for n in article.notes}
    for note_id in sorted(ids - set(translation.notes)):
        fail("notes", f"note '{note_id}' of the article is missing")
    for note_id in sorted(set(translation.notes) - ids):
        fail(f"notes.{note_id}", f"'{note_id}' is not a note of the article")


def _translated_fields(translation: Translation) -> list[tuple[str, str]]:
    fields = [(key, text) for key, text in translation.texts.items()]
    fields += [(f"notes.{k}", v) for k, v in translation.notes.items()]
    fields += [(f"uncovered.{k}", v) for k, v in translation.uncovered.items()]
    fields.append(("other_clients.text", translation.other_clients))
    for variant_id, text in translation.variants.items():
        where = f"variants.{variant_id}"
        fields += [(f"{where}.label", text.label), (f"{where}.how_to_tell", text.how_to_tell)]
        fields += [(f"{where}.steps[{i}]", step) for i, step in enumerate(text.steps or ())]
    return fields


def english_left(text: str) -> list[str]:
    """English-only words in ``text`` outside ``[UI names]`` and ``{placeholders}``."""
    bare = re.sub(r"\{[^}]*\}", " ", UI_NAME.sub(" ", text))
    words = {w.lower() for w in _WORD.findall(bare)}
    hits = sorted(words & ENGLISH_WORDS)
    return hits if len(hits) >= 2 else []


def _check_ui(found: Translations) -> list[Problem]:
    english = found.ui.get(ENGLISH)
    if english is None or not english.path:
        return []
    problems = []
    for language, strings in found.ui.items():
        if language == ENGLISH:
            continue
        for key in sorted(set(english.strings) - set(strings.strings)):
            problems.append(Problem(strings.path, 1, f"strings.{key}", "missing (see ui.en.yaml)"))
        for key, text in strings.strings.items():
            where = f"strings.{key}"
            if key not in english.strings:
                problems.append(Problem(strings.path, 1, where, "not a key of ui.en.yaml"))
            elif placeholders(text) != placeholders(english.strings[key]):
                wanted = sorted(placeholders(english.strings[key]))
                problems.append(Problem(strings.path, 1, where, f"must keep placeholders {wanted}"))
            elif english_left(text):
                problems.append(Problem(strings.path, 1, where, "looks untranslated"))
    return problems


# -- coverage, for `knowledge list` -------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    article_id: str
    language: str
    sourced: tuple[str, ...]  # versions whose steps name this language's own menus
    english: tuple[str, ...]  # versions whose steps stay English


def coverage(articles: list[Article], folder: str | Path) -> list[Coverage]:
    found = load_translations(folder)
    rows = []
    for article in articles:
        for language in found.article_languages(article.id):
            translation = found.get(article.id, language)
            if translation is None:
                continue
            sourced = translation.sourced
            rows.append(
                Coverage(
                    article.id,
                    language,
                    tuple(v.id for v in article.variants if sourced.get(v.id)),
                    tuple(v.id for v in article.variants if not sourced.get(v.id)),
                )
            )
    return rows
