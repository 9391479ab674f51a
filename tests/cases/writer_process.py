"""A separate process that writes cases and reports each one once it is committed.

Usage: python writer_process.py DB COUNT [START_FILE]
Prints one case id per line, flushed, *after* ``open_case`` returned (i.e. after
COMMIT). With START_FILE, waits for that file to exist first, so two writers start
together.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bot.store import Store


def main() -> None:
    path, count = sys.argv[1], int(sys.argv[2])
    start = Path(sys.argv[3]) if len(sys.argv) > 3 else None
    log = Store(path)
    print("ready", flush=True)
    while start is not None and not start.exists():
        pass  # a spin of a few milliseconds: both writers leave it at the same moment
    for n in range(count):
        case = log.cases.open(source="channel", level="answer", question=f"q{n}", user="U1")
        log.cases.record_click(case.id, "U1", "case_resolved")
        print(case.id, flush=True)


if __name__ == "__main__":
    main()
