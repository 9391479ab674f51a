"""The command line through click's CliRunner: exact contracts and help text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.commands import usage_lines
from tests.conftest import EVAL_SET, KNOWLEDGE_DIR
from tests.core.test_matching import assert_silent_contract


@pytest.fixture
def run_cli(tmp_path, monkeypatch):
    monkeypatch.setenv("EMAILSTATUS_DB", str(tmp_path / "cli.db"))
    monkeypatch.delenv("KNOWLEDGE_DIR", raising=False)

    def invoke(*args: str, stdin: str | None = None):
        return CliRunner().invoke(main, list(args), input=stdin)

    return invoke


def test_match_jsonl_contract(run_cli, matcher):
    lines = [
        json.dumps({"text": "outlook 2016 recipient, opens stuck at zero"}),
        "{not json",
        json.dumps({"no_text": 1}),
        "",
        json.dumps({"text": "pizza in the kitchen"}),
        json.dumps({"text": ""}),
    ]
    result = run_cli("match", "--jsonl", stdin="\n".join(lines) + "\n")
    assert result.exit_code == 0
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 5  # blank input lines produce nothing; every other line one result
    # The score is the matcher's own for that text (read from the line, not made up).
    expected = matcher.match("outlook 2016 recipient, opens stuck at zero").as_contract()
    assert 0 < expected["score"] <= 100
    assert out[0] == {
        "match": True,
        "article": "000385822",
        "score": expected["score"],
        "version": "2013+",
        "level": "answer",
    }
    assert set(out[1]) == {"error"} and "invalid JSON" in out[1]["error"]
    assert set(out[2]) == {"error"}
    assert len(out[3:]) == 2
    for silent in out[3:]:
        assert_silent_contract(silent, matcher)


def test_match_requires_jsonl(run_cli):
    assert run_cli("match").exit_code == 2


def test_ask_prints_the_version_steps(run_cli):
    result = run_cli("ask", "why does times opened stay at 0 for outlook 2010 users?")
    assert result.exit_code == 0
    assert "Outlook 2010:\n1. On the Home tab, in the Delete group, click Junk" in result.output
    assert "Outlook 2007:" not in result.output


def test_ask_with_an_explicit_version_and_explanation(run_cli):
    result = run_cli("ask", "--explain", "--version", "o365", "opens never counted in outlook")
    assert result.exit_code == 0
    assert result.output.startswith("level=answer score=")
    assert "Outlook 2013 and later (including Microsoft 365):" in result.output


def test_ask_rejects_an_unknown_version(run_cli):
    result = run_cli("ask", "--version", "2009", "opens never counted in outlook")
    assert result.exit_code == 2 and "not an Outlook version" in result.output


def test_ask_off_topic_says_so(run_cli):
    result = run_cli("ask", "who has the stapler")
    assert result.exit_code == 1 and "No article matches" in result.output


def test_knowledge_check_ok_and_failing(run_cli, tmp_path):
    ok = run_cli("knowledge", "check", str(KNOWLEDGE_DIR))
    assert ok.exit_code == 0 and ok.output.startswith("ok: 3 article(s) valid.\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nvariants: nope\n", encoding="utf-8")
    result = run_cli("knowledge", "check", str(bad))
    assert result.exit_code == 1
    assert f"{bad}:2: variants: must be a list" in result.output


def test_eval_prints_every_figure(run_cli):
    result = run_cli("eval", str(EVAL_SET))
    assert result.exit_code == 0
    for label in (
        "precision:",
        "recall:",
        "F1:",
        "false-positive rate (off-topic):",
        "version accuracy: all lines",
        "near_miss",
        "non_english",
        "misses (",
    ):
        assert label in result.output


def test_eval_gate_fails_on_a_bad_labelled_file(run_cli, tmp_path):
    labelled = tmp_path / "wrong.jsonl"
    # Labels deliberately inverted: the gate must fail.
    rows = [
        {
            "text": "outlook 2010 users: times opened never goes up",
            "on_topic": False,
            "version": "2007",
            "lang": "en",
            "kind": "direct",
        },
        {
            "text": "pizza time",
            "on_topic": True,
            "version": None,
            "lang": "en",
            "kind": "off_topic",
        },
    ]
    labelled.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    result = run_cli("eval", "--gate", str(labelled))
    assert result.exit_code == 1 and "quality gate FAILED" in result.output


def test_eval_reports_a_malformed_file(run_cli, tmp_path):
    labelled = tmp_path / "bad.jsonl"
    labelled.write_text('{"text": "x"}\n', encoding="utf-8")
    result = run_cli("eval", str(labelled))
    assert result.exit_code == 1 and "line 1: not a labelled message" in result.output


def test_help_is_generated_from_the_command_table(run_cli):
    result = run_cli("--help")
    for line in usage_lines():
        assert line in result.output


def _all_commands(group, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if hasattr(command, "commands"):
            yield from _all_commands(command, (*prefix, name))


@pytest.mark.parametrize("path", [p for p, c in _all_commands(main) if not hasattr(c, "commands")])
def test_every_command_has_help_with_an_example(run_cli, path):
    result = run_cli(*path, "--help")
    assert result.exit_code == 0 and "Example:" in result.output, path


def test_console_answers_piped_questions_and_logs_the_case(run_cli, tmp_path):
    result = run_cli("run", stdin="why does times opened stay at 0 for outlook 2010 users?\n")
    assert result.exit_code == 0
    assert "Outlook 2010:\n1. On the Home tab, in the Delete group" in result.output
    from bot.store import Store

    log = Store(Path(tmp_path / "cli.db"))
    case = log.cases.get(1)
    assert case is not None and case.source == "console" and case.detected_version == "2010"


def test_knowledge_list_fits_100_columns(run_cli):
    """It was 280 characters wide: one table row held the title and the whole URL."""
    result = run_cli("knowledge", "list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()[1:]
    assert max(len(line) for line in lines) <= 100
    at = lines.index(next(line for line in lines if line.startswith("000385822  ")))
    assert lines[at].startswith("000385822  HTML Email Open Tracking Not Working in Microsoft")
    assert lines[at].endswith("…")  # the title is longer than the line
    assert lines[at + 1:at + 3] == [
        "  2007, 2010, 2013+; published 2026-05-11",
        "  https://help.salesforce.com/s/articleView?id=000385822&type=1",
    ]  # fmt: skip


def test_eval_prints_the_routing_table_for_lines_that_name_their_article(run_cli, tmp_path):
    labelled = tmp_path / "routed.jsonl"
    rows = [
        {"text": "outlook 2010 users: times opened never goes up, they read everything",
         "article": "000385822"},
        {"text": "where do I turn on html email tracking in setup for our org?",
         "article": "000385622"},
        {"text": "pizza time at noon, who is in?", "article": None},
    ]  # fmt: skip
    for row in rows:
        row |= {"on_topic": row["article"] == "000385822", "version": None, "lang": "en"}
    labelled.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    result = run_cli("eval", "--no-misses", str(labelled))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    table = lines.index("routing (rows: the right article; columns: what was answered):")
    assert lines[table + 1].split() == ["expected", "(silent)", "000385622", "000385822"]
    assert lines[table + 2].split() == ["(silent)", "1", "0", "0"]
    assert "routing accuracy (right article or silence, lines that name their article): " \
        "1.000 (3/3)" in result.output  # fmt: skip
    assert "  per article (answer level):" in lines
