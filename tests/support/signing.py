"""Sign requests the way Slack does, with slack_sdk's own ``SignatureVerifier``.

The one signer of the test suite: HMAC-SHA256 over ``v0:{timestamp}:{body}``.
"""

from __future__ import annotations

import time

from slack_sdk.signature import SignatureVerifier

SECRET = "test-signing-secret"


def sign(body: str, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"x-slack-request-timestamp": ts, "x-slack-signature": signature or ""}
