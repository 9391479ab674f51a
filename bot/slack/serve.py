"""Run the bot: HTTP (WSGI under gunicorn) for production, Socket Mode for one workspace.

HTTP routes: ``POST /slack/events`` (events, commands, interactivity, all signed),
``GET /healthz`` and ``GET /metrics``; in multi-workspace mode also bolt's OAuth pages,
``GET /slack/install`` and ``GET /slack/oauth_redirect`` (bot/slack/oauth.py).
Each gunicorn worker builds its own engine, SQLite connection and bolt App after the
fork: SQLite connections must not cross a fork.
Slack requests pass the request gate (bot/slack/gate.py: size cap, signature, parsing)
before bolt sees them.
"""

from __future__ import annotations

import json
import logging
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.oauth import OAuthFlow

from bot import metrics
from bot.config import SERVE_READ_TIMEOUT, SERVE_REQUEST_DEADLINE, Settings
from bot.engine import Engine
from bot.knowledge import load_knowledge
from bot.logs import gunicorn_logger_class, request_context
from bot.matching import Matcher, Thresholds
from bot.slack.app import build_app, build_client, build_command_app
from bot.slack.auth import AuthMonitor
from bot.slack.gate import Rejection, RequestGate
from bot.slack.inbox_rerun import start_inbox_rerun
from bot.slack.reply_queue import BoundedExecutor
from bot.slack.workspaces import OneWorkspace, WorkspaceClients

if TYPE_CHECKING:  # imported lazily: HTTP servers never load the WebSocket client
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.store import Store

logger = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


@dataclass(frozen=True)
class ServerSettings:
    """Gunicorn settings, in one place (``serve`` and bench/bench_http.py both use them).

    - ``gthread`` workers: the work is I/O (Slack API calls, SQLite), so threads are cheap
      and keep the 3-second ack even while listeners wait on Slack.
    - 2 workers: one per core on the 2-core machines we target; more processes buy
      nothing for I/O-bound work and each holds its own SQLite connection.
    - 64 threads per worker for requests, and the ``StallProofThreadWorker``
      (bot/slack/worker.py): a client that stops mid-request holds a thread until its
      read deadline (5 s), so there are more threads than a burst of such clients (50
      stalled connections leave /healthz answering at once). Idle threads cost only
      memory. Slash commands are answered on these threads (the reply is the ack);
      events and clicks are acked here and handled on the listener threads below.
    - bolt's listener executor gets 8 threads per worker, so a burst of events is
      replied to as fast as it is acked. More listener threads than that measured no
      faster on 2 cores (the GIL), only a worse p99.
    - Python's own GIL switch interval (5 ms). A 1 ms interval once shortened the queue
      of threads waiting for a lock whose holder waited for the GIL; the hot path now
      holds no shared lock (cases insert on their thread's own connection, log lines
      queue without one), and bench/bench_http.py measured 5 ms with the lower p99.
    - ``timeout`` 30 s: a worker silent for that long is stuck (Slack itself gives up on
      an ack after 3 s). ``graceful_timeout`` 20 s bounds how long SIGTERM waits for
      in-flight work before workers are killed.
    - ``read_timeout`` and ``request_deadline``: how long a client may take over each read
      and over its whole request (SERVE_READ_TIMEOUT, SERVE_REQUEST_DEADLINE; 5 s, 8 s).
    """

    host: str = "127.0.0.1"
    port: int = 3000
    workers: int = 2
    threads: int = 64
    listener_threads: int = 8
    timeout: int = 30
    graceful_timeout: int = 20
    keepalive: int = 5
    read_timeout: float = SERVE_READ_TIMEOUT
    request_deadline: float = SERVE_REQUEST_DEADLINE


INTEGRITY_EVERY = 600.0  # seconds between two quick_checks of the case log (one at start)


