"""Prometheus metrics, served at ``GET /metrics``.

Under gunicorn every worker counts for itself, so ``serve`` uses prometheus-client's
multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``, set before any metric exists) and
``/metrics`` adds up all workers. Without it (tests, Socket Mode) the default registry
is used. prometheus_client is imported lazily because multiprocess mode is chosen when
it is first imported.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path
from typing import Any

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_lock = threading.Lock()
_metrics: dict[str, Any] = {}


def prepare_multiprocess(parent: Path) -> Path:
    """Call once in the gunicorn master, before workers fork and before any metric."""
    existing = os.environ.get(MULTIPROC_ENV)
    if existing:
        Path(existing).mkdir(parents=True, exist_ok=True)
        return Path(existing)
    folder = Path(tempfile.mkdtemp(prefix="emailstatus-metrics-", dir=parent))
    os.environ[MULTIPROC_ENV] = str(folder)
    return folder


def _get(name: str) -> Any:
    with _lock:
        if not _metrics:
            _create()
        return _metrics[name]


def _create() -> None:
    from prometheus_client import Counter, Histogram

    _metrics.update(
        questions=Counter(
            "emailstatus_questions_total", "Questions seen, by matcher level", ["level"]
        ),
        answers=Counter(
            "emailstatus_answers_total", "Answers given, by Outlook version", ["version"]
        ),
        feedback=Counter("emailstatus_feedback_total", "Feedback clicks, by outcome", ["outcome"]),
        api_errors=Counter(
            "emailstatus_slack_api_errors_total", "Slack Web API calls that failed", ["error"]
        ),
        api_retries=Counter(
            "emailstatus_slack_api_retries_total", "Slack Web API calls retried", ["reason"]
        ),
        dedupe_hits=Counter(
            "emailstatus_event_dedupe_hits_total", "Slack event deliveries dropped as repeats"
        ),
        latency=Histogram(
            "emailstatus_request_seconds", "HTTP request handling time", ["path"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        ),
    )  # fmt: skip


def question_seen(level: str) -> None:
    _get("questions").labels(level=level).inc()


def answer_given(version: str | None) -> None:
    _get("answers").labels(version=version or "unknown").inc()


def feedback(outcome: str) -> None:
    _get("feedback").labels(outcome=outcome).inc()


def slack_api_error(error: str) -> None:
    _get("api_errors").labels(error=error or "unknown").inc()


def slack_api_retry(reason: str) -> None:
    _get("api_retries").labels(reason=reason).inc()


def dedupe_hit() -> None:
    _get("dedupe_hits").inc()


KNOWN_PATHS = ("/slack/events", "/healthz", "/metrics")


def request_finished(path: str, seconds: float) -> None:
    # Unknown paths share one label so scanners cannot grow the label set.
    _get("latency").labels(path=path if path in KNOWN_PATHS else "other").observe(seconds)


def exposition() -> tuple[bytes, str]:
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

    _get("questions")  # make sure every metric exists, even before the first question
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
