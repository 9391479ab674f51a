"""Background posts: the weekly summary to ``SUMMARY_CHANNEL`` (with its chart in the
thread), and the "did it fix it?" follow-ups in answers' threads (``FOLLOW_UP_AFTER``).

``chat.postMessage`` carries the Block Kit summary (and its plain-text fallback). The
chart goes up with ``files_upload_v2``, which calls files.getUploadURLExternal, uploads
the bytes, then files.completeUploadExternal with the channel *ID* and the summary's
``thread_ts``, so the chart sits under the summary. The bot needs the ``chat:write``
and ``files:write`` scopes and must be a member of the channel.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.chart import chart_png
from bot.config import Settings
from bot.follow_up_scheduler import (
    FollowUpRefused,
    FollowUpScheduler,
    PostFollowUp,
    start_follow_ups,
)
from bot.render.follow_up_post import FOLLOW_UP_BLOCK_ID, follow_up_message, follow_up_ref
from bot.render.summary import summary_blocks, summary_fallback_text, title
from bot.scheduler import (
    CATCH_UP,
    CHECK_EVERY,
    RETRY_AFTER,
    Posted,
    PostFn,
    Ticker,
    due_week,
    post_once,
    worker_name,
)
from bot.slack.listeners.common import post_in_thread, slack_error
from bot.slack.workspaces import OneWorkspace, Workspace, WorkspaceClients
from bot.store import Store, utc_now
from bot.store.models import FollowUpPending as Pending
from bot.summary import IsoWeek, WeekSummary, summarise
from bot.workspace_config import config_for

logger = logging.getLogger(__name__)


def post_summary(
    client: WebClient, channel: str, summary: WeekSummary, *, chart: bool = True
) -> Posted:
    """Post the summary; a failed chart upload is logged, never a reason to post twice."""
    response = client.chat_postMessage(
        channel=channel,
        text=summary_fallback_text(summary),
        blocks=summary_blocks(summary),
        unfurl_links=False,
        unfurl_media=False,
    )
    # chat.postMessage accepts a name; files.completeUploadExternal needs the ID it returns.
    channel_id, ts = str(response["channel"]), str(response["ts"])
    if chart and not summary.is_empty:
        _upload_chart(client, channel_id, ts, summary)
    return Posted(channel_id, ts)


def _upload_chart(client: WebClient, channel_id: str, ts: str, summary: WeekSummary) -> None:
    try:
        client.files_upload_v2(
            channel=channel_id,
            thread_ts=ts,
            file=chart_png(summary),
            filename=f"emailstatus-{summary.week}.png",
            title=title(summary),
            alt_txt=f"Cases per day by outcome and cases by Outlook version, week {summary.week}",
        )
    except (SlackApiError, SlackClientError):
        logger.exception("weekly summary %s: chart upload failed", summary.week)


def weekly_poster(client: WebClient, store: Store, settings: Settings) -> PostFn:
    """The ``post`` callable the scheduler calls with the week it claimed."""
    tz = settings.timezone()

    def post(week: IsoWeek) -> Posted:
        return post_summary(client, settings.summary_channel, summarise(store, week, tz))

    return post


# The bot can never post there again: give up on that follow-up instead of retrying.
REFUSED = frozenset({"not_in_channel", "channel_not_found", "is_archived", "thread_not_found",
                     "message_not_found", "cannot_dm_bot", "user_disabled"})  # fmt: skip


def follow_up_poster(clients: WebClient | WorkspaceClients) -> PostFollowUp:
    """Post one follow-up in the answer's thread, mentioning the asker; returns its ts.

    Each with its case's workspace's client; a workspace that is gone gets none.
    """
    chooser = OneWorkspace(clients) if isinstance(clients, WebClient) else clients

    def post(pending: Pending) -> str | None:
        assert pending.channel and pending.thread_ts  # checked by skip_reason
        client = chooser.client_for(Workspace(pending.team, pending.enterprise))
        if client is None:
            raise FollowUpRefused("workspace uninstalled")
        asked = already_asked(client, pending)
        if asked:  # a process killed mid-post had asked: its claim went stale, not its post
            logger.info("follow-up for case %s was already in its thread", pending.case_id)
            return asked
        ref = follow_up_ref(pending.case_id, pending.article_id or "", pending.version)
        try:
            ts = post_in_thread(
                client, pending.channel, pending.thread_ts, follow_up_message(ref, pending.user)
            )
        except SlackApiError as exc:
            if slack_error(exc) in REFUSED:
                raise FollowUpRefused(slack_error(exc)) from exc
            raise
        return ts or None

    return post


def already_asked(client: WebClient, pending: Pending) -> str | None:
    """The ts of this bot's follow-up already in the thread, read back before asking.

    Unlike an inbox re-run, a follow-up has no "posting" mark: a claim that went stale
    may belong to a process killed just after its post. If Slack cannot say, the
    follow-up is asked (one missing "did it fix it?" is the worse outcome only when
    nobody can read the thread at all).
    """
    assert pending.channel and pending.thread_ts
    try:
        found = client.conversations_replies(
            channel=pending.channel, ts=pending.thread_ts,
            oldest=pending.reply_ts or pending.thread_ts, limit=200,
        )  # fmt: skip
    except SlackClientError as exc:
        logger.info("follow-up for case %s: thread not read back (%s)", pending.case_id, exc)
        return None
    for message in found.get("messages") or []:
        blocks = message.get("blocks")
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        ours = message.get("bot_id") and isinstance(blocks, list)
        if ours and any(
            isinstance(b, dict) and b.get("block_id") == FOLLOW_UP_BLOCK_ID for b in blocks
        ):
            return str(message["ts"])
    return None


class WorkspaceWeekly(Ticker):
    """The weekly summary of every workspace: each to its own channel at its own
    schedule (its admin's settings, else the environment's), posted once.

    Each (week, workspace) is claimed in the store before posting, like the single
    summary always was, so two replicas or workers post it once between them.
    Single-workspace mode (``OneWorkspace``) claims the bare week, as before, and
    summarises the whole case log.
    """

    thread_name = "weekly-summary"

    def __init__(
        self,
        store: Store,
        settings: Settings,
        clients: WorkspaceClients,
        *,
        clock: Callable[[], datetime] = utc_now,
        interval: float = CHECK_EVERY,
        name: str | None = None,
        chart: bool = True,
    ) -> None:
        super().__init__()
        self.store = store
        self.settings = settings
        self.clients = clients
        self.clock = clock
        self.interval = interval
        self.name = name or worker_name(self)
        self.chart = chart
        self.single = isinstance(clients, OneWorkspace)
        self._retry_at: dict[Workspace, datetime] = {}

    def tick(self) -> list[tuple[Workspace, IsoWeek]]:
        """Post every workspace's due week that this process wins; returns what it posted."""
        now = self.clock()
        posted = []
        for workspace in self.clients.workspaces():
            try:
                week = self.tick_one(workspace, now)
            except Exception:  # one workspace's bad settings must not stop the others
                logger.exception("weekly summary for %s failed", workspace.team_id)
                continue
            if week is not None:
                posted.append((workspace, week))
        return posted

    def tick_one(self, workspace: Workspace, now: datetime) -> IsoWeek | None:
        retry_at = self._retry_at.get(workspace)
        if retry_at is not None and now < retry_at:
            return None
        config = config_for(self.store, self.settings, workspace.team_id, workspace.enterprise_id)
        if not config.summary_channel:
            return None
        tz = config.timezone()
        week = due_week(config.schedule(), tz, now, CATCH_UP)
        if week is None:
            return None
        key = claim_key(week, None if self.single else workspace)
        team = None if self.single else workspace.team_id

        def post() -> Posted:
            client = self.clients.client_for(workspace)
            if client is None:
                raise RuntimeError("the workspace has no client (uninstalled?)")
            summary = summarise(self.store, week, tz, team)
            return post_summary(client, config.summary_channel, summary, chart=self.chart)

        try:
            if not post_once(self.store, key, self.name, post):
                return None
        except Exception:
            logger.exception("weekly summary %s: post failed; will retry", key)
            self._retry_at[workspace] = now + RETRY_AFTER
            return None
        self._retry_at.pop(workspace, None)
        logger.info("weekly summary %s posted", key)
        return week


