"""Translations as data: an article's text and the bot's own phrases, per language.

``knowledge/translations/`` holds one ``<article-id>.<lang>.yaml`` per article and language
and one ``ui.<lang>.yaml`` per language (buttons, headings, confirmations). English is the
article itself plus ``ui.en.yaml``; a language is available once its ``ui`` file is there,
so adding one needs no code. Steps name Outlook's menus in ``[brackets]``, each with the
Microsoft page (in that language) where the name was read; ``steps: english`` keeps a
version's steps in English when its names could not be sourced. Loading never raises;
checking lives in ``bot.translation_check``. Format: docs/languages.md.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from bot.knowledge import Problem, Variant

if TYPE_CHECKING:
    from bot.answers import Answer
    from bot.knowledge import Article

ENGLISH = "en"
FOLDER = "translations"
UI_PREFIX = "ui."
ENGLISH_STEPS = "english"  # `steps: english`: this version's menu names could not be sourced
UI_NAME = re.compile(r"\[([^\[\]]+)\]")


@dataclass(frozen=True)
class VariantText:
    id: str
    label: str
    heading: str
    how_to_tell: str
    steps: tuple[str, ...] | None  # None: the English steps (names not sourced)
    refs: dict[str, str] = field(default_factory=dict)  # UI name -> Microsoft page it was read on


@dataclass(frozen=True)
class Translation:
    """One article in one language: every text a person reads, none of the matching rules."""

    article_id: str
    language: str
    path: str
    texts: dict[str, str]  # topic, cause, fix_summary, variant_question/noun/hint, customer_text
    variants: dict[str, VariantText]
    notes: dict[str, str]
    uncovered: dict[str, str]  # label, text
    other_clients: str
    sources: dict[str, str] = field(default_factory=dict)  # ref URL -> what the page says

    def text(self, key: str, default: str) -> str:
        return self.texts.get(key) or default

    @property
    def sourced(self) -> dict[str, bool]:
        """Variant id -> whether its steps carry this language's own menu names."""
        return {v.id: v.steps is not None for v in self.variants.values()}


@dataclass(frozen=True)
class UiStrings:
    language: str
    name: str
    strings: dict[str, str]
    path: str = ""


@dataclass
class Translations:
    """Everything in one ``translations`` folder, with the problems met while reading it."""

    ui: dict[str, UiStrings] = field(default_factory=dict)
    articles: dict[tuple[str, str], Translation] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def languages(self) -> list[str]:
        """Languages the bot can speak: English first, then every ``ui.<lang>.yaml``."""
        return [ENGLISH, *sorted(lang for lang in self.ui if lang != ENGLISH)]

    def article_languages(self, article_id: str) -> list[str]:
        """Languages one article can be answered in (English always)."""
        have = {lang for (aid, lang) in self.articles if aid == article_id}
        return [lang for lang in self.languages() if lang == ENGLISH or lang in have]

    def get(self, article_id: str, language: str) -> Translation | None:
        return self.articles.get((article_id, language))

    def phrase(self, language: str, key: str, **values: str) -> str:
        """A bot phrase in ``language``; English when the language or the key is missing."""
        strings = self.ui.get(language) or self.ui.get(ENGLISH)
        text = (strings.strings.get(key) if strings else None) or english_phrase(self, key)
        return text.format(**values) if values else text


def english_phrase(translations: Translations, key: str) -> str:
    english = translations.ui.get(ENGLISH)
    if english is not None and key in english.strings:
        return english.strings[key]
    return BUILTIN_UI.strings.get(key, key)


def load_translations(folder: str | Path) -> Translations:
    """Read ``folder`` (a ``translations`` folder); a missing folder is simply empty."""
    found = Translations()
    folder = Path(folder)
    if not folder.is_dir():
        found.ui[ENGLISH] = BUILTIN_UI
        return found
    for path in sorted(folder.glob("*.yaml")):
        data, problem = _read(path)
        if problem is not None:
            found.problems.append(problem)
        elif path.name.startswith(UI_PREFIX):
            _add_ui(found, path, data)
        else:
            _add_article(found, path, data)
    found.ui.setdefault(ENGLISH, BUILTIN_UI)
    return found


