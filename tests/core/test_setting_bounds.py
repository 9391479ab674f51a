"""Durations the bot cannot run with are one clear problem each, never a traceback."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.config import Settings


@pytest.mark.parametrize(
    ("value", "seconds", "problem"),
    [
        ("600", 600.0, None),
        ("0", 0.0, None),  # 0: no re-run at start-up, said plainly in the docs
        ("30", 30.0, None),
        ("inf", 600.0, "INBOX_REPLAY_MAX_AGE 'inf'"),
        ("nan", 600.0, "INBOX_REPLAY_MAX_AGE 'nan'"),
        ("-5", 600.0, "INBOX_REPLAY_MAX_AGE '-5'"),  # it used to disable the re-run silently
        ("99999999", 600.0, "INBOX_REPLAY_MAX_AGE '99999999'"),
        ("soon", 600.0, "INBOX_REPLAY_MAX_AGE 'soon' is not a number"),
    ],
)
def test_inbox_replay_max_age_is_finite_and_bounded(value, seconds, problem):
    settings = Settings.from_env({"INBOX_REPLAY_MAX_AGE": value})
    assert settings.inbox_replay_max_age == seconds
    if problem is None:
        assert settings.parse_problems == ()
    else:
        [said] = settings.parse_problems
        assert said.startswith(problem)


@pytest.mark.parametrize(
    ("value", "after", "problem"),
    [
        ("24h", timedelta(hours=24), False),
        ("365d", timedelta(days=365), False),
        ("366d", timedelta(hours=24), True),
        ("999999d", timedelta(hours=24), True),  # it logged an OverflowError every cycle
        ("off", None, False),
    ],
)
def test_follow_up_after_is_at_most_a_year(value, after, problem):
    settings = Settings.from_env({"FOLLOW_UP_AFTER": value})
    assert settings.follow_up_after == after
    assert bool(settings.parse_problems) is problem
