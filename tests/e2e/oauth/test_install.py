"""Multi-workspace mode end to end: workspaces install through OAuth, then are answered
each with its own token, refreshed when due, forgotten when they leave.

One real WSGI app per backend (SQLite file, then a throw-away PostgreSQL), served on
127.0.0.1 exactly as ``serve`` builds it, in OAuth mode (client id and secret, no bot
token). Slack's side is the local fake Web API: it issues each workspace's tokens from
``oauth.v2.access`` and records which token every call carried. The install goes
through the real pages: ``/slack/install`` (state cookie and state in the link to
Slack), then ``/slack/oauth_redirect`` with the code, as Slack's redirect brings it.
Each test installs its own workspaces, so the tests share the app but no workspace.
"""

from __future__ import annotations

import html
import io
import json
import re
import sqlite3
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import psycopg
import pytest

from bot.config import Settings
from bot.knowledge import KnowledgeBase
from bot.slack.oauth import BOT_SCOPES, InstalledWorkspaces
from bot.slack.serve import build_bot, create_wsgi_app
from bot.slack.workspaces import Workspace
from bot.tokens import TokenCipher, UnreadableToken, new_key
from tests.support import payloads as P
from tests.support.fake_slack import FakeSlackApi, FakeWorkspace
from tests.support.http_harness import LiveBot
from tests.support.oauth_mode import CLIENT_ID, CLIENT_SECRET, KEY

QUESTION = "Times Opened never moves past 0 for our rep's emails; recipients run Outlook 2010."


@dataclass
class Page:
    status: int
    body: str
    headers: dict[str, str]


@pytest.fixture(scope="module")
def bot(settings: Settings, slack: FakeSlackApi, knowledge: KnowledgeBase) -> Iterator[LiveBot]:
    assert settings.oauth_mode
    live = LiveBot(settings, slack, knowledge)
    yield live
    live.close()


# -- the browser's side of the install ----------------------------------------------------


def get(url: str, **headers: str) -> Page:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return Page(answer.status, answer.read().decode(), lower(answer.headers.items()))
    except urllib.error.HTTPError as error:
        return Page(error.code, error.read().decode(), lower(error.headers.items()))


def lower(headers: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in headers}


def start_install(bot: LiveBot) -> tuple[dict[str, list[str]], str]:
    """Open /slack/install: the "Add to Slack" link's query, and the state cookie."""
    page = get(f"{bot.base}/slack/install")
    assert page.status == 200, page.body
    links = [html.unescape(href) for href in re.findall(r'<a href="([^"]+)"', page.body)]
    [link] = [href for href in links if href.startswith("https://slack.com/oauth/v2/authorize?")]
    cookie = page.headers["set-cookie"].split(";")[0]
    return parse_qs(urlparse(link).query), cookie


def install(bot: LiveBot, workspace: FakeWorkspace) -> Page:
    """Install page, then Slack's redirect back with the code and the same state."""
    query, cookie = start_install(bot)
    back = urlencode({"code": workspace.code, "state": query["state"][0]})
    return get(f"{bot.base}/slack/oauth_redirect?{back}", Cookie=cookie)


def installed(bot: LiveBot, slack: FakeSlackApi, team: str, **options: Any) -> FakeWorkspace:
    workspace = slack.workspace(team, **options)
    page = install(bot, workspace)
    assert page.status == 200, page.body
    return workspace


# -- Slack's side: signed events from one workspace -------------------------------------


def send_event(bot: LiveBot, workspace: FakeWorkspace, event: dict[str, Any]) -> int:
    body = P.event_body({**event, "team": workspace.team})
    body["team_id"] = workspace.team
    body["authorizations"] = [{"team_id": workspace.team, "user_id": workspace.bot_user,
                               "is_bot": True, "is_enterprise_install": False}]  # fmt: skip
    return bot.send(json.dumps(body), "application/json").status