def _read(path: Path) -> tuple[dict[str, Any], Problem | None]:
    from bot.knowledge import too_deep, unsafe_yaml_problem, yaml_data, yaml_problem

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return {}, Problem(str(path), 0, "file", f"cannot read: {exc}")
    unsafe = unsafe_yaml_problem(text, str(path))
    if unsafe is not None:
        return {}, unsafe
    try:
        data = yaml_data(text)
    except yaml.YAMLError as exc:
        return {}, yaml_problem(exc, str(path))
    except RecursionError:
        return {}, too_deep(str(path))
    if not isinstance(data, dict):
        return {}, Problem(str(path), 1, "file", "must be a mapping of field: value")
    return data, None


def _language_of(path: Path) -> str:
    """``000385822.de.yaml`` and ``ui.de.yaml`` -> ``de``."""
    return path.name.removesuffix(".yaml").rsplit(".", 1)[-1]


def _add_ui(found: Translations, path: Path, data: dict[str, Any]) -> None:
    language = str(data.get("language") or _language_of(path))
    strings = data.get("strings")
    if not isinstance(strings, dict):
        found.problems.append(Problem(str(path), 1, "strings", "must be a mapping of key: text"))
        return
    texts = {str(k): str(v) for k, v in strings.items() if v is not None}
    found.ui[language] = UiStrings(language, str(data.get("name") or language), texts, str(path))


def _add_article(found: Translations, path: Path, data: dict[str, Any]) -> None:
    article_id = str(data.get("article") or "")
    language = str(data.get("language") or _language_of(path))
    if not article_id:
        found.problems.append(Problem(str(path), 1, "article", "'article' is required"))
        return
    raw_variants = data.get("variants") or {}
    if not isinstance(raw_variants, dict):
        found.problems.append(Problem(str(path), 1, "variants", "must map variant id: texts"))
        return
    keys = ("topic", "cause", "fix_summary", "variant_question", "variant_noun", "variant_hint",
            "customer_text")  # fmt: skip
    found.articles[(article_id, language)] = Translation(
        article_id=article_id,
        language=language,
        path=str(path),
        texts={k: str(data[k]).strip() for k in keys if data.get(k)},
        variants={str(k): _variant_text(str(k), v) for k, v in raw_variants.items()},
        notes={str(k): str(v).strip() for k, v in (data.get("notes") or {}).items()},
        uncovered={str(k): str(v) for k, v in (data.get("uncovered") or {}).items()},
        other_clients=str((data.get("other_clients") or {}).get("text") or "").strip(),
        sources={str(k): " ".join(str(v).split()) for k, v in (data.get("sources") or {}).items()},
    )


def _variant_text(variant_id: str, data: Any) -> VariantText:
    data = data if isinstance(data, dict) else {}
    steps = data.get("steps")
    local = None if steps == ENGLISH or not isinstance(steps, list) else tuple(map(str, steps))
    refs = data.get("ui") or {}
    return VariantText(
        id=variant_id,
        label=str(data.get("label") or ""),
        heading=str(data.get("heading") or ""),
        how_to_tell=str(data.get("how_to_tell") or ""),
        steps=local,
        refs={str(k): str(v) for k, v in refs.items()} if isinstance(refs, dict) else {},
    )


# -- where translations live, and the English defaults -------------------------------------

BUILTIN_UI = UiStrings(ENGLISH, "English", {})  # replaced by ui.en.yaml when it is there


def folder_for(article: Article) -> Path:
    """The translations folder next to an article's YAML file."""
    return Path(article.path).parent / FOLDER


