"""Post the weekly summary to ``SUMMARY_CHANNEL``, with its chart in the thread.

``chat.postMessage`` carries the Block Kit summary (and its plain-text fallback). The
chart goes up with ``files_upload_v2``, which calls files.getUploadURLExternal, uploads
the bytes, then files.completeUploadExternal with the channel *ID* and the summary's
``thread_ts``, so the chart sits under the summary. The bot needs the ``chat:write``
and ``files:write`` scopes and must be a member of the channel.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.chart import chart_png
from bot.config import Settings
from bot.render.summary import summary_blocks, summary_fallback_text, title
from bot.scheduler import Posted, PostFn, WeeklyScheduler, start_weekly_summary
from bot.store import Store, utc_now
from bot.summary import IsoWeek, WeekSummary, summarise

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


def start_scheduler(
    client: WebClient,
    store: Store,
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utc_now,
) -> WeeklyScheduler | None:
    """Start the weekly post in this process; None (and a log line) without SUMMARY_CHANNEL."""
    if not settings.summary_channel:
        logger.info("SUMMARY_CHANNEL is not set: the weekly summary will not be posted")
        return None
    poster = weekly_poster(client, store, settings)
    return start_weekly_summary(store, settings, poster, clock=clock)
