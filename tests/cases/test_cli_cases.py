"""`cases`, `summary` and `replay` through click's CliRunner, on a real SQLite file."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from bot.cli.cases import COMMANDS
from bot.store import Store
from tests.cases.support import Clock, Row, build
from tests.conftest import KNOWLEDGE_DIR
from tests.support.fake_slack import FakeSlackApi

FIXTURES = KNOWLEDGE_DIR.parent / "tests" / "core" / "fixtures"

TUESDAY = datetime(2026, 11, 17, 10, tzinfo=UTC)
CLEAN_ENV = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL",
             "SUMMARY_CHANNEL", "SUMMARY_TZ", "STORE_QUESTION_TEXT", "KNOWLEDGE_DIR")  # fmt: skip


Invoke = Callable[..., Result]


@pytest.fixture
def cli(db_path: Path) -> Iterator[Invoke]:
    def invoke(*args: str, **env: str) -> Result:
        environ: dict[str, str | None] = dict.fromkeys(CLEAN_ENV)
        environ.update({"EMAILSTATUS_DB": str(db_path), **env})
        return CliRunner().invoke(main, list(args), env=environ, catch_exceptions=False)

    yield invoke


@pytest.fixture
def week(log: Store, clock: Clock) -> list[int]:
    ids = build(log, clock, [Row(TUESDAY, action="case_resolved"), Row(TUESDAY, version="2007")])
    log.gaps.record(source="dm", reason="no article matched", question="mail merge?")
    return ids


def test_summary_json_shows_exactly_the_figures(cli: Invoke, week: list[int]) -> None:
    result = cli("summary", "--week", "2026-W47", "--json")
    assert result.exit_code == 0, result.output
    zero = {"cases": 0, "answered": 0, "resolved": 0, "unresolved": 0, "escalated": 0,
            "rejected": 0, "resolution_rate": None, "resolution_rate_with_outcome": None,
            "median_resolve_seconds": None, "follow_ups_sent": 0, "follow_up_replies": 0,
            "follow_up_resolved": 0, "follow_up_conversion": None, "gaps": 0}  # fmt: skip
    day = {"resolved": 0, "unresolved": 0, "escalated": 0, "rejected": 0, "answered": 0}
    days = [{"date": f"2026-11-{d}", **day} for d in range(16, 23)]
    days[1] = {"date": "2026-11-17", **day, "resolved": 1, "answered": 1}
    figures = {"cases": 2, "answered": 1, "resolved": 1, "unresolved": 0, "escalated": 0,
               "rejected": 0, "resolution_rate": 0.5, "resolution_rate_with_outcome": 1.0,
               "median_resolve_seconds": 1800.0, "follow_ups_sent": 0, "follow_up_replies": 0,
               "follow_up_resolved": 0, "follow_up_conversion": None, "gaps": 1}  # fmt: skip
    change = {**figures, "resolution_rate": None, "resolution_rate_with_outcome": None,
              "median_resolve_seconds": None}  # fmt: skip
    assert json.loads(result.output) == {
        "week": "2026-W47", "timezone": "UTC", "start": "2026-11-16", "end": "2026-11-22",
        "empty": False, **figures, "previous_week": zero, "change": change,
        "by_version": {"2007": 1, "2010": 1}, "by_source": {"channel": 2},
        "by_channel": {"C0SUPPORT": 2}, "by_article": {"000385822": 2}, "days": days,
        "gap_groups": [{"text": "mail merge?", "count": 1, "stored": True,
                        "questions": [{"text": "mail merge?", "count": 1}]}],
    }  # fmt: skip


def test_summary_text_in_the_configured_time_zone(cli: Invoke, week: list[int]) -> None:
    result = cli("summary", "--week", "2026-w47", SUMMARY_TZ="America/New_York")
    assert result.exit_code == 0
    assert result.output.splitlines()[:2] == [
        "Email status cases: week 2026-W47", "16–22 Nov 2026 (America/New_York)",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["summary", "--week", "2026-W60"], {}, "2026 has no ISO week 60"),
        (["summary", "--week", "soon"], {}, "'soon' is not a week"),
        (["summary"], {"SUMMARY_TZ": "Mars/Olympus"}, "SUMMARY_TZ 'Mars/Olympus' is not a known"),
        (["cases", "purge", "--older-than", "soon"], {}, "'soon' is not an age"),
        (["cases", "list", "--since", "last tuesday"], {}, "is not a date (2026-11-01)"),
        (["cases", "list", "--status", "closed"], {}, "'closed' is not one of"),
    ],
)
def test_bad_input_is_one_clear_line(
    cli, args: list[str], env: dict[str, str], message: str
) -> None:
    result = cli(*args, **env)
    assert result.exit_code in (1, 2)
    assert message in result.output
    assert "Traceback" not in result.output


def test_summary_writes_the_chart(cli: Invoke, week: list[int], tmp_path: Path) -> None:
    out = tmp_path / "out.png"
    result = cli("summary", "--week", "2026-W47", "--chart", str(out))
    assert result.exit_code == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cases_list(cli: Invoke, week: list[int], log: Store) -> None:
    question = "Times Opened stays at 0 in Outloo…"  # cut to 34 characters
    assert cli("cases", "list").output.splitlines() == [
        "id    opened (UTC)      source    status    article    version    question",
        "----  ----------------  --------  --------  ---------  ---------  " + "-" * len(question),
        f"2     2026-11-17 10:00  channel   answered  000385822  2007       {question}",
        f"1     2026-11-17 10:00  channel   resolved  000385822  2010       {question}",
    ]
    assert len(cli("cases", "list", "--status", "resolved").output.splitlines()) == 3
    assert cli("cases", "list", "--since", "2026-11-18").output == "No cases.\n"


def test_cases_list_marks_a_cut_question(cli: Invoke, log: Store) -> None:
    long = "Times Opened stays at 0 for every recipient on Outlook 2010 since the migration"
    log.cases.open(source="dm", level="answer", question=long)
    (row,) = cli("cases", "list").output.splitlines()[2:]
    assert row.endswith(" Times Opened stays at 0 for every…")
    assert max(len(line) for line in cli("cases", "list").output.splitlines()) <= 100


def test_cases_list_as_json_and_csv_keeps_every_column(cli: Invoke, week: list[int]) -> None:
    listed = json.loads(cli("cases", "list", "--json", "--limit", "1").output)
    assert [(c["id"], c["article_id"], c["question"]) for c in listed] == [
        (2, "000385822", "Times Opened stays at 0 in Outlook 2010")  # whole
    ]
    rows = list(csv.DictReader(io.StringIO(cli("cases", "list", "--csv").output)))
    assert [(r["id"], r["status"], r["detected_version"]) for r in rows] == [
        ("2", "answered", "2007"), ("1", "resolved", "2010"),
    ]  # fmt: skip
    assert json.loads(cli("cases", "list", "--json", "--status", "escalated").output) == []


def test_a_csv_export_never_hands_a_spreadsheet_a_formula(
    cli: Invoke, log: Store, clock: Clock
) -> None:
    hostile = ['=HYPERLINK("http://x.example","fix")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
    for text in hostile:
        log.cases.open(source="dm", level="answer", question=text, team="=T", user="@U1")
    log.cases.open(source="dm", level="answer", question="a plain = question")
    rows = list(csv.DictReader(io.StringIO(cli("cases", "export").output)))
    assert [r["question"] for r in rows] == [*("'" + t for t in hostile), "a plain = question"]
    assert {r["team"] for r in rows[:-1]} == {"'=T"} and rows[0]["user"] == "'@U1"
    assert rows[0]["score"] == ""  # numbers and empty cells are left alone
    data = json.loads(cli("cases", "export", "--format", "json").output)
    assert data[0]["question"] == hostile[0]  # JSON is data, not a spreadsheet: kept as is


def test_cases_export_csv_and_json(cli: Invoke, week: list[int]) -> None:
    rows = list(csv.DictReader(io.StringIO(cli("cases", "export").output)))
    assert [r["id"] for r in rows] == ["1", "2"]
    assert rows[0]["status"] == "resolved" and rows[0]["resolve_seconds"] == "1800.0"
    assert rows[1]["resolve_seconds"] == ""
    data = json.loads(cli("cases", "export", "--format", "json").output)
    assert [r["status"] for r in data] == ["resolved", "answered"]
    assert data[0]["created_at"] == "2026-11-17T10:00:00+00:00" and data[1]["status_at"] is None
    assert (
        json.loads(cli("cases", "export", "--format", "json", "--status", "escalated").output) == []
    )


def test_cases_backup(cli: Invoke, week: list[int], tmp_path: Path) -> None:
    target = tmp_path / "b" / "copy.db"
    result = cli("cases", "backup", str(target))
    assert result.exit_code == 0
    assert result.output.startswith(f"Backed up 2 cases to {target} (")
    again = cli("cases", "backup", str(target))
    assert again.exit_code == 1 and "exists; pass --force" in again.output
    assert cli("cases", "backup", str(target), "--force").exit_code == 0


def old_and_recent(log: Store, clock: Clock) -> None:
    clock.set(datetime.now(UTC) - timedelta(days=200))
    log.cases.open(source="dm", level="answer")
    log.gaps.record(source="dm", reason="no article matched")
    clock.set(datetime.now(UTC) - timedelta(days=3))
    log.cases.open(source="dm", level="answer")


def test_cases_purge_says_how_many(cli: Invoke, log: Store, clock: Clock) -> None:
    old_and_recent(log, clock)
    result = cli("cases", "purge", "--older-than", "90d", "--yes")
    assert result.exit_code == 0
    assert result.output.startswith("Deleted 1 case(s) and 1 knowledge gap(s) opened before ")
    assert result.output.endswith(" (older than 90d).\n")
    assert log.cases.count() == 1


def test_cases_purge_dry_run_deletes_nothing(cli: Invoke, log: Store, clock: Clock) -> None:
    old_and_recent(log, clock)
    result = cli("cases", "purge", "--older-than", "0d", "--dry-run")
    assert result.exit_code == 0
    assert result.output.startswith("Would delete 2 case(s) and 1 knowledge gap(s) opened before ")
    assert result.output.endswith(" (older than 0d); nothing deleted.\n")
    assert log.cases.count() == 2 and len(list(log.gaps.iter())) == 1


@pytest.mark.parametrize(
    ("args", "answer", "left", "code"),
    [((), "n\n", 2, 1), ((), "y\n", 1, 0), (("--yes",), "", 1, 0)],
    ids=["refused", "confirmed", "yes-flag"],
)
def test_cases_purge_asks_first_on_a_terminal(
    cli: Invoke, log: Store, clock: Clock, monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...], answer: str, left: int, code: int,
) -> None:  # fmt: skip
    old_and_recent(log, clock)
    monkeypatch.setattr("bot.cli.cases.interactive", lambda: True)
    result = CliRunner().invoke(main, ["cases", "purge", "--older-than", "90d", *args],
                                input=answer, env={"EMAILSTATUS_DB": log.path})  # fmt: skip
    assert result.exit_code == code, result.output
    asked = "Delete 1 case(s) and 1 knowledge gap(s) opened before " in result.output
    assert asked == (not args)
    assert log.cases.count() == left


def test_replay_lists_questions_answered_differently(cli: Invoke, log: Store) -> None:
    # As the matcher answers today: unchanged, so not listed.
    same = "Why does Times Opened stay at 0 for Outlook 2010 recipients?"
    log.cases.open(source="channel", level="answer", detected_version="2010", question=same)
    # Logged under an older knowledge base that answered it for the wrong version.
    log.cases.open(source="channel", level="answer", detected_version="2007",
                  question="HTML Email Status times opened stuck at 0 in Outlook 2016")  # fmt: skip
    # A gap the matcher missed then; the current one answers it.
    missed = "Salesforce email tracking shows not opened in Outlook 2010"
    log.gaps.record(source="dm", reason="no article matched", question=missed)
    log.gaps.record(source="dm", reason="no article matched", question="")  # text not stored
    result = cli("replay")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("case 2 (") and lines[0].endswith(
        "): answer/2007 → answer 000385822/2013+: "
        "HTML Email Status times opened stuck at 0 in Outlook 2016"
    )
    assert lines[1].startswith("gap 1 (")
    assert "): silent → answer 000385822/2010: Salesforce" in lines[1]
    assert lines[2:] == [
        "2 of 3 logged questions would now be answered differently "
        "(1 without stored question text skipped).",
        # the article answers a question that was silent before
        "000385822 takes over 1 question(s): 1 from silent.",
    ]


def test_replay_reports_a_take_over_by_a_new_article(
    cli: Invoke, log: Store, tmp_path: Path
) -> None:
    """Before, replay compared only level and version: a question a newly added article
    took over from 000385822 read "0 of 1 logged questions would now be answered
    differently"."""
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    shutil.copy(KNOWLEDGE_DIR / "000385822.yaml", knowledge)  # no examples: concept rules
    shutil.copy(FIXTURES / "second_article.yaml", knowledge)
    relay = "Our email relay keeps failing the TLS handshake with Salesforce"
    log.cases.open(source="channel", level="answer", article_id="000385822", question=relay)
    log.gaps.record(source="dm", reason="no article matched",
                    question="smtp relay host certificate rejected, TLS error")  # fmt: skip
    tracking = "Times Opened stays at 0 for Outlook 2016 recipients"
    log.cases.open(source="channel", level="answer", article_id="000385822",
                   detected_version="2013+", question=tracking)  # fmt: skip
    result = cli("replay", KNOWLEDGE_DIR=str(knowledge))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].endswith(
        f"): answer 000385822/no version → answer 000999001/no version: {relay}"
    )
    assert lines[1].startswith("gap 1 (") and "): silent → answer 000999001/" in lines[1]
    assert lines[2:] == [
        "2 of 3 logged questions would now be answered differently.",
        "000999001 takes over 2 question(s): 1 from 000385822, 1 from silent.",
    ]