@lru_cache(maxsize=16)
def _cached(folder: str) -> Translations:
    return load_translations(folder)


def translations_for(article: Article) -> Translations:
    """The translations an article's folder ships, read once per process."""
    return _cached(str(folder_for(article)))


@lru_cache(maxsize=1)
def _shipped() -> Translations:
    from bot.knowledge import default_knowledge_dir

    return load_translations(default_knowledge_dir() / FOLDER)


def phrase(language: str, key: str, **values: str) -> str:
    """One of the bot's own phrases (``ui.<lang>.yaml``), English when it has none."""
    return _shipped().phrase(language, key, **values)


def available_languages() -> list[str]:
    """The languages the bot speaks (one ``ui.<lang>.yaml`` each), English first."""
    return _shipped().languages()


def language_name(language: str) -> str:
    found = _shipped().ui.get(language)
    return found.name if found is not None else language


def ui_names(step: str, mark: str = "") -> str:
    """A step with its ``[UI names]`` shown as ``mark + name + mark`` (``*`` bolds in Slack)."""
    return UI_NAME.sub(lambda m: f"{mark}{m.group(1)}{mark}", step)


def placeholders(template: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}
    except ValueError:
        return set()


# -- one answer in one language ---------------------------------------------------------------


def localize(answer: Answer, article: Article, language: str | None) -> Answer:
    """The answer in ``language``, where the article has it; else the English answer unchanged.

    English steps are kept beside the localized ones ("Original steps (English)"); a version
    whose names could not be sourced keeps its English steps, flagged ``english_menus``.
    """
    translations = translations_for(article)
    languages = tuple(translations.article_languages(article.id))
    answer = replace(answer, languages=languages, original_guide=answer.guide)
    found = translations.get(article.id, language or ENGLISH)
    if found is None or language == ENGLISH:
        return answer
    guide = _local_variant(answer.guide, found)
    lead = _note_text(article, found, answer.lead)
    return replace(
        answer,
        language=found.language,
        cause=found.text("cause", answer.cause),
        fix_summary=found.text("fix_summary", answer.fix_summary),
        guide=guide,
        choices=tuple(_local_variant(v, found) or v for v in answer.choices),
        notes=tuple(_note_text(article, found, n) or n for n in answer.notes),
        lead=lead,
        variant_question=found.text("variant_question", answer.variant_question),
        variant_noun=found.text("variant_noun", answer.variant_noun),
        variant_hint=found.text("variant_hint", answer.variant_hint),
        uncovered=_local_uncovered(answer, found),
        other_client_text=found.other_clients or answer.other_client_text,
        customer_template=found.text("customer_text", answer.customer_template),
        english_menus=_english_menus(answer, found),
    )


def _local_variant(variant: Variant | None, found: Translation) -> Variant | None:
    if variant is None or variant.id not in found.variants:
        return variant
    text = found.variants[variant.id]
    return replace(
        variant,
        label=text.label or variant.label,
        heading=text.heading or variant.heading,
        how_to_tell=text.how_to_tell or variant.how_to_tell,
        steps=text.steps if text.steps is not None else variant.steps,
    )


def _english_menus(answer: Answer, found: Translation) -> bool:
    """True when a version shown keeps English steps in this language."""
    shown = [answer.guide] if answer.guide is not None else list(answer.choices)
    return any(
        v.id in found.variants and found.variants[v.id].steps is None
        for v in shown
        if v is not None
    )


def _note_text(article: Article, found: Translation, text: str | None) -> str | None:
    note = next((n for n in article.notes if n.text == text), None)
    return found.notes.get(note.id, text) if note is not None else text


def _local_uncovered(answer: Answer, found: Translation) -> Any:
    if answer.uncovered is None or not found.uncovered:
        return answer.uncovered
    return replace(
        answer.uncovered,
        label=found.uncovered.get("label") or answer.uncovered.label,
        text=found.uncovered.get("text") or answer.uncovered.text,
    )
