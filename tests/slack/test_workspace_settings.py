"""Per-workspace settings: the modal renderer, what a submission reads back, the effective
settings (the admin's, else the environment's) and the values refused."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.models.views import View
from slack_sdk.oauth.installation_store import FileInstallationStore, Installation

from bot.config import Settings
from bot.render.workspace_settings import (
    ADMINS_ONLY,
    OPEN_SETTINGS,
    RESET,
    SETTINGS_CALLBACK,
    VALUE,
    settings_button_block,
    settings_modal,
    submitted_values,
)
from bot.slack.listeners.common import workspace_of
from bot.slack.listeners.workspace_settings import installer_from, may_change
from bot.slack.workspaces import Workspace
from bot.store import Store
from bot.store.models import WorkspaceOverrides
from bot.workspace_config import config_for, defaults, effective, problems
from tests.support.blockkit import problems as block_problems
from tests.support.fake_slack import FakeSlackApi

ENV = Settings(summary_channel="#support-leads", escalation_channel="C0ESCALATE",
               summary_schedule="MON 09:00", summary_tz="UTC")  # fmt: skip
SAVED = WorkspaceOverrides(team="T1", summary_channel="C0SUMMARY", suggestions="off",
                           summary_schedule="FRI 16:30", summary_tz="Europe/Paris")  # fmt: skip


def round_trip(view: dict[str, Any]) -> dict[str, Any]:
    """Through slack_sdk's View model: it validates and must give the same JSON back."""
    parsed = View(**view)
    parsed.validate_json()
    return parsed.to_dict()


@pytest.mark.parametrize("editable", [True, False])
@pytest.mark.parametrize("saved", [None, SAVED])
def test_the_modal_is_valid_block_kit(editable: bool, saved: WorkspaceOverrides | None) -> None:
    view = settings_modal(effective(ENV, saved), defaults(ENV), editable=editable)
    assert round_trip(view) == view
    assert block_problems(view, "modal") == []
    assert view["callback_id"] == SETTINGS_CALLBACK
    assert ("submit" in view) is editable


def test_a_member_sees_the_values_and_cannot_change_them() -> None:
    view = settings_modal(effective(ENV, SAVED), defaults(ENV), editable=False)
    text = str(view["blocks"])
    assert all(block["type"] != "input" for block in view["blocks"])
    assert "<#C0SUMMARY>" in text and "FRI 16:30 (Europe/Paris)" in text
    assert "<#C0ESCALATE> _(default)_" in text  # not saved: the environment's
    assert ADMINS_ONLY in text


def state_as_submitted(view: dict[str, Any]) -> dict[str, Any]:
    """``view.state.values`` as Slack sends them when the admin changes nothing."""
    state: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element, kind = block["element"], block["element"]["type"]
        if kind == "conversations_select":
            value = {"selected_conversation": element.get("initial_conversation")}
        elif kind == "checkboxes":
            value = {"selected_options": element.get("initial_options", [])}
        elif kind == "radio_buttons":
            value = {"selected_option": element.get("initial_option")}
        else:
            value = {"value": element.get("initial_value")}
        state[block["block_id"]] = {VALUE: {"type": kind, **value}}
    return state


@pytest.mark.parametrize("saved", [None, SAVED])
def test_submitting_unchanged_keeps_what_was_saved(saved: WorkspaceOverrides | None) -> None:
    view = settings_modal(effective(ENV, saved), defaults(ENV), editable=True)
    expected = saved.values() if saved else dict.fromkeys(WorkspaceOverrides().values())
    assert submitted_values(state_as_submitted(view)) == expected


def test_a_channel_goes_back_to_its_default() -> None:
    view = settings_modal(effective(ENV, SAVED), defaults(ENV), editable=True)
    state = state_as_submitted(view)
    state[RESET][VALUE]["selected_options"] = [{"value": "summary_channel"}]
    assert submitted_values(state)["summary_channel"] is None


def test_app_homes_button_opens_the_modal() -> None:
    block = settings_button_block()
    assert block_problems({"blocks": [block]}, "home") == []
    assert block["elements"][0]["action_id"] == OPEN_SETTINGS


