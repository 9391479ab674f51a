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
from bot.engine import Engine, Where
from bot.matching import Level
from bot.render.blocks import suggest_caveat
from bot.render.workflow import NO_MATCH, workflow_answer_text
from bot.slack.listeners.common import topic_of
from bot.versions import detect_version

logger = logging.getLogger(__name__)

CALLBACK_ID = "find_email_status_fix"
INPUTS = {"question": True, "outlook_version": False}  # name: required
OUTPUTS = ("matched", "article_id", "version", "answer_text", "case_id")


def step_outputs(
    engine: Engine, question: str, version_text: str, team: str | None
) -> dict[str, Any]:
    """The step's outputs for one question (the engine decides, as on every surface)."""
    version = detect_version(version_text, bare=True) if version_text else None
    outcome = engine.ask(question, Where(source="workflow", team=team), version=version)
    answer, case = outcome.answer, outcome.case
    if answer is None or case is None or outcome.level is Level.SILENT:
        return {"matched": False, "answer_text": NO_MATCH}
    caveat = None
    if outcome.level is Level.SUGGEST:
        caveat = suggest_caveat(topic_of(engine, answer.article_id))
    return {
        "matched": True,
        "article_id": answer.article_id,
        "version": answer.version or "",
        "answer_text": workflow_answer_text(answer, caveat),
        "case_id": case.id,
    }


def register(app: App, engine: Engine, settings: Settings) -> None:
    @app.function(CALLBACK_ID)
    def on_find_fix_step(
        inputs: dict[str, Any], body: dict[str, Any], complete: Complete, fail: Fail
    ) -> None:
        question = str(inputs.get("question") or "").strip()
        if not question:
            fail(error="The question input is empty: map a message or form answer to it.")
            return
        version_text = str(inputs.get("outlook_version") or "").strip()
        try:
            outputs = step_outputs(engine, question, version_text, body.get("team_id"))
        except Exception as exc:
            logger.exception("workflow step failed")
            fail(error=f"emailstatus-bot could not look this up ({type(exc).__name__}).")
            return
        complete(outputs=outputs)
