"""The App Home tab: how to use the bot, then each article's quick reference.

An article without variants shows its points and steps; no Outlook words unless its
YAML has them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.knowledge import Article
from bot.render.answer import plain_steps_text, source_link, steps_text
from bot.render.kit import (
    MAX_HOME_BLOCKS,
    Block,
    context,
    divider,
    escape,
    header,
    section,
)

HOME_TITLE = "Email Status helper"


def usage_text(articles: Sequence[Article]) -> str:
    topics = "; ".join(escape(a.topic) for a in articles) or "email tracking"
    lines = [
        f"• Ask in a channel I'm in: I answer questions about {topics}, in the thread.",
        "• @mention me or DM me with a question.",
        "• `/emailstatus <question>` answers privately; `/emailstatus help` lists everything.",
        "• On any message, thread replies too: *More actions* (⋮) → *Find email-status fix*.",
    ]
    lookups = [a for a in articles if a.variants]
    if lookups:
        first = lookups[0]
        example = first.variants[len(first.variants) // 2].id
        lines.insert(3, f"• `/emailstatus {escape(example)}` gives the steps for one "
                        f"{escape(first.variant_noun)} ({escape(first.topic)}).")  # fmt: skip
    return "*How to use me*\n" + "\n".join(lines)


def home_view(articles: Sequence[Article], extra_blocks: Sequence[Block] = ()) -> dict[str, Any]:
    """The Home tab: how to use the bot, then each article's steps by variant."""
    blocks: list[Block] = [header(HOME_TITLE), section(usage_text(articles))]
    for article in articles:
        blocks += article_reference_blocks(article)
    blocks += list(extra_blocks)
    return {"type": "home", "blocks": blocks[:MAX_HOME_BLOCKS]}


def article_reference_blocks(article: Article) -> list[Block]:
    blocks: list[Block] = [
        divider(),
        header(article.topic),
        section(f"*Why:* {escape(article.cause)}\n*Fix:* {escape(article.fix_summary)}"),
    ]
    if article.points:
        blocks.append(section("\n".join(f"• {escape(p.text)}" for p in article.points)))
    if article.steps:
        blocks.append(section(plain_steps_text(article.steps)))
    for guide in article.variants:
        blocks.append(section(steps_text(guide)))
        if guide.how_to_tell:
            blocks.append(context(f"How to tell: {escape(guide.how_to_tell)}"))
    blocks.append(context(source_link(article.source_name, article.source_url, article.title)))
    return blocks