def _all_commands() -> Iterator[tuple[str, click.Command]]:
    for command in COMMANDS:
        yield command.name or "", command
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                yield f"{command.name} {name}", sub


@pytest.mark.parametrize(("name", "command"), list(_all_commands()), ids=lambda v: str(v))
def test_every_command_help_ends_with_an_example(
    cli: Invoke, name: str, command: click.Command
) -> None:
    result = cli(*name.split(), "--help")
    assert result.exit_code == 0
    description = result.output.split("\nOptions:")[0].rstrip()
    example = description.split("\n")[-2:]
    assert example[0].strip() == "Example:" and "emailstatus-bot " in example[1]


@pytest.fixture
def api() -> Iterator[FakeSlackApi]:
    with FakeSlackApi() as fake:
        yield fake


def test_summary_post_claims_the_week(cli: Invoke, week: list[int], api: FakeSlackApi) -> None:
    missing = cli("summary", "--week", "2026-W47", "--post")
    assert missing.exit_code == 1
    assert "SLACK_BOT_TOKEN is missing" in missing.output
    assert "SUMMARY_CHANNEL is missing" in missing.output

    env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": api.url,
           "SUMMARY_CHANNEL": "C0SUMMARY"}  # fmt: skip
    first = cli("summary", "--week", "2026-W47", "--post", **env)
    assert first.exit_code == 0, first.output
    assert "Posted week 2026-W47 to C0SUMMARY" in first.output
    second = cli("summary", "--week", "2026-W47", "--post", **env)
    assert "Week 2026-W47 was already posted; --force posts it again." in second.output
    assert len(api.calls("chat.postMessage")) == 1
    assert cli("summary", "--week", "2026-W47", "--post", "--force", **env).exit_code == 0
    assert len(api.calls("chat.postMessage")) == 2


