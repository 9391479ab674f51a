"""Build the bolt App: one WebClient with retries, one error handler, every listener.

``build_app`` is the stable entry point for HTTP (serve.py) and Socket Mode alike.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from concurrent.futures import Executor
from types import ModuleType
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltResponse
from slack_sdk import WebClient
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot import metrics
from bot.config import Settings
from bot.engine import Engine
from bot.logs import annotate, keep_out_of_logs
from bot.slack.deadline import retry_handlers
from bot.slack.inbox_rerun import inbox_payload
from bot.slack.listeners import (
    actions,
    commands,
    home,
    messages,
    shortcuts,
    uninstall,
    workflow,
    workspace_settings,
)
from bot.slack.respond import RetryingRespond
from bot.store.models import StoreClosed, database_fault

logger = logging.getLogger(__name__)

DEFAULT_API_URL = WebClient.BASE_URL
ListenerModule = ModuleType  # each has ``register(app, engine, settings)``
LISTENER_MODULES: tuple[ListenerModule, ...] = (
    messages, commands, actions, shortcuts, home, workflow, workspace_settings, uninstall,
)  # fmt: skip


class CountsApiErrors(RetryHandler):
    """Never retries; counts every failed Web API attempt for /metrics, by Slack's error.

    slack_sdk asks each retry handler about every response, including ``ok: false``
    answers, which no retry handler retries. Placed first in the list, this sees them all,
    so errors that a listener catches and works around (e.g. by falling back to
    response_url) are counted too, not only those that reach ``@app.error``.
    """

    def __init__(self) -> None:
        super().__init__(max_retry_count=2**31)  # asked on every attempt, however many

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        failure = api_failure(response, error)
        if failure:
            metrics.slack_api_error(failure)
        return False


def api_failure(response: HttpResponse | None, error: Exception | None) -> str | None:
    """Slack's error code, ``http_<status>`` or the exception's name; None for success."""
    if response is None:
        return type(error).__name__ if error else None
    if response.status_code != 200:
        return f"http_{response.status_code}"
    body = response.body or {}
    return None if body.get("ok", True) else str(body.get("error") or "unknown")


def build_client(settings: Settings) -> WebClient:
    """A WebClient that retries connection errors, 5xx and 429 (after Retry-After) until
    a deadline (``bot.slack.deadline``), not a count."""
    return WebClient(
        token=settings.slack_bot_token or None,
        base_url=_api_url(settings.slack_api_url),
        # CountsApiErrors first: it sees every attempt.
        retry_handlers=[CountsApiErrors(), *retry_handlers(settings.slack_retry_backoff)],
    )


def _api_url(url: str) -> str:
    # slack_sdk joins base_url + method name, so the base must end with a slash.
    if not url:
        return DEFAULT_API_URL
    return url if url.endswith("/") else url + "/"


def build_app(
    settings: Settings,
    engine: Engine,
    *,
    client: WebClient | None = None,
    process_before_response: bool = False,
    listener_executor: Executor | None = None,
    verify_token: bool = False,
    modules: tuple[ListenerModule, ...] = LISTENER_MODULES,
    events: bool = True,
) -> App:
    """The bot's bolt App.

    Keep ``process_before_response`` False in servers: bolt acks at once and runs the
    listener on ``listener_executor`` (bolt's default is a 5-thread pool; size it for
    the load). Tests set it True to assert right after dispatch, or pass an executor
    they can wait on. ``verify_token``: bolt calls auth.test now, not on the first
    request (which would wait for it: a slow auth.test delayed that ack by seconds).
    ``modules``: the listener modules to register (``build_command_app`` takes one);
    ``events=False`` (an App that never sees an Events API payload) leaves out bolt's
    built-in middleware that only acts on events.
    """
    client = client or build_client(settings)
    app = App(
        client=client,
        **multi_workspace(settings, engine, client),
        listener_executor=listener_executor,
        # Pass the string even when empty: None would make bolt read the environment.
        # Verification stays on; bolt skips it only for Socket Mode requests, which
        # arrive over the authenticated WebSocket. An HTTP server without a secret
        # therefore rejects everything with 401 rather than trusting anyone.
        signing_secret=settings.slack_signing_secret,
        process_before_response=process_before_response,
        # Servers verify at start (serve.build_bot, once Slack has answered); tests
        # start offline, and then bolt calls auth.test lazily on the first event.
        token_verification_enabled=verify_token,
        # bolt's built-in middleware that only ever acts on Events API or function payloads
        ignoring_self_events_enabled=events,
        ignoring_self_assistant_message_events_enabled=events,
        url_verification_enabled=events,
        attaching_function_token_enabled=events,
        attaching_conversation_kwargs_enabled=events,
    )

    @app.error
    def _log_error(error: Exception, body: dict[str, Any]) -> None:
        if isinstance(error, StoreClosed):  # stopping: the event stays owed in the inbox
            logger.warning("listener stopped: the store is closed (shutting down)")
            return
        if database_fault(error):  # a read-only moment, a busy file: no traceback per event
            logger.warning(
                "listener failed on the database: %s (an acked event stays owed and is tried"
                " again; an unacked one Slack sends again)", error,
            )  # fmt: skip
            return
        logger.exception(
            "listener failed: %s", error, exc_info=error, extra={"slack_type": body.get("type")}
        )

    app.middleware(prepare_request(engine, settings.slack_retry_backoff))
    for module in modules:
        module.register(app, engine, settings)
    register_catch_alls(app)
    return app


def multi_workspace(settings: Settings, engine: Engine, client: WebClient) -> dict[str, Any]:
    """bolt's OAuth arguments in multi-workspace mode (bot.slack.oauth); none otherwise.

    (bolt would switch to OAuth with file stores by itself when both OAuth variables are
    in the environment beside a bot token: `config check` refuses that mix.)
    """
    if not settings.oauth_mode:
        return {}
    from bot.slack.oauth import oauth_authorize, oauth_settings

    oauth = oauth_settings(settings, engine.store)
    return {"oauth_settings": oauth, "authorize": oauth_authorize(settings, oauth, client)}


def build_command_app(
    settings: Settings, engine: Engine, *, client: WebClient, verify_token: bool = False
) -> App:
    """The slash command alone, in an App that runs it on the request thread.

    Its reply is the ack itself (listeners/commands.py), ready in about a millisecond,
    so handing it to a listener thread only adds work: bolt's request thread then
    polls for the ack every 10 ms. ``process_before_response`` is bolt's own switch
    for "run the listener, then answer"; ``serve`` sends slash commands here and
    everything else to ``build_app``'s App. Same client, middleware and error handler.
    """
    return build_app(
        settings, engine, client=client, process_before_response=True,
        verify_token=verify_token, modules=(commands,), events=False,
    )  # fmt: skip


class StickyAck(Ack):
    """An ``ack`` whose answer, once given, stays given.

    bolt (1.30, thread_runner) sets ``ack.response`` back to None when a listener raises
    *after* acking; the request thread, polling for the ack, then waits out its full 3
    seconds (and answers 404 or 200 by chance). With this ack the answer sent is the
    one the listener gave, at once; the error is still logged by ``@app.error``.
    """

    @property  # type: ignore[override]
    def response(self) -> BoltResponse | None:
        return self.__dict__.get("_response")

    @response.setter
    def response(self, value: BoltResponse | None) -> None:
        if value is not None or self.__dict__.get("_response") is None:
            self.__dict__["_response"] = value


def prepare_request(engine: Engine, retry_backoff: float) -> Callable[..., Any]:
    """The one middleware (each costs bolt a kwargs build per request, so not several).

    Every listener gets a ``StickyAck`` and a ``RetryingRespond``, the request's ids go
    on its log lines, and a repeated delivery of an event is acked and dropped
    (``repeated_delivery``).
    """

    def prepare(context: BoltContext, body: dict[str, Any], next: Callable[[], Any]) -> Any:
        context["ack"] = StickyAck()
        if context.response_url:
            context["respond"] = RetryingRespond(
                response_url=context.response_url, first_backoff=retry_backoff
            )
        note_request_ids(body)
        if repeated_delivery(engine, body):
            return BoltResponse(status=200, body="")
        return next()

    return prepare


def note_request_ids(body: dict[str, Any]) -> None:
    """Put the event_id or trigger_id on every log line of this request.

    The user's text is handed to the log filter too: with STORE_QUESTION_TEXT=false it
    is cut out of any line logged for this request (bolt may print a whole body).
    """
    annotate(event_id=body.get("event_id"), trigger_id=body.get("trigger_id"))
    for text in user_texts(body):
        keep_out_of_logs(text)


def user_texts(body: dict[str, Any]) -> list[str]:
    """What a person typed, in an event, a slash command or a message shortcut."""
    event = body.get("event") or {}
    texts = [event.get("text"), (event.get("message") or {}).get("text"), body.get("text")]
    if body.get("type") == "message_action":
        texts.append((body.get("message") or {}).get("text"))
    return [t for t in texts if isinstance(t, str) and t]


def repeated_delivery(engine: Engine, body: dict[str, Any]) -> bool:
    """Is this an event whose event_id was already delivered (Slack retries events)?

    The id is stored in SQLite *before* any listener runs, so a retry that arrives while
    the first delivery is still being handled, in this process or another one, or after
    a restart, gives no second reply. A message the bot may answer is stored with its
    payload in the same row, so one killed mid-reply is re-run at the next start-up
    (``bot.slack.inbox_rerun``) rather than lost.
    """
    event_id = body.get("event_id") if body.get("type") == "event_callback" else None
    if not event_id or engine.store.inbox.first_delivery(str(event_id), inbox_payload(body)):
        return False
    metrics.dedupe_hit()
    logger.info("dropping repeated delivery of event %s", event_id)
    return True


def register_catch_alls(app: App) -> None:
    """Registered last: any event or action no listener wants still gets a 200.

    Without them bolt answers 404 and Slack retries the event, three more times.
    """

    @app.event(re.compile(".*"))
    def ignore_event(body: dict[str, Any]) -> None:
        logger.debug("ignored event %s", (body.get("event") or {}).get("type"))

    @app.action(re.compile(".*"))
    def ignore_action(ack: Any, body: dict[str, Any]) -> None:
        ack()
        logger.info("ignored action %s", (body.get("actions") or [{}])[0].get("action_id"))
