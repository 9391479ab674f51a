"""Button clicks: version picker, feedback, customer-ready text, escalation, suggestions, share.

Every handler acks first. Each click is parsed once, from bolt's ``action`` and
``context``, into a typed ``Click`` (its action, the ``Ref`` its button carries, the
clicker and the case). The handlers then call the engine's lifecycle: a click is
recorded once per (case, user, action), so a double click, or a retried request,
finds the transition returning False and does nothing.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.conversation import Conversation
from bot.engine import Engine
from bot.render.answer import original_steps_message
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
    StatusLine,
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
from bot.render.follow_up_post import FOLLOW_UP_KIND, follow_up_message
from bot.render.refs import CUSTOMER_TEXT_IN, ORIGINAL_STEPS, PICK_LANGUAGE
from bot.slack.listeners.common import (
    clicker,
    container,
    is_ephemeral,
    slack_error,
    tell_clicker,
    thread_root,
    update_in_place,
)
from bot.slack.workspaces import Workspace
from bot.store import Action, Case
from bot.versions import version_label
from bot.vocabulary import Where

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Click:
    """One button click, decoded once: what was clicked, about which case, by whom."""

    action_id: str
    ref: Ref
    user: str
    case: Case | None
    body: dict[str, Any]  # for where the clicked message lives (container, thread)

    @property
    def ephemeral(self) -> bool:
        return is_ephemeral(self.body)


def parse_click(
    engine: Engine, action: dict[str, Any], context: BoltContext, body: dict[str, Any]
) -> Click | None:
    """The typed click, or None (logged) for a value no renderer of ours produced."""
    action_id = str(action.get("action_id") or "")
    try:
        if action_id == PICK_VERSION:
            picked = ref_from_picker_block_id(str(action["block_id"]))
            ref = Ref(picked.article_id, str(action["value"]), picked.case_id,
                      language=picked.language)  # fmt: skip
        else:
            ref = Ref.decode(str(action.get("value") or ""))
    except (KeyError, ValueError, TypeError, json.JSONDecodeError):
        logger.warning("ignoring %s click with a value we did not make", action_id)
        return None
    user = context.user_id or clicker(body)
    case = engine.lifecycle.case(ref.case_id)
    if case is not None and not same_workspace(case, context.team_id or Workspace.of(body).team_id):
        # A button names a case id; another workspace's case is not this one's to move.
        logger.warning("ignoring %s click on case %s of another workspace", action_id, case.id)
        case = None
    return Click(action_id, ref, user, case, body)


def same_workspace(case: Case, team: str | None) -> bool:
    """A case with no team (console, older logs) or no team to compare belongs anywhere."""
    return not case.team or not team or case.team == team


CASE_REMOVED = (
    "This case was removed from the case log (old cases are purged), so this button no "
    "longer does anything. Ask again in the thread, or use /emailstatus."
)


class ActionHandlers:
    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.lifecycle = engine.lifecycle
        self.conversation = Conversation(engine, settings)
        self.settings = settings

    # -- helpers -----------------------------------------------------------------------

    def rendered(self, click: Click, ref: Ref | None = None) -> Payload:
        """The clicked message again, from what its button carries and the case log now."""
        ref = ref or click.ref
        case = self.lifecycle.case(ref.case_id)
        status = None
        if case is not None and case.status_by and case.status_at and case.status != "answered":
            status = StatusLine(case.status, case.status_by, datetime.fromisoformat(case.status_at))
        if ref.kind == FOLLOW_UP_KIND:
            return follow_up_message(ref, case.user if case else None, status=status)
        question = (case.question or "") if case else ""
        answer = self.lifecycle.answer_for(ref.article_id, ref.version, question, ref.language)
        # An ephemeral slash reply keeps its Share button after a click.
        return answer_message(answer, ref, status=status, share=click.ephemeral)

    def update(self, click: Click, client: WebClient, respond: Respond, payload: Payload) -> None:
        update_in_place(click.body, client, respond, payload)

    # -- handlers ----------------------------------------------------------------------

    def pick_version(self, click: Click, client: WebClient, respond: Respond) -> None:
        if click.case is not None and click.ref.version is not None:
            self.lifecycle.choose_version(click.case, click.ref.version, click.user)
        self.update(click, client, respond, self.rendered(click))

    def settled(self, click: Click, case: Case, action: Action) -> bool:
        """The click through the conversation (as the console's typed marks); False on repeats."""
        where = Where(case.source, team=case.team, user=click.user, enterprise=case.enterprise)
        return self.conversation.click(where, action, case.id).changed

    def where(self, click: Click, case: Case) -> Where:
        """The clicked case's workspace (the click's, for a case with none recorded)."""
        body = Workspace.of(click.body)
        return Where(case.source, team=case.team or body.team_id, user=click.user,
                     enterprise=case.enterprise or body.enterprise_id)  # fmt: skip

    def case_removed(self, click: Click, client: WebClient, respond: Respond) -> None:
        """A button on a case that `cases purge` removed: say so, to the clicker only."""
        if click.ref.case_id is not None:
            tell_clicker(click.body, client, respond, notice_message(CASE_REMOVED))

    def feedback(self, click: Click, client: WebClient, respond: Respond) -> None:
        if click.case is None:
            self.case_removed(click, client, respond)
            return
        if not self.settled(click, click.case, Action(click.action_id)):
            return  # this person already clicked this: nothing changes
        self.update(click, client, respond, self.rendered(click))

    def customer_text(self, click: Click, client: WebClient, respond: Respond) -> None:
        case = click.case
        if case is not None and not self.settled(click, case, Action.CUSTOMER_TEXT):
            return
        question = (case.question or "") if case else ""
        ref = click.ref
        answer = self.lifecycle.answer_for(ref.article_id, ref.version, question, ref.language)
        # Only the clicker needs text to paste into an email: keep the channel clean.
        tell_clicker(click.body, client, respond, customer_text_message(answer, ref))

    # -- languages (docs/languages.md) ---------------------------------------------------

    def pick_language(self, click: Click, client: WebClient, respond: Respond) -> None:
        """A language button under a translated answer: the same answer in that language."""
        self.update(click, client, respond, self.rendered(click))

    def customer_text_in(self, click: Click, client: WebClient, respond: Respond) -> None:
        """The customer-ready text again, in the customer's language (no case write)."""
        question = (click.case.question or "") if click.case else ""
        ref = click.ref
        answer = self.lifecycle.answer_for(ref.article_id, ref.version, question, ref.language)
        tell_clicker(click.body, client, respond, customer_text_message(answer, ref))

    def original_steps(self, click: Click, client: WebClient, respond: Respond) -> None:
        """The article's English steps, word for word, for the clicker only."""
        question = (click.case.question or "") if click.case else ""
        english = self.lifecycle.answer_for(click.ref.article_id, click.ref.version, question, "en")
        asked = self.lifecycle.answer_for(click.ref.article_id, click.ref.version, question)
        tell_clicker(click.body, client, respond, original_steps_message(english, asked.language))

    def escalate(self, click: Click, client: WebClient, respond: Respond) -> None:
        case = click.case
        if case is None:
            self.case_removed(click, client, respond)
            return
        escalation_channel = self.conversation.workspace(self.where(click, case)).escalation_channel
        if not escalation_channel:
            tell_clicker(click.body, client, respond, no_escalation_channel_message(case.id))
            return
        if not self.lifecycle.escalate(case.id, click.user):
            return
        channel = case.channel or container(click.body).get("channel_id")
        post = escalation_message(
            case_id=case.id, clicker=click.user, channel=channel, question=case.question,
            permalink=self.permalink(case, click.body, client),
            version_label=version_label(click.ref.version or case.version),
        )  # fmt: skip
        try:
            client.chat_postMessage(channel=escalation_channel, unfurl_links=False, **post)
        except SlackApiError as exc:
            logger.error("escalation post failed: %s", slack_error(exc))
            failed = f"I couldn't post to the escalation channel ({slack_error(exc)})."
            tell_clicker(click.body, client, respond, notice_message(failed))
            return
        self.update(click, client, respond, self.rendered(click))
        sent = escalation_sent_message(case.id, escalation_channel)
        tell_clicker(click.body, client, respond, sent)

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

    def suggestion_yes(self, click: Click, client: WebClient, respond: Respond) -> None:
        case = click.case
        if case is None or not self.settled(click, case, Action.SUGGESTION_ACCEPTED):
            return
        answer_ref = Ref(click.ref.article_id, case.version, case.id)
        self.update(click, client, respond, self.rendered(click, answer_ref))

    def suggestion_no(self, click: Click, client: WebClient, respond: Respond) -> None:
        case = click.case
        if case is None or not self.settled(click, case, Action.SUGGESTION_REJECTED):
            return
        where = container(click.body)
        try:
            client.chat_delete(channel=where["channel_id"], ts=where["message_ts"])
        except (SlackApiError, KeyError) as exc:
            logger.info("chat.delete failed (%s); deleting through response_url", exc)
            respond(delete_original=True)

    def share(self, click: Click, client: WebClient, respond: Respond) -> None:
        """Repost a /emailstatus reply for everyone, then remove the private copy."""
        payload = self.shared_payload(click)
        payload["blocks"].insert(0, shared_by_block(click.user))
        respond(response_type="in_channel", replace_original=False, **payload)
        respond(delete_original=True)

    def shared_payload(self, click: Click) -> Payload:
        ref = click.ref
        if ref.kind == "help":
            return help_message(self.conversation.usage())
        question = (click.case.question or "") if click.case else ""
        answer = self.lifecycle.answer_for(ref.article_id, ref.version, question, ref.language)
        if ref.kind == "picker":
            return picker_message(answer, Ref(ref.article_id, language=ref.language))
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
        app.action(action_id)(_acking(engine, handler))
    # One button per language in a row: the language rides in the action id.
    for prefix, handler in ((PICK_LANGUAGE, handlers.pick_language),
                            (CUSTOMER_TEXT_IN, handlers.customer_text_in)):  # fmt: skip
        app.action(re.compile(rf"^{prefix}:"))(_acking(engine, handler))
    app.action(ORIGINAL_STEPS)(_acking(engine, handlers.original_steps))


Handler = Callable[[Click, WebClient, Respond], None]


def _acking(engine: Engine, handler: Handler) -> Callable[..., None]:
    """A bolt listener that acks at once, parses the click once, then runs the handler.

    bolt passes arguments by parameter name, so the listener spells them out.
    """

    def listener(
        ack: Ack,
        action: dict[str, Any],
        context: BoltContext,
        body: dict[str, Any],
        client: WebClient,
        respond: Respond,
    ) -> None:
        ack()
        click = parse_click(engine, action, context, body)
        if click is not None:
            handler(click, client, respond)

    listener.__name__ = f"on_{handler.__name__}"
    return listener