def ask(bot: LiveBot, workspace: FakeWorkspace, channel: str) -> list[str | None]:
    """A question in ``channel``; the tokens the bot's replies there were posted with."""
    event = P.message(QUESTION, channel=channel)
    assert send_event(bot, workspace, event) == 200
    where = {"channel": channel, "thread_ts": event["ts"]}
    posted = bot.slack.requests("chat.postMessage")
    return [c.token for c in posted if where.items() <= c.data.items()]


# -- the tests ---------------------------------------------------------------------------


def test_the_install_page_asks_slack_for_the_manifest_scopes_with_a_state(bot: LiveBot):
    query, cookie = start_install(bot)
    assert query["client_id"] == [CLIENT_ID]
    assert query["scope"][0].split(",") == list(BOT_SCOPES)
    assert cookie == f"slack-app-oauth-state={query['state'][0]}"


@pytest.mark.parametrize(
    ("state", "with_cookie", "status"),
    [("forged", True, 400), (None, False, 400), ("another-browsers", False, 400)],
    ids=["state-not-the-cookies", "no-state", "no-cookie"],
)  # fmt: skip
def test_a_redirect_without_the_browsers_state_installs_nothing(
    bot: LiveBot, slack: FakeSlackApi, state: str | None, with_cookie: bool, status: int
):
    workspace = slack.workspace("TFORGED")
    _, cookie = start_install(bot)
    params = {"code": workspace.code, **({"state": state} if state else {})}
    headers = {"Cookie": cookie} if with_cookie else {}
    page = get(f"{bot.base}/slack/oauth_redirect?{urlencode(params)}", **headers)
    assert page.status == status
    assert workspace.tokens == []  # oauth.v2.access never exchanged the code


def test_a_state_is_good_for_one_install_only(bot: LiveBot, slack: FakeSlackApi):
    workspace = slack.workspace("TREPLAY")
    query, cookie = start_install(bot)
    back = f"{bot.base}/slack/oauth_redirect?" + urlencode(
        {"code": workspace.code, "state": query["state"][0]}
    )
    assert get(back, Cookie=cookie).status == 200
    assert get(back, Cookie=cookie).status == 401  # the state was consumed
    assert len(workspace.tokens) == 1


def test_oauth_v2_access_goes_to_slack_api_url_with_the_client_credentials(
    bot: LiveBot, slack: FakeSlackApi
):
    workspace = installed(bot, slack, "TCREDS")
    exchanges = slack.requests("oauth.v2.access")
    [exchange] = [c for c in exchanges if c.data.get("code") == "code-TCREDS"]
    assert exchange.headers["Authorization"].startswith("Basic ")  # client id and secret
    assert workspace.tokens == ["xoxb-TCREDS-1"]


def test_two_workspaces_are_each_answered_with_their_own_token(bot: LiveBot, slack: FakeSlackApi):
    one, two = installed(bot, slack, "TONE"), installed(bot, slack, "TTWO")
    assert ask(bot, one, "C0ONE") == [one.token]
    assert ask(bot, two, "C0TWO") == [two.token]
    checked = slack.tokens_used("auth.test").count(one.token)
    assert ask(bot, one, "C0ONEAGAIN") == [one.token]
    assert slack.tokens_used("auth.test").count(one.token) == checked  # once per token
    cases = {c.team for c in bot.engine.store.cases.list() if c.channel.startswith("C0ONE")}
    assert cases == {"TONE"}


def test_a_due_token_is_refreshed_before_the_call(bot: LiveBot, slack: FakeSlackApi):
    # Installed with a token that expires in 10 minutes: inside bolt's 2-hour window.
    rotating = installed(bot, slack, "TROTATE", expires_in=43200, first_expires_in=600)
    first = rotating.token
    assert ask(bot, rotating, "C0ROTATE") == ["xoxe.xoxb-TROTATE-2"]
    refreshes = [c for c in slack.requests("oauth.v2.access")
                 if c.data.get("grant_type") == "refresh_token"
                 and c.data.get("refresh_token") == "xoxe-1-TROTATE-1"]  # fmt: skip
    assert len(refreshes) == 1
    refreshed_at = slack.log.index(refreshes[0])
    assert first not in slack.tokens_used()[refreshed_at:]  # the old token is done with
    # The new token lasts 12 hours: the next question is answered without a refresh.
    assert ask(bot, rotating, "C0ROTATE2") == ["xoxe.xoxb-TROTATE-2"]
    assert len(rotating.tokens) == 2


