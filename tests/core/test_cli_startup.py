"""Commands that need no matcher start at once: they never import scikit-learn.

Each command runs in a fresh interpreter (this one has imported everything already) and
reports which heavy packages it loaded. `emailstatus-bot --help` took 1.2 s when every
command imported the matcher; bench/bench_cli.py prints the timings.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("sklearn", "scipy", "numpy", "matplotlib", "slack_bolt", "sqlite_utils")
PROBE = """
import json, sys
from bot.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
heavy = json.loads(sys.stdin.read())
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules} & set(heavy))), file=sys.stderr)
"""

CASES = [
    # command line, heavy packages it may load
    (["--help"], set()),
    (["cases", "--help"], set()),
    (["knowledge", "list"], set()),
    (["knowledge", "check"], set()),
    (["cases", "list"], {"sqlite_utils", "numpy"}),  # sqlite-utils imports numpy
    (["summary"], {"sqlite_utils", "numpy"}),
]


@pytest.mark.parametrize(("args", "allowed"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_commands_without_a_matcher_leave_scikit_learn_unloaded(
    args: list[str], allowed: set[str], tmp_path: Path
):
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], input=json.dumps(HEAVY), capture_output=True,
        text=True, timeout=60, env={"EMAILSTATUS_DB": str(tmp_path / "bot.db"), "PATH": ""},
    )  # fmt: skip
    loaded = set(json.loads(done.stderr.splitlines()[-1]))
    assert loaded <= allowed, (args, loaded - allowed)


def test_the_probe_sees_a_command_that_does_load_the_matcher(tmp_path: Path):
    done = subprocess.run(
        [sys.executable, "-c", PROBE, "ask", "times opened stays at 0 in outlook 2010"],
        input=json.dumps(HEAVY), capture_output=True, text=True, timeout=120,
        env={"EMAILSTATUS_DB": str(tmp_path / "bot.db"), "PATH": "",
             "MODEL_CACHE_DIR": os.environ["MODEL_CACHE_DIR"]},  # the run's trained model
    )  # fmt: skip
    # A cached model serves from plain arrays (bot/linear.py): numpy, not scikit-learn.
    assert "numpy" in json.loads(done.stderr.splitlines()[-1])
