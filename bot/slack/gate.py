"""The request gate: what every HTTP request to ``/slack/events`` passes before bolt.

bolt's WSGI adapter reads the whole body, decodes and parses it, and only then checks
the signature, so an unsigned ``[1]`` or a byte that is not UTF-8 became a 500 with a
traceback, and a 10 MB unsigned body a 10 MB log line. The gate does it in this order:

1. size: ``Content-Length`` above ``max_bytes`` (1 MiB) is a 413 before anything is
   read; a body without one (chunked) is read to at most ``max_bytes + 1`` bytes;
2. signature: ``slack_sdk.signature.SignatureVerifier`` (HMAC-SHA256 over
   ``v0:{timestamp}:{body}``, timestamps older than 5 minutes refused), else 401;
3. parsing, the way bolt will parse it (``bolt_body``), else 400;
4. shape: the fields bolt and the listeners read have the types Slack sends
   (``payload_problem``), else 400.

Only then does bolt see the request, already verified and parseable. A rejection is
logged as one short line (status and reason): never the body, which may hold a question.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from slack_sdk.signature import SignatureVerifier

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024  # Slack's own payloads are a few KB; the cap is generous


@dataclass(frozen=True)
class Rejection(Exception):
    """Why a request never reaches bolt: an HTTP status and a short, fixed reason."""

    status: int
    reason: str


@dataclass(frozen=True)
class Admitted:
    """A verified, parseable request: its text as bolt wants it, and its parsed body.

    ``signature`` is set when the gate rewrote the text (see ``normalised``): bolt
    checks the signature again, so the rewritten text is signed afresh.
    """

    text: str
    body: dict[str, Any]
    signature: str | None = field(default=None)
    duplicate: bool = False  # a copy of a request already handled: acked, not run


class RequestGate:
    def __init__(
        self,
        signing_secret: str,
        max_bytes: int = MAX_BODY_BYTES,
        *,
        first_time: Callable[[str], bool] | None = None,
    ) -> None:
        # An empty secret cannot verify anything: every request is then refused (401),
        # never trusted.
        self.secret = signing_secret
        self.verifier = SignatureVerifier(signing_secret) if signing_secret.strip() else None
        self.max_bytes = max_bytes
        # True the first time a key is seen, in any process (the inbox): replay dedupe.
        self.first_time = first_time

    def admit(self, environ: dict[str, Any]) -> Admitted:
        """The request's body if it may go to bolt; raises ``Rejection`` otherwise."""
        raw = self.read_body(environ)
        text = self.verify(raw, environ)
        content_type = environ.get("CONTENT_TYPE")
        body = bolt_body(text, content_type)
        problem = payload_problem(body)
        if problem:
            raise Rejection(400, problem)
        key = replay_key(body, text)
        if key is not None and self.first_time is not None and not self.first_time(key):
            return Admitted(text, body, duplicate=True)
        fixed = normalised(body)
        if fixed is body:
            return Admitted(text, body)
        text = body_text(fixed, content_type)
        return Admitted(text, fixed, self.sign(text, environ["HTTP_X_SLACK_REQUEST_TIMESTAMP"]))

    def sign(self, text: str, timestamp: str) -> str:
        base = f"v0:{timestamp}:{text}".encode()
        return "v0=" + hmac.new(self.secret.encode(), base, hashlib.sha256).hexdigest()

    def read_body(self, environ: Mapping[str, Any]) -> bytes:
        try:
            return self._read_body(environ)
        except OSError:  # the server's read deadline: the client stopped sending
            raise Rejection(408, "body not received in time") from None

    def _read_body(self, environ: Mapping[str, Any]) -> bytes:
        declared = environ.get("CONTENT_LENGTH") or ""
        stream = environ.get("wsgi.input")
        if declared:
            try:
                length = int(declared)
            except ValueError:
                raise Rejection(400, "Content-Length is not a number") from None
            if length < 0:
                raise Rejection(400, "Content-Length is not a number")
            if length > self.max_bytes:
                raise Rejection(413, f"body over {self.max_bytes} bytes")
            return stream.read(length) if stream is not None and length else b""
        # No length: only a server that ends the input itself (gunicorn sets
        # wsgi.input_terminated, e.g. for chunked bodies) may be read without one.
        if stream is None or not environ.get("wsgi.input_terminated"):
            return b""
        raw: bytes = stream.read(self.max_bytes + 1)
        if len(raw) > self.max_bytes:
            raise Rejection(413, f"body over {self.max_bytes} bytes")
        return raw

    def verify(self, raw: bytes, environ: Mapping[str, Any]) -> str:
        """The body as text, if Slack signed it in the last 5 minutes; else 401."""
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE")
        if self.verifier is None or not timestamp or not signature:
            raise Rejection(401, "unsigned request")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            # slack_sdk decodes a bytes body as UTF-8 before signing it, so it cannot
            # check this one; the same HMAC is computed on the raw bytes instead, to
            # answer a signed-but-broken body (400) apart from an unsigned one (401).
            if self._valid(raw, timestamp, signature):
                raise Rejection(400, "body is not UTF-8") from None
            raise Rejection(401, "invalid signature") from None
        if not self._valid(text, timestamp, signature):
            raise Rejection(401, "invalid signature or stale timestamp")
        return text

    def _valid(self, body: str | bytes, timestamp: str, signature: str) -> bool:
        assert self.verifier is not None
        try:
            if isinstance(body, str):
                return self.verifier.is_valid(body=body, timestamp=timestamp, signature=signature)
            if abs(self.verifier.clock.now() - int(timestamp)) > 60 * 5:
                return False
        except ValueError:  # a timestamp that is not a number
            return False
        base = b"v0:" + timestamp.encode() + b":" + body
        digest = hmac.new(self.secret.encode(), base, hashlib.sha256).hexdigest()
        return hmac.compare_digest(f"v0={digest}", signature)


