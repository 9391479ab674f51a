"""Translations as data: the shipped files, the checker, and answers in the asker's language.

The shipped translations are held to their English article by the same checker that
``knowledge check`` runs; every ``[UI name]`` carries a ref to a Microsoft page in its
own language, and is found in the quote of that page kept in the file's ``sources``.
English answers are compared with what the bot said before languages existed
(tests/core/fixtures/english_answers.json, rendered at commit 0f072ce).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.answers import compose
from bot.cli import main as cli
from bot.commands import parse_command
from bot.console import Console
from bot.i18n import ENGLISH, UI_NAME, load_translations, localize
from bot.knowledge import KnowledgeBase
from bot.render.answer import answer_message, customer_text_message, picker_message
from bot.render.refs import Ref
from bot.render.text import answer_text, customer_ready_text
from bot.translation_check import check_translations, coverage, english_left, in_language
from tests.support.blockkit import assert_valid

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "knowledge" / "translations"
FIXTURES = Path(__file__).parent / "fixtures"
ARTICLE = "000385822"

# One question per language, each naming its Outlook version.
QUESTIONS = {
    "de": ("Der HTML-E-Mail-Status bleibt bei Kunden mit Outlook 2010 auf ungeöffnet", "2010"),
    "nl": ("Bij klanten met Outlook 2007 blijft de HTML-e-mailstatus op niet geopend", "2007"),
    "fr": ("Le statut d'e-mail HTML reste non ouvert chez nos clients sous Outlook 2010", "2010"),
    "es": ("El estado del correo HTML sigue sin abrir para clientes con Outlook 2013", "2013+"),
    "pt": ("O status de e-mail HTML continua como não aberto para clientes com Outlook 2016",
           "2013+"),
    "it": ("Lo stato e-mail HTML resta non aperto per i clienti con Outlook 2010", "2010"),
}  # fmt: skip


@pytest.fixture(scope="module")
def shipped():
    return load_translations(FOLDER)


def article(knowledge: KnowledgeBase):
    found = knowledge.get(ARTICLE)
    assert found is not None
    return found


# -- the shipped files -----------------------------------------------------------------------


def test_shipped_translations_pass_the_checker(knowledge: KnowledgeBase):
    assert check_translations(knowledge.articles, FOLDER) == []


def test_every_ui_name_has_a_ref_in_its_own_languages_microsoft_path(shipped):
    named = 0
    for translation in shipped.articles.values():
        for variant in translation.variants.values():
            for step in variant.steps or ():
                for name in UI_NAME.findall(step):
                    named += 1
                    url = variant.refs.get(name)
                    assert url, (translation.path, variant.id, name)
                    assert in_language(url, translation.language), (name, url)
    assert named >= 50  # German, Dutch and Italian name their menus (56 today)


def test_german_and_dutch_steps_carry_their_own_menu_names_for_every_version(
    knowledge: KnowledgeBase,
):
    rows = {c.language: c for c in coverage(knowledge.articles, FOLDER)}
    for language in ("de", "nl"):
        assert rows[language].sourced == ("2007", "2010", "2013+")
        assert rows[language].english == ()
    assert set(rows) == {"de", "nl", "fr", "es", "pt", "it"}


@pytest.mark.parametrize(
    ("url", "language", "ok"),
    [
        ("https://support.microsoft.com/de-de/office/x-be1baea0", "de", True),
        ("http://office.microsoft.com/de-at/outlook-help/x-HA001230163.aspx", "de", True),
        ("https://support.office.com/nl-nl/article/x", "nl", True),
        ("https://learn.microsoft.com/it-it/office/x", "it", True),
        ("https://support.microsoft.com/de-de/office/x", "nl", False),  # another language
        ("https://support.microsoft.com/en-us/office/x", "de", False),
        ("https://www.schieb.de/de-de/outlook", "de", False),  # not Microsoft
        ("https://support.microsoft.com/office/x", "de", False),  # no language in the path
        ("ftp://support.microsoft.com/de-de/x", "de", False),
    ],
)
def test_a_ref_must_be_a_microsoft_page_in_the_language(url: str, language: str, ok: bool):
    assert in_language(url, language) is ok


# -- the checker, on broken copies -------------------------------------------------------------

BROKEN = {
    "lost variant": (r'  "2013\+":\n(    .*\n|      .*\n)*', "", "variant '2013+'"),
    "step count": (r'      - "Klicken Sie auf die Registerkarte \[Sichere Absender\]\."\n', "",
                   "has 4 steps; the article has 5"),
    "unknown name": (r"\[Extras\]", "[Werkzeuge]", "UI name [Werkzeuge] has no ref"),
    "wrong language": (r"support.microsoft.com/de-de/", "support.microsoft.com/fr-fr/",
                       "not a Microsoft page in 'de'"),
    "placeholder": (r"\{steps\}", "{stepz}", "placeholders"),
    "english left": (r"Die Schritte unterscheiden sich je nach Version\.",
                     "The steps differ by version, click the tab.", "looks untranslated"),
    "missing note": (r"notes:\n  stay_in_touch:", "notes:\n  other_note:", "stay_in_touch"),
    "name not on its page": (r"Klicken Sie im Menü Extras auf Optionen\.", "Optionen.",
                             "'Extras' is not in the quote of its page"),
    "no quote": (r'  "https://support.microsoft.com/de-de/office/[^"]*": >-\n(    .*\n)+', "",
                 "no quote in 'sources'"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_checker_reports_each_fault(case: str, tmp_path: Path, knowledge: KnowledgeBase):
    pattern, replacement, expected = BROKEN[case]
    for name in ("ui.en.yaml", "ui.de.yaml"):
        (tmp_path / name).write_text((FOLDER / name).read_text(encoding="utf-8"))
    text = (FOLDER / f"{ARTICLE}.de.yaml").read_text(encoding="utf-8")
    broken = re.sub(pattern, replacement, text, count=1)
    assert broken != text, case
    (tmp_path / f"{ARTICLE}.de.yaml").write_text(broken, encoding="utf-8")
    problems = [str(p) for p in check_translations(knowledge.articles, tmp_path)]
    assert any(expected in p for p in problems), problems
    assert all(p.startswith(str(tmp_path)) for p in problems)


def test_checker_reports_a_ui_file_that_lost_a_key_or_a_placeholder(
    tmp_path: Path, knowledge: KnowledgeBase
):
    (tmp_path / "ui.en.yaml").write_text((FOLDER / "ui.en.yaml").read_text(encoding="utf-8"))
    text = (FOLDER / "ui.nl.yaml").read_text(encoding="utf-8")
    text = text.replace('  steps_for: "Stappen voor {label}"\n', '  steps_for: "Stappen"\n')
    text = re.sub(r"  button_share: .*\n", "", text)
    (tmp_path / "ui.nl.yaml").write_text(text, encoding="utf-8")
    problems = [str(p) for p in check_translations(knowledge.articles, tmp_path)]
    assert any("strings.steps_for" in p and "placeholders" in p for p in problems), problems
    assert any("strings.button_share" in p and "missing" in p for p in problems), problems


def test_malformed_yaml_is_a_problem_not_a_crash(tmp_path: Path, knowledge: KnowledgeBase):
    (tmp_path / f"{ARTICLE}.de.yaml").write_text("cause: [unclosed\n", encoding="utf-8")
    problems = check_translations(knowledge.articles, tmp_path)
    assert [p.field for p in problems] == ["yaml"]


@pytest.mark.parametrize(
    ("text", "left"),
    [
        ("Klicken Sie auf die Registerkarte [Sichere Absender].", []),
        ("Click the [Safe Senders] tab.", ["click", "tab", "the"]),
        ("Hello, here is how: {steps}", ["hello", "here", "how"]),
        ("Le menu [Outils] est là.", []),  # one English-looking word is not enough
    ],
)
def test_english_left_in_a_translated_field(text: str, left: list[str]):
    assert english_left(text) == left


# -- answers in the asker's language -------------------------------------------------------


@pytest.mark.parametrize("language", sorted(QUESTIONS))
def test_a_question_in_each_language_gets_cause_fix_and_steps_in_it(
    language: str, knowledge: KnowledgeBase, shipped
):
    question, version = QUESTIONS[language]
    answer = compose(article(knowledge), version, question)
    translation = shipped.get(ARTICLE, language)
    assert answer.language == language
    assert answer.cause == translation.texts["cause"]
    assert answer.fix_summary == translation.texts["fix_summary"]
    assert answer.guide is not None and answer.guide.label == translation.variants[version].label
    text = answer_text(answer)
    local_steps = translation.variants[version].steps
    if local_steps is None:  # not sourced: English steps, said so in the asker's language
        assert answer.english_menus and answer.guide.steps == answer.original_guide.steps
        assert shipped.phrase(language, "menu_names_english") in text
    else:
        assert answer.guide.steps == local_steps and not answer.english_menus
        assert shipped.phrase(language, "original_steps_intro") in text
        for line in answer.original_guide.steps:  # the article's own words, one click away
            assert line in text
    assert_valid(answer_message(answer, Ref(ARTICLE, version, 3)))


def test_german_2010_steps_name_german_outlooks_menus(knowledge: KnowledgeBase):
    answer = compose(article(knowledge), "2010", QUESTIONS["de"][0])
    message = answer_message(answer, Ref(ARTICLE, "2010", 3))
    text = json.dumps(message, ensure_ascii=False)
    assert "*Junk-E-Mail-Optionen*" in text and "*Sichere Absender*" in text
    assert "Schritte für Outlook 2010" in text and "Warum:" in text
    ids = [e["action_id"] for b in message["blocks"] if b["type"] == "actions"
           for e in b["elements"]]  # fmt: skip
    assert "original_steps" in ids and "pick_language:en" in ids and "pick_language:nl" in ids
    assert "case_resolved" in ids


def test_english_answers_are_exactly_what_they_were(knowledge: KnowledgeBase):
    """Rendered at commit 0f072ce, before languages: text, customer text and Block Kit.

    One deliberate change since (issue 20): a source line no longer repeats a title that
    the source name already says ("Considerations for Email Open Tracking" once, not twice).
    """
    for case in json.loads((FIXTURES / "english_answers.json").read_text(encoding="utf-8")):
        article = knowledge.get(case["article"])
        assert article is not None
        answer = compose(article, case["version"], case["question"])
        ref = Ref(case["article"], case["version"], 7)
        assert answer.language == ENGLISH
        assert answer_text(answer) == case["text"]
        assert customer_ready_text(answer) == case["customer"]
        assert answer_message(answer, ref, share=True) == case["message"]
        assert picker_message(answer, Ref(case["article"]), share=True) == case["picker"]
        assert customer_text_message(answer) == case["customer_message"]


def test_an_explicit_language_wins_over_the_questions(knowledge: KnowledgeBase):
    found = article(knowledge)
    assert compose(found, "2010", QUESTIONS["de"][0], "nl").language == "nl"
    assert compose(found, "2010", QUESTIONS["de"][0], "en").language == ENGLISH
    assert compose(found, "2010", "Times Opened stuck at 0", "de").language == "de"
    assert compose(found, "2010", QUESTIONS["de"][0], "xx").language == ENGLISH  # none such


def test_an_article_without_translations_answers_in_english(knowledge: KnowledgeBase):
    other = knowledge.get("000385622")
    assert other is not None
    answer = compose(other, None, QUESTIONS["de"][0])
    assert answer.language == ENGLISH and answer.languages == (ENGLISH,)


def test_localize_keeps_the_english_answer_when_asked_for_english(knowledge: KnowledgeBase):
    found = article(knowledge)
    english = compose(found, "2007", "", ENGLISH)
    assert localize(english, found, ENGLISH).cause == found.cause


def test_customer_ready_text_in_the_questions_language_offers_the_others(
    knowledge: KnowledgeBase,
):
    answer = compose(article(knowledge), "2007", QUESTIONS["nl"][0])
    assert customer_ready_text(answer).startswith("Goedendag,")
    assert "Klik op Opties in het menu Extra." in customer_ready_text(answer)  # no brackets
    message = customer_text_message(answer, Ref(ARTICLE, "2007", 5))
    assert_valid(message)
    ids = [e["action_id"] for b in message["blocks"] if b["type"] == "actions"
           for e in b["elements"]]  # fmt: skip
    assert ids == [f"customer_text_in:{lang}" for lang in ("en", "de", "es", "fr", "it", "pt")]


@pytest.mark.parametrize(
    ("text", "version", "language"),
    [
        ("outlook2010 de", "2010", "de"),
        ("2007 nl", "2007", "nl"),
        ("outlook 2013 it", "2013+", "it"),
        ("outlook2010", "2010", None),
        ("2010 xx", "2010", None),  # not a language: one stray word, as before
    ],
)
def test_slash_command_takes_a_language_after_the_version(
    text: str, version: str | None, language: str | None
):
    command = parse_command(text)
    assert (command.version, command.language) == (version, language)


def test_console_answers_in_the_asked_language(engine):
    console = Console(engine)
    assert "Schritte" not in console.reply("/emailstatus outlook2010")
    german = console.reply("/emailstatus outlook2010 de")
    assert "Junk-E-Mail-Optionen" in german and "Warum:" in german
    dutch = console.reply(QUESTIONS["nl"][0])
    assert "Opties voor ongewenste e-mail" in dutch or "Ongewenste e-mail" in dutch


def test_ask_answers_in_the_questions_language_and_takes_a_language():
    runner = CliRunner()
    dutch = runner.invoke(cli, ["ask", QUESTIONS["nl"][0]])
    assert dutch.exit_code == 0, dutch.output
    assert "Waarom:" in dutch.output and "Klik op Opties in het menu Extra." in dutch.output
    english = runner.invoke(cli, ["ask", QUESTIONS["nl"][0], "--language", "en"])
    assert "Why:" in english.output and "On the Tools menu, click Options." in english.output


def test_knowledge_list_shows_coverage_per_language():
    result = CliRunner().invoke(cli, ["knowledge", "list"])
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.output.splitlines() if line.startswith(ARTICLE)]
    by_language = {row[1]: " ".join(row[2:]) for row in rows if len(row) > 2}
    assert by_language["de"].startswith("2007, 2010, 2013+")
    assert by_language["it"] == "2010, 2013+ 2007"


def test_follow_up_in_the_answers_language():
    from bot.render.follow_up_post import follow_up_message, follow_up_ref

    german = follow_up_message(follow_up_ref(4, ARTICLE, "2010", "de"), "U0ASKER")
    assert_valid(german)
    text = json.dumps(german, ensure_ascii=False)
    assert "Haben die Schritte oben geholfen?" in text and "Das hat geholfen" in text
    english = follow_up_message(follow_up_ref(4, ARTICLE, "2010"), "U0ASKER")
    assert english["text"] == "Did the steps above fix it?"
    assert "Tell me, so the next person gets a better answer." in json.dumps(english)
