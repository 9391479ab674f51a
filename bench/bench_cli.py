"""Command-line start-up: how long a command takes next to a bare interpreter.

    python bench/bench_cli.py [--runs 7]

Target: `emailstatus-bot --help` within 5x `python -c pass` (commands load the matcher,
and with it scikit-learn, only when they use it). Prints the median of each.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tabulate import tabulate

EXE = str(Path(sys.executable).with_name("emailstatus-bot"))
COMMANDS = [
    ("python -c pass", [sys.executable, "-c", "pass"]),
    ("emailstatus-bot --help", [EXE, "--help"]),
    ("emailstatus-bot knowledge list", [EXE, "knowledge", "list"]),
    ("emailstatus-bot cases list", [EXE, "cases", "list"]),
]


def median_seconds(command: list[str], runs: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "EMAILSTATUS_DB": str(Path(folder) / "bench.db")}
        rows, bare = [], 0.0
        for name, command in COMMANDS:
            seconds = median_seconds(command, runs, env)
            bare = bare or seconds
            rows.append((name, f"{seconds * 1000:.0f}", f"{seconds / bare:.1f}x"))
    print(tabulate(rows, headers=["command", "median ms", "vs bare python"]))
    help_ratio = float(rows[1][2].rstrip("x"))
    print(f"target --help within 5x a bare interpreter: {'met' if help_ratio <= 5 else 'MISSED'}")


if __name__ == "__main__":
    main()
