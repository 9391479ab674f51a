"""The case log on a real SQLite file: migrations, durability, concurrency, privacy."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.config import Settings
from bot.engine import Engine, Where
from bot.store import Store
from bot.store.inbox import FORGET_EVERY
from bot.store.migrations import m001_cases, migrations
from bot.store.sqlite import WEEK_ROWS
from tests.cases.support import Clock

ROOT = Path(__file__).resolve().parents[2]
WRITER = Path(__file__).with_name("writer_process.py")
FIXTURES = Path(__file__).with_name("fixtures")
QUESTION = "Why does Times Opened stay at 0 for our Outlook 2010 recipients?"
UNANSWERABLE = "How do I reset my Salesforce password please?"


def integrity(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return str(conn.execute("pragma integrity_check").fetchone()[0])


def writer(db: Path, count: int, start: Path | None = None) -> subprocess.Popen[str]:
    args = [sys.executable, str(WRITER), str(db), str(count)] + ([str(start)] if start else [])
    return subprocess.Popen(
        args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


# -- schema ------------------------------------------------------------------------------


def test_an_older_database_upgrades_in_place_and_keeps_its_rows(db_path: Path) -> None:
    old = Migrations("emailstatus")
    old()(m001_cases)  # the schema as first released
    db = Database(db_path)
    old.apply(db)
    db.table("cases").insert({"id": 7, "created_at": "2026-01-05T10:00:00+00:00", "source": "dm",
                        "status": "resolved", "level": "answer", "question": "kept?"})  # fmt: skip
    db.table("case_clicks").insert(
        {"case_id": 7, "user": "U1", "action": "case_resolved", "at": "x"}
    )
    db.table("gaps").insert(
        {"created_at": "2026-01-05T10:00:00+00:00", "source": "dm", "reason": "r"}
    )
    db.conn.close()

    log = Store(db_path)
    applied = [m.name for m in Migrations("emailstatus").applied(log.db)]
    assert applied[:4] == ["m001_cases", "m002_summaries", "m003_follow_ups", "m004_durable_inbox"]
    assert not migrations.pending(log.db)  # and any later one
    case = log.cases.get(7)
    assert case is not None and case.question == "kept?" and case.status == "resolved"
    assert log.db["case_clicks"].count == 1 and log.db["gaps"].count == 1
    assert "summary_claims" in log.db.table_names()
    assert "idx_cases_week" in {i.name for i in log.db.table("cases").indexes}
    log.close()


def test_reopening_applies_nothing_twice(db_path: Path) -> None:
    Store(db_path).close()
    log = Store(db_path)
    assert log.db["_sqlite_migrations"].count == len(migrations._migrations)
    log.close()


def test_wal_mode_and_busy_timeout(log: Store) -> None:
    assert log.db.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert log.db.execute("pragma busy_timeout").fetchone()[0] == 10_000


def test_the_weekly_summary_reads_only_the_covering_index(log: Store) -> None:
    plan = log.db.execute(f"explain query plan {WEEK_ROWS}", ["a", "b"]).fetchall()
    assert any("COVERING INDEX idx_cases_week" in str(row[-1]) for row in plan), plan


def test_a_database_written_by_the_old_case_log_opens_and_keeps_working(db_path: Path) -> None:
    # A dump of a file written by bot/cases.py (m001 + m002) before the store split.
    with sqlite3.connect(db_path) as conn:
        conn.executescript((FIXTURES / "case-log-m002.sql").read_text())
    store = Store(db_path)
    applied = [m.name for m in Migrations("emailstatus").applied(store.db)]
    assert applied[:4] == ["m001_cases", "m002_summaries", "m003_follow_ups", "m004_durable_inbox"]
    assert not migrations.pending(store.db)
    assert store.inbox.undone() == 0  # delivered before the upgrade: settled, never re-run
    assert store.db.table("slack_events").get("Ev0OLD")["done_at"]
    case = store.cases.for_thread("C0SUPPORT", "1763467200.000100")
    assert case is not None and case.status == "resolved" and case.resolve_seconds == 0
    assert case.reply_ts == "1763467201.000200" and case.version == "2016"
    assert not store.inbox.first_delivery("Ev0OLD")
    assert not store.inbox.claim_message("C0SUPPORT", "1763467200.000100")
    assert not store.claims.claim("2026-W46", "new")  # posted before the upgrade
    assert [g["question"] for g in store.gaps.iter()] == ["reset my password"]
    assert store.cases.open(source="dm", level="answer").id == case.id + 1
    store.close()


# -- durability and concurrency ------------------------------------------------------------


def test_a_killed_writer_loses_no_acknowledged_case(db_path: Path) -> None:
    proc = writer(db_path, 100_000)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    reported = [int(proc.stdout.readline()) for _ in range(150)]
    proc.send_signal(signal.SIGKILL)  # mid-burst: it was still writing
    rest, _ = proc.communicate(timeout=10)
    reported += [int(line) for line in rest.split() if line.isdigit()]
    assert proc.returncode == -signal.SIGKILL

    assert integrity(db_path) == "ok"
    log = Store(db_path)
    stored = {row["id"] for row in log.db.query("select id from cases")}
    assert set(reported) <= stored
    assert all(log.cases.get(i).status == "resolved" for i in reported[:-1])  # type: ignore[union-attr]
    log.close()


def test_two_processes_writing_at_once_both_succeed(tmp_path: Path) -> None:
    db, go = tmp_path / "shared.db", tmp_path / "go"
    procs = [writer(db, 250, go), writer(db, 250, go)]
    for proc in procs:  # both opened the (brand new) file and migrated it together
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.readline().strip()
        assert first == "ready", proc.stderr.read()
    go.touch()
    outputs = [proc.communicate(timeout=60) for proc in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert "locked" not in err
        assert len(out.split()) == 250
    ids = [int(i) for out, _ in outputs for i in out.split()]
    assert len(set(ids)) == 500
    assert integrity(db) == "ok"
    log = Store(db)
    assert log.cases.count() == 500
    assert log.db["_sqlite_migrations"].count == len(migrations._migrations)  # each once
    log.close()


# -- privacy -------------------------------------------------------------------------------


def settings_for(db: Path, **env: str) -> Settings:
    base = {"EMAILSTATUS_DB": str(db)}
    return Settings.from_env({**base, **env})


def test_store_question_text_false_stores_no_question_text(tmp_path: Path) -> None:
    db = tmp_path / "private.db"
    engine = Engine.from_settings(settings_for(db, STORE_QUESTION_TEXT="false"))
    answered = engine.ask(QUESTION, Where(source="channel", channel="C1", user="U1"))
    engine.ask(UNANSWERABLE, Where(source="mention", channel="C1", user="U1"))
    assert answered.case is not None and answered.case.question is None
    assert answered.case.detected_version == "2010" and answered.case.score
    gaps = list(engine.store.gaps.iter())
    assert len(gaps) == 1 and gaps[0]["question"] is None and gaps[0]["reason"]
    engine.store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("private.db*"))
    assert b"Times Opened" not in raw and b"reset my Salesforce" not in raw


def test_question_text_is_stored_by_default(tmp_path: Path) -> None:
    engine = Engine.from_settings(settings_for(tmp_path / "default.db"))
    outcome = engine.ask(QUESTION, Where(source="channel", channel="C1", user="U1"))
    assert outcome.case is not None and outcome.case.question == QUESTION
    engine.store.close()


def test_a_huge_question_is_stored_capped_with_a_marker(log: Store) -> None:
    huge = "Opens stay at zero in Outlook 2016. " * 300_000  # about 10 MB
    case = log.cases.open(source="dm", level="answer", question=huge)
    log.gaps.record(source="dm", reason="no article matched", question=huge)
    [gap] = log.gaps.iter()
    for stored in (case.question, gap["question"]):
        assert stored is not None and len(stored) < 4_100
        assert stored.startswith(huge[:4_000])
        assert stored.endswith(f"[…{len(huge) - 4_000:,} more characters not stored]")
    exact = "x" * 4_000  # at the limit: stored whole, no marker
    assert log.cases.open(source="dm", level="answer", question=exact).question == exact


def test_tokens_and_secrets_are_never_stored(tmp_path: Path) -> None:
    secrets = {"SLACK_BOT_TOKEN": "xoxb-1111-secret-bot", "SLACK_APP_TOKEN": "xapp-2222-secret",
               "SLACK_SIGNING_SECRET": "signing-secret-3333"}  # fmt: skip
    engine = Engine.from_settings(settings_for(tmp_path / "s.db", **secrets))
    outcome = engine.ask(QUESTION, Where(source="channel", channel="C1", user="U1"))
    assert outcome.case is not None
    engine.lifecycle.escalate(outcome.case.id, "U1")
    engine.ask(UNANSWERABLE, Where(source="dm", channel="D1", user="U1"))
    engine.store.inbox.first_delivery("Ev1")
    engine.store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("s.db*"))
    for value in secrets.values():
        assert value.encode() not in raw


# -- purge, listing, backup ------------------------------------------------------------------


def test_purge_deletes_old_cases_gaps_and_clicks_and_counts_them(log: Store, clock: Clock) -> None:
    clock.set(datetime(2026, 1, 1, tzinfo=UTC))
    old = log.cases.open(source="dm", level="answer", question="old")
    log.cases.record_click(old.id, "U1", "case_resolved")
    log.gaps.record(source="dm", reason="no article matched", question="old gap")
    clock.set(datetime(2026, 11, 1, tzinfo=UTC))
    recent = log.cases.open(source="dm", level="answer", question="recent")
    log.gaps.record(source="dm", reason="no article matched", question="recent gap")
    clock.set(datetime(2026, 11, 18, tzinfo=UTC))

    result = log.purge(timedelta(days=90))

    assert (result.cases, result.gaps) == (1, 1)
    assert log.cases.get(old.id) is None and log.cases.get(recent.id) is not None
    assert log.db["case_clicks"].count == 0
    assert [g["question"] for g in log.gaps.iter()] == ["recent gap"]
    assert log.purge(timedelta(days=90)).cases == 0


def test_list_cases_filters_by_status_since_and_user(log: Store, clock: Clock) -> None:
    first = log.cases.open(source="channel", level="answer", user="U1")
    clock.advance(days=1)
    second = log.cases.open(source="dm", level="suggest", user="U2")
    log.cases.record_click(second.id, "U2", "case_escalate")
    clock.advance(days=1)
    third = log.cases.open(source="slash", level="answer", user="U1")

    assert [c.id for c in log.cases.list()] == [third.id, second.id, first.id]
    assert [c.id for c in log.cases.list(status="escalated")] == [second.id]
    assert [c.id for c in log.cases.list(since=clock.now - timedelta(hours=1))] == [third.id]
    assert [c.id for c in log.cases.recent("U1", limit=1)] == [third.id]
    assert [c.id for c in log.cases.iter()] == [first.id, second.id, third.id]
    with pytest.raises(ValueError, match="unknown status"):
        log.cases.list(status="closed")


def test_backup_copies_everything_while_the_log_stays_open(log: Store, tmp_path: Path) -> None:
    for n in range(20):
        log.cases.open(source="channel", level="answer", question=f"q{n}")
    target = log.backup(tmp_path / "backups" / "copy.db")
    assert integrity(target) == "ok"
    copy = Store(target)
    assert copy.cases.count() == 20 and copy.cases.get(20).question == "q19"  # type: ignore[union-attr]
    copy.close()
    log.cases.open(source="channel", level="answer")  # the original is still writable
    assert log.cases.count() == 21


# -- summary claims --------------------------------------------------------------------------


def test_a_week_is_claimed_once_across_connections(db_path: Path, clock: Clock) -> None:
    one, two = Store(db_path, clock=clock), Store(db_path, clock=clock)
    assert one.claims.claim("2026-W47", "one") is True
    assert two.claims.claim("2026-W47", "two") is False
    assert two.claims.claim("2026-W48", "two") is True
    one.claims.mark_posted("2026-W47", "C1", "1.2")
    clock.advance(days=3)  # a posted week is never taken over, however old its claim
    assert two.claims.claim("2026-W47", "two") is False
    assert two.claims.get("2026-W47")["message_ts"] == "1.2"  # type: ignore[index]
    one.close()
    two.close()


def test_a_released_or_stale_claim_can_be_claimed_again(log: Store, clock: Clock) -> None:
    assert log.claims.claim("2026-W47", "a")
    log.claims.release("2026-W47")
    assert log.claims.claim("2026-W47", "b")
    clock.advance(minutes=10)
    assert not log.claims.claim("2026-W47", "c")  # b may still be posting
    clock.advance(minutes=6)
    assert log.claims.claim("2026-W47", "c")  # b died mid-post: c takes over


# -- event ids expire ---------------------------------------------------------------------------


def test_event_ids_expire_without_a_separate_job(log: Store, clock: Clock) -> None:
    assert log.inbox.first_delivery("Ev-old") and not log.inbox.first_delivery("Ev-old")
    log.inbox.claim_message("C1", "1.0001")
    clock.advance(days=3)
    for n in range(FORGET_EVERY):  # the sweep runs every FORGET_EVERY claims
        log.inbox.first_delivery(f"Ev{n}")
    assert log.db.execute("select count(*) from message_claims").fetchone()[0] == 0
    assert log.inbox.first_delivery("Ev-old")  # forgotten after two days, as designed
    assert not log.inbox.first_delivery("Ev1")  # recent ones are kept


def test_m003_gives_refused_suggestions_their_own_status(db_path: Path) -> None:
    old = Migrations("emailstatus")
    old()(m001_cases)
    db = Database(db_path)
    old.apply(db)
    for case_id, action in ((1, "suggestion_rejected"), (2, "suggestion_accepted"), (3, None)):
        row = {"id": case_id, "created_at": "2026-01-05T10:00:00+00:00", "source": "channel",
               "status": "answered", "level": "suggest"}  # fmt: skip
        db.table("cases").insert(row)
        if action:
            db.table("case_clicks").insert(
                {"case_id": case_id, "user": "U1", "action": action, "at": "x"}
            )
    db.conn.close()

    log = Store(db_path)
    assert [c.status for c in log.cases.iter()] == ["rejected", "answered", "answered"]
    assert log.cases.list(status="rejected")[0].id == 1
    log.close()


def test_purge_takes_the_follow_ups_of_purged_cases(log: Store, clock: Clock) -> None:
    old = log.cases.open(source="channel", level="answer")
    log.follow_ups.schedule(old.id)
    clock.advance(days=100)
    new = log.cases.open(source="channel", level="answer")
    log.follow_ups.schedule(new.id)
    assert log.purge(timedelta(days=90)).cases == 1
    assert [r["case_id"] for r in log.db["follow_ups"].rows] == [new.id]
