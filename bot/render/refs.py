"""What buttons carry and which handler they reach: action ids, block ids and ``Ref``.

Buttons carry what their handler needs in their ``value`` (a small JSON ``Ref``), so a
click can be handled by any process, after any restart, without server-side state.
These names are the contract between the renderers and bot/slack/listeners/actions.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from bot.store.models import Action

PICK_VERSION = "pick_version"
# The feedback buttons' ids are the stored actions themselves (one definition).
CASE_RESOLVED = Action.RESOLVED
CASE_UNRESOLVED = Action.UNRESOLVED
CASE_CUSTOMER_TEXT = Action.CUSTOMER_TEXT
CASE_ESCALATE = Action.ESCALATE
SUGGEST_YES = "suggest_yes"
SUGGEST_NO = "suggest_no"
SHARE = "share_in_channel"
# Language buttons: one per language in a row, so the language rides in the action id
# (``pick_language:de``); bolt routes them with a pattern.
PICK_LANGUAGE = "pick_language"
CUSTOMER_TEXT_IN = "customer_text_in"
ORIGINAL_STEPS = "original_steps"
LANGUAGE_BLOCK_ID = "answer_language"

STATUS_BLOCK_ID = "case_status"
CASE_ACTIONS_BLOCK_ID = "case_actions"
PICKER_BLOCK_PREFIX = "pick_version"


@dataclass(frozen=True)
class Ref:
    """The case, article and version a message is about; encoded into button values."""

    article_id: str
    version: str | None = None
    case_id: int | None = None
    kind: str = "answer"  # for Share: "answer" | "picker" | "help"
    language: str | None = None  # chosen by a person; None: the question's own

    def encode(self) -> str:
        kind = self.kind if self.kind != "answer" else None
        data = {"a": self.article_id, "v": self.version, "c": self.case_id, "k": kind,
                "l": self.language}  # fmt: skip
        return json.dumps({k: v for k, v in data.items() if v is not None}, separators=(",", ":"))

    @classmethod
    def decode(cls, value: str) -> Ref:
        data = json.loads(value)
        case_id = data.get("c")
        return cls(
            article_id=str(data["a"]),
            version=data.get("v"),
            case_id=int(case_id) if case_id is not None else None,
            kind=str(data.get("k", "answer")),
            language=str(data["l"]) if data.get("l") else None,
        )


def language_action_id(prefix: str, language: str) -> str:
    return f"{prefix}:{language}"


def picker_block_id(ref: Ref) -> str:
    """The picker's value is the bare version id, so the case rides in the block_id."""
    case = ref.case_id if ref.case_id is not None else "-"
    language = f"|{ref.language}" if ref.language else ""
    return f"{PICKER_BLOCK_PREFIX}|{case}|{ref.article_id}{language}"


def ref_from_picker_block_id(block_id: str) -> Ref:
    _, case, rest = block_id.split("|", 2)
    article_id, _, language = rest.partition("|")
    return Ref(
        article_id=article_id,
        case_id=None if case == "-" else int(case),
        language=language or None,
    )


@dataclass(frozen=True)
class StatusLine:
    """Who last marked a case, shown under the buttons."""

    status: str  # resolved | unresolved | escalated
    user: str
    at: datetime