def test_after_app_uninstalled_no_call_uses_the_token_and_nothing_is_answered(
    bot: LiveBot, slack: FakeSlackApi
):
    leaving, staying = installed(bot, slack, "TLEAVE"), installed(bot, slack, "TSTAY")
    assert ask(bot, leaving, "C0LEAVE") == [leaving.token]
    assert send_event(bot, leaving, {"type": "app_uninstalled"}) == 200
    uninstalled_at = len(slack.log)
    assert ask(bot, leaving, "C0LEAVE2") == []
    assert leaving.token not in slack.tokens_used()[uninstalled_at:]
    assert bot.engine.store.installations.latest(None, "TLEAVE") is None
    assert ask(bot, staying, "C0STAY") == [staying.token]  # the other one is unaffected
    assert "TLEAVE" in teams_with_cases(bot)  # UNINSTALL_PURGES_CASES is false: kept


def test_uninstall_purges_the_workspaces_cases_when_set_to(
    settings: Settings, slack: FakeSlackApi, knowledge: KnowledgeBase
):
    purging = LiveBot(replace(settings, uninstall_purges_cases=True), slack, knowledge)
    try:
        leaving, staying = installed(purging, slack, "TPURGE"), installed(purging, slack, "TKEEP")
        assert ask(purging, leaving, "C0PURGE") and ask(purging, staying, "C0KEEP")
        assert {"TPURGE", "TKEEP"} <= teams_with_cases(purging)
        assert send_event(purging, leaving, {"type": "app_uninstalled"}) == 200
        teams = teams_with_cases(purging)
        assert "TPURGE" not in teams and "TKEEP" in teams
    finally:
        purging.close()


def teams_with_cases(bot: LiveBot) -> set[str | None]:
    return {case.team for case in bot.engine.store.cases.list()}


def test_tokens_revoked_deletes_the_bot_token_at_once(bot: LiveBot, slack: FakeSlackApi):
    revoked = installed(bot, slack, "TREVOKE")
    event = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": [revoked.bot_user]}}
    assert send_event(bot, revoked, event) == 200
    revoked_at = len(slack.log)
    assert ask(bot, revoked, "C0REVOKE") == []
    assert revoked.token not in slack.tokens_used()[revoked_at:]


def test_background_work_gets_each_workspaces_client(
    bot: LiveBot, slack: FakeSlackApi, settings: Settings
):
    one, two = installed(bot, slack, "TBGONE"), installed(bot, slack, "TBGTWO")
    clients = InstalledWorkspaces(settings, bot.engine.store, bot.app.client)
    assert {Workspace("TBGONE"), Workspace("TBGTWO")} <= set(clients.workspaces())
    for workspace in (one, two):
        client = clients.client_for(Workspace(workspace.team))
        assert client is not None and client.token == workspace.token
        client.chat_postMessage(channel="C0BG", text="weekly summary")
        assert slack.requests("chat.postMessage")[-1].token == workspace.token
    send_event(bot, two, {"type": "app_uninstalled"})
    assert clients.client_for(Workspace("TBGTWO")) is None
    assert Workspace("TBGTWO") not in clients.workspaces()


def test_tokens_in_the_database_are_unreadable_without_the_key(
    bot: LiveBot, slack: FakeSlackApi, database: str
):
    workspace = installed(bot, slack, "TSECRET", expires_in=43200)
    secrets = [workspace.token, *workspace.refresh_tokens, CLIENT_SECRET]
    rows = raw_rows(database)
    assert rows and all(secret not in str(rows) for secret in secrets)
    [row] = [r for r in rows if r["team_id"] == "TSECRET"]
    opened = json.loads(TokenCipher(KEY).decrypt(row["bot_secrets"]))  # with the key: yes
    assert (opened["bot_token"], opened["bot_refresh_token"]) == (
        workspace.token, workspace.refresh_tokens[-1],
    )  # fmt: skip
    with pytest.raises(UnreadableToken):
        TokenCipher(new_key()).decrypt(row["bot_secrets"])


