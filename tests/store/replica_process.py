"""One 'replica' for tests/store/test_replicas.py: races for the same events and follow-ups.

Usage: python -m tests.store.replica_process LOCATION NAME EVENTS CASES
Prints one JSON line: the event ids and case ids this process won.
"""

from __future__ import annotations

import json
import sys

from bot.store import Store, iso, utc_now


def main(location: str, name: str, events: int, cases: int) -> None:
    store = Store(location)
    try:
        won_events = [n for n in range(events) if store.inbox.first_delivery(f"Ev{n}", "{}")]
        due = store.follow_ups.due(iso(utc_now()), limit=cases)
        won_cases = [p.case_id for p in due if store.follow_ups.claim(p.case_id, name)]
        won_week = store.claims.claim("2026-W47", name)
    finally:
        store.close()
    print(json.dumps({"events": won_events, "cases": won_cases, "week": won_week}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
