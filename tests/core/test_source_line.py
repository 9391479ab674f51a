"""The answer's source line names the title once: before, an article whose source name
held its title read "Considerations for Email Open Tracking — Considerations for Email
Open Tracking"."""

from __future__ import annotations

import pytest

from bot.answers import compose
from bot.knowledge import KnowledgeBase
from bot.render.answer import source_link
from bot.render.text import source_line

CASES = [
    # article, the plain-text source line
    ("000385822", "Source: Salesforce knowledge article 000385822 — HTML Email Open Tracking "
                  "Not Working in Microsoft Outlook — Salesforce Email Status Not Updating"),
    ("emailadmin_tracking_considerations",
     "Source: Salesforce Help: Considerations for Email Open Tracking"),
]  # fmt: skip


@pytest.mark.parametrize(("article_id", "expected"), CASES)
def test_the_source_line_names_the_title_once(
    knowledge: KnowledgeBase, article_id: str, expected: str
):
    article = knowledge.get(article_id)
    assert article is not None
    assert source_line(compose(article, None, "")) == expected
    link = source_link(article.source_name, article.source_url, article.title)
    assert link.count(article.title.split(":")[-1].strip()) == 1, link
