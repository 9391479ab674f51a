"""An error in a listener after ack() does not hold the HTTP answer.

bolt (1.30) sets ``ack.response`` back to None when a listener raises after acking, and
the request thread, polling for the ack, then waits out its 3 seconds: the probe saw 200
or 404 only after 3 s for a button with a garbage value and a slash command without a
response_url. ``prepare_request`` gives every listener a ``StickyAck``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from slack_bolt import BoltRequest

from bot.config import Settings
from bot.engine import Engine
from bot.slack.app import build_app
from tests.support import payloads as P
from tests.support.fake_slack import FakeSlackApi
from tests.support.signing import SECRET, sign


def test_an_error_after_ack_answers_at_once(tmp_path: Path):
    with FakeSlackApi() as slack:
        answer_times(tmp_path, slack)


def answer_times(tmp_path: Path, slack: FakeSlackApi) -> None:
    settings = Settings(
        slack_bot_token="xoxb-1-2-test", slack_signing_secret=SECRET,
        slack_api_url=slack.url, db_path=str(tmp_path / "bot.db"),
    )  # fmt: skip
    engine = Engine.from_settings(settings)
    pool = ThreadPoolExecutor(4)
    app = build_app(settings, engine, listener_executor=pool)  # as in serve: ack, then work

    @app.command("/boom")
    def boom(ack: Any) -> None:
        ack()
        raise ValueError("a payload this listener cannot read")

    try:
        for _ in range(5):  # the race in bolt goes the bad way most of the time
            body = P.slash_form("x", response_url=slack.response_url()).replace(
                "%2Femailstatus", "%2Fboom"
            )
            headers: dict[str, str | Sequence[str]] = {
                "content-type": "application/x-www-form-urlencoded",
                **sign(body),
            }
            started = time.perf_counter()
            response = app.dispatch(BoltRequest(body=body, headers=headers))
            assert response.status == 200 and time.perf_counter() - started < 1.0
    finally:
        pool.shutdown(wait=True)
        engine.store.close()
