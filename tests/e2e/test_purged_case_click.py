"""A click on a case that `cases purge` removed gets a word back (issue 21, point 18),
through the real WSGI app, signed HTTP and the fake Web API.

Before: the click was acked and did nothing: no escalation, no word to the person who
clicked. Now an ephemeral "removed from the case log" to them, and nothing in the channel.
"""

from __future__ import annotations

import pytest

from tests.support.blockkit import all_text
from tests.support.http_harness import LiveBot

ON_2010 = "Times Opened stays at 0 for every email to Outlook 2010 users"


@pytest.mark.parametrize("action_id", ["case_resolved", "case_unresolved", "case_escalate"])
def test_a_click_on_a_purged_case_tells_the_clicker_and_posts_nothing(
    live: LiveBot, action_id: str
):
    _, reply, case = live.ask_in_channel(ON_2010)
    live.engine.store.purge_before("9999-12-31T00:00:00+00:00")  # `cases purge` took it
    assert live.engine.store.cases.get(case.id) is None
    live.click(reply, action_id, user="U0LEAD")
    [told] = live.slack.calls("chat.postEphemeral")
    assert told["user"] == "U0LEAD" and "removed from the case log" in all_text(told)
    assert live.slack.calls("chat.postMessage") == []  # no escalation post for a ghost
    assert live.slack.calls("chat.update") == []
