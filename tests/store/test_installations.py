"""Installations and OAuth states (multi-workspace mode), on SQLite and on PostgreSQL.

The rows (``store.installations``, ``store.oauth_states``), then slack_sdk's
``InstallationStore`` over them with encrypted tokens, key rotation and its CLI.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Bot, Installation

from bot.cli import main
from bot.config import Settings
from bot.slack.oauth import DatabaseInstallationStore, DatabaseStateStore, InstalledWorkspaces
from bot.slack.workspaces import Workspace
from bot.store import Store
from bot.store.protocols import StoredInstallation
from bot.tokens import TokenCipher, UnreadableToken, new_key, reencrypt
from tests.cases.support import Clock

KEY = new_key()


def row(team: str | None = "T1", user: str = "U1", **changes: object) -> StoredInstallation:
    values: dict[str, object] = dict(
        enterprise_id=None, team_id=team, user_id=user, is_enterprise_install=False,
        installed_at="2026-11-18T12:00:00+00:00", details="{}", bot_secrets="sealed-bot",
        user_secrets=None,
    )  # fmt: skip
    return StoredInstallation(**{**values, **changes})  # type: ignore[arg-type]


def open_case(store: Store, team: str) -> int:
    case = store.cases.open(source="channel", level="answer", question="q", team=team,
                            channel="C1", thread_ts=f"{team}.1", user="U1")  # fmt: skip
    store.cases.record_click(case.id, "U1", "resolved")
    store.follow_ups.schedule(case.id)
    return case.id


# --- the rows -----------------------------------------------------------------------------


def test_the_newest_installation_of_a_workspace_is_found(store: Store) -> None:
    store.installations.save(row(user="U1"))
    store.installations.save(row(user="U2", installed_at="2026-11-19T12:00:00+00:00"))
    store.installations.save(row(team="T2"))
    assert store.installations.latest(None, "T1") == row(
        user="U2", installed_at="2026-11-19T12:00:00+00:00"
    )
    assert store.installations.latest(None, "T1", "U1") == row(user="U1")
    assert store.installations.latest(None, "T3") is None
    assert len(store.installations.all()) == 3


def test_saving_the_same_installer_again_replaces_the_row(store: Store) -> None:
    store.installations.save(row())
    store.installations.save(row(bot_secrets="refreshed"))
    assert [r.bot_secrets for r in store.installations.all()] == ["refreshed"]


def test_an_org_wide_install_is_kept_under_its_enterprise(store: Store) -> None:
    org = row(team=None, enterprise_id="E1", is_enterprise_install=True)
    store.installations.save(org)
    assert store.installations.latest("E1", None) == org
    assert store.installations.latest(None, None) is None


def test_forget_bot_keeps_the_row_without_its_tokens(store: Store) -> None:
    store.installations.save(row())
    store.installations.save(row(team="T2"))
    assert store.installations.forget_bot(None, "T1") == 1
    assert store.installations.latest(None, "T1") == row(bot_secrets=None)
    assert store.installations.latest(None, "T2") == row(team="T2")


def test_forget_deletes_a_workspace_or_one_installer(store: Store) -> None:
    for user in ("U1", "U2"):
        store.installations.save(row(user=user))
    store.installations.save(row(team="T2"))
    assert store.installations.forget(None, "T1", "U1") == 1
    assert store.installations.forget(None, "T1") == 1
    assert [r.team_id for r in store.installations.all()] == ["T2"]


def test_reseal_leaves_a_row_changed_since_it_was_read(store: Store) -> None:
    store.installations.save(row())
    read = store.installations.latest(None, "T1")
    assert read is not None
    assert store.installations.reseal(read, "new-bot", None)
    assert not store.installations.reseal(read, "other", None)  # it changed meanwhile
    assert store.installations.latest(None, "T1") == row(bot_secrets="new-bot")


def test_a_state_is_consumed_once_and_only_before_it_expires(store: Store) -> None:
    store.oauth_states.issue("s1", "2026-11-18T12:10:00+00:00")
    store.oauth_states.issue("s2", "2026-11-18T12:10:00+00:00")
    assert store.oauth_states.consume("s1", "2026-11-18T12:05:00+00:00")
    assert not store.oauth_states.consume("s1", "2026-11-18T12:05:00+00:00")
    assert not store.oauth_states.consume("s2", "2026-11-18T12:11:00+00:00")  # too late
    assert not store.oauth_states.consume("never-issued", "2026-11-18T12:05:00+00:00")


def test_the_state_store_issues_unguessable_states(store: Store, clock: Clock) -> None:
    states = DatabaseStateStore(store, expiration_seconds=600)
    first, second = states.issue(), states.issue()
    assert first != second and len(first) >= 32
    clock.advance(seconds=599)
    assert states.consume(first)
    clock.advance(seconds=2)
    assert not states.consume(second)


# --- slack_sdk's InstallationStore, encrypted ------------------------------------------------


def installation(team: str | None = "T1", **changes: object) -> Installation:
    values: dict[str, object] = dict(
        app_id="A1", team_id=team, team_name="Acme", bot_token=f"xoxe.xoxb-{team}",
        bot_id="B1", bot_user_id="UB1", bot_scopes="chat:write,commands",
        bot_refresh_token=f"xoxe-1-{team}", bot_token_expires_in=43200, user_id="U1",
        installed_at=1763467200.0,
    )  # fmt: skip
    return Installation(**{**values, **changes})  # type: ignore[arg-type]


@pytest.fixture
def installations(store: Store) -> DatabaseInstallationStore:
    return DatabaseInstallationStore(store.installations, TokenCipher(KEY))


def test_an_installation_reads_back_whole(installations: DatabaseInstallationStore) -> None:
    saved = installation()
    installations.save(saved)
    found = installations.find_installation(enterprise_id=None, team_id="T1")
    assert found is not None and found.to_dict() == saved.to_dict()
    bot = installations.find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None and bot.bot_token == "xoxe.xoxb-T1"


def test_tokens_are_stored_encrypted(store: Store, installations: DatabaseInstallationStore):
    installations.save(installation())
    [stored] = store.installations.all()
    assert "xoxe" not in repr(stored)
    with pytest.raises(UnreadableToken):
        TokenCipher(new_key()).decrypt(stored.bot_secrets or "")


def test_an_org_wide_installation_is_found_for_any_of_its_workspaces(
    installations: DatabaseInstallationStore,
) -> None:
    installations.save(installation(team=None, enterprise_id="E1", is_enterprise_install=True))
    found = installations.find_installation(
        enterprise_id="E1", team_id="T9", is_enterprise_install=True
    )
    assert found is not None and found.bot_token == "xoxe.xoxb-None"


def test_a_refreshed_bot_token_replaces_the_old_one(installations: DatabaseInstallationStore):
    installations.save(installation())
    installations.save_bot(Bot(team_id="T1", bot_token="xoxe.xoxb-new", bot_id="B1",
                               bot_user_id="UB1", bot_refresh_token="xoxe-1-new",
                               bot_token_expires_in=43200, installed_at=1763467300.0))  # fmt: skip
    found = installations.find_installation(enterprise_id=None, team_id="T1")
    assert found is not None
    assert (found.bot_token, found.bot_refresh_token) == ("xoxe.xoxb-new", "xoxe-1-new")


def test_revoking_a_users_token_keeps_the_bots(installations: DatabaseInstallationStore):
    installations.save(installation(user_token="xoxp-user"))
    installations.delete_installation(enterprise_id=None, team_id="T1", user_id="U1")
    found = installations.find_installation(enterprise_id=None, team_id="T1")
    assert found is not None and found.bot_token and found.user_token is None
    installations.delete_bot(enterprise_id=None, team_id="T1")
    assert installations.find_bot(enterprise_id=None, team_id="T1") is None
    installations.delete_all(enterprise_id=None, team_id="T1")
    assert installations.find_installation(enterprise_id=None, team_id="T1") is None


# --- key rotation ---------------------------------------------------------------------------


def test_rotation_reencrypts_every_token_with_the_first_key(store: Store) -> None:
    old, new = KEY, new_key()
    DatabaseInstallationStore(store.installations, TokenCipher(old)).save(installation())
    rotation = reencrypt(store.installations, TokenCipher(f"{new},{old}"))
    assert (rotation.rows, rotation.changed_meanwhile) == (1, 0)
    found = DatabaseInstallationStore(store.installations, TokenCipher(new)).find_installation(
        enterprise_id=None, team_id="T1"
    )
    assert found is not None and found.bot_token == "xoxe.xoxb-T1"


def test_rotation_with_the_wrong_keys_changes_nothing(store: Store) -> None:
    DatabaseInstallationStore(store.installations, TokenCipher(KEY)).save(installation())
    before = store.installations.all()
    with pytest.raises(UnreadableToken):
        reencrypt(store.installations, TokenCipher(new_key()))
    assert store.installations.all() == before


def test_the_rotate_key_command(store: Store, location: str) -> None:
    old, new = KEY, new_key()
    DatabaseInstallationStore(store.installations, TokenCipher(old)).save(installation())
    db = {"DATABASE_URL": location} if location.startswith("postgresql") else {}
    env = {"EMAILSTATUS_DB": location, **db}
    runner = CliRunner()
    wrong = runner.invoke(main, ["workspaces", "rotate-key"], env={**env,
                          "TOKEN_ENCRYPTION_KEY": new})  # fmt: skip
    assert wrong.exit_code == 1 and "nothing was changed" in wrong.output
    done = runner.invoke(main, ["workspaces", "rotate-key"],
                         env={**env, "TOKEN_ENCRYPTION_KEY": f"{new},{old}"})  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "re-encrypted 1 installation(s) with the first key." in done.output
    [stored] = store.installations.all()
    assert TokenCipher(new).decrypt(stored.bot_secrets or "")
    listed = runner.invoke(main, ["workspaces", "list"], env=env)
    assert listed.output.startswith("T1\tAcme\tinstalled ") and "rotating" in listed.output


def test_serve_refuses_a_key_that_opens_no_stored_token(store: Store, location: str) -> None:
    DatabaseInstallationStore(store.installations, TokenCipher(KEY)).save(installation())
    db = {"DATABASE_URL": location} if location.startswith("postgresql") else {}
    env = {"EMAILSTATUS_DB": location, **db, "SLACK_CLIENT_ID": "1.2",
           "SLACK_CLIENT_SECRET": "secret", "SLACK_SIGNING_SECRET": "signing",
           "TOKEN_ENCRYPTION_KEY": new_key()}  # fmt: skip
    result = CliRunner().invoke(main, ["serve"], env=env)
    assert result.exit_code == 2
    assert "1 stored installation(s) cannot be decrypted with TOKEN_ENCRYPTION_KEY" in (
        result.output
    )


def test_background_work_in_an_org_wide_install_gets_the_orgs_client(store: Store) -> None:
    settings = Settings(slack_client_id="1.2", slack_client_secret="s", token_encryption_key=KEY)
    org = installation(team=None, enterprise_id="E1", is_enterprise_install=True,
                       bot_token="xoxb-org", bot_refresh_token=None,
                       bot_token_expires_in=None)  # fmt: skip
    DatabaseInstallationStore(store.installations, TokenCipher(KEY)).save(org)
    clients = InstalledWorkspaces(settings, store, WebClient(base_url="http://127.0.0.1:9/"))
    for workspace in (Workspace("T9", "E1"), Workspace(None, "E1")):
        client = clients.client_for(workspace)
        assert client is not None and client.token == "xoxb-org"
        assert client.base_url == "http://127.0.0.1:9/"  # SLACK_API_URL carries over
    assert clients.client_for(Workspace("T9")) is None  # not in that organization
    assert clients.workspaces() == [Workspace(None, "E1")]
