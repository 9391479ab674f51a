"""Button clicks: version picker, feedback, customer-ready text, escalation, suggestions, share.

Every handler acks first. A click is recorded once per (case, user, action): a double
click, or a retried request, finds ``record_click`` returning False and does nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.commands import usage_lines
from bot.config import Settings
from bot.engine import Engine
from bot.render.blocks import (
    CASE_CUSTOMER_TEXT,
    CASE_ESCALATE,
    CASE_RESOLVED,
    CASE_UNRESOLVED,
    PICK_VERSION,
    SHARE,
    SUGGEST_NO,
    SUGGEST_YES,
    Payload,
    Ref,
    Status,
    answer_message,
    customer_text_message,
    escalation_message,
    escalation_sent_message,
    help_message,
    no_escalation_channel_message,
    notice_message,
    picker_message,
    ref_from_picker_block_id,
    shared_by_block,
)
from bot.slack.listeners.common import (
    clicked,
    clicker,
    container,
    is_ephemeral,
    slack_error,
    tell_clicker,
    thread_root,
    update_in_place,
)
from bot.store import Case
from bot.versions import version_label

logger = logging.getLogger(__name__)

FEEDBACK_ACTIONS = (CASE_RESOLVED, CASE_UNRESOLVED)


class ActionHandlers:
    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings

    # -- helpers -----------------------------------------------------------------------

    def case_of(self, ref: Ref) -> Case | None:
        return self.engine.store.cases.get(ref.case_id) if ref.case_id is not None else None

    def answer_payload(self, ref: Ref, body: dict[str, Any], case: Case | None) -> Payload:
        """Re-render an answer from what the button carries and the case log."""
        question = (case.question or "") if case else ""
        answer = self.engine.answer_for(ref.article_id, ref.version, question)
        status = None
        if case is not None and case.status_by and case.status_at and case.status != "answered":
            status = Status(case.status, case.status_by, datetime.fromisoformat(case.status_at))
        # An ephemeral slash reply keeps its Share button after a click.
        return answer_message(answer, ref, status=status, share=is_ephemeral(body))

    # -- handlers ----------------------------------------------------------------------

    def pick_version(self, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        action = clicked(body)
        picked = ref_from_picker_block_id(action["block_id"])
        ref = Ref(picked.article_id, str(action["value"]), picked.case_id)
        case = self.case_of(ref)
        if case is not None and ref.version is not None:
            self.engine.store.cases.choose_version(case.id, ref.version)
            if ref.version == "other":
                self.record_gap(case, clicker(body), "Outlook version not covered by the article")
        update_in_place(body, client, respond, self.answer_payload(ref, body, case))

    def feedback(self, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        action = clicked(body)
        ref = Ref.decode(action["value"])
        if ref.case_id is None:
            return
        if not self.engine.record_click(ref.case_id, clicker(body), action["action_id"]):
            return  # this person already clicked this: nothing changes
        update_in_place(body, client, respond, self.answer_payload(ref, body, self.case_of(ref)))

    def customer_text(self, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ref = Ref.decode(clicked(body)["value"])
        case = self.case_of(ref)
        if case is not None and not self.engine.record_click(
            case.id, clicker(body), CASE_CUSTOMER_TEXT
        ):
            return
        question = (case.question or "") if case else ""
        answer = self.engine.answer_for(ref.article_id, ref.version, question)
        # Only the clicker needs text to paste into an email: keep the channel clean.
        tell_clicker(body, client, respond, customer_text_message(answer))

    def escalate(self, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ref = Ref.decode(clicked(body)["value"])
        case = self.case_of(ref)
        if case is None:
            return
        if not self.settings.escalation_channel:
            tell_clicker(body, client, respond, no_escalation_channel_message(case.id))
            return
        user = clicker(body)
        if not self.engine.record_click(case.id, user, CASE_ESCALATE):
            return
        channel = case.channel or container(body).get("channel_id")
        post = escalation_message(
            case_id=case.id, clicker=user, channel=channel, question=case.question,
            permalink=self.permalink(case, body, client),
            version_label=version_label(ref.version or case.version),
        )  # fmt: skip
        try:
            client.chat_postMessage(
                channel=self.settings.escalation_channel, unfurl_links=False, **post
            )
        except SlackApiError as exc:
            logger.error("escalation post failed: %s", slack_error(exc))
            failed = f"I couldn't post to the escalation channel ({slack_error(exc)})."
            tell_clicker(body, client, respond, notice_message(failed))
            return
        update_in_place(body, client, respond, self.answer_payload(ref, body, self.case_of(ref)))
        sent = escalation_sent_message(case.id, self.settings.escalation_channel)
        tell_clicker(body, client, respond, sent)

    def permalink(self, case: Case, body: dict[str, Any], client: WebClient) -> str | None:
        """Link to the thread: the question's thread when we know it, else the message."""
        channel = case.channel or container(body).get("channel_id")
        ts = case.thread_ts or thread_root(body)
        if not ts and not is_ephemeral(body):
            ts = container(body).get("message_ts")
        if not channel or not ts:
            return None
        try:
            return str(client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"])
        except SlackApiError as exc:
            logger.info("no permalink for case %s: %s", case.id, slack_error(exc))
            return None

    def suggestion_yes(self, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ref = Ref.decode(clicked(body)["value"])
        case = self.case_of(ref)
        if case is None:
            return
        if not self.engine.record_click(case.id, clicker(body), "suggestion_accepted"):
            return
        answer_ref = Ref(ref.article_id, case.version, case.id)
        update_in_place(body, client, respond, self.answer_payload(answer_ref, body, case))

    def suggestion_no(self, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ref = Ref.decode(clicked(body)["value"])
        case = self.case_of(ref)
        if case is None:
            return
        user = clicker(body)
        if not self.engine.record_click(case.id, user, "suggestion_rejected"):
            return
        self.record_gap(case, user, "suggestion rejected")
        where = container(body)
        try:
            client.chat_delete(channel=where["channel_id"], ts=where["message_ts"])
        except (SlackApiError, KeyError) as exc:
            logger.info("chat.delete failed (%s); deleting through response_url", exc)
            respond(delete_original=True)

    def record_gap(self, case: Case, user: str, reason: str) -> None:
        self.engine.store.gaps.record(
            source=case.source, reason=reason, question=case.question or "", score=case.score,
            version=case.version, team=case.team, channel=case.channel, user=user,
        )  # fmt: skip

    def share(self, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        """Repost a /emailstatus reply for everyone, then remove the private copy."""
        ref = Ref.decode(clicked(body)["value"])
        payload = self.shared_payload(ref, body)
        payload["blocks"].insert(0, shared_by_block(clicker(body)))
        respond(response_type="in_channel", replace_original=False, **payload)
        respond(delete_original=True)

    def shared_payload(self, ref: Ref, body: dict[str, Any]) -> Payload:
        if ref.kind == "help":
            return help_message(usage_lines())
        case = self.case_of(ref)
        question = (case.question or "") if case else ""
        answer = self.engine.answer_for(ref.article_id, ref.version, question)
        if ref.kind == "picker":
            return picker_message(answer, Ref(ref.article_id))
        return answer_message(answer, ref)


def register(app: App, engine: Engine, settings: Settings) -> None:
    handlers = ActionHandlers(engine, settings)
    routes = {
        PICK_VERSION: handlers.pick_version,
        CASE_RESOLVED: handlers.feedback,
        CASE_UNRESOLVED: handlers.feedback,
        CASE_CUSTOMER_TEXT: handlers.customer_text,
        CASE_ESCALATE: handlers.escalate,
        SUGGEST_YES: handlers.suggestion_yes,
        SUGGEST_NO: handlers.suggestion_no,
        SHARE: handlers.share,
    }
    for action_id, handler in routes.items():
        app.action(action_id)(_acking(handler))


Handler = Callable[[dict[str, Any], WebClient, Respond], None]


def _acking(handler: Handler) -> Callable[..., None]:
    """A bolt listener that acks at once, then runs the handler.

    bolt passes arguments by parameter name, so the listener spells them out.
    """

    def listener(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        handler(body, client, respond)

    listener.__name__ = f"on_{handler.__name__}"
    return listener
