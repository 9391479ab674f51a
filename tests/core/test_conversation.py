"""The one conversation core: `ask` answers as a DM does, wording follows the loaded articles."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.config import Settings
from bot.console import Console
from bot.conversation import Conversation, ReplyKind, ask_as_dm
from bot.engine import Engine
from bot.knowledge import KnowledgeBase, load_knowledge
from bot.matching import Matcher
from bot.render.answer import answer_message
from bot.render.refs import Ref
from bot.render.replies import capabilities_message, help_message, no_match_message
from bot.render.text import answer_text
from bot.store import Store
from bot.vocabulary import Source, Where
from tests.support.blockkit import all_text

ROOT = Path(__file__).parents[2]
DEV_SETS = (ROOT / "tests" / "data" / "questions-dev.jsonl",
            ROOT.parent / "shared" / "eval" / "questions-dev.jsonl")  # fmt: skip
RELAY = Path(__file__).parent / "fixtures" / "second_article.yaml"
OUTLOOK_WORDS = ("Outlook", "outlook", "Safe Senders", "2007", "2010", "Mac")


def dev_questions() -> list[str]:
    path = next((p for p in DEV_SETS if p.exists()), None)
    if path is None:
        pytest.skip("no dev set: tests/data/questions-dev.jsonl or ../shared/eval")
    return [json.loads(line)["text"] for line in path.read_text().splitlines() if line.strip()]


def seen(reply) -> tuple[object, ...]:
    """What the asker would see: the kind, the article, the variant, the caveat, the text."""
    text = answer_text(reply.answer) if reply.answer is not None else ""
    return (reply.kind, reply.article_id, reply.version, reply.tentative, text)


def test_ask_answers_every_dev_question_exactly_as_a_dm(knowledge, matcher):
    settings = Settings()
    dm = Conversation(Engine(knowledge, Store(), matcher), settings)
    asked = Engine(knowledge, Store(), matcher)
    for number, question in enumerate(dev_questions()):
        where = Where(Source.DM, channel="D1", thread_ts=f"{number}.000100", user="U1")
        assert seen(ask_as_dm(asked, settings, question)) == seen(dm.message(where, question))
    assert asked.store.cases.count() == dm.engine.store.cases.count() > 0


def test_the_ask_command_prints_the_dm_reply(knowledge, matcher, tmp_path, monkeypatch):
    monkeypatch.setenv("EMAILSTATUS_DB", str(tmp_path / "never.db"))
    question = "times opened stays at 0 for our outlook 2010 recipients"
    reply = ask_as_dm(Engine(knowledge, Store(), matcher), Settings(), question)
    result = CliRunner().invoke(main, ["ask", question])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == answer_text(reply.answer).strip()
    assert not (tmp_path / "never.db").exists()  # `ask` logs nothing


@pytest.fixture(scope="module")
def relay_only(tmp_path_factory) -> KnowledgeBase:
    folder = tmp_path_factory.mktemp("relay") / "knowledge"
    folder.mkdir()
    shutil.copy(RELAY, folder)
    knowledge = load_knowledge(folder)
    assert knowledge.ok and not knowledge.primary.variants
    return knowledge


def no_variant_words(text: str) -> None:
    assert [w for w in OUTLOOK_WORDS if w in text] == [], text


def test_help_capabilities_and_no_match_name_no_variants_for_a_variant_free_article(
    relay_only,
):
    engine = Engine(relay_only, Store(), Matcher(relay_only))
    conversation = Conversation(engine, Settings())
    slash = Where(Source.SLASH, channel="C1", user="U1")
    help_reply = conversation.command(slash, "help")
    no_variant_words(all_text(help_message(help_reply.usage)))
    missed = conversation.command(slash, "where is the stapler in the office")
    assert missed.kind is ReplyKind.CAPABILITIES
    no_variant_words(all_text(no_match_message(missed.asked, missed.topic, missed.usage)))
    dm = conversation.message(Where(Source.DM, channel="D1", thread_ts="1.0", user="U1"), "hi")
    assert dm.kind is ReplyKind.CAPABILITIES and dm.variant_noun is None
    no_variant_words(all_text(capabilities_message(dm.topic, dm.variant_noun)))
    console = Console(engine)
    for line in ("/emailstatus help", "where is the stapler", "/emailstatus halp"):
        no_variant_words(console.reply(line))


def test_the_shipped_articles_keep_their_variant_words(engine):
    conversation = Conversation(engine, Settings())
    help_reply = conversation.command(Where(Source.SLASH), "help")
    assert any("Outlook version" in line for line in help_reply.usage)
    dm = conversation.message(Where(Source.DM, channel="D1", thread_ts="1.0"), "hi")
    assert "which Outlook the recipient uses" in all_text(
        capabilities_message(dm.topic, dm.variant_noun)
    )


def test_a_reply_renders_on_every_surface_from_the_same_fields(engine):
    reply = Conversation(engine, Settings()).command(Where(Source.SLASH), "2010")
    assert reply.kind is ReplyKind.ANSWER and reply.lookup and reply.case_id is None
    assert reply.answer is not None
    text = all_text(answer_message(reply.answer, Ref(reply.answer.article_id, "2010")))
    assert "Outlook 2010" in text and "Outlook 2010:" in answer_text(reply.answer)
