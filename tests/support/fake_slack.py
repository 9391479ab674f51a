"""A fake Slack Web API for the whole suite: 127.0.0.1 only, records every call.

It answers ``/api/<method>`` with ``{"ok": true, ...}`` plus the fields the bot and
slack_sdk read (``ts``, ``channel``, ``message``, ``permalink``, auth.test ids, the view,
file-upload URLs), answers ``/response/<n>`` like a response_url and ``/upload/<file>``
like Slack's upload URL. Every request is recorded with its parameters and headers.

For the OAuth install (multi-workspace mode) it plays Slack's side too: ``workspace``
registers a workspace whose install ``code`` ``oauth.v2.access`` exchanges for that
workspace's bot token (a rotating one, with a refresh token, if asked), a refresh
(``grant_type=refresh_token``) issues the next token, and ``auth.test`` answers with the
ids of the workspace whose token it was given. ``tokens_used`` says which token each
call carried; a workspace's bot posts carry its own bot ids in ``conversations.replies``.

Tests script failures per method with ``fail_next``: an error body (``not_in_channel``)
or HTTP 429 with ``Retry-After`` to exercise slack_sdk's retry handlers; ``drop`` resets
the connection instead of answering (a TCP RST, as a load balancer dropping it).
``storm`` fails every call of a method for some seconds (a 429 storm, a spell of resets),
and ``hold`` keeps calls waiting until ``release`` (a reply in flight, for as long as a
test needs it).
"""

from __future__ import annotations

import itertools
import json
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

STATUS_ERRORS = {429: "ratelimited", 500: "internal_error", 503: "service_unavailable"}
DROPPED = 0  # a scripted "status": reset the connection, answer nothing


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # load tests open hundreds of connections at once


@dataclass
class Call:
    """One request the fake received."""

    path: str
    data: dict[str, Any]
    raw: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)  # when it arrived
    reply_ts: str = ""  # the ts a chat.postMessage was given (for conversations.replies)

    @property
    def method(self) -> str:
        return self.path.removeprefix("/api/").strip("/")

    @property
    def token(self) -> str | None:
        """The token the call was made with (``Authorization: Bearer``, or a ``token`` field)."""
        auth = self.headers.get("Authorization") or self.headers.get("authorization") or ""
        if auth.startswith("Bearer "):
            return auth.removeprefix("Bearer ")
        token = self.data.get("token")
        return token if isinstance(token, str) else None


@dataclass
class FakeWorkspace:
    """A workspace that can install the app: its ids, and the tokens Slack issued it."""

    team: str
    code: str  # the install code Slack's redirect carries
    bot_user: str
    bot_id: str
    name: str = ""
    enterprise: str | None = None
    org_wide: bool = False  # installed for the whole organization (``enterprise``)
    expires_in: int | None = None  # seconds: a rotating token (with a refresh token)
    first_expires_in: int | None = None  # the installed token's, when it differs
    tokens: list[str] = field(default_factory=list)  # issued, oldest first
    refresh_tokens: list[str] = field(default_factory=list)

    @property
    def token(self) -> str:
        """The newest token Slack issued this workspace."""
        return self.tokens[-1]


@dataclass(frozen=True)
class Scripted:
    """A canned failure for one upcoming call of a method."""

    status: int
    error: str
    retry_after: int | None = None


