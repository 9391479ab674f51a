"""The Workflow Builder custom step ``find_email_status_fix`` (bolt's ``app.function``).

Slack sends ``function_executed`` when a workflow reaches the step; bolt acks it and
hands us the step's ``inputs``. The step always completes with ``complete(outputs=...)``,
``matched: false`` included; ``fail(error=...)`` is kept for real failures (an empty
question, an error on our side), so a workflow can branch on ``matched`` instead of
stopping. Cases opened here have source ``workflow``.

The function is declared under ``functions`` in both manifests in deploy/ (a test keeps
them and ``INPUTS``/``OUTPUTS`` in step). Custom steps need a paid plan, and the app
must be org-ready (``org_deploy_enabled``) and, on Enterprise Grid, installed at the
organisation level.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, Complete, Fail

from bot.config import Settings
from bot.conversation import Conversation
from bot.engine import Engine
from bot.render.blocks import suggest_caveat
from bot.render.workflow import no_match_text, workflow_answer_text
from bot.slack.workspaces import Workspace
from bot.versions import detect_version
from bot.vocabulary import Source, Where

logger = logging.getLogger(__name__)

STEP_CALLBACK_ID = "find_email_status_fix"
INPUTS = {"question": True, "outlook_version": False}  # name: required
OUTPUTS = ("matched", "article_id", "version", "answer_text", "case_id")


def step_outputs(
    conversation: Conversation, question: str, version_text: str, workspace: Workspace
) -> dict[str, Any]:
    """The step's outputs for one question (the conversation decides, as on every surface)."""
    version = detect_version(version_text, bare=True) if version_text else None
    where = Where(Source.WORKFLOW, team=workspace.team_id, enterprise=workspace.enterprise_id)
    reply = conversation.question(where, question, version=version)
    answer = reply.answer
    if answer is None or reply.case_id is None:
        return {"matched": False, "answer_text": no_match_text(reply.topic)}
    caveat = suggest_caveat(reply.topic) if reply.tentative else None
    return {
        "matched": True,
        "article_id": answer.article_id,
        "version": answer.version or "",
        "answer_text": workflow_answer_text(answer, caveat),
        "case_id": reply.case_id,
    }


def register(app: App, engine: Engine, settings: Settings) -> None:
    conversation = Conversation(engine, settings)

    @app.function(STEP_CALLBACK_ID)
    def on_find_fix_step(
        inputs: dict[str, Any], body: dict[str, Any], complete: Complete, fail: Fail
    ) -> None:
        question = str(inputs.get("question") or "").strip()
        if not question:
            fail(error="The question input is empty: map a message or form answer to it.")
            return
        version_text = str(inputs.get("outlook_version") or "").strip()
        try:
            outputs = step_outputs(conversation, question, version_text, Workspace.of(body))
        except Exception as exc:
            logger.exception("workflow step failed")
            fail(error=f"emailstatus-bot could not look this up ({type(exc).__name__}).")
            return
        complete(outputs=outputs)
