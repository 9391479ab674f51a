"""Answers in the asker's language, through real bolt wiring and the fake Slack Web API.

A German question in a channel gets the German answer in its thread; a language button
re-renders it in place; "Original steps (English)" and the customer-ready text go only
to the clicker; ``/emailstatus outlook2010 de`` answers in German.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support import payloads as P
from tests.support.blockkit import action_ids, all_text, assert_valid
from tests.support.slack_driver import SlackDriver as Bot

GERMAN_2010 = "Der HTML-E-Mail-Status bleibt bei unseren Kunden mit Outlook 2010 auf ungeöffnet"
QUESTIONS = {
    "de": (GERMAN_2010, "Schritte für Outlook 2010", "Warum:"),
    "nl": ("Bij klanten met Outlook 2007 blijft de HTML-e-mailstatus op niet geopend",
           "Stappen voor Outlook 2007", "Waarom:"),
    "fr": ("Le statut d'e-mail HTML reste non ouvert chez nos clients sous Outlook 2010",
           "Étapes pour Outlook 2010", "Pourquoi :"),
    "es": ("El estado del correo HTML sigue sin abrir para clientes con Outlook 2013",
           "Pasos para Outlook 2013 y posteriores", "Por qué:"),
    "pt": ("O status de e-mail HTML continua como não aberto para clientes com Outlook 2010",
           "Etapas para Outlook 2010", "Por quê:"),
    "it": ("Lo stato e-mail HTML resta non aperto per i clienti con Outlook 2010",
           "Passaggi per Outlook 2010", "Perché:"),
}  # fmt: skip


def only(calls: list[dict[str, Any]]) -> dict[str, Any]:
    assert len(calls) == 1, calls
    assert_valid(calls[0])
    return calls[0]


def german_answer(bot: Bot) -> tuple[dict[str, Any], dict[str, Any]]:
    event = P.message(GERMAN_2010)
    bot.event(event)
    reply = only(bot.slack.calls("chat.postMessage"))
    bot.slack.clear()
    return event, reply


@pytest.mark.parametrize("language", sorted(QUESTIONS))
def test_thread_reply_in_the_questions_language(bot: Bot, language: str):
    question, heading, why = QUESTIONS[language]
    event = P.message(question)
    bot.event(event)
    reply = only(bot.slack.calls("chat.postMessage"))
    assert reply["thread_ts"] == event["ts"]
    text = all_text(reply)
    assert heading in text and why in text
    assert "case_resolved" in action_ids(reply)  # the feedback buttons, translated
    assert f"pick_language:{language}" not in action_ids(reply)
    assert "pick_language:en" in action_ids(reply)


def test_german_answer_names_german_outlooks_menus_and_buttons(bot: Bot):
    _, reply = german_answer(bot)
    text = all_text(reply)
    assert "*Junk-E-Mail-Optionen*" in text and "*Sichere Absender*" in text
    assert "Das hat geholfen" in text and "Originalschritte (Englisch)" in text
    shown = json.dumps(reply["blocks"], ensure_ascii=False)  # the fallback text has both
    assert "Junk E-mail Options" not in shown  # the English steps are one click away


def test_original_steps_go_to_the_clicker_word_for_word(bot: Bot):
    event, reply = german_answer(bot)
    bot.click(reply, "original_steps", user="U0LEAD", thread_ts=event["ts"])
    private = only(bot.slack.calls("chat.postEphemeral"))
    text = all_text(private)
    assert private["user"] == "U0LEAD" and "Originalschritte (Englisch)" in text
    assert (
        "1. On the Home tab, in the Delete group, click Junk, then click Junk E-mail Options."
        in text
    )
    assert bot.slack.calls("chat.postMessage") == []


def test_language_button_rerenders_the_answer_in_place(bot: Bot):
    event, reply = german_answer(bot)
    bot.click(reply, "pick_language:nl", thread_ts=event["ts"])
    updated = only(bot.slack.calls("chat.update"))
    assert "Stappen voor Outlook 2010" in all_text(updated)
    assert "pick_language:de" in action_ids(updated)
    bot.slack.clear()
    bot.click(updated, "pick_language:en", thread_ts=event["ts"])
    english = only(bot.slack.calls("chat.update"))
    assert "Steps for Outlook 2010" in all_text(english) and "Why:" in all_text(english)
    assert "pick_language:de" in action_ids(english)  # an English pick can go back


def test_feedback_click_keeps_the_answers_language(bot: Bot):
    event, reply = german_answer(bot)
    bot.click(reply, "case_resolved", user="U0LEAD", thread_ts=event["ts"])
    updated = only(bot.slack.calls("chat.update"))
    text = all_text(updated)
    assert "Schritte für Outlook 2010" in text and "hat dies als gelöst markiert" in text


def test_customer_ready_text_in_german_then_in_french(bot: Bot):
    event, reply = german_answer(bot)
    bot.click(reply, "case_customer_text", user="U0LEAD", thread_ts=event["ts"])
    private = only(bot.slack.calls("chat.postEphemeral"))
    assert "```Guten Tag," in all_text(private) and "Junk-E-Mail-Optionen" in all_text(private)
    assert "customer_text_in:fr" in action_ids(private)
    bot.slack.clear()
    bot.click(private, "customer_text_in:fr", user="U0LEAD", thread_ts=event["ts"])
    french = only(bot.slack.calls("chat.postEphemeral"))
    assert "```Bonjour," in all_text(french)


def test_slash_version_with_a_language(bot: Bot):
    reply = bot.command("outlook2010 de")
    assert_valid(reply)
    text = all_text(reply)
    assert "Schritte für Outlook 2010" in text and "*Junk-E-Mail-Optionen*" in text
    english = bot.command("outlook2010")
    assert "Steps for Outlook 2010" in all_text(english)
    assert not any(a.startswith("pick_language") for a in action_ids(english))


def test_slash_question_in_dutch_is_answered_in_dutch(bot: Bot):
    reply = bot.command(QUESTIONS["nl"][0])
    assert "Stappen voor Outlook 2007" in all_text(reply)


def test_picker_in_a_language_keeps_it_after_the_pick(bot: Bot):
    reply = bot.command("nl")
    assert "Welke Outlook gebruikt de ontvanger?" in all_text(reply)
    url = bot.click(reply, "pick_version", value="2010", ephemeral=True)
    picked = bot.slack.responses(url)
    assert picked and "Stappen voor Outlook 2010" in all_text(picked[-1])


def test_shared_slash_answer_keeps_its_language(bot: Bot):
    reply = bot.command("outlook2010 de")
    url = bot.click(reply, "share_in_channel", ephemeral=True)
    shared = [r for r in bot.slack.responses(url) if r.get("response_type") == "in_channel"]
    assert shared and "Schritte für Outlook 2010" in all_text(shared[0])
