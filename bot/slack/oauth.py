"""Multi-workspace mode: bolt's OAuth flow over the bot's own database.

With ``SLACK_CLIENT_ID``, ``SLACK_CLIENT_SECRET`` and no ``SLACK_BOT_TOKEN``, ``serve``
answers ``GET /slack/install`` (the "Add to Slack" page; a state cookie and a state
value against CSRF) and ``GET /slack/oauth_redirect`` (``oauth.v2.access``, then the
installation is saved). Every request is then authorised with its workspace's token.

- Installations and OAuth states live in the case-log database (SQLite or PostgreSQL),
  behind slack_sdk's ``InstallationStore`` and ``OAuthStateStore`` interfaces.
- Tokens (and refresh tokens) are stored encrypted (bot.tokens); the store sees
  ciphertext only.
- Token rotation is bolt's: a token due to expire within
  ``TOKEN_REFRESH_MINUTES`` is refreshed (``oauth.v2.access`` with
  ``grant_type=refresh_token``) before the request's listener runs.
- Every call, the OAuth flow's and the refresh's included, goes through the bot's own
  WebClient, so ``SLACK_API_URL`` applies to them (bolt's defaults would use slack.com).
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Bot, Installation, InstallationStore
from slack_sdk.oauth.state_store import OAuthStateStore
from slack_sdk.oauth.token_rotation import TokenRotator

from bot.config import Settings
from bot.slack.workspaces import Workspace
from bot.store import Store, iso
from bot.store.protocols import InstallationRecords, StoredInstallation
from bot.tokens import TokenCipher

logger = logging.getLogger(__name__)

# The bot scopes of deploy/slack-manifest-*.yaml (tests/e2e/test_manifests.py checks).
BOT_SCOPES = ("app_mentions:read", "channels:history", "groups:history", "im:history",
              "chat:write", "commands", "files:write", "users:read")  # fmt: skip
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_SECONDS = 600  # an install page's state is good for 10 minutes (bolt's default)
TOKEN_REFRESH_MINUTES = 120  # refresh a rotating token this long before it expires
# Fields of an installation that are secrets: kept only encrypted.
BOT_SECRETS = ("bot_token", "bot_refresh_token", "incoming_webhook_url")
USER_SECRETS = ("user_token", "user_refresh_token")
TIMES = ("bot_token_expires_at", "user_token_expires_at", "installed_at")


class DatabaseInstallationStore(InstallationStore):
    """slack_sdk's InstallationStore over ``store.installations``, tokens encrypted."""

    def __init__(self, records: InstallationRecords, cipher: TokenCipher) -> None:
        self.records, self.cipher = records, cipher

    @property
    def logger(self) -> logging.Logger:
        return logger

    def save(self, installation: Installation) -> None:
        self.records.save(self.sealed(installation))

    def save_bot(self, bot: Bot) -> None:
        """A refreshed bot token alone (bolt's bot-only rotation): update the latest row."""
        team = None if bot.is_enterprise_install else bot.team_id
        found = self.find_installation(
            enterprise_id=bot.enterprise_id, team_id=team,
            is_enterprise_install=bot.is_enterprise_install,
        )  # fmt: skip
        if found is None:
            return
        found.bot_token, found.bot_refresh_token = bot.bot_token, bot.bot_refresh_token
        found.bot_token_expires_at = bot.bot_token_expires_at
        self.save(found)

    def find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        team = None if is_enterprise_install else team_id
        row = self.records.latest(enterprise_id, team, user_id)
        return self.opened(row) if row is not None else None

    def find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        found = self.find_installation(
            enterprise_id=enterprise_id, team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )  # fmt: skip
        return found.to_bot() if found is not None and found.bot_token else None

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        self.records.forget_bot(enterprise_id, team_id)

    def delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        """One user's tokens (or, without ``user_id``, every installation of the workspace).

        The installer's row also holds the bot's tokens: those stay until ``delete_bot``.
        """
        row = None if user_id is None else self.records.latest(enterprise_id, team_id, user_id)
        if row is not None and row.bot_secrets:
            self.records.save(row._replace(user_secrets=None))
        else:
            self.records.forget(enterprise_id, team_id, user_id)

    def delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        self.records.forget(enterprise_id, team_id)

    # -- the row, sealed and opened ------------------------------------------------------

    def sealed(self, installation: Installation) -> StoredInstallation:
        values = installation.to_dict_for_copying()
        for name in TIMES:  # epoch numbers, as Installation takes them back
            if isinstance(values.get(name), datetime):
                epoch = values[name].timestamp()
                values[name] = epoch if name == "installed_at" else int(epoch)
        bot = {name: values.pop(name) for name in BOT_SECRETS}
        user = {name: values.pop(name) for name in USER_SECRETS}
        team = None if installation.is_enterprise_install else installation.team_id
        return StoredInstallation(
            enterprise_id=installation.enterprise_id,
            team_id=team,
            user_id=installation.user_id or "",
            is_enterprise_install=bool(installation.is_enterprise_install),
            installed_at=iso(datetime.fromtimestamp(installation.installed_at, UTC)),
            details=json.dumps(values, sort_keys=True),
            bot_secrets=self._seal(bot) if bot["bot_token"] else None,
            user_secrets=self._seal(user) if user["user_token"] else None,
        )

    def opened(self, row: StoredInstallation) -> Installation:
        values: dict[str, Any] = json.loads(row.details)
        for sealed in (row.bot_secrets, row.user_secrets):
            if sealed:
                values.update(json.loads(self.cipher.decrypt(sealed)))
        return Installation(**values)

    def _seal(self, values: dict[str, Any]) -> str:
        return self.cipher.encrypt(json.dumps(values, sort_keys=True))


