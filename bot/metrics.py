"""Prometheus metrics, served at ``GET /metrics``.

Under gunicorn every worker counts for itself, so ``serve`` uses prometheus-client's
multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``, set before any metric exists) and
``/metrics`` adds up all workers. Without it (tests, Socket Mode) the default registry
is used. prometheus_client is imported lazily because multiprocess mode is chosen when
it is first imported.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_lock = threading.Lock()
_metrics: dict[str, Any] = {}


def prepare_multiprocess(parent: Path) -> Path:
    """Call once in the gunicorn master, before workers fork and before any metric.

    Why multiprocess mode: each gunicorn worker is its own process with its own counters,
    and a scrape reaches one worker at random. In this mode every worker writes its
    samples to files in one folder and ``/metrics`` adds them all up, so a scrape sees the
    whole server, and counts survive a worker being replaced. (The alternative, one
    scrape target per worker, needs a port per worker and a Prometheus that knows them.)

    The folder must start empty (stale files would be added in): a folder given in
    ``PROMETHEUS_MULTIPROC_DIR`` is emptied, otherwise a fresh one is made under
    ``parent`` and removed when the master exits.
    """
    existing = os.environ.get(MULTIPROC_ENV)
    if existing:
        folder = Path(existing)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink()
        return folder
    folder = Path(tempfile.mkdtemp(prefix="emailstatus-metrics-", dir=parent))
    os.environ[MULTIPROC_ENV] = str(folder)
    atexit.register(_remove_in_master, folder, os.getpid())
    return folder


def _remove_in_master(folder: Path, master: int) -> None:
    # Workers are forked from the master and inherit atexit hooks: only the master cleans up.
    if os.getpid() == master:
        shutil.rmtree(folder, ignore_errors=True)


def _get(name: str) -> Any:
    with _lock:
        if not _metrics:
            _create()
        return _metrics[name]


def _create() -> None:
    from prometheus_client import CollectorRegistry, Counter, Histogram

    # Our own registry, not prometheus_client's global one: /metrics shows exactly the
    # bot's series (the same set with one process or many), and nothing else that
    # happens to register globally can collide with them.
    registry = CollectorRegistry()

    def counter(name: str, doc: str, *labels: str) -> Any:
        return Counter(f"emailstatus_{name}_total", doc, labels, registry=registry)

    _metrics.update(
        registry=registry,
        questions=counter("questions", "Questions seen, by matcher level", "level"),
        answers=counter("answers", "Answers given, by Outlook version", "version"),
        feedback=counter("feedback", "Feedback clicks, by outcome", "outcome"),
        api_errors=counter("slack_api_errors", "Slack Web API calls that failed", "error"),
        api_retries=counter("slack_api_retries", "Slack Web API calls retried", "reason"),
        dedupe_hits=counter("event_dedupe_hits", "Slack event deliveries dropped as repeats"),
        follow_ups=counter("follow_ups", "Follow-ups sent, and what they led to", "event"),
        # Per case, per workspace: never summed across workspaces by accident.
        case_events=counter("case_events", "Cases opened and settled, by workspace", "team",
                            "event"),
        replayed=counter("inbox_replayed", "Owed events re-run, by outcome", "outcome"),
        reply_queue=counter("reply_queue", "Listener queue events (overflow)", "event"),
        reply_wait=Histogram(
            "emailstatus_reply_queue_wait_seconds", "Time a listener waited in the queue",
            buckets=(0.01, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60), registry=registry,
        ),
        latency=Histogram(
            "emailstatus_request_seconds", "HTTP request handling time", ["path"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5), registry=registry,
        ),
    )  # fmt: skip


def question_seen(level: str) -> None:
    _get("questions").labels(level=level).inc()


def answer_given(version: str | None) -> None:
    _get("answers").labels(version=version or "unknown").inc()


def feedback(outcome: str) -> None:
    _get("feedback").labels(outcome=outcome).inc()


def follow_up(event: str) -> None:
    """``sent``, or the status a case took after its follow-up (resolved, escalated…)."""
    _get("follow_ups").labels(event=event).inc()


def case_event(team: str | None, event: str) -> None:
    """``opened``, a status a case took (resolved, escalated…) or ``follow_up_sent``,
    labelled with the case's workspace (``none`` for console and older cases)."""
    _get("case_events").labels(team=team or "none", event=event).inc()


def slack_api_error(error: str) -> None:
    _get("api_errors").labels(error=error or "unknown").inc()


def slack_api_retry(reason: str) -> None:
    _get("api_retries").labels(reason=reason).inc()


def dedupe_hit() -> None:
    _get("dedupe_hits").inc()


def reply_queue(event: str) -> None:
    _get("reply_queue").labels(event).inc()


def reply_queue_wait(seconds: float) -> None:
    _get("reply_wait").observe(seconds)


def inbox_replayed(outcome: str, count: int) -> None:
    # inc(0) too: the series exists from the first start-up, so alerts can use it.
    _get("replayed").labels(outcome=outcome).inc(count)


KNOWN_PATHS = ("/slack/events", "/healthz", "/metrics")


def request_finished(path: str, seconds: float) -> None:
    # Unknown paths share one label so scanners cannot grow the label set.
    _get("latency").labels(path=path if path in KNOWN_PATHS else "other").observe(seconds)


def exposition() -> tuple[bytes, str]:
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

    registry = _get("registry")  # also makes every metric exist before the first question
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        class SizedFilesOnly(multiprocess.MultiProcessCollector):
            """Every worker's files but those still empty: a worker creates its file, then
            sizes it, and a scrape in between failed whole (500), every worker's series
            with it (prometheus/client_python#1199, seen in the suite)."""

            def collect(self) -> Any:
                return self.merge(_sized(Path(self._path).glob("*.db")), accumulate=True)

        # Every worker's files, added up; the in-process registry would show one worker.
        registry = CollectorRegistry()
        SizedFilesOnly(registry)
    return generate_latest(registry), CONTENT_TYPE_LATEST


def _sized(files: Iterable[Path]) -> list[str]:
    sized = []
    for file in files:
        try:
            if file.stat().st_size > 0:
                sized.append(str(file))
        except OSError:  # gone since the listing: a dead worker's file, removed
            continue
    return sized


def metric_names() -> list[str]:
    """The bot's series, as /metrics names them (without the counters' ``_total``)."""
    return sorted(metric.name for metric in _get("registry").collect())
