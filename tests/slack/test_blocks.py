"""Block Kit renderers: valid payloads (round trip + limits) for every version and level."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.answers import compose
from bot.commands import usage_lines
from bot.knowledge import KnowledgeBase
from bot.render import blocks as B
from bot.render.kit import chunks
from tests.support.blockkit import action_ids, all_text, assert_valid, buttons, problems

VERSIONS = [None, "2007", "2010", "2013+", "other"]
FEEDBACK = ["case_resolved", "case_unresolved", "case_customer_text", "case_escalate"]
STAY_IN_TOUCH = "stay-in-touch emails never show as opened in Outlook"


@pytest.fixture(scope="module")
def article(knowledge: KnowledgeBase):
    return knowledge.get("000385822")


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("case_id", [None, 7])
@pytest.mark.parametrize("share", [False, True])
def test_answer_payloads_are_valid(article, version, case_id, share):
    answer = compose(article, version, STAY_IN_TOUCH)
    payload = B.answer_message(answer, B.Ref(article.id, version, case_id), share=share)
    assert_valid(payload)
    assert ("share_in_channel" in action_ids(payload)) is share


@pytest.mark.parametrize("version", ["2007", "2010", "2013+"])
def test_known_version_gives_its_numbered_steps_source_and_four_buttons(article, version):
    answer = compose(article, version, "")
    payload = B.answer_message(answer, B.Ref(article.id, version, 3))
    text = all_text(payload)
    guide = article.version(version)
    assert f"Steps for {B.escape(guide.label)}" in text
    for number, step in enumerate(guide.steps, start=1):
        assert f"{number}. {step}" in text
    assert article.id in text and article.title in text
    assert action_ids(payload) == FEEDBACK
    for button in buttons(payload):
        assert B.Ref.decode(button["value"]) == B.Ref(article.id, version, 3)
    assert "closest steps" not in text


def test_unknown_version_gives_a_picker_with_how_to_tell(article):
    answer = compose(article, None, "")
    payload = B.answer_message(answer, B.Ref(article.id, None, 12))
    pickers = [b for b in buttons(payload) if b["action_id"] == "pick_version"]
    assert [b["value"] for b in pickers] == ["2007", "2010", "2013+", "other"]
    block = next(b for b in payload["blocks"] if b["type"] == "actions")
    assert B.ref_from_picker_block_id(block["block_id"]) == B.Ref(article.id, None, 12)
    assert "How to tell which Outlook you have" in all_text(payload)
    assert "case_resolved" not in action_ids(payload)


def test_picker_without_a_case_round_trips_its_block_id(article):
    payload = B.picker_message(compose(article, None), B.Ref(article.id), intro="Pick one")
    block = next(b for b in payload["blocks"] if b["type"] == "actions")
    assert B.ref_from_picker_block_id(block["block_id"]) == B.Ref(article.id)
    assert payload["blocks"][0]["text"]["text"] == "Pick one"


def test_other_version_says_what_is_covered_and_labels_the_closest_steps(article):
    payload = B.answer_message(compose(article, "other"), B.Ref(article.id, "other", 1))
    text = all_text(payload)
    assert "not covered by the article" in text
    assert "Outlook 2007, Outlook 2010, Outlook 2013 and later" in text
    assert "*closest steps*" in text
    assert "Steps for Outlook 2013 and later" in text


def test_stay_in_touch_note_only_when_asked_about(article):
    with_note = B.answer_message(compose(article, "2010", STAY_IN_TOUCH), B.Ref(article.id))
    without = B.answer_message(compose(article, "2010", "opens not counted"), B.Ref(article.id))
    assert "stay-in-touch requests" in all_text(with_note)
    assert "stay-in-touch requests" not in all_text(without)


def test_caseless_answer_offers_only_customer_text(article):
    payload = B.answer_message(compose(article, "2010"), B.Ref(article.id, "2010"), share=True)
    assert action_ids(payload) == ["case_customer_text", "share_in_channel"]


def test_caveat_is_shown_first_and_in_the_fallback(article):
    caveat = B.suggest_caveat("HTML Email Status not updating in Outlook")
    payload = B.answer_message(compose(article, "2010"), B.Ref(article.id), caveat=caveat)
    assert payload["blocks"][0]["type"] == "context"
    assert payload["text"].startswith("I think this is about")


def test_status_line_shows_who_and_when_with_a_fallback(article):
    moment = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    status = B.StatusLine("resolved", "U42", moment)
    payload = B.answer_message(
        compose(article, "2010"), B.Ref(article.id, "2010", 5), status=status
    )
    assert_valid(payload)
    block = payload["blocks"][-1]
    assert block["block_id"] == B.STATUS_BLOCK_ID
    line = block["elements"][0]["text"]
    assert "<@U42> marked this fixed" in line
    assert f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} at {{time}}|" in line
    assert line.endswith("|2026-03-02 09:30 UTC>")


@pytest.mark.parametrize(
    ("status", "words"),
    [("resolved", "fixed"), ("unresolved", "still not updating"), ("escalated", "asked a human")],
)
def test_each_status_reads_plainly(status, words):
    block = B.status_block(B.StatusLine(status, "U1", datetime(2026, 1, 1, tzinfo=UTC)))
    assert words in block["elements"][0]["text"]


@pytest.mark.parametrize(
    "ref",
    [B.Ref("000385822"), B.Ref("000385822", "2013+", 99), B.Ref("a", None, 1, "picker")],
)
def test_refs_round_trip_and_stay_small(ref):
    assert B.Ref.decode(ref.encode()) == ref
    assert len(ref.encode()) < 80
    json.loads(ref.encode())


def test_suggestion_asks_yes_or_no(article):
    payload = B.suggestion_message(article.topic, B.Ref(article.id, None, 4))
    assert_valid(payload)
    assert action_ids(payload) == ["suggest_yes", "suggest_no"]
    assert payload["text"] == f"Is this about {article.topic}?"
    assert all(B.Ref.decode(b["value"]).case_id == 4 for b in buttons(payload))


@pytest.mark.parametrize("version", VERSIONS)
def test_customer_text_is_a_paste_ready_code_block(article, version):
    payload = B.customer_text_message(compose(article, version))
    assert_valid(payload)
    body = payload["blocks"][1]["text"]["text"]
    assert body.startswith("```Hello,") and "@salesforce.com" in body


def test_long_text_is_split_into_sections_that_fit():
    lines = [f"line {i} " + "x & y " * 40 for i in range(100)]
    pieces = chunks(lines, 2990)
    assert len(pieces) > 1
    assert all(len(B.escape(c)) <= 2990 for c in pieces)
    assert "\n".join(pieces) == "\n".join(lines)


def test_help_lists_every_usage_line_escaped():
    payload = B.help_message(usage_lines(), share_ref=B.Ref("a", kind="help"))
    assert_valid(payload)
    text = payload["blocks"][0]["text"]["text"]
    for line in usage_lines():
        assert B.escape(line) in text
    assert "&lt;question&gt;" in text and "<question>" not in text


HOSTILE = "<!channel> <!here|here> <@U123> <#C9|general> a &amp; b <https://evil.example|x>"


@pytest.mark.parametrize(
    "render",
    [
        lambda t: B.unknown_command_message(t, "help", "/emailstatus"),
        lambda t: B.no_match_message(t, "topic", usage_lines()),
        lambda t: B.notice_message(t),
        lambda t: B.escalation_message(
            case_id=1, clicker="U1", channel="C1", permalink="https://x/p1", question=t,
            version_label="Outlook 2010",
        ),
    ],
    ids=["unknown", "no_match", "notice", "escalation"],
)  # fmt: skip
def test_user_text_is_never_echoed_live(render):
    payload = render(HOSTILE)
    assert_valid(payload)
    text = all_text(payload)
    for token in ("<!channel>", "<!here", "<@U123>", "<#C9", "<https://evil"):
        assert token not in text
    assert "&lt;!channel&gt;" in text


def test_escape_is_done_once_on_raw_text():
    # Text is unescaped where it arrives and stored raw; renderers escape it once.
    assert B.escape("a & b <3 <!channel>") == "a &amp; b &lt;3 &lt;!channel&gt;"
    assert B.escape("<&>") == "&lt;&amp;&gt;"


def test_escalation_links_the_thread_and_names_the_case():
    payload = B.escalation_message(
        case_id=31, clicker="U9", channel="C07SUPPORT", permalink="https://acme.slack.com/archives/C07SUPPORT/p1",
        question="Times Opened stays at 0", version_label="Outlook 2010",
    )  # fmt: skip
    text = all_text(payload)
    assert "Case #31" in payload["text"] and "Case #31" in text
    assert (
        "<https://acme.slack.com/archives/C07SUPPORT/p1|Open the thread> in <#C07SUPPORT>" in text
    )
    assert "<@U9>" in text and "> Times Opened stays at 0" in text


def test_home_tab_has_every_version_and_fits(knowledge: KnowledgeBase):
    view = B.home_view(knowledge.articles)
    assert view["type"] == "home"
    assert_valid(view, "home")
    text = all_text(view)
    for guide in knowledge.get("000385822").variants:
        assert B.escape(guide.label) in text
    assert "/emailstatus" in text and "Find email-status fix" in text


def test_home_tab_keeps_extra_blocks_within_the_limit(knowledge: KnowledgeBase):
    extra = [B.notice_message(f"week {i}")["blocks"][0] for i in range(150)]
    view = B.home_view(knowledge.articles, extra)
    assert len(view["blocks"]) == 100
    assert not problems(view, "home")


def test_checker_catches_what_slack_would_reject():
    bad = {
        "text": "",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "ok"}, "acessory": {}},
        ]
        + [{"type": "divider"}] * 49,
    }
    found = problems(bad)
    assert "no plain text fallback" in found
    assert any("51 blocks" in p for p in found)
    assert any("cannot exceed 3000" in p for p in found)
    assert any("round-trip" in p for p in found)


@pytest.mark.parametrize(
    ("channel", "shown"),
    [("C0ESCALATE", "<#C0ESCALATE>"), ("G01ABCDEF", "<#G01ABCDEF>"),
     ("#support-escalations", "#support-escalations"), ("help<!here>", "#help&lt;!here&gt;")],
)  # fmt: skip
def test_escalation_channel_is_linked_by_id_or_shown_by_name(channel, shown):
    assert B.channel_ref(channel) == shown
    assert shown in all_text(B.escalation_sent_message(3, channel))