class DatabaseStateStore(OAuthStateStore):
    """OAuth states in ``store.oauth_states``: any replica can finish an install."""

    def __init__(self, store: Store, expiration_seconds: int = STATE_SECONDS) -> None:
        self.store, self.expiration_seconds = store, expiration_seconds

    @property
    def logger(self) -> logging.Logger:
        return logger

    def issue(self, *args: Any, **kwargs: Any) -> str:
        state = secrets.token_urlsafe(24)
        expires = self.store.clock() + timedelta(seconds=self.expiration_seconds)
        self.store.oauth_states.issue(state, iso(expires))
        return state

    def consume(self, state: str) -> bool:
        return bool(state) and self.store.oauth_states.consume(state, iso(self.store.clock()))


def installation_store(settings: Settings, store: Store) -> DatabaseInstallationStore:
    cipher = TokenCipher(settings.token_encryption_key)
    return DatabaseInstallationStore(store.installations, cipher)


def oauth_settings(
    settings: Settings, store: Store, scopes: Sequence[str] = BOT_SCOPES
) -> OAuthSettings:
    """bolt's OAuth settings: our stores, our paths, bot scopes only."""
    return OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(scopes),
        user_scopes=[],
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        installation_store=installation_store(settings, store),
        state_store=DatabaseStateStore(store),
        state_expiration_seconds=STATE_SECONDS,
        token_rotation_expiration_minutes=TOKEN_REFRESH_MINUTES,
        logger=logger,
    )


def oauth_authorize(settings: Settings, oauth: OAuthSettings, client: WebClient) -> Any:
    """bolt's installation-store authorize, refreshing tokens through ``client``.

    ``OAuthSettings`` builds one whose token rotator has a default WebClient (slack.com),
    which would ignore SLACK_API_URL; this one is given the bot's client instead.
    ``cache_enabled``: bolt then calls auth.test once per token, not once per request
    (it runs before the ack). The token itself is still read from the store on every
    request, so an uninstalled workspace's token is never used from the cache.
    """
    return InstallationStoreAuthorize(
        cache_enabled=True,
        logger=logger,
        installation_store=oauth.installation_store,
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        token_rotation_expiration_minutes=oauth.token_rotation_expiration_minutes,
        client=client,
    )


class InstalledWorkspaces:
    """``WorkspaceClients`` from the installation store: background work's clients.

    A workspace's client carries its current bot token, refreshed first when it is due
    (the same rotation bolt runs per request); None once the workspace uninstalled.
    """

    def __init__(self, settings: Settings, store: Store, client: WebClient) -> None:
        self.store = store
        self.installations = installation_store(settings, store)
        self.base_client = client
        self.rotator = TokenRotator(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret,
            client=client,
        )

    def client_for(self, workspace: Workspace) -> WebClient | None:
        found = self.installation_of(workspace)
        if found is None or not found.bot_token:
            return None
        refreshed = self.rotator.perform_token_rotation(
            installation=found, minutes_before_expiration=TOKEN_REFRESH_MINUTES
        )
        if refreshed is not None:
            self.installations.save(refreshed)
        return copy_with_token(self.base_client, (refreshed or found).bot_token)

    def installation_of(self, workspace: Workspace) -> Installation | None:
        """The workspace's own installation, else its organization's org-wide one."""
        found = None
        if workspace.team_id is not None:
            found = self.installations.find_installation(
                enterprise_id=workspace.enterprise_id, team_id=workspace.team_id
            )
        if found is None and workspace.enterprise_id is not None:
            found = self.installations.find_installation(
                enterprise_id=workspace.enterprise_id, team_id=None, is_enterprise_install=True
            )
        return found

    def workspaces(self) -> list[Workspace]:
        rows = self.store.installations.all()
        found = {Workspace(row.team_id, row.enterprise_id) for row in rows if row.bot_secrets}
        return sorted(found, key=lambda w: (w.enterprise_id or "", w.team_id or ""))


def copy_with_token(client: WebClient, token: str | None) -> WebClient:
    """The same base URL, retry handlers and timeout, another token."""
    return WebClient(
        token=token,
        base_url=client.base_url,
        timeout=client.timeout,
        retry_handlers=client.retry_handlers,
        logger=client.logger,
    )
