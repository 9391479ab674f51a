"""A worker's first Slack request does not wait for auth.test.

Before, bolt called auth.test lazily on the first request: with Slack slow to answer
it (5 s in the probe), that request was acked after 5 s, and Slack retried it. Now each
serve worker calls auth.test when it starts, before it takes requests.

Here auth.test takes SLOW seconds: a request that waited for it could not be acked in
under a second. (A worker calls it three times as it starts: once for /healthz and once
for each of its two bolt apps, so a longer SLOW only makes the start slower.)
"""

from __future__ import annotations

import json

from tests.ops.serving import serve
from tests.support import payloads as P
from tests.support.fake_slack import FakeSlackApi
from tests.support.signing import sign

SLOW = 1.0  # seconds auth.test takes: as long as the ack may take, at most


def test_first_request_is_acked_at_once_when_auth_test_is_slow(tmp_path):
    with FakeSlackApi(bot_user=P.BOT_USER, bot_id=P.BOT_ID, team=P.TEAM) as slack:
        slack.slow("auth.test", SLOW)
        with serve(slack, tmp_path) as server:
            calls_at_start = len(slack.calls("auth.test"))
            for n in range(4):  # a first request for each worker, whichever takes it
                body = json.dumps(P.event_body(P.message("lunch, anyone?"), f"EvFirst{n}"))
                headers = {"Content-Type": "application/json", **sign(body)}
                answer = server.request("POST", "/slack/events", body.encode(), headers)
                assert answer.status == 200 and answer.seconds < SLOW, answer.seconds
            assert len(slack.calls("auth.test")) == calls_at_start  # none on the way
