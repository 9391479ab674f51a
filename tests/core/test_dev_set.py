"""The repository's copy of the dev set: present, the same as ../shared's, never taught.

The quality gate (`make test`) and the overlap guard (test_examples.py) read this copy, so
they run in every clone, with or without ../shared beside it.
"""

from __future__ import annotations

import json
import tomllib

import pytest

from tests.conftest import EVAL_SET, ROOT, SHARED_EVAL_SET

FIELDS = {"text", "on_topic", "version", "lang", "kind"}


def test_the_copy_is_a_labelled_set_with_both_sides():
    rows = [json.loads(line) for line in EVAL_SET.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 200
    assert all(set(row) == FIELDS for row in rows)
    assert {row["on_topic"] for row in rows} == {True, False}


@pytest.mark.skipif(not SHARED_EVAL_SET.exists(), reason="no ../shared beside this checkout")
def test_the_copy_is_the_shared_dev_set():
    assert EVAL_SET.read_bytes() == SHARED_EVAL_SET.read_bytes()


def test_nothing_that_teaches_or_ships_reads_the_dev_set():
    """bot/ names it only in the `eval` command's example (the matcher learns from
    knowledge/ only), and the wheel ships knowledge/ and bot/, not tests/."""
    for path in (ROOT / "bot").rglob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "questions-dev" in line or "tests/data" in line:
                assert line.strip().startswith("emailstatus-bot eval "), (path, line)
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert not any(p.startswith("tests") for p in config["tool"]["setuptools"]["packages"])


def test_make_runs_the_gate_on_the_copy_and_fails_without_it():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "EVAL_SET ?= tests/data/questions-dev.jsonl" in makefile
    assert "eval --gate $(EVAL_SET)" in makefile
    assert "quality gate skipped" not in makefile  # a missing set fails, never skips