class IntegrityCheck:
    """SQLite's ``quick_check``, at start and then at most every ``INTEGRITY_EVERY``
    seconds: a corrupt index or page makes /healthz 503 instead of "ok" while every
    event fails. Cached, because a check reads the whole file."""

    def __init__(self, store: Store, every: float | None = None) -> None:
        self.store = store
        self.every = INTEGRITY_EVERY if every is None else every  # read now: tests shorten it
        self.lock = threading.Lock()
        self.checked_at: float | None = None
        self.last: str | None = None

    def problem(self) -> str | None:
        with self.lock:
            now = time.monotonic()
            if self.checked_at is None or now - self.checked_at >= self.every:
                self.checked_at = now
                try:
                    self.last = self.store.integrity_problem()
                except Exception as exc:  # a damaged file may fail the check itself
                    self.last = f"database damaged ({type(exc).__name__})"
            return self.last


def health(
    engine: Engine,
    auth: AuthMonitor | None = None,
    queue: BoundedExecutor | None = None,
    integrity: IntegrityCheck | None = None,
) -> tuple[int, dict[str, Any]]:
    """200 when the case log takes writes, knowledge is loaded and Slack accepts the
    token; else 503 with short reasons (no filesystem paths: /healthz may be public).
    A reply queue that is behind is 200 "degraded": the bot works, slowly."""
    problems = []
    database = engine.store.write_problem() or (integrity.problem() if integrity else None)
    if database:
        problems.append(database)
    if not engine.knowledge.articles:
        problems.append("no knowledge articles loaded")
    slack = auth.problem() if auth is not None else None
    if slack:
        problems.append(slack)
    behind = queue.behind() if queue is not None else None
    status = {
        "status": "unavailable" if problems else "degraded" if behind else "ok",
        "articles": len(engine.knowledge.articles),
        "problems": problems + ([behind] if behind else []),
    }
    return (200 if not problems else 503), status


def create_wsgi_app(
    bolt_app: App,
    engine: Engine,
    *,
    signing_secret: str | None = None,
    auth: AuthMonitor | None = None,
    command_app: App | None = None,
    queue: BoundedExecutor | None = None,
) -> WSGIApp:
    """The bot as a WSGI callable: Slack requests (through the gate), health and metrics.

    ``signing_secret`` defaults to the bolt app's own (bolt has no public accessor).
    ``command_app`` (``app.build_command_app``) takes the slash commands, if given.
    """
    secret = signing_secret if signing_secret is not None else bolt_app._signing_secret
    gate = RequestGate(secret, first_time=engine.store.inbox.first_delivery)
    slack = slack_endpoint(bolt_app, gate, command_app)
    integrity = IntegrityCheck(engine.store)
    integrity.problem()  # at start: a damaged case log shows in the first /healthz
    oauth = bolt_app.oauth_flow  # multi-workspace mode only

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/")
        started = time.perf_counter()
        try:
            if path == "/slack/events":
                if method != "POST":
                    return _json(start_response, 405, {"error": "use POST"})
                with request_context(**_slack_ids(environ)):
                    return slack(environ, start_response)
            if oauth is not None and path in (oauth.install_path, oauth.redirect_uri_path):
                if method != "GET":
                    return _json(start_response, 405, {"error": "use GET"})
                return oauth_page(oauth, environ, start_response)
            if path == "/healthz" and method in ("GET", "HEAD"):
                code, status = health(engine, auth, queue, integrity)
                return _json(start_response, code, status)
            if path == "/metrics" and method == "GET":
                body, content_type = metrics.exposition()
                start_response("200 OK", [("Content-Type", content_type)])
                return [body]
            return _json(start_response, 404, {"error": "not found"})
        finally:
            metrics.request_finished(path, time.perf_counter() - started)

    return application


