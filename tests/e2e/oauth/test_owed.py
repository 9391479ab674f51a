"""Multi-workspace mode keeps "nothing lost": a reply owed to a workspace is sent later,
with that workspace's own token, exactly once; one owed to a workspace that has
uninstalled the app is dropped without any call. An Enterprise Grid org-wide install
answers its workspaces' owed events with the organization's token.

The bot is the one ``serve`` builds in OAuth mode (``build_bot``: its owed-reply sweeper
runs in the background), served over real HTTP on 127.0.0.1, once per backend (a SQLite
file, then a throw-away PostgreSQL). Slack's side is the local fake Web API, which
issues each workspace its tokens and records which token every call carried. A reply
fails for good at first (a 429 whose Retry-After is past the per-call deadline), so the
event stays owed in the inbox, exactly as after Slack was down for a minute. The sweep
runs every 0.1 s here, and takes up a reply nobody touched for 2 s (the module's
constants, shrunk for the test).
"""

from __future__ import annotations

import html
import json
import logging
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import timedelta
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from slack_sdk import WebClient

from bot import metrics
from bot.config import Settings
from bot.slack import inbox_rerun
from bot.slack.inbox_rerun import InboxRerun, OwedSweeper
from bot.slack.oauth import InstalledWorkspaces
from bot.slack.serve import Bot, build_bot, create_wsgi_app
from bot.slack.workspaces import Workspace
from tests.support import payloads as P
from tests.support.fake_slack import FakeSlackApi, FakeWorkspace
from tests.support.signing import sign

QUESTION = "Times Opened never moves past 0 for our rep's emails; recipients run Outlook 2010."
# Seconds: stored times have whole seconds, so a reply is taken up 1 to 2 s after its
# first attempt, which gives up at once (Retry-After 120 s is past the call's deadline).
STALLED_AFTER = 2.0
SWEEP_EVERY = 0.1
WAIT = 15.0  # seconds a test waits for the background sweep, at most


class ThreadedServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


