"""Which Outlook does a message mean? Map it to the article's version ids.

Returns ``"2007"``, ``"2010"``, ``"2013+"``, ``"other"`` (an Outlook the article does
not cover: Mac, web, the new Outlook for Windows, mobile, 2003 and older) or ``None``.

A bare year only counts as a version when the message talks about Outlook or Office,
and not when it reads as a date (``in 2021``, ``since 2019``, ``Q3 2024``, ``2010-4471``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.knowledge import Article
from bot.text import fold, has_term, padded_words, strip_slack_markup

VersionId = str  # "2007" | "2010" | "2013+" | "other"

_YEAR_TO_ID = {
    "2007": "2007",
    "2010": "2010",
    "2013": "2013+",
    "2016": "2013+",
    "2019": "2013+",
    "2021": "2013+",
    "2024": "2013+",
    "2003": "other",
    "2002": "other",
    "2000": "other",
}
# Outlook's internal major version numbers, as in "Outlook 16.0" or "Office 14".
_NUMBER_TO_ID = {"9": "other", "10": "other", "11": "other", "12": "2007", "14": "2010",
                 "15": "2013+", "16": "2013+"}  # fmt: skip
_SHORT_YEAR_TO_ID = {"03": "other", "07": "2007", "7": "2007", "10": "2010", "13": "2013+",
                     "16": "2013+", "19": "2013+", "21": "2013+", "24": "2013+"}  # fmt: skip

_OUTLOOK = r"ou?t+l+o+k+"  # tolerates "outlok", "outllok", "otlook"
_PRODUCT = rf"(?:ms\s+|microsoft\s+)?(?:{_OUTLOOK}|office|ol)"
_OTHER_CLIENT = re.compile(
    r"\b(?:mac|macos|macbook|os\s*x"
    r"|on\s+the\s+web|outlook\s+web|web\s+outlook|owa|outlook\s*\.\s*com|web\s+app|web\s+access"
    r"|(?:in|from)\s+(?:the|a)\s+browser|browser\s+version"
    r"|new\s+outlook(?!\s+20\d\d)"
    r"|iphone|ipad|ios|android|mobile|outlook\s+app|phone\s+app"
    r"|outlook\s+(?:xp|97|98|2000|2002|2003))\b"
)
_SPECIFIC = re.compile(
    r"\b(?:"
    rf"(?P<product>{_PRODUCT})\s*(?:for\s+windows\s+)?(?:version\s+)?"
    r"(?:(?P<pyear>20\d\d)|(?P<pnum>9|1[0-6])(?:\.\d+)*|['‘’](?P<pshort>\d\d)|2k(?P<pk>\d{1,2})"
    r"|(?P<pzero>0[37]))\b"
    r"|(?P<ltsc>ltsc)\b"
    r"|(?P<o365>(?:office|microsoft|ms|o|m)\s*365)\b"
    r"|(?P<k>2k(?:\d{1,2}))\b"
    r"|(?P<year>(?<![\d/.:\-])20\d\d)(?![\d/]|-\d|\.\d)(?P<client>\s+(?:desktop|client|users?))?"
    r"|(?P<bare365>(?<![\d/.:\-])365)\b(?!\s*days?)"
    r")"
)
# Month names in en, fr, es, de, pt, it and nl: "seit Januar 2019" is a date, not Outlook 2019.
_MONTHS = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec",
    "janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout", "septembre",
    "octobre", "novembre", "decembre", "janv", "fevr", "avr", "juil",
    "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
    "setiembre", "octubre", "noviembre", "diciembre", "ene",
    "januar", "februar", "marz", "juni", "juli", "oktober", "dezember", "janner",
    "janeiro", "fevereiro", "marco", "maio", "junho", "julho", "setembro", "outubro",
    "novembro", "dezembro",
    "gennaio", "febbraio", "aprile", "maggio", "giugno", "luglio", "settembre", "ottobre",
    "dicembre",
    "januari", "februari", "maart", "mei", "augustus",
}  # fmt: skip
# Words before a bare year that make it a date, not a version.
_DATE_WORDS = {"in", "since", "from", "until", "till", "by", "before", "after", "of", "year",
               "fy", "q1", "q2", "q3", "q4", "h1", "h2", "po", "during", "circa", "around",
               "early", "late", "mid", "end", "spring", "summer", "autumn", "fall", "winter",
               "depuis", "en", "desde", "seit", "im", "ab", "em", "nel", "dal", "sinds", "sind",
               "ticket", "case", "invoice", "order", "version"} | _MONTHS  # fmt: skip
# "enero de 2019", "maio de 2019", "1 maart 2019": a month two words back is a date too.
_MONTH_LINKS = {"de", "del", "di", "do", "da", "van", "of", "the"}
_OUTLOOK_CONTEXT = re.compile(rf"\b(?:{_OUTLOOK}|office|ol|owa|exchange|junk|safe\s+senders?)\b")


@dataclass(frozen=True)
class VersionMention:
    version: VersionId
    start: int
    text: str


def detect_version(text: str, *, bare: bool = False) -> VersionId | None:
    """The Outlook version the text names, or None.

    ``bare=True`` is for short inputs such as a slash-command argument ("2013", "365"),
    where a lone year means a version even without the word Outlook.
    """
    mentions = find_versions(text, bare=bare)
    return mentions[0].version if mentions else None


def find_versions(text: str, *, bare: bool = False) -> list[VersionMention]:
    """Every version the text names, in order; a non-covered client wins over years."""
    clean = _prepare(text)
    other = _OTHER_CLIENT.search(clean)
    if other:
        return [VersionMention("other", other.start(), other.group(0))]
    allow_bare_year = bare or bool(_OUTLOOK_CONTEXT.search(clean))
    found = []
    for match in _SPECIFIC.finditer(clean):
        version = _version_of(match, _date_prefix(clean[: match.start()]), allow_bare_year)
        if version is not None:
            found.append(VersionMention(version, match.start(), match.group(0).strip()))
    return found


FOLLOW_UP_MAX_WORDS = 12  # "we're on 2010" is a reply; a long message is a new question


def follow_up_version(text: str) -> VersionId | None:
    """The version a short reply in a conversation names ("we're on 2010", "o365").

    In a conversation the bot already answered, a bare year means a version.
    """
    if len(text.split()) > FOLLOW_UP_MAX_WORDS:
        return detect_version(text)
    return detect_version(text, bare=True)


def _prepare(text: str) -> str:
    text = fold(strip_slack_markup(text))
    return re.sub(r"[\s_*`~>]+", " ", text)


def _date_prefix(before: str) -> str:
    """The word before a year, or ``"of"`` when a month stands just before that word."""
    words = before.split() or [""]
    if len(words) >= 2 and words[-1] in _MONTH_LINKS and words[-2] in _MONTHS:
        return "of"
    return words[-1]


def _version_of(match: re.Match[str], prefix: str, allow_bare_year: bool) -> VersionId | None:
    groups = match.groupdict()
    if groups["pyear"]:
        return _YEAR_TO_ID.get(groups["pyear"])
    if groups["pnum"]:
        return _NUMBER_TO_ID.get(groups["pnum"])
    if groups["pshort"] or groups["pk"] or groups["pzero"]:
        return _SHORT_YEAR_TO_ID.get(groups["pshort"] or groups["pk"] or groups["pzero"])
    if groups["ltsc"] or groups["o365"]:
        return "2013+"
    if groups["k"]:
        return _SHORT_YEAR_TO_ID.get(groups["k"][2:])
    if groups["bare365"]:
        return "2013+" if allow_bare_year and prefix not in _DATE_WORDS else None
    if groups["year"] and (allow_bare_year or groups["client"]) and prefix not in _DATE_WORDS:
        version = _YEAR_TO_ID.get(groups["year"])
        return version if version != "other" or prefix in {"outlook", "office"} else None
    return None


# The one table of version labels for places that have no article at hand (case log,
# summaries, escalations); answers use the article's own variant labels.
VERSION_LABELS = {
    "2007": "Outlook 2007",
    "2010": "Outlook 2010",
    "2013+": "Outlook 2013 and later",
    "other": "other Outlook (Mac, web, new…)",
    "unknown": "version not given",
}


def version_label(version: VersionId | None) -> str:
    return VERSION_LABELS.get(version or "unknown", version or "unknown")


def detect_variant(article: Article, text: str, *, bare: bool = False) -> VersionId | None:
    """The article's variant the text names: generic patterns first, then the YAML aliases.

    ``"other"`` only when the article says what uncovered variants get; ``None`` for an
    article without variants.
    """
    if not article.variants:
        return None
    found = detect_version(text, bare=bare)
    if found == "other":
        return "other" if article.uncovered is not None else None
    if article.variant(found) is not None:
        return found
    return alias_variant(article, text)


def alias_variant(article: Article, text: str) -> str | None:
    padded = padded_words(text)
    for variant in article.variants:
        if any(has_term(padded, alias) for alias in variant.aliases):
            return variant.id
    return None
