"""The console at par with a Slack thread: marks, version switches, any bytes, any case.

Driven through ``emailstatus-bot run`` with piped stdin (click's CliRunner), checked
against the case log it writes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.console import Console, marked_action, printable, run_console
from bot.store import Action, Store

ON_2010 = "why does times opened stay at 0 for our outlook 2010 recipients?"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "console.db"
    monkeypatch.setenv("EMAILSTATUS_DB", str(path))
    monkeypatch.setenv("EMAILSTATUS_HISTORY", str(tmp_path / "history"))
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "KNOWLEDGE_DIR"):
        monkeypatch.delenv(name, raising=False)
    return path


def run(lines: list[str] | bytes) -> str:
    stdin = lines if isinstance(lines, bytes) else "\n".join(lines) + "\n"
    result = CliRunner().invoke(main, ["run"], input=stdin)
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def read(db: Path) -> Store:
    return Store(db)


@pytest.mark.parametrize(
    ("mark", "status"),
    [("/fixed", "resolved"), ("that fixed it, thanks", "resolved"),
     ("/notfixed", "unresolved"), ("still not working", "unresolved"),
     ("/human", "escalated"), ("/FIXED", "resolved")],
)  # fmt: skip
def test_marks_settle_the_last_case_without_a_gap(db: Path, mark: str, status: str):
    output = run([ON_2010, mark])
    log = read(db)
    [case] = log.cases.list()
    assert case.status == status and case.status_by == "console"
    assert f"Case #{case.id} marked {status}" in output
    assert list(log.gaps.iter()) == []  # "that fixed it, thanks" is not a question


def test_a_version_after_an_answer_switches_it_without_a_gap(db: Path):
    output = run([ON_2010, "actually they are on 2007", "2013"])
    log = read(db)
    [case] = log.cases.list()
    assert case.chosen_version == "2013+"
    assert output.count("Outlook 2007:\n1. On the Tools menu") == 1
    assert "I couldn't match" not in output
    assert list(log.gaps.iter()) == []


def test_a_bare_version_with_no_answer_gives_its_steps(db: Path):
    output = run(["2010"])
    assert "Outlook 2010:\n1." in output
    assert list(read(db).gaps.iter()) == []


def test_a_mark_with_no_answer_says_so(db: Path):
    assert "There is no answer to mark yet" in run(["/fixed"])
    assert read(db).cases.count() == 0


def test_a_new_question_naming_a_version_is_a_new_case(db: Path):
    run([ON_2010, "times opened is stuck at 0 for our outlook 2007 users"])
    assert [c.detected_version for c in read(db).cases.list()] == ["2007", "2010"]


def test_the_command_in_any_case(db: Path):
    output = run(["/EMAILSTATUS help", "/EmailStatus 2010"])
    assert "/emailstatus help — this help" in output and "Outlook 2010:\n1." in output


def test_any_bytes_on_stdin(db: Path):
    output = run(b"\xff\xfe\n\xed\xa0\x80 outlook 2010 opens stay at 0\n/emailstatus help\n")
    assert "/emailstatus help — this help" in output
    assert "\ufffd" in (read(db).cases.list()[0].question or "")


def test_a_lone_surrogate_is_neither_stored_nor_printed_raw(engine):
    written: list[str] = []

    def strict_write(text: str) -> None:
        text.encode("utf-8")  # what a UTF-8 terminal does: raises on a lone surrogate
        written.append(text)

    run_console(engine, ["\udcff /emailstatus \udcfe", f"{ON_2010} \udcff"], strict_write, False)
    assert len(written) == 2
    assert engine.store.cases.get(1).question.endswith("\ufffd")
    assert printable("a\udcffb") == "a\ufffdb"


def test_same_mark_twice_and_after_a_rejection(engine):
    console = Console(engine)
    console.reply(ON_2010)
    assert console.reply("/fixed").startswith("Case #1 marked resolved")
    assert console.reply("/fixed") == "Case #1 is resolved; that mark was already recorded."
    assert engine.store.cases.get(1).status == "resolved"


GMAIL = "times opened stays at 0 for our customers who read our emails in gmail"


def test_a_mark_after_a_lookup_marks_nothing(engine):
    """/fixed marks the answer just shown; a lookup opens no case, so there is none."""
    console = Console(engine)
    console.reply(GMAIL)
    [gmail] = engine.store.cases.list()
    assert "Outlook 2010:\n1." in console.reply("/emailstatus outlook2010")
    assert "There is no answer to mark yet" in console.reply("/fixed")
    console.reply("we're on 2007")  # no answer with a case was shown since the Gmail one
    assert "Outlook 2007:\n1." in console.reply("2007")  # a lookup, as /emailstatus 2007
    case = engine.store.cases.get(gmail.id)
    assert (case.status, case.chosen_version) == ("answered", None)


def test_the_reply_to_a_repeated_mark_tells_the_status_now(engine):
    console = Console(engine)
    console.reply(ON_2010)
    console.reply("/fixed")
    assert console.reply("/human").startswith("Case #1 marked escalated")
    said = console.reply("that fixed it")
    assert engine.store.cases.get(1).status == "escalated"
    assert said == "Case #1 is escalated; that mark was already recorded."


def test_marked_action_phrases():
    assert marked_action("It's still not updating!") is Action.UNRESOLVED
    assert marked_action("ok that worked") is Action.RESOLVED
    assert marked_action("can I talk to a human") is Action.ESCALATE
    assert marked_action("times opened is fixed at 0 in outlook 2010 for all our users") is None


def test_a_terminal_gets_line_editing_and_history(tmp_path: Path) -> None:
    """A real terminal (a pty): ↑ recalls the last line, and history survives the session."""
    import os
    import pty
    import select
    import subprocess
    import sys
    import time

    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update(EMAILSTATUS_DB=str(tmp_path / "c.db"), TERM="xterm",
               EMAILSTATUS_HISTORY=str(tmp_path / "history"))  # fmt: skip
    primary, secondary = pty.openpty()
    exe = Path(sys.executable).with_name("emailstatus-bot")
    bot = subprocess.Popen([exe, "run"], stdin=secondary, stdout=secondary, stderr=secondary,
                           env=env, close_fds=True)  # fmt: skip
    os.close(secondary)
    seen = bytearray()

    def wait_for(prompts: int) -> None:
        deadline = time.monotonic() + 30
        while seen.count(b"you> ") < prompts and time.monotonic() < deadline:
            if select.select([primary], [], [], 0.2)[0]:
                seen.extend(os.read(primary, 65536))

    try:
        wait_for(1)
        os.write(primary, b"/emailstatus 2010\r")
        wait_for(2)
        os.write(primary, b"\x1b[A\r")  # arrow up, Enter: the same command again
        wait_for(3)
        os.write(primary, b"quit\r")
        assert bot.wait(timeout=30) == 0
    finally:
        bot.kill()
        os.close(primary)
    assert seen.count(b"Outlook 2010:") == 2, seen.decode(errors="replace")[-500:]
    assert (tmp_path / "history").read_text().splitlines()[-2:] == ["/emailstatus 2010", "quit"]