def test_summary_post_failure_releases_the_claim(
    cli, week: list[int], api: FakeSlackApi, log: Store
) -> None:
    api.fail("chat.postMessage", "not_in_channel")
    env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": api.url,
           "SUMMARY_CHANNEL": "C0SUMMARY"}  # fmt: skip
    result = cli("summary", "--week", "2026-W47", "--post", **env)
    assert result.exit_code == 1
    assert "Slack refused the post: not_in_channel" in result.output
    assert log.claims.get("2026-W47") is None


@pytest.mark.parametrize("age", ["90d", "0d"])
def test_cases_purge_from_a_pipe_needs_yes(cli: Invoke, log: Store, clock: Clock, age: str) -> None:
    old_and_recent(log, clock)
    result = cli("cases", "purge", "--older-than", age)  # before: 0d deleted everything
    assert result.exit_code == 1 and "pass --yes" in result.output
    assert log.cases.count() == 2


def test_cases_purge_with_a_huge_age_is_a_clear_error(cli: Invoke, log: Store) -> None:
    result = cli("cases", "purge", "--older-than", "99999999999d", "--yes")
    assert result.exit_code == 2 and "too long an age" in result.output  # before: a traceback
    assert "Traceback" not in result.output


def test_cases_backup_refuses_the_live_case_log_itself(cli: Invoke, log: Store) -> None:
    log.cases.open(source="dm", level="answer")
    result = cli("cases", "backup", "--force", log.path)
    assert result.exit_code == 1 and "is the case log itself" in result.output
    assert log.cases.count() == 1  # before: the live file was deleted first