def oauth_page(
    flow: OAuthFlow, environ: dict[str, Any], start_response: StartResponse
) -> list[bytes]:
    """bolt's install page (state cookie + link to Slack) or its redirect handler.

    The redirect checks the state against the cookie and the store (CSRF), exchanges the
    code with ``oauth.v2.access`` and saves the installation; bolt renders the page.
    """
    request = BoltRequest(body="", query=environ.get("QUERY_STRING", ""), headers=_headers(environ))
    if environ.get("PATH_INFO") == flow.install_path:
        response = flow.handle_installation(request)
    else:
        response = flow.handle_callback(request)
    logger.info("oauth %s answered %s", environ.get("PATH_INFO"), response.status)
    return _bolt_answer(start_response, response)


def slack_endpoint(bolt_app: App, gate: RequestGate, command_app: App | None = None) -> WSGIApp:
    """``POST /slack/events``: the gate, then bolt; one log line per request.

    Slash commands go to ``command_app`` when there is one (they are answered on the
    request thread), everything else to ``bolt_app``.

    A rejected request is logged with its status and a fixed reason, never its body.
    Listener lines logged after the answer (the reply) carry the same ids, and their
    elapsed_ms counts from the same arrival, so one request reads as one story.
    The line for a request answered 2xx is DEBUG: at INFO each question already has
    its line (``bot.engine``), ``/metrics`` counts every request by path and latency,
    and that line was a sixth of the CPU of a slash-command lookup.
    """

    def handle(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            admitted = gate.admit(environ)
        except Rejection as rejection:
            logger.warning("slack request rejected %s: %s", rejection.status, rejection.reason)
            return _json(start_response, rejection.status, {"error": rejection.reason})
        if admitted.duplicate:  # a captured request sent again: acked, not acted on
            metrics.dedupe_hit()
            logger.warning("slack request replayed: acked and ignored")
            return _json(start_response, 200, {})
        headers = _headers(environ)
        if admitted.signature is not None:  # the gate cleaned the body and signed it again
            headers["x-slack-signature"] = admitted.signature
        request = BoltRequest(
            body=admitted.text, query=environ.get("QUERY_STRING", ""), headers=headers
        )
        slash = "command" in admitted.body
        app = command_app if command_app is not None and slash else bolt_app
        response = app.dispatch(request)
        level = logging.DEBUG if response.status < 300 else logging.WARNING
        logger.log(level, "slack request answered %s", response.status)
        return _bolt_answer(start_response, response)

    return handle


def _headers(environ: dict[str, Any]) -> dict[str, str | Sequence[str]]:
    """The request headers as bolt's own WSGI adapter passes them."""
    headers: dict[str, str | Sequence[str]] = {
        key[5:].lower().replace("_", "-"): value
        for key, value in environ.items()
        if key[:5] == "HTTP_"
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if key in environ:
            headers[key.lower().replace("_", "-")] = environ[key]
    return headers


def _bolt_answer(start_response: StartResponse, response: BoltResponse) -> list[bytes]:
    body = (response.body or "").encode()
    headers = [
        (name, value)
        for name, values in response.headers.items()
        if name.lower() != "content-length"
        for value in values
    ]
    headers.append(("Content-Length", str(len(body))))
    start_response(_status_line(response.status), headers)
    return [body]


def _status_line(code: int) -> str:
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return f"{code} Unknown"


def _slack_ids(environ: dict[str, Any]) -> dict[str, str]:
    """Retry headers are known before the body is parsed; the rest is added by bolt."""
    retry = environ.get("HTTP_X_SLACK_RETRY_NUM")
    return {"retry_num": retry} if retry else {}


def _json(start_response: StartResponse, code: int, data: dict[str, Any]) -> list[bytes]:
    body = json.dumps(data).encode()
    start_response(
        _status_line(code),
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
    )
    return [body]


MAX_QUEUED_PER_THREAD = 50  # listeners waiting per listener thread: about 10 s of replies
HAND_BACK_WAIT = 5.0  # seconds for the replies already being sent, after the hand-back


@dataclass
class Bot:
    """Everything one process serves with, and how to close it."""

    settings: Settings
    engine: Engine
    app: App
    executor: BoundedExecutor
    stop_background: Callable[[], None]
    auth: AuthMonitor | None = field(default=None)
    command_app: App | None = field(default=None)
    workspaces: WorkspaceClients | None = field(default=None)  # a client per workspace

    def close(self, wait_seconds: float = 10.0) -> None:
        """Drain the replies queued and in flight (bounded), hand back the rest, then close.

        What is still queued after ``wait_seconds`` is not started: its inbox rows stay
        owed, and closing the store ends this run's lease, so the next start (or a live
        replica) re-runs them at once. Listeners never run on a closed database.
        """
        self.stop_background()
        waiter = threading.Thread(target=self.executor.shutdown, daemon=True)
        waiter.start()
        waiter.join(wait_seconds)
        if waiter.is_alive():
            queued = self.executor._work_queue.qsize()  # not started yet: handed back
            self.executor.shutdown(wait=False, cancel_futures=True)
            logger.warning("stopping with %d replies queued: handed back to the next run", queued)
            waiter.join(min(wait_seconds, HAND_BACK_WAIT))  # those already running
            if waiter.is_alive():
                logger.warning("listeners still running; closing anyway")
        self.engine.store.close()


def build_bot(settings: Settings, listener_threads: int, *, check_auth: bool = False) -> Bot:
    """The engine, bolt app and scheduler of one process.

    ``check_auth`` (serve workers): auth.test now, cached for /healthz, and handed to
    bolt so that the first request does not wait for it.
    """
    from bot.slack.weekly import start_scheduler

    engine = Engine.from_settings(settings)
    executor = BoundedExecutor(
        listener_threads, MAX_QUEUED_PER_THREAD * listener_threads, thread_name_prefix="listener"
    )
    client = build_client(settings)
    # Multi-workspace mode has no one token to check: each request brings its own.
    auth = AuthMonitor(client) if check_auth and not settings.oauth_mode else None
    verified = auth is not None and auth.check_now().problem is None
    app = build_app(
        settings, engine, client=client, listener_executor=executor, verify_token=verified
    )
    command_app = build_command_app(settings, engine, client=client, verify_token=verified)
    if settings.oauth_mode:
        return _multi_workspace_bot(settings, engine, app, executor, command_app)
    scheduler = start_scheduler(app.client, engine.store, settings)
    workspaces = OneWorkspace(client)
    sweeper = start_inbox_rerun(workspaces, engine, settings)  # a killed run's, then our own

    def stop() -> None:
        sweeper.stop()
        if scheduler:
            scheduler.stop()

    return Bot(settings, engine, app, executor, stop, auth, command_app, workspaces)


def _multi_workspace_bot(
    settings: Settings, engine: Engine, app: App, executor: BoundedExecutor, command_app: App
) -> Bot:
    """The bot of a multi-workspace process: a client per installed workspace.

    The inbox re-run answers each owed event, and the scheduler (each workspace's weekly
    summary, follow-ups) posts, with the client of the workspace the work belongs to.
    """
    from bot.slack.oauth import InstalledWorkspaces
    from bot.slack.weekly import start_scheduler

    workspaces = InstalledWorkspaces(settings, engine.store, app.client)
    logger.info("multi-workspace mode: %d workspaces installed", len(workspaces.workspaces()))
    scheduler = start_scheduler(None, engine.store, settings, clients=workspaces)
    sweeper = start_inbox_rerun(workspaces, engine, settings)  # a killed run's, then our own

    def stop() -> None:
        sweeper.stop()
        scheduler.stop()

    return Bot(settings, engine, app, executor, stop, None, command_app, workspaces)


def run_http(settings: Settings, server: ServerSettings) -> None:
    """Serve under gunicorn (gthread) until SIGTERM/SIGINT; exits 0 after a graceful stop."""
    bots: list[Bot] = []

    def load() -> WSGIApp:
        bot = build_bot(settings, server.listener_threads, check_auth=True)
        bots.append(bot)
        return create_wsgi_app(
            bot.app, bot.engine, signing_secret=settings.slack_signing_secret, auth=bot.auth,
            command_app=bot.command_app, queue=bot.executor,
        )  # fmt: skip

    def close_bots() -> None:
        for bot in bots:
            bot.close(wait_seconds=server.graceful_timeout / 2)
        for handler in logging.getLogger().handlers:  # lines still queued (BackgroundWriter)
            handler.flush()

    metrics.prepare_multiprocess(Path(tempfile.gettempdir()))
    warm_matcher(settings)
    run_gunicorn(load, server, log_level=settings.log_level, on_worker_exit=close_bots)


def warm_matcher(settings: Settings) -> None:
    """Load (or train, once) the matcher in gunicorn's master, before it forks.

    Each worker's ``Engine`` then finds the fitted model in this process's memory, which
    the fork shares: a knowledge folder with new examples is trained once per change,
    not once per worker, and workers start without importing scikit-learn again.
    """
    thresholds = Thresholds.from_config(settings.answer_threshold, settings.suggest_threshold)
    Matcher(load_knowledge(settings.knowledge_dir), thresholds)


def run_gunicorn(
    load: Callable[[], WSGIApp],
    server: ServerSettings,
    *,
    log_level: str = "INFO",
    on_worker_exit: Callable[[], None] = lambda: None,
) -> None:
    """Run gunicorn with ``server``'s settings; each worker serves ``load()`` (after fork).

    ``run_http`` serves the bot through this; bench/bench_http.py serves a bare bolt app
    through it too, so both are measured on exactly the same server configuration.
    """
    from gunicorn.app.base import BaseApplication

    from bot.slack.worker import Deadlines, use_deadlines

    options = {
        "bind": f"{server.host}:{server.port}",
        "workers": server.workers,
        "threads": server.threads,
        "worker_class": "bot.slack.worker.StallProofThreadWorker",
        "timeout": server.timeout,
        "graceful_timeout": server.graceful_timeout,
        "keepalive": server.keepalive,
        "worker_exit": lambda _arbiter, _worker: on_worker_exit(),
        "accesslog": None,
        "errorlog": "-",
        "loglevel": log_level.lower(),
        "logger_class": gunicorn_logger_class(),
        # No runtime control socket (gunicorn >= 25): it lives in $HOME, which a hardened
        # service cannot write, and nothing here uses it.
        "control_socket_disable": True,
    }

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                if key in self.cfg.settings:  # older gunicorns lack some settings
                    self.cfg.set(key, value)

        def load(self) -> WSGIApp:
            return load()

    use_deadlines(Deadlines(server.read_timeout, server.request_deadline))  # before the fork
    Server().run()


def socket_mode_handler(bot: Bot) -> SocketModeHandler:
    """bolt's Socket Mode adapter for ``bot``; the tests feed it envelopes directly.

    Envelopes are acked from the handler's pool as soon as bolt acks; listeners run on
    the bot's own executor, exactly as over HTTP.
    """
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    return SocketModeHandler(bot.app, bot.settings.slack_app_token)


def run_socket_mode(settings: Settings, listener_threads: int = 8) -> None:
    """Connect to Slack over a WebSocket (no public URL needed) until SIGTERM or Ctrl-C.

    Docker and systemd stop a service with SIGTERM, which by default kills Python on the
    spot, mid-reply, with SQLite open. It is turned into a normal exit instead: close the
    socket, finish the replies in flight (bounded), close SQLite, exit 0.
    """
    bot = build_bot(settings, listener_threads)
    handler = socket_mode_handler(bot)
    signal.signal(signal.SIGTERM, _exit_normally)
    try:
        handler.start()
    except KeyboardInterrupt:
        logger.info("interrupted; stopping")
    finally:
        handler.close()
        bot.close()


def _exit_normally(signum: int, _frame: Any) -> None:
    logger.info("received %s; stopping", signal.Signals(signum).name)
    raise SystemExit(0)
