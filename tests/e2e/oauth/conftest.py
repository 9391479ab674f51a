"""Multi-workspace (OAuth) mode, once per backend, for every test module here.

Each module gets its own database (a SQLite file, then a fresh database on the session's
throw-away PostgreSQL), its own fake Slack (which issues the workspaces' tokens and
records which token each call carried) and OAuth-mode settings: client id and secret, an
encryption key, no bot token.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.config import Settings
from tests.store.conftest import pg_server  # noqa: F401 (the session's PostgreSQL)
from tests.support.fake_slack import FakeSlackApi
from tests.support.oauth_mode import CLIENT_ID, CLIENT_SECRET, KEY
from tests.support.postgres import Server
from tests.support.signing import SECRET


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return str(tmp_path_factory.mktemp("oauth") / "bot.db")
    server: Server = request.getfixturevalue("pg_server")
    return server.fresh_database()


@pytest.fixture(scope="module")
def slack(database: str) -> Iterator[FakeSlackApi]:
    """Slack for one backend's app (the workspaces it issued tokens to, its calls)."""
    with FakeSlackApi() as api:
        yield api


@pytest.fixture(scope="module")
def settings(slack: FakeSlackApi, database: str) -> Settings:
    return Settings(
        slack_signing_secret=SECRET, slack_api_url=slack.url, db_path=database,
        slack_client_id=CLIENT_ID, slack_client_secret=CLIENT_SECRET, token_encryption_key=KEY,
    )  # fmt: skip
