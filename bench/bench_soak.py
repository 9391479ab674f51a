"""Soak benchmark: every acked event answered exactly once while faults hit `serve`.

    python bench/bench_soak.py [--seconds 60] [--every 5] [--clients 4] [--pause 0.05] [--postgres]

One real `serve` (gunicorn, two workers, SQLite) gets signed channel questions from
``--clients`` threads (each pausing ``--pause`` s between events) for ``--seconds``,
while a fault is injected every ``--every`` seconds, in rotation: kill -9 of the whole
process group and a restart, SIGTERM and a restart, the database files read-only for
``--fault-seconds``, a 429 storm on chat.postMessage, connection resets on it. An event
without a 200 within 3 s is delivered again with ``X-Slack-Retry-Num``, as Slack does.
Then the load stops and the backlog is waited for (``--drain`` s at most).

Columns: events **sent**, **acked** (a 200 in time: each is a reply **owed**),
**delivered** (owed replies that arrived), **doubled** (threads with two replies),
**lost** (owed, never arrived), the worst and median **lag** from ack to reply, the
**peak RSS** of serve's processes together and of the largest one, and tracebacks in
serve's log. ``--postgres``: the same on a throw-away PostgreSQL server (``initdb``,
``pg_ctl``, as for the tests), without the read-only fault. The machinery is
tests/ops/soak.py.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tabulate import tabulate  # noqa: E402

from tests.ops.soak import FAULTS, Soak  # noqa: E402
from tests.support import payloads as P  # noqa: E402
from tests.support.fake_slack import FakeSlackApi  # noqa: E402
from tests.support.postgres import start_server  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the load runs")
    parser.add_argument("--every", type=float, default=5.0, help="seconds between faults")
    parser.add_argument("--clients", type=int, default=4, help="concurrent senders")
    parser.add_argument("--pause", type=float, default=0.05, help="each sender's pause, s")
    parser.add_argument("--fault-seconds", type=float, default=3.0, help="read-only/storm length")
    parser.add_argument("--drain", type=float, default=120.0, help="seconds to wait for replies")
    parser.add_argument("--keep", action="store_true", help="keep the folder (serve.log, bot.db)")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp, ExitStack() as stack:
        env, faults = {}, FAULTS
        if args.postgres:
            pg = start_server()
            stack.callback(pg.stop)
            env = {"DATABASE_URL": pg.fresh_database()}
            faults = tuple(f for f in FAULTS if f != "read-only")  # no files of ours to freeze
        with FakeSlackApi(bot_user=P.BOT_USER, bot_id=P.BOT_ID, team=P.TEAM) as slack:
            soak = Soak(
                Path(tmp), slack, clients=args.clients, pause=args.pause,
                fault_seconds=args.fault_seconds, log=lambda line: print(line, flush=True),
                env=env,
            )  # fmt: skip
            figures = soak.run(args.seconds, args.every, faults, drain=args.drain)
        print()
        print(tabulate([figures.row()], headers="keys", tablefmt="github"))
        for note in figures.notes:
            print("note:", note)
        if figures.tracebacks:
            print(f"serve.log has {figures.tracebacks} tracebacks: {Path(tmp) / 'serve.log'}")
        if args.keep:
            kept = Path(tempfile.mkdtemp(prefix="soak-kept-"))
            for name in ("serve.log", "data"):
                source = Path(tmp) / name
                if source.exists():
                    source.rename(kept / name)
            print("kept in", kept)
    sys.exit(1 if figures.doubled or figures.lost else 0)


if __name__ == "__main__":
    main()
