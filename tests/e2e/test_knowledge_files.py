"""Hostile or mistaken files in KNOWLEDGE_DIR stop `serve` and `knowledge check` with one
clear line each, no traceback, in bounded memory (issue 21, point 12).

Before: an alias bomb took 2.9 GB, then MemoryError; deep nesting was a RecursionError
traceback; a huge examples file trained for over a minute in GBs; a misnamed
``*.examples.yaml`` was counted by `knowledge check` and ignored by training. One folder
holds all four, so each command runs once (real processes, as an operator runs them).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.knowledge import MAX_YAML_BYTES, MAX_YAML_DEPTH
from tests.conftest import KNOWLEDGE_DIR
from tests.ops.serving import EXE
from tests.support.signing import SECRET

BOMB = "\n".join(  # nine levels of nine aliases: 9**9 strings once expanded
    ["a: &a [x, x, x, x, x, x, x, x, x]"]
    + [f"{chr(98 + n)}: &{chr(98 + n)} [{', '.join(['*' + chr(97 + n)] * 9)}]" for n in range(8)]
)
DEEP = "[" * 20000 + "]" * 20000  # PyYAML's pure-Python scanner recursed into this
MEMORY_CEILING_MB = 400  # the bomb alone took 2.9 GB; a check needs about 60 MB


@dataclass
class Ran:
    code: int
    output: str
    peak_mb: float


def run(args: list[str], **env: str) -> Ran:
    """Run the CLI as an operator does (stdin not a terminal); its exit and peak RSS."""
    full = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "KNOWLEDGE"))}
    process = subprocess.Popen(
        [str(EXE), *args], env={**full, **env}, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    assert process.stdout is not None
    output = process.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(process.pid, 0)  # ru_maxrss of this child alone, in KiB
    process.returncode = os.waitstatus_to_exitcode(status)
    process.stdout.close()
    return Ran(process.returncode, output, usage.ru_maxrss / 1024)


@pytest.fixture(scope="module")
def hostile_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile") / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, folder)
    (folder / "bomb.yaml").write_text(BOMB, encoding="utf-8")
    (folder / "deep.yaml").write_text(DEEP, encoding="utf-8")
    line = '      - "times opened stays at zero for my outlook recipients"\n'
    huge = folder / "000385622.examples.yaml"  # the file training reads for 000385622
    huge.write_text(huge.read_text(encoding="utf-8") + line * (MAX_YAML_BYTES // len(line) + 1))
    misnamed = folder / "outlook-extra.examples.yaml"  # training never reads this name
    shutil.copy(KNOWLEDGE_DIR / "000385822.examples.yaml", misnamed)
    return folder


EXPECTED = {  # file -> what its one line says
    "bomb.yaml": "an anchor (&) on a list or mapping is not allowed",
    "deep.yaml": f"nested more than {MAX_YAML_DEPTH} levels deep",
    "000385622.examples.yaml": "too large",
    "outlook-extra.examples.yaml": "no article 'outlook-extra' is loaded",
}


def assert_one_clear_line_each(ran: Ran) -> None:
    assert "Traceback" not in ran.output and "Error:" not in ran.output, ran.output[-3000:]
    for name, words in EXPECTED.items():
        lines = [line for line in ran.output.splitlines() if f"/{name}:" in line]
        assert len(lines) == 1 and words in lines[0], (name, lines)
    assert ran.peak_mb < MEMORY_CEILING_MB, ran.peak_mb


def test_knowledge_check_names_each_bad_file_in_one_line(hostile_folder: Path):
    ran = run(["knowledge", "check", str(hostile_folder)])
    assert ran.code == 1
    assert_one_clear_line_each(ran)
    assert "4 problem(s) found." in ran.output


def test_serve_refuses_to_start_on_them(hostile_folder: Path, tmp_path: Path):
    ran = run(
        ["serve", "--port", "9"], KNOWLEDGE_DIR=str(hostile_folder),
        SLACK_BOT_TOKEN="xoxb-1-2-knowledge", SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL="http://127.0.0.1:9/api/", EMAILSTATUS_DB=str(tmp_path / "bot.db"),
    )  # fmt: skip
    assert ran.code == 2  # before: a MemoryError, a RecursionError, or a minute of training
    assert_one_clear_line_each(ran)
    assert all(
        line.startswith("configuration error: knowledge: ") for line in ran.output.splitlines()
    ), ran.output[-3000:]