@pytest.mark.parametrize(
    ("saved", "channel", "suggestions", "schedule", "tz"),
    [
        (None, "#support-leads", True, "MON 09:00", "UTC"),
        (SAVED, "C0SUMMARY", False, "FRI 16:30", "Europe/Paris"),
        (WorkspaceOverrides(suggestions="on"), "#support-leads", True, "MON 09:00", "UTC"),
    ],
)  # fmt: skip
def test_saved_values_win_and_the_environment_fills_the_rest(
    saved: WorkspaceOverrides | None, channel: str, suggestions: bool, schedule: str, tz: str
) -> None:
    env = Settings(**{**ENV.__dict__, "suggestions_enabled": True})
    now = effective(env, saved)
    assert (now.summary_channel, now.suggestions_enabled, now.summary_schedule, now.summary_tz) == (
        channel, suggestions, schedule, tz)  # fmt: skip
    assert now.escalation_channel == "C0ESCALATE"


@pytest.mark.parametrize(
    ("values", "wrong"),
    [
        ({"summary_schedule": "FRI 16:30", "summary_tz": "Europe/Paris"}, set()),
        ({"summary_schedule": "friday 7:05"}, set()),
        ({"summary_schedule": "someday"}, {"summary_schedule"}),
        ({"summary_schedule": "MON 25:00"}, {"summary_schedule"}),
        ({"summary_tz": "Mars/Olympus"}, {"summary_tz"}),
        ({"suggestions": "maybe"}, {"suggestions"}),
        ({"colour": "red"}, {"colour"}),
    ],
)  # fmt: skip
def test_bad_values_are_named_by_field(values: dict[str, str], wrong: set[str]) -> None:
    assert set(problems(values)) == wrong


def test_an_org_wide_install_row_serves_its_workspaces_until_they_save_their_own() -> None:
    store = Store()
    try:
        store.workspace_settings.save(None, "E1", {"summary_channel": "C0ORG"}, "U1")
        assert config_for(store, ENV, "T1", "E1").summary_channel == "C0ORG"
        store.workspace_settings.save("T1", "E1", {"summary_channel": "C0OWN"}, "U1")
        assert config_for(store, ENV, "T1", "E1").summary_channel == "C0OWN"
        assert config_for(store, ENV, "T2", None).summary_channel == "#support-leads"
    finally:
        store.close()


def test_single_workspace_background_work_reads_the_one_saved_row() -> None:
    store = Store()
    try:
        assert config_for(store, ENV, None).summary_channel == "#support-leads"
        store.workspace_settings.save("T1", None, {"summary_channel": "C0ONE"}, "U1")
        assert config_for(store, ENV, None).summary_channel == "C0ONE"
        store.workspace_settings.save("T2", None, {"summary_channel": "C0TWO"}, "U1")
        assert config_for(store, ENV, None).summary_channel == "#support-leads"  # ambiguous
    finally:
        store.close()


@pytest.mark.parametrize(
    ("context", "body", "expected"),
    [
        ({"team_id": "T1"}, {"team_id": "T1"}, Workspace("T1")),
        ({}, {"team": {"id": "T2"}, "enterprise": {"id": "E1"}}, Workspace("T2", "E1")),
        # An org-wide install's modal names the org as its installed team: the person's
        # workspace is the one in the body.
        ({"team_id": "E1", "enterprise_id": "E1"}, {"team": {"id": "T3"}}, Workspace("T3", "E1")),
    ],
)  # fmt: skip
def test_the_workspace_of_a_request(
    context: dict[str, Any], body: dict[str, Any], expected: Workspace
) -> None:
    assert workspace_of(context, body) == expected


def test_the_installer_and_admins_may_change_the_settings(tmp_path, slack: FakeSlackApi) -> None:
    installs = FileInstallationStore(base_dir=str(tmp_path))
    installs.save(Installation(app_id="A0APP", enterprise_id=None, team_id="T1",
                               user_id="U0INSTALLER", bot_token="xoxb-1", bot_id="B1",
                               bot_user_id="U0BOT"))  # fmt: skip
    installer_of = installer_from(SimpleNamespace(installation_store=installs))
    assert installer_of is not None and installer_of(Workspace("T1")) == "U0INSTALLER"
    assert installer_of(Workspace("T2")) is None
    assert installer_from(SimpleNamespace(installation_store=None)) is None  # one bot token
    client = WebClient(token="xoxb-1", base_url=slack.url)
    assert may_change(client, "U0INSTALLER", Workspace("T1"), installer_of)
    assert slack.calls("users.info") == []  # the install record was enough
    slack.users.update({"U0OWNER": {"is_owner": True}})
    try:
        assert may_change(client, "U0OWNER", Workspace("T1"), installer_of)
        assert not may_change(client, "U0MEMBER", Workspace("T1"), installer_of)
        slack.fail("users.info", "missing_scope")  # no users:read: nobody is an admin
        assert not may_change(client, "U0OWNER", Workspace("T1"))
    finally:
        slack.users.clear()
