"""Start-up re-run of acked events that a killed process never answered.

Slack does not redeliver an event it got a 200 for, so an event acked by a process
that died before replying would be lost. The inbox (``bot.store.inbox``) keeps such an
event, with its payload, until the reply is sent. At start-up each worker claims the
undone events of processes that are gone, younger than ``INBOX_REPLAY_MAX_AGE`` (one
SQLite transaction, so every row is re-run by exactly one worker) and runs them
through the same ``MessageReplier`` as a live event.

A re-run must not answer twice. An event whose handling never reached the post (no
``posting_at``) is simply run again, after dropping a case the dead process opened for
it. An event killed while its reply was going out may already be answered: the thread
is read back with ``conversations.replies`` first. If Slack cannot say (its docs warn
that bot tokens may lack access to channel threads), the event is not re-run, and is
logged and counted as ``uncertain``: a second answer is worse than a missing one that
a person can see in the log. A post begun less than ``POST_LANDING`` ago may still be on
its way: finding no reply then, the event is read back again at the next sweep.

Each event is re-run with the client of the workspace it came from
(``WorkspaceClients``): in multi-workspace mode that workspace's own bot token, which
also reads the thread back. An event of a workspace that has since uninstalled the app
is ``dropped``: logged and counted, never answered with another workspace's token, and
never tried again.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import metrics
from bot.config import Settings
from bot.engine import Engine
from bot.slack import deadline
from bot.slack.deadline import CALL_BUDGET
from bot.slack.listeners.messages import RETRY_SOON, Incoming, MessageReplier, incoming
from bot.slack.workspaces import OneWorkspace, Workspace, WorkspaceClients
from bot.store import StoreClosed, database_fault
from bot.store.inbox import Pending

logger = logging.getLogger(__name__)

REPLAYABLE = frozenset({"message", "app_mention"})
RERUN_OUTCOMES = (
    "replayed", "already_replied", "skipped", "uncertain", "retry_later", "failed", "expired",
    "dropped",
)  # fmt: skip
# A reply owed this long without any attempt is taken up again by the process that owes
# it: longer than one attempt may take (each Slack call retries for CALL_BUDGET).
STALLED_AFTER = timedelta(seconds=3 * CALL_BUDGET)
# A post already on its way when its process died lands in the thread within moments; until
# its start is this old, a read-back that finds no reply does not yet mean "never sent".
# Re-run sooner, a post still in flight was missed and the event answered twice (seen once
# when a replica was killed mid-burst).
POST_LANDING = timedelta(seconds=10)
SWEEP_EVERY = 5.0  # seconds between two looks at what this process still owes


def inbox_payload(body: dict[str, Any]) -> str | None:
    """What a re-run needs, for an event the bot may answer; None for everything else."""
    event = body.get("event")
    if body.get("type") != "event_callback" or not isinstance(event, dict):
        return None
    if event.get("type") not in REPLAYABLE or as_incoming(event, None) is None:
        return None
    kept = {"event_id": body.get("event_id"), "team_id": body.get("team_id"),
            "enterprise_id": body.get("enterprise_id"), "event": event}  # fmt: skip
    return json.dumps(kept, separators=(",", ":"))


def as_incoming(
    event: dict[str, Any], team: str | None, event_id: str | None = None
) -> Incoming | None:
    """The message as the live listener sees it (the bot's own posts carry a bot_id)."""
    mention = event.get("type") == "app_mention"
    return incoming(event, None, team=team, mention=mention, event_id=event_id)


class InboxRerun:
    """Re-runs owed events; ``clients`` gives each event its workspace's client (a bare
    WebClient is the single-workspace mode's one token)."""

    def __init__(
        self, engine: Engine, settings: Settings, clients: WorkspaceClients | WebClient
    ) -> None:
        self.lifecycle = engine.lifecycle
        self.inbox = engine.store.inbox
        self.engine = engine
        self.settings = settings
        self.clients = OneWorkspace(clients) if isinstance(clients, WebClient) else clients
        self.replier = MessageReplier(engine, settings)
        self.max_age = timedelta(seconds=settings.inbox_replay_max_age)
        self._me: dict[str | None, tuple[str, str]] = {}  # by token: who "we" are there

    def run(self) -> Counter[str]:
        """Re-run what earlier runs left undone; the counts go to the log and /metrics."""
        inbox = self.inbox
        counts: Counter[str] = Counter(expired=inbox.expire(self.max_age))
        self.replay_all(inbox.claim_replay(self.max_age), counts)
        self.report(counts)
        return counts

    def replay_all(
        self, claimed: list[Pending], counts: Counter[str], *, landing: bool = True
    ) -> None:
        """Re-run each; one whose Slack calls ran out of time stays owed (``retry_later``).
        ``landing``: a post begun under ``POST_LANDING`` ago may still be on its way (False
        for this process's own stalled replies, whose attempts have ended)."""
        for pending in claimed:
            try:
                with deadline.within(deadline.CALL_BUDGET):
                    counts[self.replay(pending, landing)] += 1
            except StoreClosed:  # the store closed under us: shutting down
                logger.warning("inbox replay stopped: the database was closed")
                break
            except Exception as exc:  # one bad row must not stop the others
                if transient(exc) or database_fault(exc):
                    logger.warning("event %s still owed, tried again later: %s",
                                   pending.event_id, type(exc).__name__)  # fmt: skip
                    counts["retry_later"] += 1
                    if database_fault(exc):
                        RETRY_SOON.add(pending.event_id)
                    continue
                logger.exception("re-running event %s failed", pending.event_id)
                self.inbox.give_up(pending.event_id)
                counts["failed"] += 1

    def report(self, counts: Counter[str]) -> None:
        for outcome in RERUN_OUTCOMES:
            metrics.inbox_replayed(outcome, counts[outcome])
        if any(counts.values()):
            summary = ", ".join(f"{counts[o]} {o}" for o in RERUN_OUTCOMES)
            logger.info("inbox replay: %s", summary)

    def replay(self, pending: Pending, landing: bool = True) -> str:
        inbox = self.inbox
        body = json.loads(pending.payload)
        message = as_incoming(body["event"], body.get("team_id"), pending.event_id)
        if message is None:
            inbox.done(pending.event_id)
            return "skipped"
        workspace = Workspace.of(body)
        client = self.clients.client_for(workspace)
        if client is None:  # uninstalled since: its token is gone, and no other may answer
            inbox.give_up(pending.event_id)
            who = workspace.team_id or workspace.enterprise_id
            logger.warning("event %s dropped: workspace %s no longer has the app installed",
                           pending.event_id, who)  # fmt: skip
            return "dropped"
        taken_by = inbox.message_claimed_by(message.channel, message.ts)
        if taken_by is not None and taken_by != pending.event_id:
            inbox.done(pending.event_id)  # the other event for this post answers it
            return "skipped"
        if pending.posting_at:  # killed while its reply was going out
            reply_ts = self.reply_in_thread(message, client)
            if reply_ts is None:
                inbox.give_up(pending.event_id)
                logger.warning("event %s may be unanswered in %s; not re-run",
                               pending.event_id, message.channel)  # fmt: skip
                return "uncertain"
            if reply_ts:
                self.settle(message, reply_ts, pending.event_id)
                return "already_replied"
            if landing and still_landing(pending.posting_at):  # read back at the next sweep
                RETRY_SOON.add(pending.event_id)
                return "retry_later"
        if taken_by is not None:  # it had begun: a case may be open without its reply
            self.lifecycle.undo_unanswered(
                message.channel, message.thread_ts, message.user, pending.seen_at
            )
        self.replier.handle(message, client)
        return "replayed"

    def settle(self, message: Incoming, reply_ts: str, event_id: str) -> None:
        case = self.lifecycle.in_thread(message.channel, message.thread_ts)
        if case is not None and not case.reply_ts:
            self.lifecycle.posted(case.id, reply_ts)
        self.inbox.done(event_id)

    def reply_in_thread(self, message: Incoming, client: WebClient) -> str | None:
        """This bot's reply after ``message`` in its thread: its ts, "" for none, None: unknown."""
        me = self.identity(client)
        if me is None:
            return None
        try:
            found = client.conversations_replies(
                channel=message.channel, ts=message.thread_ts, oldest=message.ts, limit=200
            )
        except SlackApiError as exc:
            logger.warning("conversations.replies failed: %s", exc.response.get("error"))
            return None
        for reply in found.get("messages") or []:
            later = float(reply.get("ts") or 0) > float(message.ts)
            if later and (reply.get("bot_id") == me[1] or reply.get("user") == me[0]):
                return str(reply["ts"])
        return ""

    def identity(self, client: WebClient) -> tuple[str, str] | None:
        """(bot user id, bot id) from auth.test, asked once per token: each workspace
        has its own bot user."""
        me = self._me.get(client.token)
        if me is None:
            try:
                answer = client.auth_test()
            except SlackApiError as exc:
                logger.warning("auth.test failed: %s", exc.response.get("error"))
                return None
            me = (str(answer.get("user_id") or ""), str(answer.get("bot_id") or ""))
            self._me[client.token] = me
        return me


def still_landing(posting_at: str) -> bool:
    """Whether a post begun at ``posting_at`` (ISO) may still be on its way to Slack."""
    try:
        began = datetime.fromisoformat(posting_at)
    except ValueError:
        return False
    if began.tzinfo is None:
        began = began.replace(tzinfo=UTC)
    return datetime.now(UTC) - began < POST_LANDING


def transient(exc: Exception) -> bool:
    """A fault that time may cure: Slack unreachable, rate-limited or failing (5xx)."""
    if isinstance(exc, SlackApiError):
        status = getattr(exc.response, "status_code", 200)
        return status == 429 or status >= 500
    return isinstance(exc, OSError | TimeoutError)


class OwedSweeper:
    """While this process lives, it keeps trying the replies it still owes.

    A reply whose Slack calls ran out of time (a long 429 storm, Slack unreachable)
    stays in the inbox. Every ``SWEEP_EVERY`` seconds this takes up this process's own
    rows that no attempt has touched for ``STALLED_AFTER`` and runs them again, the
    thread read back first when a post may have gone out. An event still unanswered
    after ``INBOX_REPLAY_MAX_AGE`` has failed: logged and counted, never silent.
    """

    def __init__(
        self,
        replayer: InboxRerun,
        stalled_after: timedelta | None = None,
        every: float | None = None,
    ) -> None:
        self.replayer = replayer
        # The module's value when built (not at import), so a test can shrink it.
        self.stalled_after = STALLED_AFTER if stalled_after is None else stalled_after
        self.every = every  # INBOX_SWEEP_EVERY; None: SWEEP_EVERY, read at each wait
        self.private = not replayer.settings.store_question_text
        self._stop = threading.Event()

    def sweep(self) -> Counter[str]:
        inbox = self.replayer.inbox
        failed = inbox.expire(self.replayer.max_age)
        if failed:
            logger.error("%d owed replies failed: unanswered after INBOX_REPLAY_MAX_AGE", failed)
            metrics.inbox_replayed("failed", failed)
        if self.private:
            inbox.checkpoint_blanked()  # answered questions leave the -wal file too
        counts: Counter[str] = Counter()
        # Events whose handling failed on the database (a read-only moment): now, not
        # after STALLED_AFTER. Forgotten only once claimed: a claim that fails keeps them.
        soon = RETRY_SOON.pending()
        if soon:
            claimed = inbox.claim_stalled(timedelta(0), self.replayer.max_age, only=soon)
            RETRY_SOON.forget(soon)
            self.replayer.replay_all(claimed, counts)
        # A replica that died (its process gone, or its heartbeat lease run out on another
        # host) owes replies nobody else would send until it restarts: take them over now.
        self.replayer.replay_all(inbox.claim_replay(self.replayer.max_age), counts)
        stalled = inbox.claim_stalled(self.stalled_after, self.replayer.max_age)
        self.replayer.replay_all(stalled, counts, landing=False)
        if any(counts.values()):
            self.replayer.report(counts)
        return counts

    def run(self, first: threading.Thread | None = None) -> None:
        if first is not None:
            first.join()  # the start-up re-run first: it stamps what it takes
        while not self._stop.wait(SWEEP_EVERY if self.every is None else self.every):
            try:
                self.sweep()
            except StoreClosed:
                return  # the store was closed: the process is stopping
            except Exception:  # a read-only moment, a busy database: try again later
                logger.warning("owed-reply sweep failed; trying again", exc_info=True)

    def stop(self) -> None:
        self._stop.set()


def start_inbox_rerun(
    workspaces: WorkspaceClients, engine: Engine, settings: Settings
) -> OwedSweeper:
    """Re-run in the background, so the worker acks new events at once meanwhile; then
    keep trying what this process owes (the sweeper is returned, to stop it at exit).
    Each event is answered with its own workspace's client from ``workspaces``."""
    replayer = InboxRerun(engine, settings, workspaces)
    first = threading.Thread(target=replayer.run, name="inbox-replay", daemon=True)
    first.start()
    sweeper = OwedSweeper(replayer, every=settings.inbox_sweep_every)
    threading.Thread(target=sweeper.run, args=(first,), name="owed-replies", daemon=True).start()
    return sweeper
