"""A case opened on the hot path: one statement on the calling thread's own connection.

``CaseStore.open`` no longer reads the row back; the case it returns must still be the
row SQLite stored, from any thread, and closing the store closes every connection.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from bot.store import Store

QUESTION = "Times Opened stays at 0 for Outlook 2010 recipients"


def test_the_case_returned_is_the_row_stored(log: Store) -> None:
    opened = log.cases.open(
        source="slash", level="answer", question=QUESTION, article_id="000385822",
        score=97.5, detected_version="2010", team="T1", channel="C1", user="U1",
    )  # fmt: skip
    assert log.cases.get(opened.id) == opened


def test_cases_opened_from_many_threads_all_land_once(db_path: Path) -> None:
    store = Store(db_path)
    opened: list[int] = []
    lock = threading.Lock()

    def ask(number: int) -> None:
        for _ in range(20):
            case = store.cases.open(source="channel", level="answer", question=f"q{number}")
            with lock:
                opened.append(case.id)

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(opened)) == len(opened) == 160
    assert all(store.cases.get(case_id) is not None for case_id in opened)
    store.close()
    with sqlite3.connect(db_path) as check:  # committed, and visible to another process
        assert check.execute("select count(*) from cases").fetchone() == (160,)


def test_close_closes_the_threads_connections_too(db_path: Path) -> None:
    store = Store(db_path)
    worker = threading.Thread(target=store.cases.open, kwargs={"source": "dm", "level": "answer"})
    worker.start()
    worker.join()
    store.close()
    with pytest.raises(sqlite3.ProgrammingError):  # a closed connection refuses work
        store.cases.open(source="dm", level="answer")


def test_an_in_memory_insert_stays_out_of_another_threads_transaction() -> None:
    """In memory there is one shared connection: an insert waits for a transaction that
    another thread has open on it, rather than joining it and being rolled back with it."""
    store = Store(":memory:")
    opened: list[int] = []
    inserter = threading.Thread(
        target=lambda: opened.append(store.cases.open(source="dm", level="answer").id)
    )
    with pytest.raises(RuntimeError), store.conn.write():
        inserter.start()
        inserter.join(0.3)  # it waits for the lock (without one it would insert now)
        raise RuntimeError("roll this transaction back")
    inserter.join(5)
    assert store.cases.get(opened[0]) is not None
