"""Two processes on one database act as one bot: every event, follow-up and week is won
by exactly one of them (0 duplicates, 0 losses), on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.store.conftest import OpenStore

ROOT = Path(__file__).resolve().parents[2]
EVENTS, CASES, REPLICAS = 300, 40, 3


def test_replicas_racing_for_the_same_work_split_it_exactly(
    open_store: OpenStore, location: str
) -> None:
    store = open_store()
    for n in range(CASES):
        case = store.cases.open(source="channel", level="answer", channel="C1", thread_ts=f"{n}")
        store.follow_ups.schedule(case.id)
    command = [sys.executable, "-m", "tests.store.replica_process", location]
    arguments = [[*command, f"r{n}", str(EVENTS), str(CASES)] for n in range(REPLICAS)]
    racers = [subprocess.Popen(a, cwd=ROOT, stdout=subprocess.PIPE, text=True) for a in arguments]
    results = [json.loads(racer.communicate(timeout=120)[0]) for racer in racers]
    events = sorted(n for result in results for n in result["events"])
    cases = sorted(n for result in results for n in result["cases"])
    assert events == list(range(EVENTS))  # each event first exactly once: none lost, none twice
    assert len(cases) == len(set(cases)) == CASES  # each follow-up claimed by exactly one
    assert store.follow_ups.due("9999-01-01T00:00:00+00:00") == []  # and none left over
    assert [result["week"] for result in results].count(True) == 1