@dataclass
class FakeSlackApi:
    bot_user: str = "UBOT"
    bot_id: str = "BBOT"
    team: str = "T0TEAM"
    log: list[Call] = field(default_factory=list)
    scripted: dict[str, list[Scripted]] = field(default_factory=dict)
    delays: dict[str, float] = field(default_factory=dict)
    installable: dict[str, FakeWorkspace] = field(default_factory=dict)  # by team id
    # users.info answers by user id (e.g. {"U1": {"is_admin": True}}); others are members.
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    storms: dict[str, tuple[float, Scripted]] = field(default_factory=dict)
    # (method, token): canned failures for one workspace's calls only (``rate_limit_token``)
    scripted_for_token: dict[tuple[str, str], list[Scripted]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[str, threading.Event] = {}
        self._ts = itertools.count(1)
        self._urls = itertools.count(1)
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def url(self) -> str:
        """The SLACK_API_URL to give the bot."""
        return f"{self.base}/api/"

    def __enter__(self) -> FakeSlackApi:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- what tests use --------------------------------------------------------------

    def response_url(self) -> str:
        """A fresh response_url; what is posted to it is read back with ``responses``."""
        return f"{self.base}/response/{next(self._urls)}"

    def calls(self, method: str) -> list[dict[str, Any]]:
        """The parameters of every call of ``method`` (form or JSON), in order."""
        return [c.data for c in self.requests(method)]

    def requests(self, method: str) -> list[Call]:
        """Every call of ``method`` with its raw body and headers."""
        with self._lock:
            return [c for c in self.log if c.method == method]

    def raw(self, method: str) -> list[bytes]:
        return [c.raw for c in self.requests(method)]

    def responses(self, url: str) -> list[dict[str, Any]]:
        """What was posted to one response_url."""
        path = url.removeprefix(self.base)
        with self._lock:
            return [c.data for c in self.log if c.path == path]

    def methods(self) -> list[str]:
        """Every Web API method and upload called, in order (response_url posts left out)."""
        with self._lock:
            return [c.method for c in self.log if not c.path.startswith("/response/")]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[dict]:
        """Poll until ``method`` has been called ``count`` times (replies come from threads)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.calls(method)
            if len(found) >= count:
                return found
            time.sleep(0.01)
        raise AssertionError(f"{method} called {len(self.calls(method))} times, not {count}")

    def fail_next(
        self,
        method: str,
        status: int = 200,
        *,
        error: str | None = None,
        times: int = 1,
        retry_after: int | None = 1,
    ) -> None:
        """The next ``times`` calls of ``method`` fail.

        ``status`` 200 with ``error`` is an API error (``{"ok": false, "error": ...}``),
        429 is a rate limit (with ``Retry-After: retry_after`` seconds), 5xx a server error.
        """
        error = error or STATUS_ERRORS.get(status)
        if not error:
            raise ValueError(f"give the error for HTTP {status}")
        wait = retry_after if status == 429 else None
        with self._lock:
            self.scripted.setdefault(method, []).extend([Scripted(status, error, wait)] * times)

    def fail(self, method: str, error: str, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` answer ``{"ok": false, "error": error}``."""
        self.fail_next(method, 200, error=error, times=times)

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """The next ``times`` calls of ``method`` answer HTTP 429 with Retry-After."""
        self.fail_next(method, 429, times=times, retry_after=retry_after)

    def rate_limit_token(
        self, method: str, token: str, times: int = 1, retry_after: int = 1
    ) -> None:
        """The next ``times`` calls of ``method`` made with ``token`` answer HTTP 429:
        one workspace rate-limited, whatever the others do meanwhile."""
        failure = Scripted(429, STATUS_ERRORS[429], retry_after)
        with self._lock:
            self.scripted_for_token.setdefault((method, token), []).extend([failure] * times)

    def drop(self, method: str, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` get their connection reset, no answer."""
        with self._lock:
            self.scripted.setdefault(method, []).extend([Scripted(DROPPED, "dropped")] * times)

    def slow(self, method: str, seconds: float) -> None:
        """Every call of ``method`` takes this long to answer (a reply in flight)."""
        with self._lock:
            self.delays[method] = seconds

    def storm(
        self, method: str, seconds: float, status: int = 429, *, retry_after: int = 1
    ) -> None:
        """Every call of ``method`` for the next ``seconds`` fails: HTTP 429 with
        Retry-After (or another ``status``), or ``DROPPED``: the connection is reset."""
        if status == DROPPED:
            failure = Scripted(DROPPED, "dropped")
        else:
            wait = retry_after if status == 429 else None
            failure = Scripted(status, STATUS_ERRORS.get(status, "internal_error"), wait)
        with self._lock:
            self.storms[method] = (time.monotonic() + seconds, failure)

    def hold(self, method: str) -> None:
        """Calls of ``method`` wait (recorded, unanswered) until ``release``, at most 60 s."""
        with self._lock:
            self._held[method] = threading.Event()

    def release(self, method: str) -> None:
        with self._lock:
            gate = self._held.pop(method, None)
        if gate is not None:
            gate.set()

    def posted(self) -> list[Call]:
        """The chat.postMessage calls Slack accepted (a failed or reset one posted nothing)."""
        with self._lock:
            return [c for c in self.log if c.method == "chat.postMessage" and c.reply_ts]

    def clear(self) -> None:
        with self._lock:
            self.log.clear()
            self.scripted.clear()
            self.scripted_for_token.clear()
            self.delays.clear()
            self.installable.clear()
            self.storms.clear()
            held, self._held = list(self._held.values()), {}
        for gate in held:
            gate.set()

    # -- OAuth: workspaces that install ----------------------------------------------

    def workspace(
        self,
        team: str,
        *,
        expires_in: int | None = None,
        first_expires_in: int | None = None,
        enterprise: str | None = None,
        org_wide: bool = False,
    ) -> FakeWorkspace:
        """A workspace that may install the app; ``expires_in``: its tokens rotate
        (``first_expires_in``: the installed token expires sooner, so a refresh is due);
        ``org_wide``: installed for its whole ``enterprise`` (Slack's answer has no team)."""
        found = FakeWorkspace(
            team=team, code=f"code-{team}", bot_user=f"UBOT{team}", bot_id=f"BBOT{team}",
            name=f"Workspace {team}", enterprise=enterprise, expires_in=expires_in,
            first_expires_in=first_expires_in, org_wide=org_wide,
        )  # fmt: skip
        with self._lock:
            self.installable[team] = found
        return found

    def tokens_used(self, method: str | None = None) -> list[str | None]:
        """The token each call (of ``method``, or every Web API call) carried, in order."""
        with self._lock:
            return [c.token for c in self.log
                    if (method is None or c.method == method)
                    and not c.path.startswith(("/response/", "/upload/"))]  # fmt: skip

    def calls_with(self, token: str) -> list[str]:
        """The methods called with ``token``."""
        with self._lock:
            return [c.method for c in self.log if c.token == token]

    def _issue(self, workspace: FakeWorkspace) -> dict[str, Any]:
        """A new bot token for ``workspace`` (and a refresh token when it rotates)."""
        number = len(workspace.tokens) + 1
        rotating = workspace.expires_in is not None
        token = f"{'xoxe.' if rotating else ''}xoxb-{workspace.team}-{number}"
        workspace.tokens.append(token)
        answer: dict[str, Any] = {"access_token": token, "token_type": "bot"}
        if rotating:
            workspace.refresh_tokens.append(f"xoxe-1-{workspace.team}-{number}")
            first = number == 1 and workspace.first_expires_in is not None
            expires_in = workspace.first_expires_in if first else workspace.expires_in
            answer |= {"refresh_token": workspace.refresh_tokens[-1], "expires_in": expires_in}
        return answer

    def owner_of(self, token: str | None) -> FakeWorkspace | None:
        with self._lock:
            return next((w for w in self.installable.values() if token in w.tokens), None)

    # -- the server ------------------------------------------------------------------

    def _record(self, call: Call) -> tuple[int, dict[str, Any], dict[str, str]]:
        """(HTTP status, JSON answer, extra headers) for one request."""
        with self._lock:
            self.log.append(call)
            pending = self.scripted.get(call.method)
            failure = pending.pop(0) if pending else None
            until, stormy = self.storms.get(call.method, (0.0, None))
            if failure is None and call.at < until:
                failure = stormy
            for_token = self.scripted_for_token.get((call.method, call.token or ""))
            if failure is None and for_token:
                failure = for_token.pop(0)
            delay = self.delays.get(call.method, 0.0)
            held = self._held.get(call.method)
        if held is not None:
            held.wait(60)
        time.sleep(delay)
        if failure is None:
            answer = self._answer(call)
            if call.method == "chat.postMessage":
                call.reply_ts = str(answer["ts"])
            return 200, answer, {}
        headers = {} if failure.retry_after is None else {"Retry-After": str(failure.retry_after)}
        return failure.status, {"ok": False, "error": failure.error}, headers

    def _answer(self, call: Call) -> dict[str, Any]:
        if call.method == "auth.test":
            return {"ok": True, **_auth_test(self, call.data, call.token)}
        answer = ANSWERS.get(call.method)
        return {"ok": True, **(answer(self, call.data) if answer else {})}

    def next_ts(self) -> str:
        with self._lock:
            return f"1770000000.{next(self._ts):06d}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                data = {} if self.path.startswith("/upload/") else parse(self.headers, raw)
                call = Call(self.path, data, raw, dict(self.headers.items()))
                status, answer, headers = fake._record(call)
                if status == DROPPED:
                    # SO_LINGER 0: close() sends a RST, the caller sees "connection reset".
                    linger = struct.pack("ii", 1, 0)
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                    self.close_connection = True
                    self.connection.close()
                    return
                body = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the caller was killed mid-call (tests/ops/test_kill9.py): recorded

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


# -- realistic answers, per method (Slack's reference, trimmed to what clients read) ----


def _auth_test(
    fake: FakeSlackApi, data: dict[str, Any], token: str | None = None
) -> dict[str, Any]:
    installed = fake.owner_of(token)
    if installed is not None:  # a workspace's own token: its ids
        return {"url": f"https://{installed.team.lower()}.slack.com/", "team": installed.name,
                "user": "emailstatus", "team_id": installed.team, "user_id": installed.bot_user,
                "bot_id": installed.bot_id, "is_enterprise_install": False}  # fmt: skip
    return {"url": "https://acme.slack.com/", "team": "Acme", "user": "emailstatus",
            "team_id": fake.team, "user_id": fake.bot_user, "bot_id": fake.bot_id,
            "is_enterprise_install": False}  # fmt: skip


def _oauth_access(fake: FakeSlackApi, data: dict[str, Any]) -> dict[str, Any]:
    """oauth.v2.access: an install code, or a refresh token (token rotation)."""
    with fake._lock:
        workspaces = list(fake.installable.values())
    if data.get("grant_type") == "refresh_token":
        refresh = data.get("refresh_token")
        found = next((w for w in workspaces if w.refresh_tokens[-1:] == [refresh]), None)
        if found is None:
            return {"ok": False, "error": "invalid_refresh_token"}
        with fake._lock:
            return {**fake._issue(found), "team": {"id": found.team}}
    found = next((w for w in workspaces if w.code == data.get("code")), None)
    if found is None:
        return {"ok": False, "error": "invalid_code"}
    with fake._lock:
        issued = fake._issue(found)
    enterprise = {"id": found.enterprise, "name": "Acme Org"} if found.enterprise else None
    return {**issued, "scope": data.get("scope") or "chat:write,commands",
            "bot_user_id": found.bot_user, "app_id": "A0APP",
            "team": None if found.org_wide else {"id": found.team, "name": found.name},
            "enterprise": enterprise, "is_enterprise_install": found.org_wide,
            "authed_user": {"id": f"UINSTALLER{found.team}"}}  # fmt: skip


def _message(
    fake: FakeSlackApi, data: dict[str, Any], ts: str, poster: FakeWorkspace | None = None
) -> dict[str, Any]:
    """A message as Slack returns it; ``poster``: the installed workspace whose bot posted it."""
    user, bot_id, team = fake.bot_user, fake.bot_id, fake.team
    if poster is not None:
        user, bot_id, team = poster.bot_user, poster.bot_id, poster.team
    message = {"type": "message", "user": user, "bot_id": bot_id, "ts": ts,
               "text": data.get("text", ""), "team": team}  # fmt: skip
    for key in ("blocks", "thread_ts"):
        if key in data:
            message[key] = data[key]
    return message


def _post_message(fake: FakeSlackApi, data: dict[str, Any]) -> dict[str, Any]:
    ts = fake.next_ts()
    return {"channel": channel_id(data.get("channel")), "ts": ts,
            "message": _message(fake, data, ts)}  # fmt: skip


def _replies(fake: FakeSlackApi, data: dict[str, Any]) -> dict[str, Any]:
    """The thread as Slack returns it: replies the bot posted with ``thread_ts`` = ``ts``."""
    channel, thread = channel_id(data.get("channel")), str(data.get("ts"))
    with fake._lock:
        posted = [c for c in fake.log if c.method == "chat.postMessage"]
    replies = [_message(fake, c.data, c.reply_ts, fake.owner_of(c.token)) for c in posted
               if channel_id(c.data.get("channel")) == channel
               and c.data.get("thread_ts") == thread and c.reply_ts]  # fmt: skip
    oldest = float(data.get("oldest") or 0)
    return {"messages": [m for m in replies if float(m["ts"]) > oldest], "has_more": False}


def _update(fake: FakeSlackApi, data: dict[str, Any]) -> dict[str, Any]:
    ts = data.get("ts") or fake.next_ts()
    return {"channel": channel_id(data.get("channel")), "ts": ts, "text": data.get("text", ""),
            "message": _message(fake, data, ts)}  # fmt: skip


def _permalink(fake: FakeSlackApi, data: dict[str, Any]) -> dict[str, Any]:
    ts = str(data.get("message_ts")).replace(".", "")
    channel = data.get("channel")
    return {"channel": channel, "permalink": f"https://acme.slack.com/archives/{channel}/p{ts}"}


def _view(fake: FakeSlackApi, data: dict[str, Any]) -> dict[str, Any]:
    view: dict[str, Any] = data["view"] if isinstance(data.get("view"), dict) else {}
    return {"view": {"id": "V0HOME", "team_id": fake.team, "app_id": "A0APP",
                     "bot_id": fake.bot_id, "hash": "1770000000.abcdef", **view}}  # fmt: skip


def _users_info(fake: FakeSlackApi, data: dict[str, Any]) -> dict[str, Any]:
    user = str(data.get("user") or "")
    flags = {"is_admin": False, "is_owner": False, "is_primary_owner": False}
    return {"user": {"id": user, "team_id": fake.team, "name": user.lower(), "deleted": False,
                     "is_bot": False, **flags, **fake.users.get(user, {})}}  # fmt: skip


def _upload_url(fake: FakeSlackApi, data: dict[str, Any]) -> dict[str, Any]:
    return {"file_id": "F0CHART", "upload_url": f"{fake.base}/upload/F0CHART"}


def _complete_upload(fake: FakeSlackApi, data: dict[str, Any]) -> dict[str, Any]:
    files: list[Any] = data["files"] if isinstance(data.get("files"), list) else []
    return {"files": [{"id": f.get("id", "F0CHART"), "title": f.get("title", "chart")}
                      for f in files] or [{"id": "F0CHART", "title": "chart"}]}  # fmt: skip


def _join(fake: FakeSlackApi, data: dict[str, Any]) -> dict[str, Any]:
    channel = channel_id(data.get("channel"))
    return {"channel": {"id": channel, "name": "support", "is_channel": True,
                        "is_member": True}}  # fmt: skip


ANSWERS = {
    "auth.test": _auth_test,
    "oauth.v2.access": _oauth_access,
    "chat.postMessage": _post_message,
    "chat.postEphemeral": lambda fake, data: {"message_ts": fake.next_ts()},
    "chat.update": _update,
    "chat.delete": lambda fake, data: {"channel": data.get("channel"), "ts": data.get("ts")},
    "chat.getPermalink": _permalink,
    "views.publish": _view,
    "views.open": _view,
    "views.update": _view,
    "users.info": _users_info,
    "files.getUploadURLExternal": _upload_url,
    "files.completeUploadExternal": _complete_upload,
    "conversations.join": _join,
    "conversations.replies": _replies,
}


def parse(headers: Any, raw: bytes) -> dict[str, Any]:
    text = raw.decode()
    if "json" in (headers.get("Content-Type") or ""):
        return json.loads(text or "{}")
    data: dict[str, Any] = {k: v[0] for k, v in parse_qs(text).items()}
    for key in ("blocks", "view", "files", "attachments"):  # form posts carry JSON text
        if isinstance(data.get(key), str):
            data[key] = json.loads(data[key])
    return data


def channel_id(channel: Any) -> Any:
    """Slack answers with the channel's id even when it was given by #name."""
    if isinstance(channel, str) and channel.startswith("#"):
        return "C0" + channel[1:].upper().replace("-", "")
    return channel
