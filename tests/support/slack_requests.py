"""Slack-signed HTTP requests and Socket Mode envelopes, as Slack sends them.

The payload shapes live in ``tests.support.payloads``; this module wraps them the way
each transport carries them:

- HTTP: the body (JSON for events, form-encoded for commands and interactivity) signed
  by ``tests.support.signing.sign`` (slack_sdk's ``SignatureVerifier``: ``v0:{ts}:{body}``,
  HMAC-SHA256) in
  ``X-Slack-Request-Timestamp`` / ``X-Slack-Signature``, plus Slack's retry headers.
- Socket Mode: the envelope (``envelope_id``, ``type``, ``payload`` as a dict,
  ``retry_attempt``) that arrives over the WebSocket, unsigned.

Used by the runtime e2e tests and by ``bench/bench_http.py``.
"""

from __future__ import annotations

import itertools
import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from tests.support import payloads as P
from tests.support.signing import SECRET, sign

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"

_envelopes = itertools.count(1)


@dataclass(frozen=True)
class Response:
    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class SlackRequest:
    """One signed request body with the headers Slack would send with it."""

    body: str
    headers: dict[str, str]

    def post(self, url: str, timeout: float = 10.0) -> Response:
        """POST to ``url`` (127.0.0.1 only); HTTP errors come back as a Response."""
        request = urllib.request.Request(url, self.body.encode(), self.headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                return Response(answer.status, answer.read().decode(), dict(answer.headers))
        except urllib.error.HTTPError as error:
            return Response(error.code, error.read().decode(), dict(error.headers))


def signed(
    body: str,
    content_type: str,
    *,
    secret: str = SECRET,
    timestamp: int | None = None,
    retry_num: int | None = None,
    retry_reason: str = "http_timeout",
) -> SlackRequest:
    """Sign ``body`` as Slack does; ``retry_num`` adds the headers of a redelivery."""
    signature = sign(body, secret, timestamp)
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": signature["x-slack-request-timestamp"],
        "X-Slack-Signature": signature["x-slack-signature"],
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
    }
    if retry_num is not None:
        headers["X-Slack-Retry-Num"] = str(retry_num)
        headers["X-Slack-Retry-Reason"] = retry_reason
    return SlackRequest(body, headers)


# -- Events API ----------------------------------------------------------------------


def event_request(
    event: dict[str, Any], *, event_id: str | None = None, **signing: Any
) -> SlackRequest:
    """An ``event_callback`` (message, app_mention, app_home_opened, ...) with its ids."""
    return signed(json.dumps(P.event_body(event, event_id)), JSON, **signing)


def url_verification_request(challenge: str, **signing: Any) -> SlackRequest:
    body = {"token": "legacy", "challenge": challenge, "type": "url_verification"}
    return signed(json.dumps(body), JSON, **signing)


def channel_question(text: str, **kwargs: Any) -> dict[str, Any]:
    return P.message(text, **kwargs)


def thread_reply(text: str, thread_ts: str, **kwargs: Any) -> dict[str, Any]:
    return P.message(text, thread_ts=thread_ts, **kwargs)


def dm(text: str, *, channel: str = "D0AGENT", **kwargs: Any) -> dict[str, Any]:
    return P.message(text, channel=channel, channel_type="im", **kwargs)


# -- slash commands, buttons, shortcuts ------------------------------------------------


def command_request(text: str, *, response_url: str, **kwargs: Any) -> SlackRequest:
    """``/emailstatus <text>`` as Slack posts it (form-encoded, text HTML-escaped)."""
    signing = _pop_signing(kwargs)
    return signed(P.slash_form(text, response_url=response_url, **kwargs), FORM, **signing)


def action_request(
    posted: dict[str, Any], action_id: str, *, response_url: str, **kwargs: Any
) -> SlackRequest:
    """A ``block_actions`` click on a button of a message the bot posted."""
    signing = _pop_signing(kwargs)
    payload = P.block_actions(posted, action_id, response_url=response_url, **kwargs)
    return signed(P.interactive_form(payload), FORM, **signing)


def shortcut_request(text: str, *, response_url: str, **kwargs: Any) -> SlackRequest:
    """The ``find_fix`` message shortcut run on a message with ``text``."""
    signing = _pop_signing(kwargs)
    payload = P.message_shortcut(text, response_url=response_url, **kwargs)
    return signed(P.interactive_form(payload), FORM, **signing)


def _pop_signing(kwargs: dict[str, Any]) -> dict[str, Any]:
    names = ("secret", "timestamp", "retry_num", "retry_reason")
    return {name: kwargs.pop(name) for name in names if name in kwargs}


# -- Socket Mode -----------------------------------------------------------------------


def envelope(kind: str, payload: dict[str, Any], *, retry_attempt: int = 0) -> dict[str, Any]:
    """A Socket Mode envelope: ``events_api``, ``slash_commands`` or ``interactive``."""
    message: dict[str, Any] = {
        "envelope_id": f"env-{next(_envelopes):06d}",
        "type": kind,
        "payload": payload,
        "accepts_response_payload": kind != "events_api",
    }
    if kind == "events_api":
        message["retry_attempt"] = retry_attempt
        message["retry_reason"] = "timeout" if retry_attempt else ""
    return message


def event_envelope(
    event: dict[str, Any], *, event_id: str | None = None, retry_attempt: int = 0
) -> dict[str, Any]:
    return envelope("events_api", P.event_body(event, event_id), retry_attempt=retry_attempt)


def command_envelope(text: str, *, response_url: str, **kwargs: Any) -> dict[str, Any]:
    """Over Socket Mode the command's form fields arrive as a JSON object."""
    fields = dict(parse_qsl(P.slash_form(text, response_url=response_url, **kwargs)))
    return envelope("slash_commands", fields)


def action_envelope(
    posted: dict[str, Any], action_id: str, *, response_url: str, **kwargs: Any
) -> dict[str, Any]:
    payload = P.block_actions(posted, action_id, response_url=response_url, **kwargs)
    return envelope("interactive", payload)


def shortcut_envelope(text: str, *, response_url: str, **kwargs: Any) -> dict[str, Any]:
    return envelope("interactive", P.message_shortcut(text, response_url=response_url, **kwargs))
