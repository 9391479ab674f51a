"""The local console: the Slack bot's engine in a terminal, used when no tokens are set.

Type a question, or a slash command such as ``/emailstatus outlook2010``. Works with
piped stdin too: ``printf 'question\\n' | emailstatus-bot run`` prints one answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bot.answers import Answer, article_lookup
from bot.commands import COMMAND, Command, parse_command, usage_lines
from bot.engine import Engine, Outcome, Where
from bot.matching import Level
from bot.render.text import answer_text
from bot.store import Case
from bot.versions import follow_up_version

YES = {"y", "yes", "oui", "si", "sí", "ja", "yep", "yeah"}
NO = {"n", "no", "non", "nein", "nope"}
QUIT = {"quit", "exit", "/quit", "/exit", ":q"}
WHERE = Where(source="console", channel="console", user="console")


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
        self.topic = engine.knowledge.primary.topic if engine.knowledge.articles else "email"

    def reply(self, line: str) -> str:
        text = line.strip()
        if not text:
            return ""
        if text.startswith(COMMAND):
            self.pending = None
            return self._command(parse_command(text[len(COMMAND) :]))
        if self.pending is not None:
            follow_up = self._follow_up(text, self.pending)
            if follow_up is not None:
                return follow_up
        return self._question(text)

    def _question(self, text: str) -> str:
        outcome = self.engine.ask(text, WHERE)
        self.pending = None
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
            self.engine.store.cases.choose_version(case.id, version)
            return answer_text(
                self.engine.answer_for(answer.article_id, version, case.question or "")
            )
        return None

    def _confirm(self, yes: bool, case: Case, outcome: Outcome) -> str:
        self.pending = None
        if not yes:
            self.engine.record_click(case.id, "console", "suggestion_rejected")
            self.engine.store.gaps.record(
                source="console", reason="suggestion rejected", question=case.question or "",
                score=case.score, version=case.detected_version, channel="console",
            )  # fmt: skip
            return "OK, I'll stay out of it."
        self.engine.record_click(case.id, "console", "suggestion_accepted")
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
            return answer_text(self.engine.answer_for(article.id, command.version))
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
        write("Type quit to leave.\n")
    for line in lines:
        if line.strip().lower() in QUIT:
            break
        reply = console.reply(line)
        if reply:
            write(reply + "\n")