def claim_key(week: IsoWeek, workspace: Workspace | None) -> str:
    """``2026-W47`` (single-workspace mode, as always), else ``2026-W47 T123`` (or with
    the enterprise, ``2026-W47 E1/T123``): one claim row per workspace and week."""
    if workspace is None or not (workspace.team_id or workspace.enterprise_id):
        return week.label
    owner = "/".join(part for part in (workspace.enterprise_id, workspace.team_id) if part)
    return f"{week.label} {owner}"


@dataclass
class Background:
    """The schedulers this process runs; ``stop()`` stops them all (serve calls it)."""

    weekly: WorkspaceWeekly | None = None
    follow_ups: FollowUpScheduler | None = None

    def stop(self) -> None:
        for scheduler in (self.weekly, self.follow_ups):
            if scheduler is not None:
                scheduler.stop()


def start_scheduler(
    client: WebClient | None,
    store: Store,
    settings: Settings,
    *,
    clients: WorkspaceClients | None = None,
    clock: Callable[[], datetime] = utc_now,
    follow_up_interval: float | None = None,
    weekly_interval: float = CHECK_EVERY,
) -> Background:
    """Start the weekly posts and the follow-ups (FOLLOW_UP_AFTER).

    ``clients`` answers for each workspace (OAuth mode); without it, ``client`` is the
    one workspace's. The weekly check starts when a summary channel is set
    (SUMMARY_CHANNEL, or saved in a workspace's settings) or in OAuth mode, where any
    workspace may set one later; it posts nothing to a workspace without one.
    """
    if clients is None:
        if client is None:
            raise ValueError("start_scheduler needs a client or a WorkspaceClients")
        clients = OneWorkspace(client)
    background = Background()
    if (
        settings.summary_channel
        or store.workspace_settings.all()
        or not isinstance(clients, OneWorkspace)
    ):
        background.weekly = WorkspaceWeekly(
            store, settings, clients, clock=clock, interval=weekly_interval
        ).start()
    else:
        logger.info("no summary channel set (SUMMARY_CHANNEL or /emailstatus settings)")
    background.follow_ups = start_follow_ups(
        store, settings.follow_up_after, follow_up_poster(clients), clock=clock,
        interval=follow_up_interval,
    )  # fmt: skip
    return background
