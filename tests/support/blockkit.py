"""Block Kit checks shared by the Slack unit tests and the end-to-end tests.

slack_sdk's models validate much in ``to_dict()``; a round trip through
``Block.parse`` also catches misspelled keys. They do not check the block count or
that button text is plain_text, so ``problems`` checks those too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

MAX_BLOCKS = {"message": 50, "home": 100, "modal": 100}
LIMITS = {
    "button_text": 75,
    "button_value": 2000,
    "action_id": 255,
    "block_id": 255,
    "section_text": 3000,
    "header_text": 150,
    "context_text": 2000,
}


def problems(payload: dict[str, Any], surface: str = "message") -> list[str]:
    """Everything wrong with a message payload (``text`` + ``blocks``) or a view."""
    found: list[str] = []
    blocks = payload.get("blocks") or []
    if surface == "message" and not str(payload.get("text") or "").strip():
        found.append("no plain text fallback")
    if len(blocks) > MAX_BLOCKS[surface]:
        found.append(f"{len(blocks)} blocks > {MAX_BLOCKS[surface]}")
    for index, block in enumerate(blocks):
        try:
            parsed = Block.parse(block)
            round_trip = parsed.to_dict() if parsed is not None else None
        except SlackObjectFormationError as exc:  # to_dict() validates the limits it knows
            found.append(f"block {index} is invalid: {exc}")
            continue
        if round_trip != block:
            found.append(f"block {index} does not round-trip: {block}")
        found += [f"block {index}: {p}" for p in _block_problems(block)]
    return found


def _block_problems(block: dict[str, Any]) -> Iterator[str]:
    if len(block.get("block_id", "")) > LIMITS["block_id"]:
        yield "block_id too long"
    kind = block["type"]
    if (
        kind == "section"
        and len((block.get("text") or {}).get("text", "")) > LIMITS["section_text"]
    ):
        yield "section text too long"
    if kind == "header" and len(block["text"]["text"]) > LIMITS["header_text"]:
        yield "header text too long"
    if kind == "context":
        for element in block["elements"]:
            if len(element.get("text", "")) > LIMITS["context_text"]:
                yield "context text too long"
    for element in block.get("elements", []) if kind == "actions" else []:
        yield from _button_problems(element)


def _button_problems(button: dict[str, Any]) -> Iterator[str]:
    if button["type"] != "button":
        return
    if button["text"]["type"] != "plain_text":
        yield f"button text must be plain_text: {button['text']}"
    if len(button["text"]["text"]) > LIMITS["button_text"]:
        yield f"button text too long: {button['text']['text']}"
    if len(button.get("value", "")) > LIMITS["button_value"]:
        yield "button value too long"
    if len(button.get("action_id", "")) > LIMITS["action_id"]:
        yield "action_id too long"


def assert_valid(payload: dict[str, Any], surface: str = "message") -> None:
    found = problems(payload, surface)
    assert not found, "\n".join(found)


def buttons(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Every button in a payload, in order."""
    return [
        element
        for block in payload.get("blocks") or []
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def action_ids(payload: dict[str, Any]) -> list[str]:
    return [b["action_id"] for b in buttons(payload)]


def all_text(payload: dict[str, Any]) -> str:
    """Every string in the payload (text fallback, blocks), for 'is this echoed?' checks."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, str):
            parts.append(node)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(payload)
    return "\n".join(parts)
