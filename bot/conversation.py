"""What a person did → ``Reply``: the one road to the engine for every surface.

Slack listeners, the console, the message shortcut, the Workflow Builder step and
``emailstatus-bot ask`` are adapters: they parse what arrived into a ``Where`` and a
text (or a click), ask the ``Conversation`` what to say, render the ``Reply`` for their
surface, post it, and report the posted reply with ``posted``. What to say, and which
case to change, is decided here once:

- ``message``: a message in a conversation (channel, DM, @mention, console line, a
  shortcut's message, a workflow's question).
- ``command``: the text after ``/emailstatus`` (Slack's command or the console's).
- ``click``: a button, or what the console reads as one ("that fixed it", "yes").
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from enum import StrEnum

from bot.answers import Answer, article_lookup
from bot.commands import Command, parse_command, usage_lines
from bot.config import ConfigError, Settings
from bot.engine import Engine, Outcome
from bot.matching import Level
from bot.store import Action, Case, utc_now
from bot.summary import WeekSummary, summary_for
from bot.text import fold
from bot.versions import follow_up_version
from bot.vocabulary import Source, Where
from bot.workspace_config import WorkspaceConfig, config_for

logger = logging.getLogger(__name__)


class ReplyKind(StrEnum):
    ANSWER = "answer"  # the article's answer (``tentative``: a weak match, said so)
    SUGGESTION = "suggestion"  # "Is this about …?" first: a weak match where nobody asked
    PICKER = "picker"  # an article's variants to pick from
    CAPABILITIES = "capabilities"  # nothing matched, and the asker spoke to the bot
    ALREADY_ANSWERED = "already_answered"  # a thread the bot answered already
    HELP = "help"  # the /emailstatus usage
    UNKNOWN_COMMAND = "unknown_command"  # /emailstatus <something unknown>
    SUMMARY = "summary"  # the weekly case summary
    NOTICE = "notice"  # one plain line: a mark recorded, an error
    NOTHING = "nothing"  # stay silent


@dataclass
class Reply:
    """What to say. A plain dataclass: renderers read it, surfaces post it."""

    kind: ReplyKind
    answer: Answer | None = None
    case_id: int | None = None  # the case this reply is about (None: a lookup, a notice…)
    topic: str = ""  # what the bot knows about, for no-match and suggestion texts
    variant_noun: str | None = None  # the main article's variants ("Outlook"), if any
    tentative: bool = False  # answered although the match is weak (shown with a caveat)
    lookup: bool = False  # an article looked up by name or variant: no case, shareable
    asked: str = ""  # the text a no-match or unknown-command reply echoes
    suggestion: str | None = None  # "did you mean" for an unknown command
    usage: tuple[str, ...] = ()
    summary: WeekSummary | None = None
    notice: str = ""
    status: str | None = None  # after a click: the case's status now
    changed: bool = True  # after a click: False when it repeated an earlier one
    opened: bool = False  # the case was opened for this reply (report it ``posted``)

    @property
    def article_id(self) -> str | None:
        return self.answer.article_id if self.answer is not None else None

    @property
    def version(self) -> str | None:
        return self.answer.version if self.answer is not None else None


NOTHING = Reply(ReplyKind.NOTHING)
STAYING_OUT = "OK, I'll stay out of it."
NOTHING_TO_MARK = "There is no answer to mark yet: ask a question first."

# What people type instead of clicking (surfaces without buttons), in this order:
# "not fixed" before "fixed".
TYPED_MARKS: tuple[tuple[Action, tuple[str, ...]], ...] = (
    (Action.UNRESOLVED, ("/notfixed", "still not working", "still not updating", "still broken",
                         "not fixed", "didn't work", "didnt work", "did not work",
                         "doesn't work", "does not work", "no luck", "still 0", "still zero")),
    (Action.ESCALATE, ("/human", "ask a human", "talk to a human", "need a human", "escalate")),
    (Action.RESOLVED, ("/fixed", "that fixed it", "fixed it", "it worked", "that worked",
                       "works now", "working now", "it works", "solved", "all good")),
)  # fmt: skip
MARK_MAX_WORDS = 8  # a longer message is a new question, even if it says "fixed"
YES = {"y", "yes", "oui", "si", "sí", "ja", "yep", "yeah"}
NO = {"n", "no", "non", "nein", "nope"}


def typed_mark(text: str) -> Action | None:
    """The click a short typed reply stands for ("that fixed it", "/human"), or None."""
    said = " ".join(fold(text).replace("’", "'").split())
    if len(said.split()) > MARK_MAX_WORDS:
        return None
    for action, phrases in TYPED_MARKS:
        if any(re.search(rf"(^|\W){re.escape(p)}(\W|$)", said) for p in phrases):
            return action
    return None


class Conversation:
    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self.lifecycle = engine.lifecycle

    # -- messages ------------------------------------------------------------------------

    def message(self, where: Where, text: str, *, version: str | None = None) -> Reply:
        """A message: a follow-up in a thread the bot answered, or a question."""
        case = self.lifecycle.in_thread(where.channel, where.thread_ts)
        if case is not None:
            reply = self.follow_up(where, case, text)
            if reply is not None:
                return reply
        elif where.kind.typed_replies:
            reply = self.without_case(text)
            if reply is not None:
                return reply
        return self.question(where, text, version=version)

    def question(self, where: Where, text: str, *, version: str | None = None) -> Reply:
        suggest = self.suggestions_allowed(where)
        return self.reply_for(self.engine.ask(text, where, version=version, suggest=suggest), where)

    def suggestions_allowed(self, where: Where) -> bool:
        if where.kind is not Source.CHANNEL:
            return True
        return (
            self.workspace(where).suggestions_enabled
            and where.channel not in self.settings.suggestions_off_channels
        )

    def workspace(self, where: Where) -> WorkspaceConfig:
        """The settings of the workspace this came from (its admin's, else the env's)."""
        return config_for(self.engine.store, self.settings, where.team, where.enterprise)

    def reply_for(self, outcome: Outcome, where: Where) -> Reply:
        """The one reply decision: what a question's outcome gets on this surface."""
        answer, case = outcome.answer, outcome.case
        if outcome.level is Level.SILENT or answer is None or case is None:
            if where.kind.direct and outcome.level is Level.SILENT:
                return self.capabilities()
            return NOTHING
        topic = self.topic(answer.article_id)
        if outcome.level is Level.SUGGEST:
            if where.kind.confirms_suggestions:
                return Reply(ReplyKind.SUGGESTION, answer, case.id, topic=topic, opened=True)
            # Spoken to directly: a yes/no round trip would only slow the asker down.
            return Reply(
                ReplyKind.ANSWER, answer, case.id, topic=topic, tentative=True, opened=True
            )
        return Reply(ReplyKind.ANSWER, answer, case.id, topic=topic, opened=True)

    def follow_up(self, where: Where, case: Case, text: str) -> Reply | None:
        """A message in a thread with a case: one answer per thread, except a message
        naming another version (or, without buttons, a typed click). None: a new question."""
        typed = where.kind.typed_replies
        if self.lifecycle.rejected(case):
            return None if typed else NOTHING
        if typed:
            reply = self.typed_click(where, case, text)
            if reply is not None:
                return reply
        version = follow_up_version(text)
        if version is not None and typed and self.is_a_question(text):
            return None  # a new question that names a version
        if version is not None and (version != case.version or typed):
            answer = self.lifecycle.choose_version(case, version, where.user)
            return Reply(ReplyKind.ANSWER, answer, case.id, topic=self.topic(answer.article_id))
        if typed:
            return None
        return Reply(ReplyKind.ALREADY_ANSWERED) if where.kind.direct else NOTHING

    def typed_click(self, where: Where, case: Case, text: str) -> Reply | None:
        """ "that fixed it", "/human", or yes/no to a suggestion: the same as the buttons."""
        mark = typed_mark(text)
        if mark is not None:
            return self.click(where, mark, case.id)
        said = text.strip().lower()
        if case.level == Level.SUGGEST and case.status == "answered" and said in YES | NO:
            action = Action.SUGGESTION_ACCEPTED if said in YES else Action.SUGGESTION_REJECTED
            return self.click(where, action, case.id)
        return None

    def without_case(self, text: str) -> Reply | None:
        """No answer to follow up (console): a mark has nothing to mark, a bare version
        gets that version's steps like ``/emailstatus 2007``; neither is a knowledge gap."""
        if typed_mark(text) is not None:
            return Reply(ReplyKind.NOTICE, notice=NOTHING_TO_MARK)
        if follow_up_version(text) is None or self.is_a_question(text):
            return None
        command = parse_command(text)
        return (
            self.run_command(command, Where(Source.CONSOLE)) if command.kind == "version" else None
        )

    def is_a_question(self, text: str) -> bool:
        return self.engine.matcher.match(text).level is Level.ANSWER

    # -- clicks --------------------------------------------------------------------------

    def click(
        self,
        where: Where,
        action: Action,
        case_id: int | None,
        *,
        article_id: str | None = None,
        version: str | None = None,
        language: str | None = None,
    ) -> Reply:
        """A button (or its typed stand-in) on a case: the case moves, once per person.
        The answer stays in ``language`` when the clicked answer was in a chosen one."""
        case = self.lifecycle.case(case_id)
        if case is None:
            return Reply(ReplyKind.NOTICE, notice=NOTHING_TO_MARK)
        user = where.user or ""
        if action is Action.SUGGESTION_REJECTED:
            changed = self.lifecycle.reject_suggestion(case, user)
            return Reply(ReplyKind.NOTICE, notice=STAYING_OUT, status="rejected", changed=changed)
        changed = self.lifecycle.settle(case.id, user, action)
        now = self.lifecycle.case(case.id) or case
        answer = self.lifecycle.answer_for(
            article_id or case.article_id or "",
            version or now.version,
            case.question or "",
            language,
        )
        return Reply(
            ReplyKind.ANSWER, answer, case.id, topic=self.topic(answer.article_id),
            status=now.status, changed=changed,
        )  # fmt: skip

    def posted(self, case_id: int | None, reply_ts: str) -> None:
        """The reply about this case is out (its ts): follow-ups and re-runs look for it."""
        if case_id is not None:
            self.lifecycle.posted(case_id, reply_ts)

    # -- commands ------------------------------------------------------------------------

    def command(self, where: Where, text: str) -> Reply:
        """``/emailstatus <text>``: one dispatcher for Slack and the console."""
        return self.run_command(parse_command(text), where)

    def run_command(self, command: Command, where: Where) -> Reply:
        lookup = article_lookup(self.engine.knowledge.articles, command.text)
        if lookup is not None and command.kind in ("question", "unknown"):
            return self.lookup(lookup.article.id, lookup.variant)
        if command.kind == "picker":  # `/emailstatus` alone: quick help and the picker
            picker = self.lookup(self.engine.knowledge.primary.id, None, command.language)
            picker.lookup = False
            return picker
        if command.kind == "help":
            primary = self.engine.knowledge.primary
            answer = self.lifecycle.answer_for(primary.id, None)
            return Reply(ReplyKind.HELP, answer, usage=self.usage())
        if command.kind == "version":
            # A lookup, not a question: no case is opened, so no feedback buttons.
            return self.lookup(self.engine.knowledge.primary.id, command.version, command.language)
        if command.kind == "summary":
            return self.summary(command.argument, where)
        if command.kind == "question":
            reply = self.question(where, command.text)
            reply.asked = command.text
            reply.usage = self.usage()
            return reply
        return Reply(
            ReplyKind.UNKNOWN_COMMAND, asked=command.text, suggestion=command.suggestion,
            usage=self.usage(),
        )  # fmt: skip

    def lookup(self, article_id: str, variant: str | None, language: str | None = None) -> Reply:
        """An article by name or variant: its answer, or its picker when a variant is needed
        (in ``language`` when one was asked for, as in ``/emailstatus outlook2010 de``)."""
        answer = self.lifecycle.answer_for(article_id, variant, language=language)
        kind = ReplyKind.PICKER if answer.needs_version else ReplyKind.ANSWER
        return Reply(kind, answer, topic=self.topic(article_id), lookup=True)

    def summary(self, week: str, where: Where | None = None) -> Reply:
        """The week's summary of the asker's workspace (every workspace outside Slack)."""
        where = where or Where(Source.CONSOLE)
        try:
            tz = self.workspace(where).timezone() if where.team else self.settings.timezone()
            found = summary_for(self.engine.store, week, tz, utc_now(), where.team)
        except (ValueError, ConfigError) as exc:
            return Reply(ReplyKind.NOTICE, notice=str(exc))
        return Reply(ReplyKind.SUMMARY, summary=found)

    def home(
        self, user: str, team: str | None = None, enterprise: str | None = None
    ) -> tuple[WeekSummary, list[Case]]:
        """App Home's figures: this week's summary of the viewer's workspace and the
        viewer's recent cases there (two workspaces may share a user id)."""
        tz = config_for(self.engine.store, self.settings, team, enterprise).timezone()
        summary = summary_for(self.engine.store, "current", tz, utc_now(), team)
        return summary, self.engine.store.cases.recent(user, team=team)

    # -- words ---------------------------------------------------------------------------

    def capabilities(self) -> Reply:
        """Nothing matched: what the bot can help with, in the loaded articles' words."""
        knowledge = self.engine.knowledge
        primary = knowledge.primary if knowledge.articles else None
        noun = primary.variant_noun if primary is not None and primary.variants else None
        return Reply(ReplyKind.CAPABILITIES, topic=self.topic(None), variant_noun=noun)

    def usage(self) -> tuple[str, ...]:
        """The /emailstatus help, with variant lines only for an article with variants."""
        knowledge = self.engine.knowledge
        if not knowledge.articles:
            return tuple(usage_lines(variants=False, example="an article id"))
        primary = knowledge.primary
        if primary.variants:  # the shipped wording, as in `emailstatus-bot --help`
            return tuple(usage_lines())
        example = f"'{(primary.aliases or (primary.id,))[0]}'"
        return tuple(usage_lines(variants=False, example=example))

    def topic(self, article_id: str | None) -> str:
        knowledge = self.engine.knowledge
        if not knowledge.articles:
            return "email"
        article = knowledge.get(article_id or "") or knowledge.primary
        return article.topic


ASKER = "cli"


def ask_as_dm(
    engine: Engine, settings: Settings, question: str, *, version: str | None = None
) -> Reply:
    """`emailstatus-bot ask`: exactly what a DM with this question would get."""
    where = Where(Source.DM, channel="cli", thread_ts=None, user=ASKER)
    return Conversation(engine, settings).question(where, question, version=version)
