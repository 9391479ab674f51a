"""The per-workspace settings modal: editable for admins, read-only for everyone else.

``settings_modal`` renders; ``submitted_values`` reads a ``view_submission``'s state back
into the values it shows, so the pair round-trips. An empty field means "the
environment's default", which the modal names beside each field.
"""

from __future__ import annotations

from typing import Any

from bot.render.kit import Block, channel_ref, context, escape, section
from bot.workspace_config import WorkspaceConfig

SETTINGS_CALLBACK = "workspace_settings"  # the modal's callback_id (view_submission)
OPEN_SETTINGS = "open_workspace_settings"  # App Home's button
VALUE = "value"  # every input's action_id
RESET = "reset_to_default"  # the checkboxes that put a channel back to its default
DEFAULT = "default"
TITLE = "Workspace settings"
ADMINS_ONLY = (
    "Only workspace admins and owners, or the person who installed the app, can change these."
)
CHANNEL_FILTER = {"include": ["public", "private"], "exclude_bot_users": True}
CHANNELS = (("summary_channel", "Weekly summary channel"),
            ("escalation_channel", "Escalation channel"))  # fmt: skip


def settings_button_block() -> Block:
    """App Home's way in (``/emailstatus settings`` is the other)."""
    return {
        "type": "actions",
        "block_id": OPEN_SETTINGS,
        "elements": [
            {"type": "button", "action_id": OPEN_SETTINGS, "value": "open",
             "text": {"type": "plain_text", "text": "Workspace settings", "emoji": True}},
        ],
    }  # fmt: skip


def settings_modal(
    now: WorkspaceConfig, defaults: WorkspaceConfig, *, editable: bool
) -> dict[str, Any]:
    """The modal for one workspace; ``now`` is its effective settings."""
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": SETTINGS_CALLBACK,
        "title": _plain(TITLE),
        "close": _plain("Cancel" if editable else "Close"),
        "blocks": _inputs(now, defaults) if editable else _read_only(now, defaults),
    }
    if editable:
        view["submit"] = _plain("Save")
    return view


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _shown(value: str) -> str:
    return channel_ref(value) if value else "not set"


def _inputs(now: WorkspaceConfig, defaults: WorkspaceConfig) -> list[Block]:
    saved = now.saved
    blocks: list[Block] = [
        section("These apply to this workspace only. Leave a field empty for the default.")
    ]
    for name, label in CHANNELS:
        element: dict[str, Any] = {"type": "conversations_select", "action_id": VALUE,
                                   "filter": CHANNEL_FILTER}  # fmt: skip
        chosen = getattr(saved, name) if saved else None
        if chosen:
            element["initial_conversation"] = chosen
        blocks.append(
            _input(name, label, element, f"Default: {_plain_channel(getattr(defaults, name))}")
        )
    resets = [_option(f"{label}: use the default", name) for name, label in CHANNELS]
    blocks.append(_input(RESET, "Back to the defaults", {"type": "checkboxes", "action_id": VALUE,
                                                           "options": resets}))  # fmt: skip
    choices = [_option(f"Default ({'on' if defaults.suggestions_enabled else 'off'})", DEFAULT),
               _option("On", "on"), _option("Off", "off")]  # fmt: skip
    picked = (saved.suggestions if saved else None) or DEFAULT
    radios = {"type": "radio_buttons", "action_id": VALUE, "options": choices,
              "initial_option": next(c for c in choices if c["value"] == picked)}  # fmt: skip
    blocks.append(_input("suggestions", "Suggestions in channels", radios,
                         "“Is this about …?” for weak matches in channels."))  # fmt: skip
    for name, label, example in (
        ("summary_schedule", "Weekly summary day and time", "FRI 16:30"),
        ("summary_tz", "Time zone of the schedule", "Europe/Paris"),
    ):
        placeholder = _plain(f"{getattr(defaults, name)} (default)")
        text: dict[str, Any] = {"type": "plain_text_input", "action_id": VALUE,
                                "placeholder": placeholder}  # fmt: skip
        chosen = getattr(saved, name) if saved else None
        if chosen:
            text["initial_value"] = chosen
        blocks.append(_input(name, label, text, f"For example {example}."))
    return blocks


def _plain_channel(channel: str) -> str:
    return channel or "not set"


def _input(block_id: str, label: str, element: dict[str, Any], hint: str | None = None) -> Block:
    block: Block = {"type": "input", "block_id": block_id, "label": _plain(label),
                    "element": element, "optional": True}  # fmt: skip
    if hint:
        block["hint"] = _plain(hint)
    return block


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": _plain(text), "value": value}


def _read_only(now: WorkspaceConfig, defaults: WorkspaceConfig) -> list[Block]:
    def line(label: str, value: str, default: str) -> str:
        mark = " _(default)_" if value == default else ""
        return f"*{label}:* {value}{mark}"

    rows = [
        line(label, _shown(getattr(now, name)), _shown(getattr(defaults, name)))
        for name, label in CHANNELS
    ]
    on_off = {True: "on", False: "off"}
    rows += [
        line("Suggestions in channels", on_off[now.suggestions_enabled],
             on_off[defaults.suggestions_enabled]),
        line("Weekly summary", escape(f"{now.summary_schedule} ({now.summary_tz})"),
             escape(f"{defaults.summary_schedule} ({defaults.summary_tz})")),
    ]  # fmt: skip
    return [section("\n".join(rows)), context(ADMINS_ONLY)]


def submitted_values(state: dict[str, Any]) -> dict[str, str | None]:
    """A submitted modal's ``view.state.values`` as settings (None: the default)."""

    def value(block_id: str) -> dict[str, Any]:
        return ((state.get(block_id) or {}).get(VALUE)) or {}

    resets = {o.get("value") for o in value(RESET).get("selected_options") or []}
    found: dict[str, str | None] = {}
    for name, _ in CHANNELS:
        chosen = value(name).get("selected_conversation")
        found[name] = None if name in resets or not chosen else str(chosen)
    suggestions = (value("suggestions").get("selected_option") or {}).get("value")
    found["suggestions"] = None if suggestions in (None, DEFAULT) else str(suggestions)
    for name in ("summary_schedule", "summary_tz"):
        text = str(value(name).get("value") or "").strip()
        found[name] = text or None
    return found
