"""`cases migrate-to`: a SQLite case log copied into PostgreSQL once, counted per table."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.store import Action, Store
from tests.cases.support import Clock
from tests.support.postgres import Server


@pytest.fixture
def target(pg_server: Server) -> Iterator[str]:
    url = pg_server.fresh_database()
    yield url
    pg_server.drop_database(url)


def fill(path: Path, clock: Clock) -> None:
    log = Store(path, clock=clock)
    try:
        for n in range(3):
            case = log.cases.open(source="channel", level="answer", question=f"q{n}",
                                  channel="C1", thread_ts=f"{n}.0", user="U1")  # fmt: skip
            if n:  # the first is dropped below, as a killed reply's case is
                log.follow_ups.schedule(case.id)
        log.cases.record_click(case.id, "U2", Action.RESOLVED)
        log.cases.drop_unanswered("C1", "0.0", "U1", "2000-01-01T00:00:00+00:00")  # a gap in ids
        log.gaps.record(source="dm", reason="no article matched", question="gap")
        log.inbox.first_delivery("Ev1", '{"owed": true}')
        log.inbox.claim_message("C1", "1.0", "Ev1")
        log.claims.claim("2026-W47", "cron")
        log.workspace_settings.save("T1", None, {"summary_channel": "C9"}, "U1")
    finally:
        log.close()


def test_the_case_log_is_copied_whole_and_counted(
    tmp_path: Path, target: str, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "cases.db"
    fill(path, clock)
    monkeypatch.setenv("EMAILSTATUS_DB", str(path))
    result = CliRunner().invoke(main, ["cases", "migrate-to", target])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["table", "SQLite", "PostgreSQL", "check"]
    counts = {line.split()[0]: line.split()[1:] for line in lines[2:-1]}
    assert counts == {
        "cases": ["2", "2", "ok"], "case_clicks": ["1", "1", "ok"], "gaps": ["1", "1", "ok"],
        "follow_ups": ["2", "2", "ok"], "summary_claims": ["1", "1", "ok"],
        "slack_events": ["1", "1", "ok"], "message_claims": ["1", "1", "ok"],
        "workspace_settings": ["1", "1", "ok"],
    }  # fmt: skip
    copied = Store(target, clock=clock)
    source = Store(path, clock=clock)
    try:
        assert list(copied.cases.iter()) == list(source.cases.iter())  # ids and times kept
        assert copied.inbox.message_claimed_by("C1", "1.0") == "Ev1"
        assert copied.cases.open(source="dm", level="answer").id == 4  # after the copied ids
    finally:
        copied.close()
        source.close()
    again = CliRunner().invoke(main, ["cases", "migrate-to", target])
    assert again.exit_code == 1 and "already holds rows: cases (3)" in again.output


def test_only_a_postgresql_url_is_a_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMAILSTATUS_DB", str(tmp_path / "cases.db"))
    result = CliRunner().invoke(main, ["cases", "migrate-to", "sqlite:///other.db"])
    assert result.exit_code == 2 and "postgresql://" in result.output