class ServedBot:
    """``serve``'s multi-workspace bot (``build_bot``) on 127.0.0.1."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.bot: Bot = build_bot(settings, listener_threads=4)
        wsgi = create_wsgi_app(
            self.bot.app, self.bot.engine, auth=self.bot.auth, command_app=self.bot.command_app,
            queue=self.bot.executor,
        )  # fmt: skip
        self.server = make_server("127.0.0.1", 0, wsgi, ThreadedServer, QuietHandler)
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        self.base = f"http://127.0.0.1:{self.server.server_port}"

    def get(self, path: str, **headers: str) -> tuple[int, str, str]:
        """(status, body, Set-Cookie) of a browser's GET."""
        request = urllib.request.Request(self.base + path, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, answer.read().decode(), answer.headers["Set-Cookie"] or ""
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), ""

    def send_event(self, workspace: FakeWorkspace, event: dict[str, Any]) -> None:
        body = P.event_body({**event, "team": workspace.team})
        body["team_id"] = workspace.team
        body["authorizations"] = [{"team_id": workspace.team, "user_id": workspace.bot_user,
                                   "is_bot": True, "is_enterprise_install": workspace.org_wide,
                                   "enterprise_id": workspace.enterprise}]  # fmt: skip
        if workspace.enterprise:
            body["enterprise_id"] = workspace.enterprise
        text = json.dumps(body)
        headers = {"Content-Type": "application/json", **sign(text)}
        request = urllib.request.Request(
            f"{self.base}/slack/events", text.encode(), headers, method="POST"
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200

    def sweep_now(self) -> int:
        """One more sweep, taking up whatever is owed at once: how many events it touched."""
        replayer = InboxRerun(self.bot.engine, self.settings, self.workspaces)
        return sum(OwedSweeper(replayer, timedelta(0)).sweep().values())

    @property
    def workspaces(self) -> InstalledWorkspaces:
        assert isinstance(self.bot.workspaces, InstalledWorkspaces)  # what serve gave it
        return self.bot.workspaces

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.bot.close()


@pytest.fixture(scope="module")
def served(settings: Settings) -> Iterator[ServedBot]:
    assert settings.oauth_mode
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(inbox_rerun, "STALLED_AFTER", timedelta(seconds=STALLED_AFTER))
        patch.setattr(inbox_rerun, "SWEEP_EVERY", SWEEP_EVERY)
        bot = ServedBot(settings)
        yield bot
        bot.close()


# -- the workspaces and their questions -------------------------------------------------


def installed(served: ServedBot, slack: FakeSlackApi, team: str, **options: Any) -> FakeWorkspace:
    """Installed through the real pages: /slack/install, then Slack's redirect back."""
    workspace = slack.workspace(team, **options)
    status, page, cookie = served.get("/slack/install")
    assert status == 200, page
    [link] = [html.unescape(href) for href in re.findall(r'<a href="([^"]+)"', page)
              if href.startswith("https://slack.com/oauth/v2/authorize?")]  # fmt: skip
    state = parse_qs(urlparse(link).query)["state"][0]
    back = urlencode({"code": workspace.code, "state": state})
    status, page, _ = served.get(f"/slack/oauth_redirect?{back}", Cookie=cookie.split(";")[0])
    assert status == 200, page
    return workspace


def ask_while_slack_refuses(
    served: ServedBot, slack: FakeSlackApi, workspace: FakeWorkspace, channel: str
) -> dict[str, Any]:
    """A question whose reply Slack refuses past the call's deadline: acked, and owed.

    Only this workspace's next post is refused (a 429 whose Retry-After is longer than
    CALL_BUDGET), so a sweep answering another workspace meanwhile is not."""
    slack.rate_limit_token("chat.postMessage", workspace.token, retry_after=120)
    event = P.message(QUESTION, channel=channel)
    served.send_event(workspace, event)
    eventually(lambda: attempts(slack, event), "the refused first attempt")
    return event


def attempts(slack: FakeSlackApi, event: dict[str, Any]) -> list[Any]:
    """Every chat.postMessage into the event's thread: (token, whether Slack took it)."""
    where = {"channel": event["channel"], "thread_ts": event["ts"]}
    return [(c.token, bool(c.reply_ts)) for c in slack.requests("chat.postMessage")
            if where.items() <= c.data.items()]  # fmt: skip


def answered(slack: FakeSlackApi, event: dict[str, Any]) -> Callable[[], bool]:
    """Slack took a post into the event's thread (a call is logged before it is answered)."""
    return lambda: any(taken for _, taken in attempts(slack, event))


def thread_reads(slack: FakeSlackApi, event: dict[str, Any]) -> list[str | None]:
    """The tokens conversations.replies read the event's thread with."""
    where = {"channel": event["channel"], "ts": event["ts"]}
    return [c.token for c in slack.requests("conversations.replies")
            if where.items() <= c.data.items()]  # fmt: skip


def eventually(check: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError(f"still waiting for {what} after {timeout}s")


def replayed(outcome: str) -> float:
    body = metrics.exposition()[0].decode()
    line = f'emailstatus_inbox_replayed_total{{outcome="{outcome}"}}'
    found = [row for row in body.splitlines() if row.startswith(line)]
    return float(found[0].split()[-1]) if found else 0.0


# -- the tests ---------------------------------------------------------------------------


def test_each_workspaces_owed_reply_is_sent_later_with_its_own_token_once(
    served: ServedBot, slack: FakeSlackApi
):
    one, two = installed(served, slack, "TOWEDONE"), installed(served, slack, "TOWEDTWO")
    three = installed(served, slack, "TOWEDOUT")
    # Enterprise Grid: installed once for organization E0OWED; its workspace TGRIDWS has
    # no installation of its own, so the organization's token must answer it.
    grid = installed(served, slack, "TGRIDWS", enterprise="E0OWED", org_wide=True)
    assert served.workspaces.client_for(Workspace("TGRIDWS")) is None
    first = ask_while_slack_refuses(served, slack, one, "C0OWEDONE")
    second = ask_while_slack_refuses(served, slack, two, "C0OWEDTWO")
    fourth = ask_while_slack_refuses(served, slack, grid, "C0OWEDGRID")
    third = ask_while_slack_refuses(served, slack, three, "C0OWEDOUT")
    # Workspace three's reply did reach the thread (as when the process died before it
    # could note it); it is re-run after the other two, so after another bot's identity.
    WebClient(token=three.token, base_url=slack.url).chat_postMessage(
        channel=third["channel"], thread_ts=third["ts"], text="the answer"
    )
    already = replayed("already_replied")
    for event, workspace in ((first, one), (second, two), (fourth, grid)):
        assert attempts(slack, event)[0] == (workspace.token, False)  # refused: still owed
        eventually(answered(slack, event), "the sweep's reply")
        assert attempts(slack, event) == [(workspace.token, False), (workspace.token, True)]
        assert thread_reads(slack, event) == [workspace.token]  # read back first, its token
    eventually(lambda: replayed("already_replied") > already, "workspace three read back")
    assert thread_reads(slack, third) == [three.token]
    assert attempts(slack, third) == [(three.token, False), (three.token, True)]  # not twice

    eventually(lambda: served.bot.engine.store.inbox.undone() == 0, "nothing owed")
    for event, team in ((first, "TOWEDONE"), (second, "TOWEDTWO"), (fourth, "TGRIDWS")):
        case = served.bot.engine.store.cases.for_thread(event["channel"], event["ts"])
        assert case is not None and case.team == team and case.reply_ts
    assert served.sweep_now() == 0  # nothing left to send again
    assert [len(attempts(slack, e)) for e in (first, second, third, fourth)] == [2, 2, 2, 2]


def test_an_owed_reply_of_a_workspace_that_uninstalled_is_dropped_with_no_call(
    served: ServedBot, slack: FakeSlackApi, caplog: pytest.LogCaptureFixture
):
    leaving, staying = installed(served, slack, "TOWEDGONE"), installed(served, slack, "TSTAYS")
    orphan = ask_while_slack_refuses(served, slack, leaving, "C0OWEDGONE")
    dropped = replayed("dropped")
    with caplog.at_level(logging.WARNING, logger="bot.slack.inbox_rerun"):
        served.send_event(leaving, {"type": "app_uninstalled"})
        uninstalled_at = len(slack.log)
        kept = ask_while_slack_refuses(served, slack, staying, "C0STAYS")  # owed as well
        eventually(lambda: replayed("dropped") > dropped, "the dropped event")
        eventually(answered(slack, kept), "the staying workspace's reply")
    assert replayed("dropped") == dropped + 1
    assert "no longer has the app installed" in caplog.text
    later = slack.log[uninstalled_at:]
    assert leaving.token not in [c.token for c in later]
    assert not [c for c in later if c.data.get("channel") == orphan["channel"]]  # any token
    assert attempts(slack, kept)[-1] == (staying.token, True)
    eventually(lambda: served.bot.engine.store.inbox.undone() == 0, "nothing owed")
    assert served.sweep_now() == 0  # settled: never tried again
    assert leaving.token not in [c.token for c in slack.log[uninstalled_at:]]
