"""Test helpers: a settable clock, and weeks of cases built by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.models.blocks import Block

from bot.store import Store


class Clock:
    """A settable clock: tests move time, never sleep."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass(frozen=True)
class Row:
    at: datetime  # when the case was opened (aware)
    source: str = "channel"
    channel: str | None = "C0SUPPORT"
    version: str | None = "2010"
    action: str | None = None  # case_resolved | case_unresolved | case_escalate | ...
    after: timedelta = timedelta(minutes=30)  # when the action happened
    user: str = "U1"
    question: str = "Times Opened stays at 0 in Outlook 2010"
    article: str | None = "000385822"


def build(log: Store, clock: Clock, rows: list[Row]) -> list[int]:
    ids = []
    for row in rows:
        clock.set(row.at)
        case = log.cases.open(
            source=row.source, level="answer", question=row.question, article_id=row.article,
            score=80.0, detected_version=row.version, channel=row.channel, user=row.user,
        )  # fmt: skip
        if row.action:
            clock.set(row.at + row.after)
            log.cases.record_click(case.id, row.user, row.action)
        ids.append(case.id)
    return ids


def check_blocks(blocks: list[dict[str, Any]], limit: int = 50) -> None:
    """What Slack would reject: unknown keys, too many blocks, over-long texts."""
    assert 0 < len(blocks) <= limit
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None and parsed.to_dict() == block
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
            assert block["text"]["type"] == "plain_text"
        if block["type"] == "section":
            assert "text" in block or "fields" in block
            assert len(block.get("text", {}).get("text", "")) <= 3000
            assert len(block.get("fields", [])) <= 10
            assert all(len(f["text"]) <= 2000 for f in block.get("fields", []))
