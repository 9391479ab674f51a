"""The schema, versioned with ``sqlite_utils.Migrations`` so older files upgrade in place.

Never rename or edit an applied migration: its name is what an existing database
remembers. Add a new ``m00N_...`` function at the end instead.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("emailstatus")


@migrations()
def m001_cases(db: Database) -> None:
    db.table("cases").create(
        {
            "id": int, "created_at": str, "team": str, "channel": str, "thread_ts": str,
            "reply_ts": str, "user": str, "source": str, "question": str, "article_id": str,
            "score": float, "level": str, "detected_version": str, "chosen_version": str,
            "status": str, "status_by": str, "status_at": str, "resolve_seconds": float,
        },
        pk="id",
        not_null={"created_at", "source", "status", "level"},
    )  # fmt: skip
    db.table("cases").create_index(["created_at"])
    db.table("cases").create_index(["channel", "thread_ts"])
    db.table("case_clicks").create(
        {"case_id": int, "user": str, "action": str, "at": str},
        pk=("case_id", "user", "action"),
        foreign_keys=[("case_id", "cases", "id")],
    )
    db.table("gaps").create(
        {"id": int, "created_at": str, "source": str, "team": str, "channel": str,
         "user": str, "question": str, "reason": str, "score": float, "version": str},
        pk="id",
    )  # fmt: skip
    db.table("gaps").create_index(["created_at"])
    db.table("slack_events").create({"event_id": str, "seen_at": str}, pk="event_id")
    db.table("slack_events").create_index(["seen_at"])
    db.table("message_claims").create(
        {"channel": str, "ts": str, "seen_at": str}, pk=("channel", "ts")
    )


@migrations()
def m002_summaries(db: Database) -> None:
    """Weekly-summary claims, and indexes for summaries, App Home and purges."""
    # One row per posted week: the primary key is what makes "post exactly once" hold
    # across gunicorn workers and restarts.
    db.table("summary_claims").create(
        {"week": str, "claimed_at": str, "claimed_by": str, "posted_at": str, "channel": str,
         "message_ts": str},
        pk="week",
        not_null={"claimed_at"},
    )  # fmt: skip
    # A covering index: a week's summary reads only this index, never the table, so it
    # costs the same with 10,000 or 1,000,000 cases in the file.
    db.table("cases").create_index(
        ["created_at", "status", "source", "channel", "chosen_version", "detected_version",
         "resolve_seconds", "level"],
        index_name="idx_cases_week",
    )  # fmt: skip
    db.table("cases").create_index(["user", "created_at"], index_name="idx_cases_user")
    db.table("case_clicks").create_index(["action", "case_id"], index_name="idx_clicks_action")


@migrations()
def m003_follow_ups(db: Database) -> None:
    """ "Did it fix it?" follow-ups, and the 'rejected' status for refused suggestions."""
    # One row per answered case that may get a follow-up: the primary key is what makes
    # "asked once" hold across workers and restarts, like the weekly summary's claims.
    db.table("follow_ups").create(
        {"case_id": int, "answered_at": str, "claimed_at": str, "claimed_by": str,
         "sent_at": str, "message_ts": str, "skipped": str},
        pk="case_id",
        not_null={"answered_at"},
    )  # fmt: skip
    db.table("follow_ups").create_index(["sent_at", "answered_at"], index_name="idx_follow_ups_due")
    # A refused suggestion used to leave its case 'answered'; it now has its own status.
    db.execute(
        "update cases set status = 'rejected' where status = 'answered' and id in"
        " (select case_id from case_clicks where action = 'suggestion_rejected')"
    )


@migrations()
def m004_durable_inbox(db: Database) -> None:
    """The durable inbox: an acked event keeps what it needs to be re-run after a crash.

    ``payload`` is the event (kept only until it is answered), ``posting_at`` when a
    reply started to go out, ``done_at`` when it was answered, ``boot`` the process
    that took it, ``replayed_at``/``replayed_by`` the one start-up that re-ran it.
    ``message_claims.event_id`` says which event took a message, so a re-run of that
    same event may go on.
    """
    events = db.table("slack_events")
    for column in ("payload", "posting_at", "done_at", "boot", "replayed_at", "replayed_by"):
        events.add_column(column, str)
    db.table("message_claims").add_column("event_id", str)
    # Rows from before this migration are settled: nothing to re-run.
    db.execute("update slack_events set done_at = seen_at")
    # Only undone rows are indexed, so start-up finds them without a scan.
    db.execute("create index idx_events_undone on slack_events (seen_at) where done_at is null")


@migrations()
def m005_runs(db: Database) -> None:
    """Runs that owe replies, with a heartbeat: work is owned by lease, not by host name.

    A second container on the same volume (a rolling deploy) has another host name; it
    must not take the events its predecessor is still answering. A run whose heartbeat
    is younger than the lease is alive, wherever it runs.
    """
    db.table("runs").create(
        {"run": str, "host": str, "started_at": str, "heartbeat_at": str}, pk="run"
    )


@migrations()
def m006_installations(db: Database) -> None:
    """Multi-workspace mode: Slack installations (tokens encrypted) and OAuth states.

    The key columns hold '' for "none" (an org-wide install has no team), so the
    primary key holds on every database. Tokens are ciphertext (bot.tokens).
    """
    db.table("slack_installations").create(
        {"enterprise_key": str, "team_key": str, "user_id": str, "enterprise_id": str,
         "team_id": str, "is_enterprise_install": int, "installed_at": str, "details": str,
         "bot_secrets": str, "user_secrets": str},
        pk=("enterprise_key", "team_key", "user_id"),
        not_null={"installed_at", "details"},
    )  # fmt: skip
    db.table("oauth_states").create({"state": str, "expires_at": str}, pk="state")


@migrations()
def m007_workspace_keys(db: Database) -> None:
    """Workspaces kept apart: the enterprise beside the team, per-workspace reads, settings.

    ``cases.team`` was always written; ``enterprise`` is the Enterprise Grid org (an
    org-wide install serves every workspace of it). ``workspace_settings`` holds what a
    workspace admin set in the settings modal; an empty value means "the environment's".
    """
    for table in ("cases", "gaps"):
        db.table(table).add_column("enterprise", str)
    # One workspace's week reads only this index, as the whole log's week reads idx_cases_week.
    db.table("cases").create_index(
        ["team", "created_at", "status", "source", "channel", "chosen_version",
         "detected_version", "resolve_seconds", "level"],
        index_name="idx_cases_team_week",
    )  # fmt: skip
    db.table("gaps").create_index(["team", "created_at"], index_name="idx_gaps_team")
    # '' (not null) for "no enterprise" / "the whole org", so the primary key holds.
    db.table("workspace_settings").create(
        {"enterprise": str, "team": str, "summary_channel": str, "escalation_channel": str,
         "suggestions": str, "summary_schedule": str, "summary_tz": str, "updated_by": str,
         "updated_at": str},
        pk=("enterprise", "team"),
        not_null={"enterprise", "team"},
        defaults={"enterprise": "", "team": ""},
    )  # fmt: skip
