"""Match + variant → Answer: what the bot says, as plain data (no formatting).

Everything article-specific (variants, what an uncovered variant gets, notes that are
the answer, other mail clients, the customer-ready template) comes from the article.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import localize
from bot.knowledge import Article, Link, Point, Uncovered, Variant
from bot.language import detect_language
from bot.text import has_term, padded_words
from bot.versions import detect_variant

OTHER = "other"  # the variant id for "one the article does not cover"


@dataclass(frozen=True)
class Answer:
    article_id: str
    title: str
    source_name: str
    source_url: str
    cause: str
    fix_summary: str
    version: str | None  # what the asker has: a variant id, "other" or None (unknown)
    guide: Variant | None  # the steps shown; None with choices means "ask which variant"
    choices: tuple[Variant, ...]  # every variant, for the picker (empty: no variants)
    notes: tuple[str, ...] = ()
    see_also: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    variant_question: str = ""
    variant_noun: str = "one"
    variant_hint: str = ""
    uncovered: Uncovered | None = None
    steps: tuple[str, ...] = ()  # an article without variants: its one list of steps
    points: tuple[Point, ...] = ()
    lead: str | None = None  # a note that is the answer: it leads, and no steps are the fix
    other_client: str | None = None  # a mail client the steps are not for, as named
    other_client_text: str = ""
    customer_template: str = ""
    # The language it is written in, the languages the article has, the English steps
    # ("Original steps (English)"), and whether the steps shown keep English menu names.
    language: str = "en"
    languages: tuple[str, ...] = ("en",)
    original_guide: Variant | None = None
    english_menus: bool = False

    @property
    def needs_version(self) -> bool:
        return self.guide is None and bool(self.choices) and not self.replaces_fix

    @property
    def replaces_fix(self) -> bool:
        """A note or another mail client answers instead of the steps."""
        return self.lead is not None or self.other_client is not None

    @property
    def is_closest_match(self) -> bool:
        """True when the asker's variant is not covered and we show the nearest steps."""
        return self.version == OTHER and self.guide is not None

    @property
    def covered_labels(self) -> str:
        return ", ".join(g.label for g in self.choices)


def source_label(name: str, title: str) -> tuple[str, str | None]:
    """(source name, title to show after it): no title when the name already says it,
    as in "Salesforce Help: Considerations for Email Open Tracking"."""
    return name, None if title.casefold() in name.casefold() else title


def compose(
    article: Article, version: str | None, question: str = "", language: str | None = None
) -> Answer:
    """Build the answer for an article and a detected (or picked) variant, in ``language``
    (default: the question's own, English when unsure)."""
    answer = _compose(article, version, question)
    return localize(answer, article, language or detect_language(question))


def _compose(article: Article, version: str | None, question: str) -> Answer:
    guide = _guide(article, version)
    asked = padded_words(question)  # once: every note and client below is looked up in it
    lead = next((n.text for n in article.notes if n.answer and _applies(n.applies_when, asked)),
                None)  # fmt: skip
    client = other_client(article, question, asked) if version is None and lead is None else None
    return Answer(
        article_id=article.id,
        title=article.title,
        source_name=article.source_name,
        source_url=article.source_url,
        cause=article.cause,
        fix_summary=article.fix_summary,
        version=version if guide is not None or version is None else None,
        guide=guide if lead is None else None,
        choices=article.variants,
        notes=relevant_notes(article, asked),
        see_also=article.see_also,
        links=article.links,
        variant_question=article.variant_question,
        variant_noun=article.variant_noun,
        variant_hint=article.variant_hint,
        uncovered=article.uncovered,
        steps=article.steps,
        points=article.points,
        lead=lead,
        other_client=client,
        other_client_text=article.other_clients.text if article.other_clients else "",
        customer_template=article.customer_text,
    )


def _guide(article: Article, version: str | None) -> Variant | None:
    if version == OTHER and article.uncovered is not None:
        return article.variant(article.uncovered.closest)
    return article.variant(version)


def choose_variant(article: Article, detected: str | None, question: str) -> str | None:
    """The variant to answer with: the matcher's, when the article has it, else our own look."""
    if detected is not None and (article.variant(detected) or detected == OTHER):
        return detected if detected != OTHER or article.uncovered is not None else None
    return detect_variant(article, question)


def relevant_notes(article: Article, asked: str) -> tuple[str, ...]:
    """Notes whose trigger words appear in the question (``asked``, from ``padded_words``),
    other than the one that leads."""
    return tuple(
        note.text
        for note in article.notes
        if not note.answer and _applies(note.applies_when, asked)
    )


def other_client(article: Article, question: str, asked: str) -> str | None:
    """The other mail client a question names, when it names none of the article's variants."""
    clients = article.other_clients
    if clients is None or detect_variant(article, question) is not None:
        return None
    if _applies(clients.unless, asked):
        return None
    return next((t for t in clients.terms if has_term(asked, t)), None)


def _applies(terms: tuple[str, ...], asked: str) -> bool:
    return any(has_term(asked, term) for term in terms)


@dataclass(frozen=True)
class Lookup:
    """``/emailstatus <article-alias> [variant]``: an article named by alias, and a variant."""

    article: Article
    variant: str | None


def article_lookup(articles: list[Article], text: str) -> Lookup | None:
    """The article a lookup names by id or alias, with the variant after it (if any).

    ``None`` when the first word names no article, or when what follows is not a variant
    of it (then the text is a question).
    """
    first, _, rest = " ".join(text.split()).partition(" ")
    article = next((a for a in articles if _named(a, first)), None)
    if article is None:
        return None
    if not rest:
        return Lookup(article, None)
    variant = next((v.id for v in article.variants if v.id.lower() == rest.lower()), None)
    variant = variant or detect_variant(article, rest, bare=True)
    return Lookup(article, variant) if variant is not None and len(rest.split()) <= 3 else None


def _named(article: Article, word: str) -> bool:
    key = word.lower()
    return key == article.id.lower() or key in (a.lower() for a in article.aliases)
