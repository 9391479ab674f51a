"""The local console: the Slack bot's conversation in a terminal, used when no tokens are set.

Type a question, or a slash command such as ``/emailstatus outlook2010``. Works with
piped stdin too: ``printf 'question\\n' | emailstatus-bot run`` prints one answer.

The console is one more surface over ``bot.conversation``: each reply is rendered as
text. The console session is a thread, as in Slack: ``/fixed``, ``/notfixed`` and
``/human`` (or "that fixed it", "still not working") mark the case of the answer just
shown, and "we're on 2007" switches its version. A reply about no case (a lookup, help,
a declined suggestion) starts a new thread, so a mark can never reach an older case.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from bot.commands import COMMAND
from bot.config import Settings
from bot.conversation import Conversation, Reply, ReplyKind, typed_mark
from bot.engine import Engine
from bot.knowledge import KnowledgeBase
from bot.render.summary import summary_text
from bot.render.text import answer_text
from bot.vocabulary import Source, Where

QUIT = {"quit", "exit", "/quit", "/exit", ":q"}
USER = "console"
MARKED = {
    "resolved": "Case #{id} marked resolved. Thanks: the next person gets a better answer.",
    "unresolved": "Case #{id} marked unresolved. If another {noun} is involved, say which; "
    "otherwise /human.",
    "escalated": "Case #{id} marked escalated. Ask your support lead and quote case #{id}.",
}
LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # e.g. from surrogateescape-decoded bytes
marked_action = typed_mark  # the console's name for it (tests, docs)


def capabilities(knowledge: KnowledgeBase) -> str:
    """What the bot answers, from the loaded articles (variant words only where they exist)."""
    if not knowledge.articles:
        return f"No knowledge articles are loaded. Try {COMMAND} help."
    topics = "; ".join(article.topic for article in knowledge.articles)
    lines = [f"I answer questions about {topics}."]
    for article in knowledge.articles:
        if article.variants:
            labels = ", ".join(v.label for v in article.variants)
            lines.append(f"For {article.topic}: the steps for {labels}.")
    lines.append(f"Try a question in your own words, or {COMMAND} help.")
    return "\n".join(lines)


class Console:
    def __init__(self, engine: Engine, settings: Settings | None = None) -> None:
        self.conversation = Conversation(engine, settings or Settings())
        self.knowledge = engine.knowledge
        self.thread = ""
        self.new_thread()

    def new_thread(self) -> None:
        # Unique across runs: the case log outlives a console session.
        self.thread = f"{time.time():.6f}"

    @property
    def where(self) -> Where:
        return Where(Source.CONSOLE, channel="console", thread_ts=self.thread, user=USER)

    def reply(self, line: str) -> str:
        text = printable(line).strip()
        if not text:
            return ""
        if text.lower().startswith(COMMAND):
            reply = self.conversation.command(self.where, text[len(COMMAND) :])
        else:
            reply = self.conversation.message(self.where, text)
        if reply.case_id is None:
            self.new_thread()  # nothing to follow up: the next line starts afresh
        return self.render(reply)

    def render(self, reply: Reply) -> str:
        answer = reply.answer
        if reply.status is not None and reply.kind is ReplyKind.ANSWER:
            return self.marked(reply)
        if reply.kind is ReplyKind.SUGGESTION:
            return f"Is this about {reply.topic}? (yes/no)"
        if answer is not None and reply.kind in (ReplyKind.ANSWER, ReplyKind.PICKER):
            if (answer.needs_version and not reply.lookup) or reply.kind is ReplyKind.PICKER:
                hint = f"Reply with your {answer.variant_noun} to see only its steps."
                return answer_text(answer) + "\n\n" + hint
            return answer_text(answer)
        if reply.kind is ReplyKind.CAPABILITIES:
            return "I couldn't match that to an article.\n" + capabilities(self.knowledge)
        if reply.kind is ReplyKind.HELP:
            return "\n".join(reply.usage)
        if reply.kind is ReplyKind.UNKNOWN_COMMAND:
            hint = f" Did you mean `{COMMAND} {reply.suggestion}`?" if reply.suggestion else ""
            return f"I don't know `{reply.asked}`.{hint}\n" + "\n".join(reply.usage)
        if reply.kind is ReplyKind.SUMMARY and reply.summary is not None:
            return summary_text(reply.summary)
        return reply.notice

    def marked(self, reply: Reply) -> str:
        """A typed click's outcome, in words (the case's status now, always true)."""
        if not reply.changed:
            return f"Case #{reply.case_id} is {reply.status}; that mark was already recorded."
        if reply.status == "answered":  # a suggestion accepted: the answer itself
            return self.render(Reply(ReplyKind.ANSWER, reply.answer, reply.case_id))
        noun = reply.answer.variant_noun if reply.answer and reply.answer.choices else "fix"
        template = MARKED.get(str(reply.status), "Case #{id} is {status}.")
        return template.format(id=reply.case_id, noun=noun, status=reply.status)


def run_console(
    engine: Engine,
    lines: Iterable[str],
    write: Callable[[str], None],
    interactive: bool,
    settings: Settings | None = None,
) -> None:
    settings = settings or Settings()
    console = Console(engine, settings)
    if interactive:
        write(f"emailstatus-bot console. {capabilities(engine.knowledge)}")
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


def terminal_lines(interactive: bool, history: str = "~/.emailstatus_history") -> Iterator[str]:
    """stdin lines that survive any bytes; with a terminal, a prompt, line editing and history."""
    if not interactive:
        # Piped input may be any bytes: undecodable ones become U+FFFD, never an error.
        yield from io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
        return
    _reconfigure(sys.stdin, sys.stdout)
    save_history = _start_history(Path(history).expanduser())
    try:
        while True:
            try:
                yield input("you> ")
            except EOFError:
                return
    finally:
        save_history()


def _reconfigure(*streams: object) -> None:
    for stream in streams:
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")


def _start_history(path: Path) -> Callable[[], None]:
    """Importing readline gives input() line editing and ↑ history; keep it across runs."""
    try:
        import readline
    except ImportError:  # e.g. Windows without pyreadline: plain input() still works
        return lambda: None
    with contextlib.suppress(OSError):  # first run, or no home folder
        readline.read_history_file(path)
    readline.set_history_length(500)

    def save() -> None:
        with contextlib.suppress(OSError):  # a read-only home must not break leaving
            readline.write_history_file(path)

    return save
