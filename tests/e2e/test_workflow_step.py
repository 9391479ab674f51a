"""The Workflow Builder step ``find_email_status_fix``: a signed ``function_executed`` event
over real HTTP reaches functions.completeSuccess (or completeError) on the fake Web API,
and the manifests declare exactly what the code reads and returns.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.slack.listeners.workflow import INPUTS, OUTPUTS, STEP_CALLBACK_ID
from tests.support import payloads as P
from tests.support.http_harness import LiveBot

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
FUNCTION_TOKEN = "xwfp-test-function-token"
ON_OUTLOOK = "HTML Email Status never shows the email as opened when the customer uses Outlook"


def function_executed(inputs: dict[str, Any]) -> dict[str, Any]:
    """The event as Slack's reference shows it (trimmed to what an app reads)."""
    return {
        "type": "function_executed",
        "function": {
            "id": "Fn0FINDFIX", "callback_id": STEP_CALLBACK_ID, "title": "Find email-status fix",
            "type": "app", "app_id": P.APP_ID, "input_parameters": [], "output_parameters": [],
            "date_created": 1760000000, "date_updated": 1760000000, "date_deleted": 0,
        },
        "inputs": inputs,
        "function_execution_id": "Fx0EXEC0001",
        "workflow_execution_id": "Wx0WORKFLOW1",
        "event_ts": P.next_ts(),
        "bot_access_token": FUNCTION_TOKEN,
    }  # fmt: skip


def completed(live: LiveBot) -> dict[str, Any]:
    [call] = live.slack.requests("functions.completeSuccess")
    assert call.data["function_execution_id"] == "Fx0EXEC0001"
    # bolt answers with the token Slack gave this execution, not the bot token.
    assert call.headers["Authorization"] == f"Bearer {FUNCTION_TOKEN}"
    return json.loads(call.data["outputs"])


def test_a_matched_question_completes_with_the_answer(live: LiveBot):
    live.event(function_executed({"question": ON_OUTLOOK, "outlook_version": "Outlook 2010"}))
    outputs = completed(live)
    assert set(outputs) == set(OUTPUTS)
    assert outputs["matched"] is True and outputs["version"] == "2010"
    case = live.engine.store.cases.get(outputs["case_id"])
    assert case is not None and case.source == "workflow" and case.chosen_version == "2010"
    assert outputs["article_id"] == case.article_id == "000385822"
    text = outputs["answer_text"]
    assert "*Why:*" in text and "*Steps for Outlook 2010*" in text and "Outlook 2007" not in text
    assert live.slack.calls("functions.completeError") == []
    assert live.engine.store.follow_ups.get(case.id) is None  # no thread to follow up in


def test_without_a_version_every_versions_steps_are_given(live: LiveBot):
    live.event(function_executed({"question": ON_OUTLOOK}))
    outputs = completed(live)
    assert outputs["matched"] is True and outputs["version"] == ""
    assert "*Steps for Outlook 2007*" in outputs["answer_text"]
    assert "*Steps for Outlook 2010*" in outputs["answer_text"]


def test_no_match_completes_with_matched_false(live: LiveBot):
    live.event(function_executed({"question": "Where do I book a meeting room for Friday?"}))
    outputs = completed(live)
    assert outputs["matched"] is False and outputs["answer_text"]
    assert live.slack.calls("functions.completeError") == []
    assert live.engine.store.cases.count() == 0
    [gap] = live.engine.store.gaps.iter()
    assert gap["source"] == "workflow"


def test_an_empty_question_fails_the_step(live: LiveBot):
    live.event(function_executed({"question": "   "}))
    [failure] = live.slack.calls("functions.completeError")
    assert "question" in failure["error"]
    assert live.slack.calls("functions.completeSuccess") == []


@pytest.mark.parametrize("kind", ["http", "socket"])
def test_the_manifests_declare_what_the_code_reads_and_returns(kind: str):
    manifest = yaml.safe_load((DEPLOY / f"slack-manifest-{kind}.yaml").read_text())
    assert manifest["settings"]["org_deploy_enabled"] is True  # custom steps need it
    [(callback_id, function)] = manifest["functions"].items()
    assert callback_id == STEP_CALLBACK_ID
    inputs = function["input_parameters"]
    assert {name: p["is_required"] for name, p in inputs.items()} == INPUTS
    outputs = function["output_parameters"]
    assert tuple(outputs) == OUTPUTS
    types = {name: p["type"] for name, p in {**inputs, **outputs}.items()}
    assert types == {"question": "string", "outlook_version": "string", "matched": "boolean",
                     "article_id": "string", "version": "string", "answer_text": "string",
                     "case_id": "integer"}  # fmt: skip
    # The outputs a workflow can always rely on are the ones every completion carries.
    assert {n for n, p in outputs.items() if p["is_required"]} == {"matched", "answer_text"}
