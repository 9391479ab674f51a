"""Case log benchmark: insert rate, and one week's summary at 10k, 100k and 1M cases
(of the whole log, and of one workspace of ten).

    python bench/bench_cases.py [--max-cases 1000000] [--keep PATH]

The database grows in steps (10,000 → 100,000 → 1,000,000 cases), each step spread
evenly over the same two years, so a week holds about 1% of the cases (~9,600 at
1M). Bulk rows go in with executemany inside one transaction; the insert rate is
measured separately through ``store.cases.open``, one committed transaction per
case, as the bot writes them. Target: a weekly summary in at most 200 ms at 1M cases.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.store import Store
from bot.summary import IsoWeek, summarise

STEPS = (10_000, 100_000, 1_000_000)
SPAN = timedelta(weeks=104)
END = datetime(2026, 11, 23, tzinfo=UTC)  # a Monday: the span is whole weeks
WEEK = IsoWeek.containing((END - SPAN / 2).date())  # a week in the middle of the span
TZ = ZoneInfo("Europe/Paris")
TARGET_MS = 200.0
REPEATS = 5
INSERT_SAMPLE = 2_000
TEAMS = tuple(f"T0BENCH{n}" for n in range(10))  # ten workspaces share the log
ONE_TEAM = TEAMS[3]

STATUSES = ("answered", "resolved", "resolved", "resolved", "unresolved", "escalated")
SOURCES = ("channel", "channel", "channel", "mention", "dm", "slash", "shortcut")
VERSIONS = ("2007", "2010", "2010", "2013+", "2013+", "2013+", "other", None)
CHANNELS = tuple(f"C0{n:07d}" for n in range(40))
GAP_QUESTIONS = (
    "how do I reset my password",
    "email template not saving",
    "mail merge in lightning",
    "times opened in gmail",
    "calendar sync broken",
)


def insert_rate(log: Store) -> tuple[float, float, float]:
    """(cases/second, p50 ms, p99 ms) through store.cases.open: one commit per case."""
    latencies = []
    started = time.perf_counter()
    for n in range(INSERT_SAMPLE):
        t0 = time.perf_counter()
        log.cases.open(source="channel", level="answer", question=f"question {n}",
                      article_id="000385822", score=75.0, detected_version="2010",
                      channel="C0BENCH", thread_ts=f"{n}.0001", user="U0BENCH")  # fmt: skip
        latencies.append((time.perf_counter() - t0) * 1000)
    elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100)
    return INSERT_SAMPLE / elapsed, cuts[49], cuts[98]


def case_rows(count: int, rng: random.Random) -> list[tuple[object, ...]]:
    start = END - SPAN
    seconds = sorted(rng.randrange(int(SPAN.total_seconds())) for _ in range(count))
    rows = []
    for offset in seconds:
        created = start + timedelta(seconds=offset)
        status = rng.choice(STATUSES)
        resolve = float(rng.randrange(60, 86_400)) if status == "resolved" else None
        rows.append((
            created.isoformat(timespec="seconds"), rng.choice(TEAMS), rng.choice(CHANNELS),
            f"{offset}.000100", f"U0{rng.randrange(500):05d}", rng.choice(SOURCES),
            "Times Opened stays at 0 in Outlook", "000385822", 70.0 + rng.random() * 30,
            "answer", rng.choice(VERSIONS), None, status,
            "U0BENCH" if status != "answered" else None,
            (created + timedelta(seconds=resolve or 600)).isoformat(timespec="seconds")
            if status != "answered" else None,
            resolve,
        ))  # fmt: skip
    return rows


def gap_rows(count: int, rng: random.Random) -> list[tuple[object, ...]]:
    start = END - SPAN
    seconds = sorted(rng.randrange(int(SPAN.total_seconds())) for _ in range(count))
    return [
        ((start + timedelta(seconds=s)).isoformat(timespec="seconds"), "dm",
         f"{rng.choice(GAP_QUESTIONS)} {rng.choice(('', '?', 'please'))}".strip(),
         "no article matched")
        for s in seconds
    ]  # fmt: skip


def add_cases(log: Store, count: int, rng: random.Random) -> None:
    cases, gaps = case_rows(count, rng), gap_rows(count // 10, rng)
    with log.conn.write() as db:  # one transaction: the bench's bulk load, not the bot's path
        db.conn.executemany(
            "insert into cases (created_at, team, channel, thread_ts, user, source, question,"
            " article_id, score, level, detected_version, chosen_version, status, status_by,"
            " status_at, resolve_seconds) values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            cases,
        )
        db.conn.executemany(
            "insert into gaps (created_at, source, question, reason) values (?,?,?,?)", gaps
        )


def time_summary(log: Store, team: str | None = None) -> tuple[float, float, int]:
    """(median ms, slowest ms, cases in the week) over REPEATS runs."""
    runs, cases = [], 0
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        summary = summarise(log, WEEK, TZ, team)
        runs.append((time.perf_counter() - t0) * 1000)
        cases = summary.headline.cases
    return statistics.median(runs), max(runs), cases


def size_mb(path: Path, log: Store) -> float:
    log.db.execute("pragma wal_checkpoint(truncate)")
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-cases", type=int, default=STEPS[-1])
    parser.add_argument("--keep", type=Path, help="build the database here and keep it")
    args = parser.parse_args()
    rng = random.Random(385822)
    with tempfile.TemporaryDirectory(prefix="bench-cases-") as tmp:
        path = args.keep or Path(tmp) / "bench.db"
        path.unlink(missing_ok=True)
        rate, p50, p99 = insert_rate(Store(Path(tmp) / "inserts.db"))
        print(f"case inserts: {rate:,.0f}/s through store.cases.open (one commit each);"
              f" latency p50 {p50:.2f} ms, p99 {p99:.2f} ms")  # fmt: skip
        print(f"summary of {WEEK.label} ({TZ}), median of {REPEATS}; target ≤{TARGET_MS:.0f} ms\n")
        print(f"{'cases in db':>12} {'in week':>8} {'load s':>7} {'summary ms':>11}"
              f" {'max ms':>7} {'1 team ms':>10} {'db MB':>7}  verdict")  # fmt: skip
        log, total, failed = Store(path), 0, False
        for step in (s for s in STEPS if s <= args.max_cases):
            t0 = time.perf_counter()
            add_cases(log, step - total, rng)
            load, total = time.perf_counter() - t0, step
            median, slowest, in_week = time_summary(log)
            team_median, _, _ = time_summary(log, ONE_TEAM)
            verdict = "ok" if max(median, team_median) <= TARGET_MS else "SLOW"
            failed |= verdict != "ok"
            print(f"{total:>12,} {in_week:>8,} {load:>7.1f} {median:>11.1f} {slowest:>7.1f}"
                  f" {team_median:>10.1f} {size_mb(path, log):>7.1f}  {verdict}")  # fmt: skip
            sys.stdout.flush()
        log.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
