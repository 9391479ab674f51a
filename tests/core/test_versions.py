"""Outlook version detection, as a table: how people write it → the article's version id."""

from __future__ import annotations

import pytest

from bot.versions import detect_version, find_versions, follow_up_version

NAMED = [
    ("Outlook 2007", "2007"),
    ("outlook 12", "2007"),
    ("office 2k7", "2007"),
    ("Outlook 2010", "2010"),
    ("OL2010", "2010"),
    ("office 2k10", "2010"),
    ("Outlook 14", "2010"),
    ("outlook '10", "2010"),
    ("MS Outlook 2010 users", "2010"),
    ("outlook '13", "2013+"),
    ("Outlook 2013", "2013+"),
    ("Outlook 15", "2013+"),
    ("Outlook 16", "2013+"),
    ("Outlook 16.0.1234", "2013+"),
    ("outlook 2016", "2013+"),
    ("they run 2016 desktop", "2013+"),
    ("Outlook 2019", "2013+"),
    ("outlook 2021", "2013+"),
    ("Outlook 2024", "2013+"),
    ("Office LTSC", "2013+"),
    ("Office 365", "2013+"),
    ("office365", "2013+"),
    ("Microsoft 365", "2013+"),
    ("O365", "2013+"),
    ("M365 tenant", "2013+"),
    ("outlok 2016", "2013+"),
    ("outllok 2010", "2010"),
    ("desktop Outlook 2016", "2013+"),
    ("Outlook for Mac", "other"),
    ("Mac Outlook 2016", "other"),
    ("Outlook on the web", "other"),
    ("OWA", "other"),
    ("outlook.com", "other"),
    ("the new Outlook for Windows", "other"),
    ("Outlook iPhone app", "other"),
    ("Outlook on Android", "other"),
    ("mobile Outlook", "other"),
    ("Outlook 2003", "other"),
    ("Outlook XP", "other"),
    ("outlook 2000", "other"),
]

NOT_A_VERSION = [
    "Outlook",
    "case 00201000",
    "Ticket 02007418 about outlook",
    "Q3 2024 numbers",
    "since 2019 our Outlook users",
    "went live in 2021, recipients on Outlook",
    "PO 2010-4471 from the Outlook team",
    "invoice dated 3/14/2019 in Outlook",
    "renewal calls in 2024",
    "2016 was a good year",
    "365 days a year",
    "",
]


@pytest.mark.parametrize(("text", "expected"), NAMED)
def test_named_versions(text, expected):
    assert detect_version(text) == expected


@pytest.mark.parametrize("text", NOT_A_VERSION)
def test_numbers_that_are_not_versions(text):
    assert detect_version(text) is None


# A month name before a year makes it a date, in every language we answer.
DATES = [
    ("depuis janvier 2019 les ouvertures Outlook ne remontent plus", None),
    ("seit Januar 2019 zählt Outlook keine Öffnungen", None),
    ("desde enero de 2019 Outlook no registra aperturas", None),
    ("desde março de 2021 o Outlook não conta aberturas", None),
    ("da marzo 2021 Outlook non conta le aperture", None),
    ("sinds maart 2019 telt Outlook geen opens", None),
    ("since March 2019 our Outlook opens are zero", None),
    ("en février 2024, Outlook 2010 ne compte rien", "2010"),
    ("seit Dezember 2021 mit Outlook 2016", "2013+"),
]
SHORT_YEARS: list[tuple[str, str | None]] = [
    ("outlook 07", "2007"),
    ("Office 07 users", "2007"),
    ("outlook 03", "other"),
]


@pytest.mark.parametrize(("text", "expected"), DATES + SHORT_YEARS)
def test_month_names_mark_dates_and_short_years_are_versions(text, expected):
    assert detect_version(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2013", "2013+"), ("365", "2013+"), ("2010", "2010"), ("07", None), ("2009", None)],
)
def test_bare_years_count_in_short_commands(text, expected):
    assert detect_version(text, bare=True) == expected


def test_a_lone_year_without_outlook_context_is_not_a_version():
    assert detect_version("2013") is None


def test_uncovered_client_wins_over_a_year():
    assert detect_version("Outlook 2016 for Mac") == "other"


def test_every_mention_is_found_in_order():
    found = [m.version for m in find_versions("moved from Outlook 2007 to Outlook 2016")]
    assert found == ["2007", "2013+"]


def test_slack_markup_does_not_hide_or_fake_a_version():
    assert detect_version("<@U0201000> uses *Outlook 2010*") == "2010"
    assert detect_version("<https://x.test/2016|link> opens not counted in outlook") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("we're on 2010", "2010"),
        ("2016", "2013+"),
        ("o365 here", "2013+"),
        ("thanks!", None),
        (
            "a long message that mentions the year 2016 in passing and nothing about the client",
            None,
        ),
        ("a long message that says the recipients run Outlook 2007 on every desktop here", "2007"),
    ],
)
def test_follow_up_replies(text, expected):
    assert follow_up_version(text) == expected


VARIANT_ARTICLE = """
id: "x1"
title: "Tracking in two interfaces"
source: {name: "test"}
cause: "c"
fix_summary: "f"
variants:
  - {id: classic, label: "Salesforce Classic", aliases: ["classic", "sfc"], steps: ["a"]}
  - {id: lightning, label: "Lightning Experience", aliases: ["lightning", "lex"], steps: ["b"]}
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [("opens missing in LEX", "lightning"), ("we are still on Classic", "classic"),
     ("Outlook 2010 users", None), ("on the Mac", None)],
)  # fmt: skip
def test_variant_aliases_come_from_the_article_yaml(text, expected):
    from bot.knowledge import parse_article
    from bot.versions import detect_variant

    article, problems = parse_article(VARIANT_ARTICLE)
    assert article is not None, problems
    assert detect_variant(article, text) == expected
