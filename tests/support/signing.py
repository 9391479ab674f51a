"""Sign requests the way Slack does: HMAC-SHA256 over ``v0:{timestamp}:{body}``."""

from __future__ import annotations

import hashlib
import hmac
import time

SECRET = "test-signing-secret"


def sign(body: str, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"x-slack-request-timestamp": ts, "x-slack-signature": f"v0={digest}"}
