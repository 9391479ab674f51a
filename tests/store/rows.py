"""Direct row edits that stand in for another process's past (a crashed replica)."""

from __future__ import annotations

import sqlite3

import psycopg

from bot.store import Store, is_database_url


def set_owner(store: Store, event_id: str, run: str) -> None:
    """Pretend ``run`` took the event, as a killed replica would have."""
    if is_database_url(store.location):
        with psycopg.connect(store.location, autocommit=True) as pg:
            pg.execute("update slack_events set boot = %s where event_id = %s", [run, event_id])
        return
    with sqlite3.connect(store.location) as lite:
        lite.execute("update slack_events set boot = ? where event_id = ?", [run, event_id])


def set_replayer(store: Store, event_id: str, run: str) -> None:
    """Pretend ``run`` claimed the event for a re-run (and was then killed)."""
    sql = "update slack_events set replayed_by = {0} where event_id = {0}"
    if is_database_url(store.location):
        with psycopg.connect(store.location, autocommit=True) as pg:
            pg.execute(sql.format("%s"), [run, event_id])
        return
    with sqlite3.connect(store.location) as lite:
        lite.execute(sql.format("?"), [run, event_id])
