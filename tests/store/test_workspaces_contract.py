"""Workspaces kept apart, on both backends: cases, gaps, reports, follow-ups and settings."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.store import Action, Store, iso
from tests.cases.support import Clock


def ask(store: Store, team: str | None, user: str = "U1", **fields: str) -> int:
    values = {"source": "channel", "level": "answer", "question": f"asked in {team}",
              "article_id": "000385822", "channel": f"C{team}", "thread_ts": f"1.{team}",
              "user": user, "team": team, **fields}  # fmt: skip
    return store.cases.open(**values).id  # type: ignore[arg-type]


def test_a_case_keeps_its_team_and_enterprise(store: Store) -> None:
    case_id = ask(store, "T1", enterprise="E1")
    case = store.cases.get(case_id)
    assert case is not None and (case.team, case.enterprise) == ("T1", "E1")
    assert store.cases.get(ask(store, "T2")).enterprise is None  # type: ignore[union-attr]


def test_cases_filter_by_team_and_the_same_user_id_stays_apart(store: Store) -> None:
    one, two, console = ask(store, "T1"), ask(store, "T2"), ask(store, None, channel="console")
    assert [c.id for c in store.cases.list(team="T1")] == [one]
    assert {c.id for c in store.cases.list(team="T1", unkeyed=True)} == {one, console}
    # App Home: the viewer's own cases, in the viewer's workspace (and unkeyed ones).
    assert {c.id for c in store.cases.recent("U1", team="T2")} == {two, console}
    assert {c.id for c in store.cases.recent("U1")} == {one, two, console}
    assert [c.id for c in store.cases.list(team="T3")] == []


def test_reports_read_one_workspaces_week(store: Store, clock: Clock) -> None:
    start = iso(clock())
    one, two = ask(store, "T1"), ask(store, "T2", source="dm")
    unkeyed = ask(store, None, source="console")
    for case_id in (one, two):
        store.cases.record_click(case_id, "U1", Action.RESOLVED)
        store.follow_ups.schedule(case_id)
        store.follow_ups.mark_sent(case_id, "9.9")
    store.gaps.record(source="slash", reason="no article matched", question="a", team="T1")
    store.gaps.record(source="slash", reason="no article matched", question="b", team="T2")
    end = iso(clock() + timedelta(days=1))
    reports = store.reports
    assert sorted(r.source for r in reports.week_rows(start, end, "T1")) == ["channel", "console"]
    assert len(reports.week_rows(start, end)) == 3
    assert [g.question for g in reports.gaps_between(start, end, "T2")] == ["b"]
    assert [f.case_id for f in reports.follow_ups_between(start, end, "T1")] == [one]
    assert reports.articles_between(start, end, "T2") == [("000385822", 2)]  # T2 and unkeyed
    assert [(c.id, c.team) for c in reports.cases_clicked(Action.RESOLVED, "T2")] == [(two, "T2")]
    settled = reports.settled_cases(["resolved"], None, "T1")
    assert [(c.id, c.team) for c in settled] == [(one, "T1")] and unkeyed


def test_a_due_follow_up_names_its_workspace(store: Store, clock: Clock) -> None:
    case_id = ask(store, "T9", enterprise="E9")
    store.follow_ups.schedule(case_id)
    clock.advance(minutes=5)
    [pending] = store.follow_ups.due(iso(clock()))
    assert (pending.case_id, pending.team, pending.enterprise) == (case_id, "T9", "E9")
    assert pending.clicks == 0 and pending.accepted is False


def test_each_workspace_claims_its_own_week(store: Store) -> None:
    assert store.claims.claim("2026-W47 T1", "a")
    assert store.claims.claim("2026-W47 T2", "b")
    assert not store.claims.claim("2026-W47 T1", "b")


def test_workspace_settings_are_saved_per_installation(store: Store, clock: Clock) -> None:
    ws = store.workspace_settings
    assert ws.get("T1") is None and ws.all() == []
    saved = ws.save("T1", None, {"summary_channel": "C100", "suggestions": "off"}, "U1")
    assert saved.summary_channel == "C100" and saved.escalation_channel is None
    ws.save("", "E1", {"summary_schedule": "FRI 16:30", "summary_tz": "Europe/Paris"}, "U9")
    got = ws.get("T1")
    assert got is not None and got.values() == {
        "summary_channel": "C100", "escalation_channel": None, "suggestions": "off",
        "summary_schedule": None, "summary_tz": None}  # fmt: skip
    assert (got.updated_by, got.updated_at) == ("U1", iso(clock()))
    org = ws.get(None, "E1")
    assert org is not None and org.summary_schedule == "FRI 16:30" and org.team == ""
    # A second save replaces the row: a field left out goes back to the default.
    ws.save("T1", None, {"escalation_channel": "C200"}, "U2")
    again = ws.get("T1")
    assert again is not None and (again.summary_channel, again.escalation_channel) == (None, "C200")
    assert [(o.enterprise, o.team) for o in ws.all()] == [("", "T1"), ("E1", "")]
    assert ws.forget("T1") and not ws.forget("T1") and ws.get("T1") is None
    with pytest.raises(ValueError, match="unknown workspace settings"):
        ws.save("T1", None, {"colour": "red"}, "U1")


def test_a_workspace_that_left_can_be_forgotten(store: Store) -> None:
    gone, kept = ask(store, "T1"), ask(store, "T2")
    for case_id in (gone, kept):
        store.cases.record_click(case_id, "U1", Action.RESOLVED)
        store.follow_ups.schedule(case_id)
    store.gaps.record(source="dm", reason="no article matched", question="q", team="T1")
    store.workspace_settings.save("T1", None, {"summary_channel": "C1"}, "U1")
    store.workspace_settings.save("T2", None, {"summary_channel": "C2"}, "U1")
    assert store.purge_workspace("T1") == (1, 1)
    assert [c.id for c in store.cases.list()] == [kept]
    assert store.follow_ups.get(gone) is None and store.follow_ups.get(kept) is not None
    assert not store.cases.has_click(gone, Action.RESOLVED)
    assert store.cases.has_click(kept, Action.RESOLVED)
    assert store.workspace_settings.get("T1") is None and store.workspace_settings.get("T2")
    assert store.purge_workspace("T1") == (0, 0)
    with pytest.raises(ValueError):
        store.purge_workspace("")
