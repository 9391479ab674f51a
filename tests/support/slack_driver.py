"""What Slack sends, as one driver: subclasses only say how a signed request travels.

The three transports (in-process, real HTTP, Socket Mode envelopes) live in
``tests.support.drivers``; every scenario sends the same payloads through the same steps.
"""

from __future__ import annotations

import json
from typing import Any

from bot.engine import Engine
from tests.support import payloads as P
from tests.support.fake_slack import FakeSlackApi

FORM = "application/x-www-form-urlencoded"


class SlackDriver:
    slack: FakeSlackApi
    engine: Engine  # the bot's engine, to read the case log it wrote

    def send(self, body: str, content_type: str, **headers: str) -> Any:
        """Deliver one signed request; the answer has ``status`` and ``body``."""
        raise NotImplementedError

    def event(self, event: dict[str, Any], event_id: str | None = None, **headers: str) -> Any:
        response = self.send(
            json.dumps(P.event_body(event, event_id)), "application/json", **headers
        )
        assert response.status == 200, response.body
        return response

    def command(self, text: str, **kwargs: Any) -> dict[str, Any]:
        """Run /emailstatus and return its reply: the ack's body, and nothing else sent."""
        url = self.slack.response_url()
        response = self.send(P.slash_form(text, response_url=url, **kwargs), FORM)
        assert response.status == 200 and response.body, response.body
        assert self.slack.responses(url) == []  # the reply is the ack, not a second post
        reply: dict[str, Any] = json.loads(response.body)
        assert reply["response_type"] == "ephemeral", reply
        return reply

    def interact(self, payload: dict[str, Any]) -> Any:
        response = self.send(P.interactive_form(payload), FORM)
        assert response.status == 200, response.body
        return response

    def click(self, posted: dict[str, Any], action_id: str, **kwargs: Any) -> str:
        """Click a button in ``posted``; returns the click's response_url."""
        url = self.slack.response_url()
        self.interact(P.block_actions(posted, action_id, response_url=url, **kwargs))
        return url