def raw_rows(database: str) -> list[dict[str, Any]]:
    """The installation rows as the database file or server holds them."""
    if database.startswith("postgresql"):
        with psycopg.connect(database) as conn, conn.cursor() as cursor:
            cursor.execute("select * from slack_installations")
            names = [column.name for column in cursor.description or []]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    with sqlite3.connect(Path(database)) as file:
        file.row_factory = sqlite3.Row
        return [dict(row) for row in file.execute("select * from slack_installations")]


def test_serve_builds_the_multi_workspace_bot(settings: Settings, slack: FakeSlackApi):
    checks = len(slack.requests("auth.test"))
    bot = build_bot(settings, listener_threads=2, check_auth=True)
    try:
        assert bot.auth is None  # no one token to check at start or in /healthz
        assert isinstance(bot.workspaces, InstalledWorkspaces)
        wsgi = create_wsgi_app(bot.app, bot.engine, auth=bot.auth, command_app=bot.command_app,
                               queue=bot.executor)  # fmt: skip
        assert wsgi_status(wsgi, "GET", "/healthz") == 200
        assert wsgi_status(wsgi, "GET", "/slack/install") == 200
        assert wsgi_status(wsgi, "POST", "/slack/install") == 405
        assert wsgi_status(wsgi, "GET", "/slack/oauth_redirect") == 400  # no state: refused
    finally:
        bot.close()
    assert len(slack.requests("auth.test")) == checks


def wsgi_status(wsgi: Any, method: str, path: str) -> int:
    answered: list[str] = []
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "",
               "wsgi.input": io.BytesIO(b""), "CONTENT_LENGTH": "0"}  # fmt: skip
    b"".join(wsgi(environ, lambda status, headers: answered.append(status)))
    return int(answered[0].split()[0])


def test_each_installed_workspace_gets_its_weekly_summary_with_its_own_token(
    bot: LiveBot, slack: FakeSlackApi, settings: Settings
):
    from datetime import UTC, datetime

    from bot.slack.weekly import WorkspaceWeekly

    one, two = installed(bot, slack, "TWEEKONE"), installed(bot, slack, "TWEEKTWO")
    gone = installed(bot, slack, "TWEEKGONE")
    for workspace, channel in ((one, "C0WEEKONE"), (two, "C0WEEKTWO"), (gone, "C0WEEKGONE")):
        assert ask(bot, workspace, f"C0ASK{workspace.team}") == [workspace.token]
        values = {"summary_channel": channel, "summary_schedule": "MON 09:00", "summary_tz": "UTC"}
        bot.engine.store.workspace_settings.save(workspace.team, None, values, by="U0ADMIN")
    send_event(bot, gone, {"type": "app_uninstalled"})
    clients = InstalledWorkspaces(settings, bot.engine.store, bot.app.client)
    monday = datetime(2026, 12, 7, 9, 1, tzinfo=UTC)  # a Monday, just past 09:00
    weekly = WorkspaceWeekly(bot.engine.store, settings, clients, clock=lambda: monday, chart=False)
    posted = {workspace.team_id for workspace, _ in weekly.tick()}
    assert {"TWEEKONE", "TWEEKTWO"} <= posted and "TWEEKGONE" not in posted
    summaries = [
        c for c in slack.requests("chat.postMessage") if c.data["channel"].startswith("C0WEEK")
    ]
    assert sorted((c.data["channel"], c.token) for c in summaries) == sorted(
        [("C0WEEKONE", one.token), ("C0WEEKTWO", two.token)]
    )
    assert weekly.tick() == []  # this week is posted: once