def bolt_body(text: str, content_type: str | None) -> dict[str, Any]:
    """Parse exactly as bolt's ``parse_body`` will, but refuse what would make it raise.

    JSON when the type is JSON or the body starts with ``{``; else a form, whose
    ``payload`` field (interactivity) is JSON. Both must give an object.
    """
    if not text:
        raise Rejection(400, "empty body")
    try:
        if (content_type or "").split(";")[0].strip() == "application/json" or text[0] == "{":
            return _object(json.loads(text))
        if "payload" in text:  # bolt's own test
            payload = dict(parse_qsl(text, keep_blank_values=True)).get("payload")
            return {} if payload is None else _object(json.loads(payload))
        return dict(parse_qsl(text, keep_blank_values=True))
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError
        raise Rejection(400, "body is not valid JSON or form data") from None


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Rejection(400, "payload is not a JSON object")
    return value


# -- shape ------------------------------------------------------------------------------
#
# The fields that bolt's own extractors (team, user, channel, enterprise ids) and our
# listeners read, with the types Slack sends. Anything else in a payload is left alone.
# ``None`` (JSON null) is accepted wherever a field is optional.

IDS = (str, dict)
TOP_FIELDS: dict[str, tuple[type, ...]] = {
    "type": (str,), "token": (str,), "team_id": (str,), "api_app_id": (str,),
    "enterprise_id": (str,), "event_id": (str,), "event_time": (int,), "trigger_id": (str,),
    "response_url": (str,), "user_id": (str,), "channel_id": (str,), "text": (str,),
    "command": (str,), "callback_id": (str,), "action_ts": (str,), "user": IDS, "team": IDS,
    "enterprise": IDS, "channel": IDS, "container": (dict,), "message": (dict,),
    "event": (dict,), "actions": (list,), "authorizations": (list,), "view": (dict,),
    "is_enterprise_install": (bool, str), "context_team_id": (str,),
}  # fmt: skip
EVENT_FIELDS: dict[str, tuple[type, ...]] = {
    "type": (str,), "subtype": (str,), "text": (str,), "user": (str,), "channel": (str,),
    "ts": (str,), "thread_ts": (str,), "event_ts": (str,), "bot_id": (str,),
    "channel_type": (str,), "tab": (str,), "team": (str,), "message": (dict,),
    "previous_message": (dict,), "files": (list,), "blocks": (list,),
}  # fmt: skip
MESSAGE_FIELDS: dict[str, tuple[type, ...]] = {
    "text": (str,), "ts": (str,), "thread_ts": (str,), "user": (str,), "bot_id": (str,),
    "subtype": (str,), "type": (str,), "blocks": (list,),
}  # fmt: skip
ACTION_FIELDS: dict[str, tuple[type, ...]] = {
    "action_id": (str,), "block_id": (str,), "value": (str,), "type": (str,),
    "action_ts": (str,),
}  # fmt: skip
CONTAINER_FIELDS: dict[str, tuple[type, ...]] = {
    "type": (str,), "channel_id": (str,), "message_ts": (str,), "thread_ts": (str,),
    "is_ephemeral": (bool,),
}  # fmt: skip
REF_FIELDS: dict[str, tuple[type, ...]] = {"id": (str,), "name": (str,), "domain": (str,)}
NESTED = {
    "user": REF_FIELDS, "team": REF_FIELDS, "enterprise": REF_FIELDS, "channel": REF_FIELDS,
    "container": CONTAINER_FIELDS, "message": MESSAGE_FIELDS,
}  # fmt: skip


