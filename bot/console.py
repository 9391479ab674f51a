"""The local console: the Slack bot's engine in a terminal, used when no tokens are set.

Type a question, or a slash command such as ``/emailstatus outlook2010``. Works with
piped stdin too: ``printf 'question\\n' | emailstatus-bot run`` prints one answer.

After an answer, the console is at par with a Slack thread: ``/fixed``, ``/notfixed``
and ``/human`` (or "that fixed it", "still not working") mark the last case through
the engine's lifecycle, and "we're on 2007" or a bare version switches its version.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.answers import Answer, article_lookup
from bot.commands import COMMAND, Command, parse_command, usage_lines
from bot.engine import Engine, Outcome, Where
from bot.matching import Level
from bot.render.text import answer_text
from bot.store import Action, Case
from bot.text import fold
from bot.versions import follow_up_version

YES = {"y", "yes", "oui", "si", "sí", "ja", "yep", "yeah"}
NO = {"n", "no", "non", "nein", "nope"}
QUIT = {"quit", "exit", "/quit", "/exit", ":q"}
USER = "console"
WHERE = Where(source="console", channel="console", user=USER)
# What people type after an answer, checked in this order ("not fixed" before "fixed").
MARKS: tuple[tuple[Action, tuple[str, ...]], ...] = (
    (Action.UNRESOLVED, ("/notfixed", "still not working", "still not updating", "still broken",
                         "not fixed", "didn't work", "didnt work", "did not work",
                         "doesn't work", "does not work", "no luck", "still 0", "still zero")),
    (Action.ESCALATE, ("/human", "ask a human", "talk to a human", "need a human", "escalate")),
    (Action.RESOLVED, ("/fixed", "that fixed it", "fixed it", "it worked", "that worked",
                       "works now", "working now", "it works", "solved", "all good")),
)  # fmt: skip
MARK_MAX_WORDS = 8  # a longer message is a new question, even if it says "fixed"
MARKED = {
    Action.RESOLVED: "Case #{id} marked resolved. Thanks: the next person gets a better answer.",
    Action.UNRESOLVED: "Case #{id} marked unresolved. If another Outlook is involved, say which "
    '(e.g. "we\'re on 2007"); otherwise /human.',
    Action.ESCALATE: "Case #{id} marked escalated. Ask your support lead and quote case #{id}.",
}
HISTORY_FILE = Path("~/.emailstatus_history")
LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # e.g. from surrogateescape-decoded bytes


def capabilities(topic: str) -> str:
    return (
        f"I answer questions about {topic}: the cause, and the Outlook Safe Senders steps for "
        f'Outlook 2007, 2010 and 2013 and later (Microsoft 365).\nTry: "Times Opened stays at '
        f'0 for Outlook 2010 users", or {COMMAND} help.'
    )


@dataclass
class _Pending:
    """What the last reply asked the user for: a version, or a yes/no."""

    outcome: Outcome
    wants: str  # "version" | "confirm"


class Console:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.pending: _Pending | None = None
        self.last: Case | None = None  # the case /fixed, /notfixed and /human mark
        self.topic = engine.knowledge.primary.topic if engine.knowledge.articles else "email"

    def reply(self, line: str) -> str:
        text = printable(line).strip()
        if not text:
            return ""
        if text.lower().startswith(COMMAND):
            self.pending = None
            return self._command(parse_command(text[len(COMMAND) :]))
        mark = marked_action(text)
        if mark is not None:
            return self._mark(mark)
        if self.pending is not None:
            follow_up = self._follow_up(text, self.pending)
            if follow_up is not None:
                return follow_up
        switched = self._switch_version(text)
        if switched is not None:
            return switched
        return self._question(text)

    def _mark(self, action: Action) -> str:
        """/fixed, /notfixed, /human: the same transitions as the Slack buttons."""
        if self.last is None:
            return "There is no answer to mark yet: ask a question first."
        if not self.engine.settle(self.last.id, USER, action):
            return f"Case #{self.last.id} was already marked so."
        return MARKED[action].format(id=self.last.id)

    def _switch_version(self, text: str) -> str | None:
        """'we're on 2007' after an answer: that version's steps, as in a Slack thread.

        A bare version with no answer before it gets that version's steps, like
        ``/emailstatus 2007``; neither is a knowledge gap.
        """
        version = follow_up_version(text)
        if version is None or self.engine.matcher.match(text).level is Level.ANSWER:
            return None  # no version, or a new question that names one
        case = self.engine.case(self.last.id) if self.last else None
        if case is None or case.status == "rejected":
            command = parse_command(text)
            return self._command(command) if command.kind == "version" else None
        answer = self.engine.choose_version(case, version, USER)
        self.last = self.engine.case(case.id)
        return answer_text(answer)

    def _question(self, text: str) -> str:
        outcome = self.engine.ask(text, WHERE)
        self.pending = None
        if outcome.case is not None:
            self.last = outcome.case
        if outcome.level is Level.SILENT or outcome.answer is None:
            return "I couldn't match that to an article.\n" + capabilities(self.topic)
        if outcome.level is Level.SUGGEST:
            self.pending = _Pending(outcome, "confirm")
            return f"Is this about {self.topic}? (yes/no)"
        return self._show(outcome.answer, outcome)

    def _show(self, answer: Answer, outcome: Outcome) -> str:
        if answer.needs_version:
            self.pending = _Pending(outcome, "version")
            return answer_text(answer) + (
                "\n\nReply with your version (2007, 2010, 2013, 365…) to see only its steps."
            )
        return answer_text(answer)

    def _follow_up(self, text: str, pending: _Pending) -> str | None:
        case = pending.outcome.case
        answer = pending.outcome.answer
        if case is None or answer is None:
            return None
        if pending.wants == "confirm" and text.lower() in YES | NO:
            return self._confirm(text.lower() in YES, case, pending.outcome)
        version = follow_up_version(text)
        if pending.wants == "version" and version is not None:
            self.pending = None
            return answer_text(self.engine.choose_version(case, version, USER))
        return None

    def _confirm(self, yes: bool, case: Case, outcome: Outcome) -> str:
        self.pending = None
        if not yes:
            self.engine.reject_suggestion(case, USER)
            self.last = None
            return "OK, I'll stay out of it."
        self.engine.accept_suggestion(case.id, USER)
        assert outcome.answer is not None
        return self._show(outcome.answer, outcome)

    def _command(self, command: Command) -> str:
        lookup = article_lookup(self.engine.knowledge.articles, command.text)
        if lookup is not None and command.kind in ("question", "unknown"):  # as in Slack
            return answer_text(self.engine.answer_for(lookup.article.id, lookup.variant))
        if command.kind in ("help", "picker"):
            return "\n".join(usage_lines())
        if command.kind == "version" and command.version:
            article = self.engine.knowledge.primary
            answer = self.engine.answer_for(article.id, command.version, language=command.language)
            return answer_text(answer)
        if command.kind == "question":
            return self._question(command.text)
        if command.kind == "summary":
            return self.summary(command.argument)
        hint = f" Did you mean `{COMMAND} {command.suggestion}`?" if command.suggestion else ""
        return f"I don't know `{command.text}`.{hint}\n" + "\n".join(usage_lines())

    def summary(self, week: str) -> str:
        from bot.config import ConfigError, Settings
        from bot.render.summary import summary_text
        from bot.store import utc_now
        from bot.summary import summary_for

        try:
            tz = Settings.from_env().timezone()
            return summary_text(summary_for(self.engine.store, week, tz, utc_now()))
        except (ValueError, ConfigError) as exc:
            return str(exc)


def run_console(
    engine: Engine, lines: Iterable[str], write: Callable[[str], None], interactive: bool
) -> None:
    console = Console(engine)
    if interactive:
        write(f"emailstatus-bot console. {capabilities(console.topic)}")
        write("After an answer: /fixed, /notfixed or /human. Type quit to leave.\n")
    for line in lines:
        if line.strip().lower() in QUIT:
            break
        reply = console.reply(line)
        if reply:
            write(printable(reply) + "\n")


def printable(text: str) -> str:
    """Text any UTF-8 terminal and SQLite accept: lone surrogates become U+FFFD."""
    return LONE_SURROGATE.sub("\ufffd", text)


def marked_action(text: str) -> Action | None:
    """The mark a short reply makes ("that fixed it", "/human"), or None."""
    said = " ".join(fold(text).replace("’", "'").split())
    if len(said.split()) > MARK_MAX_WORDS:
        return None
    for action, phrases in MARKS:
        if any(re.search(rf"(^|\W){re.escape(p)}(\W|$)", said) for p in phrases):
            return action
    return None


def terminal_lines(interactive: bool) -> Iterator[str]:
    """stdin lines that survive any bytes; with a terminal, a prompt, line editing and history."""
    if not interactive:
        # Piped input may be any bytes: undecodable ones become U+FFFD, never an error.
        yield from io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
        return
    _reconfigure(sys.stdin, sys.stdout)
    history = _start_history()
    try:
        while True:
            try:
                yield input("you> ")
            except EOFError:
                return
    finally:
        history()


def _reconfigure(*streams: object) -> None:
    for stream in streams:
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")


def _start_history() -> Callable[[], None]:
    """Importing readline gives input() line editing and ↑ history; keep it across runs."""
    try:
        import readline
    except ImportError:  # e.g. Windows without pyreadline: plain input() still works
        return lambda: None
    path = Path(os.environ.get("EMAILSTATUS_HISTORY") or HISTORY_FILE).expanduser()
    with contextlib.suppress(OSError):  # first run, or no home folder
        readline.read_history_file(path)
    readline.set_history_length(500)

    def save() -> None:
        with contextlib.suppress(OSError):  # a read-only home must not break leaving
            readline.write_history_file(path)

    return save