def payload_problem(body: dict[str, Any]) -> str | None:
    """What makes a signed payload unsafe to hand to bolt, or None."""
    problem = _fields_problem("", body, TOP_FIELDS)
    if problem:
        return problem
    for key, fields in NESTED.items():
        if isinstance(body.get(key), dict) and (p := _fields_problem(key, body[key], fields)):
            return p
    if any(not isinstance(a, dict) for a in body.get("authorizations") or []):
        return "authorizations must be objects"
    if "command" in body and not body.get("response_url"):
        return "slash command without response_url"  # Slack always sends one
    kind = body.get("type")
    if kind == "event_callback":
        return _event_problem(body.get("event"))
    if kind == "block_actions":
        return _actions_problem(body.get("actions"))
    return None


def _event_problem(event: Any) -> str | None:
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        return "event_callback without an event object"
    problem = _fields_problem("event", event, EVENT_FIELDS)
    for key in ("message", "previous_message"):
        if not problem and isinstance(event.get(key), dict):
            problem = _fields_problem(f"event.{key}", event[key], MESSAGE_FIELDS)
    return problem


def _actions_problem(actions: Any) -> str | None:
    if not isinstance(actions, list) or not actions:
        return "block_actions without actions"
    for action in actions:
        if not isinstance(action, dict):
            return "actions must be objects"
        if problem := _fields_problem("actions[]", action, ACTION_FIELDS):
            return problem
        if not action.get("action_id"):
            return "actions[] without action_id"  # Slack always sends one; bolt reads it
    return None


# -- what is changed before bolt sees it -------------------------------------------------

LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def cleaned(value: Any) -> Any:
    """``value`` with every lone surrogate (a JSON ``\\ud800`` escape that pairs with
    nothing) replaced by U+FFFD: such text cannot be encoded, so it could never be
    stored, logged or posted. Returns the same object when there was none."""
    if isinstance(value, str):
        return LONE_SURROGATE.sub("\ufffd", value) if LONE_SURROGATE.search(value) else value
    if isinstance(value, dict):
        items = {k: cleaned(v) for k, v in value.items()}
        same = all(items[k] is v for k, v in value.items())
        return value if same else items
    if isinstance(value, list):
        elements = [cleaned(v) for v in value]
        return value if all(a is b for a, b in zip(elements, value, strict=True)) else elements
    return value


def normalised(body: dict[str, Any]) -> dict[str, Any]:
    """The body bolt may use: text cleaned; a workflow step's ``inputs`` an object.

    A ``function_executed`` event whose ``inputs`` are null, a list or missing gets
    empty inputs, so the step's listener fails the step with its usual clear error
    instead of raising (a step left neither completed nor failed hangs the workflow).
    """
    body = cleaned(body)
    event = body.get("event")
    step = isinstance(event, dict) and event.get("type") == "function_executed"
    if step and not isinstance(event.get("inputs"), dict):  # type: ignore[union-attr]
        body = {**body, "event": {**event, "inputs": {}}}  # type: ignore[dict-item]
    return body


def body_text(body: dict[str, Any], content_type: str | None) -> str:
    """``body`` written back the way it came: JSON, or a form (``payload`` JSON inside)."""
    if (content_type or "").split(";")[0].strip() == "application/json":
        return json.dumps(body, ensure_ascii=False)
    if "type" in body and "command" not in body:  # interactivity: payload=<json>
        return urlencode({"payload": json.dumps(body, ensure_ascii=False)})
    return urlencode(body)


# Kinds a captured request could be replayed for effect (a case, a public post).
REPLAYABLE_KINDS = frozenset({"shortcut", "message_action", "view_submission"})


def replay_key(body: dict[str, Any], text: str) -> str | None:
    """The key a replayed copy of this request would share, for kinds where a copy acts
    again; None for the rest (events are deduped by ``event_id`` in the inbox)."""
    if "command" not in body and body.get("type") not in REPLAYABLE_KINDS:
        return None
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"request:{body.get('trigger_id') or ''}:{digest}"


def _fields_problem(
    where: str, data: dict[str, Any], fields: dict[str, tuple[type, ...]]
) -> str | None:
    for key, types in fields.items():
        value = data.get(key)
        # bool is an int in Python; a JSON true is no event_time.
        wrong = isinstance(value, bool) and bool not in types
        if value is not None and (wrong or not isinstance(value, types)):
            name = f"{where}.{key}" if where else key
            return f"{name} has the wrong type"
    return None
