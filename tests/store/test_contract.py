"""The store contract: every Protocol method, the same tests on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from bot.store import Action, Status, Store, StoreClosed, iso
from bot.store.models import CUT_MARKER, QUESTION_LIMIT
from tests.cases.support import Clock
from tests.store.conftest import OpenStore
from tests.store.rows import set_owner, set_replayer

GONE = "elsewhere:4242:1"  # a process on another host that never heartbeat: gone
MAX_AGE = timedelta(minutes=10)


def open_case(store: Store, **fields: str) -> int:
    values = {"source": "channel", "level": "answer", "question": "Times Opened stays 0",
              "article_id": "000385822", "channel": "C1", "thread_ts": "1.0", "user": "U1",
              **fields}  # fmt: skip
    return store.cases.open(**values).id  # type: ignore[arg-type]


# --- cases ---------------------------------------------------------------------------


def test_a_case_opens_answered_and_reads_back_whole(store: Store, clock: Clock) -> None:
    case = store.cases.open(source="dm", level="suggest", question="q", article_id="A",
                            score=0.75, detected_version="2010", team="T1", channel="D1",
                            thread_ts="1.5", user="U9")  # fmt: skip
    assert case.status == "answered" and case.created_at == iso(clock())
    assert store.cases.get(case.id) == case
    assert store.cases.get(case.id + 1000) is None
    assert store.cases.count() == 1


def test_an_unknown_source_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="unknown source"):
        store.cases.open(source="carrier-pigeon", level="answer")


def test_the_latest_case_of_a_thread_and_its_updates(store: Store) -> None:
    open_case(store, thread_ts="1.0")
    latest = open_case(store, thread_ts="1.0")
    open_case(store, thread_ts="2.0")
    store.cases.set_reply_ts(latest, "1.1")
    store.cases.choose_version(latest, "365")
    case = store.cases.for_thread("C1", "1.0")
    assert case is not None and (case.id, case.reply_ts, case.version) == (latest, "1.1", "365")
    assert store.cases.for_thread("C1", "9.9") is None


def test_a_click_counts_once_and_settles_the_case(store: Store, clock: Clock) -> None:
    case_id = open_case(store)
    clock.advance(minutes=30)
    assert store.cases.record_click(case_id, "U2", Action.RESOLVED)
    assert not store.cases.record_click(case_id, "U2", Action.RESOLVED)  # a double click
    assert store.cases.has_click(case_id, Action.RESOLVED)
    assert not store.cases.has_click(case_id, Action.ESCALATE)
    case = store.cases.get(case_id)
    assert case is not None
    assert (case.status, case.status_by, case.status_at) == ("resolved", "U2", iso(clock()))
    assert case.resolve_seconds == 1800.0
    clock.advance(minutes=30)
    store.cases.record_click(case_id, "U3", Action.ESCALATE)
    case = store.cases.get(case_id)
    assert case is not None and case.status == "escalated" and case.resolve_seconds == 1800.0


def test_a_neutral_click_keeps_the_status(store: Store) -> None:
    case_id = open_case(store)
    assert store.cases.record_click(case_id, "U2", Action.SUGGESTION_ACCEPTED)
    assert store.cases.get(case_id).status == "answered"  # type: ignore[union-attr]


def test_cases_filter_by_status_time_and_user(store: Store, clock: Clock) -> None:
    start = clock()
    first = open_case(store, user="U1")
    clock.advance(days=1)
    second = open_case(store, user="U2")
    store.cases.record_click(second, "U2", Action.RESOLVED)
    clock.advance(days=1)
    third = open_case(store, user="U1")
    ids = lambda cases: [c.id for c in cases]  # noqa: E731
    assert ids(store.cases.iter()) == [first, second, third]
    assert ids(store.cases.list()) == [third, second, first]
    assert ids(store.cases.list(status="resolved")) == [second]
    assert ids(store.cases.list(since=start + timedelta(hours=1))) == [third, second]
    assert ids(store.cases.list(until=start + timedelta(hours=1))) == [first]
    assert ids(store.cases.recent("U1", limit=1)) == [third]
    with pytest.raises(ValueError, match="unknown status"):
        store.cases.list(status="lost")


def test_a_killed_replys_case_is_dropped_unless_answered_or_clicked(store: Store) -> None:
    since = iso(datetime(2026, 1, 1, tzinfo=UTC))
    bare, replied, clicked = open_case(store), open_case(store), open_case(store)
    store.cases.set_reply_ts(replied, "1.1")
    store.cases.record_click(clicked, "U1", Action.ESCALATE)
    assert store.cases.drop_unanswered("C1", "1.0", "U1", since) == 1
    assert store.cases.get(bare) is None and store.cases.get(replied) and store.cases.get(clicked)


def test_question_text_is_capped_or_not_kept(open_store: OpenStore) -> None:
    store = open_store()
    huge = store.cases.open(source="dm", level="answer", question="x" * (QUESTION_LIMIT + 7))
    assert huge.question == "x" * QUESTION_LIMIT + CUT_MARKER.format(cut=7)
    assert store.cases.get(huge.id) == huge
    quiet = open_store(store_question_text=False)
    assert quiet.cases.open(source="dm", level="answer", question="secret").question is None
    gap = quiet.gaps.record(source="dm", reason="no article matched", question="secret")
    assert [g["question"] for g in quiet.gaps.iter() if g["id"] == gap] == [None]


# --- gaps ----------------------------------------------------------------------------


def test_gaps_are_recorded_and_read_oldest_first(store: Store, clock: Clock) -> None:
    first = store.gaps.record(
        source="slash", reason="no article matched", question="q1", score=0.2, version="2007",
        team="T", channel="C", user="U",
    )  # fmt: skip
    second = store.gaps.record(source="dm", reason="suggestion rejected")
    gaps = list(store.gaps.iter())
    assert [g["id"] for g in gaps] == [first, second]
    assert gaps[0] | {"id": 0} == {
        "id": 0, "created_at": iso(clock()), "source": "slash", "team": "T", "channel": "C",
        "user": "U", "question": "q1", "reason": "no article matched", "score": 0.2,
        "version": "2007", "enterprise": None,
    }  # fmt: skip


# --- inbox ---------------------------------------------------------------------------


def test_an_event_is_first_once_and_owed_until_done(store: Store) -> None:
    assert store.inbox.first_delivery("Ev1", '{"event": {}}')
    assert store.inbox.first_delivery("Ev2")  # nothing to re-run: settled at once
    assert store.inbox.undone() == 1
    store.inbox.done("Ev1")
    assert store.inbox.undone() == 0
    assert not store.inbox.first_delivery("Ev1", '{"event": {}}')  # a retry stays a retry


def test_one_message_is_claimed_by_one_event(store: Store) -> None:
    assert store.inbox.claim_message("C1", "1.0", "EvA")
    assert not store.inbox.claim_message("C1", "1.0", "EvB")
    assert store.inbox.message_claimed_by("C1", "1.0") == "EvA"
    assert store.inbox.message_claimed_by("C1", "2.0") is None


def test_many_threads_delivering_one_event_get_one_first(open_store: OpenStore) -> None:
    stores = [open_store(), open_store()]  # two replicas
    results: list[bool] = []
    lock = threading.Lock()

    def deliver(n: int) -> None:
        first = stores[n % 2].inbox.first_delivery("EvRace", "{}")
        with lock:
            results.append(first)

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]


def test_undone_events_of_a_gone_run_are_claimed_once(open_store: OpenStore) -> None:
    first, second = open_store(), open_store()
    for n in range(3):
        first.inbox.first_delivery(f"Ev{n}", f'{{"n": {n}}}')
        set_owner(first, f"Ev{n}", GONE)
    first.inbox.first_delivery("EvMine", "{}")  # this process is alive: not claimed
    first.inbox.posting("Ev1")  # its reply had started to go out
    claimed = first.inbox.claim_replay(MAX_AGE)
    assert [p.event_id for p in claimed] == ["Ev0", "Ev1", "Ev2"]
    assert claimed[1].payload == '{"n": 1}'
    assert [bool(p.posting_at) for p in claimed] == [False, True, False]
    assert second.inbox.claim_replay(MAX_AGE) == []  # the other replica gets none of them
    assert first.inbox.claim_replay(MAX_AGE) == []  # and no row twice


def test_events_a_killed_rerun_had_claimed_are_claimed_again(open_store: OpenStore) -> None:
    """A run killed (or stopped) during its start-up re-run left the rows it had claimed
    from a dead predecessor: they were never taken again (the soak lost 149 of 296)."""
    first, second = open_store(), open_store()
    for n in range(2):
        first.inbox.first_delivery(f"EvOrphan{n}", "{}")
        set_owner(first, f"EvOrphan{n}", GONE)
    assert len(first.inbox.claim_replay(MAX_AGE)) == 2  # this (live) run re-runs them...
    assert second.inbox.claim_replay(MAX_AGE) == []  # ...so nobody else takes them
    set_replayer(first, "EvOrphan1", "elsewhere:4343:1")  # ...until its re-run is gone
    claimed = second.inbox.claim_replay(MAX_AGE)
    assert [p.event_id for p in claimed] == ["EvOrphan1"]  # before: never, a reply lost
    assert second.inbox.claim_replay(MAX_AGE) == []


def test_too_old_events_are_not_rerun_and_lose_their_payload(store: Store, clock: Clock) -> None:
    store.inbox.first_delivery("EvOld", "question text")
    set_owner(store, "EvOld", GONE)
    clock.advance(minutes=11)
    assert store.inbox.claim_replay(MAX_AGE) == []
    assert store.inbox.expire(MAX_AGE) == 1
    assert store.inbox.expire(MAX_AGE) == 0 and store.inbox.undone() == 0


def test_give_up_drops_the_payload_and_keeps_the_id(store: Store) -> None:
    store.inbox.first_delivery("EvX", "question text")
    store.inbox.give_up("EvX")
    assert store.inbox.undone() == 0
    assert not store.inbox.first_delivery("EvX", "again")


def test_old_ids_are_forgotten(store: Store, clock: Clock) -> None:
    store.inbox.first_delivery("EvOld")
    store.inbox.claim_message("C1", "1.0", "EvOld")
    clock.advance(days=3)
    store.inbox.first_delivery("EvNew")
    assert store.inbox.forget_old() == 2
    assert store.inbox.first_delivery("EvOld")  # forgotten: new again


# --- weekly-summary claims -----------------------------------------------------------


def test_a_week_is_claimed_once_across_replicas(open_store: OpenStore, clock: Clock) -> None:
    first, second = open_store(), open_store()
    assert first.claims.claim("2026-W47", "a")
    assert not second.claims.claim("2026-W47", "b")
    first.claims.mark_posted("2026-W47", "C1", "9.9")
    claim = second.claims.get("2026-W47")
    assert claim is not None
    assert (claim["claimed_by"], claim["channel"], claim["message_ts"]) == ("a", "C1", "9.9")
    assert claim["posted_at"] == iso(clock())
    clock.advance(hours=1)
    assert not second.claims.claim("2026-W47", "b")  # posted: never again
    assert second.claims.get("2026-W48") is None


def test_a_released_or_stale_claim_is_taken_again(store: Store, clock: Clock) -> None:
    assert store.claims.claim("W1", "a")
    store.claims.release("W1")
    assert store.claims.claim("W1", "b")
    assert not store.claims.claim("W1", "c")
    clock.advance(minutes=16)
    assert store.claims.claim("W1", "c")


# --- follow-ups ----------------------------------------------------------------------


def test_a_follow_up_is_due_once_and_claimed_once(open_store: OpenStore, clock: Clock) -> None:
    first, second = open_store(), open_store()
    case_id = open_case(first, detected_version="2010")
    assert first.follow_ups.schedule(case_id)
    assert not first.follow_ups.schedule(case_id)
    first.cases.record_click(case_id, "U1", Action.SUGGESTION_ACCEPTED)
    assert first.follow_ups.due(iso(clock() - timedelta(seconds=1))) == []
    [pending] = first.follow_ups.due(iso(clock()))
    assert (pending.case_id, pending.answered_at) == (case_id, iso(clock()))
    assert pending.version == "2010"
    assert (pending.clicks, pending.accepted, pending.user) == (0, True, "U1")
    assert first.follow_ups.claim(case_id, "a")
    assert not second.follow_ups.claim(case_id, "b")
    assert second.follow_ups.due(iso(clock())) == []  # claimed: not due for anyone
    first.follow_ups.mark_sent(case_id, "5.5")
    row = second.follow_ups.get(case_id)
    assert row is not None and row["sent_at"] == iso(clock()) and row["message_ts"] == "5.5"
    clock.advance(hours=1)
    assert second.follow_ups.due(iso(clock())) == [] and not second.follow_ups.claim(case_id, "b")


def test_a_released_or_stale_follow_up_claim_is_due_again(store: Store, clock: Clock) -> None:
    case_id = open_case(store)
    store.follow_ups.schedule(case_id)
    store.cases.record_click(case_id, "U1", Action.ESCALATE)
    assert store.follow_ups.claim(case_id, "a")
    store.follow_ups.release(case_id)
    [pending] = store.follow_ups.due(iso(clock()))
    assert pending.clicks == 1 and not pending.accepted and pending.status == "escalated"
    assert store.follow_ups.claim(case_id, "b")
    clock.advance(minutes=16)
    assert [p.case_id for p in store.follow_ups.due(iso(clock()))] == [case_id]
    store.follow_ups.skip(case_id, "too old")
    assert store.follow_ups.due(iso(clock())) == []
    assert store.follow_ups.get(case_id)["skipped"] == "too old"  # type: ignore[index]
    assert store.follow_ups.get(case_id + 1) is None


# --- summary and learning reads ------------------------------------------------------


def test_the_reports_read_a_week(store: Store, clock: Clock) -> None:
    start = iso(clock())
    answered = open_case(store, detected_version="2010")
    clock.advance(minutes=10)
    resolved = open_case(store, source="dm", channel="D1", question="")
    store.cases.choose_version(resolved, "365")
    store.cases.record_click(resolved, "U1", Action.RESOLVED)
    store.follow_ups.schedule(resolved)
    store.follow_ups.mark_sent(resolved, "7.7")
    gap = store.gaps.record(source="slash", reason="no article matched", question="q")
    end = iso(clock() + timedelta(days=1))
    week = store.reports.week_rows(start, end)
    assert sorted((r.status, r.source, r.channel, r.version) for r in week) == [
        ("answered", "channel", "C1", "2010"), ("resolved", "dm", "D1", "365")]  # fmt: skip
    assert [r.resolve_seconds for r in week if r.status == "resolved"] == [0.0]
    [gap_row] = store.reports.gaps_between(start, end)
    assert (gap_row.id, gap_row.created_at, gap_row.question) == (gap, iso(clock()), "q")
    [follow_up] = store.reports.follow_ups_between(start, end)
    assert (follow_up.case_id, follow_up.sent_at, follow_up.status) == (resolved, iso(clock()),
                                                                         "resolved")  # fmt: skip
    assert store.reports.week_rows(end, iso(clock() + timedelta(days=2))) == []
    assert [c.id for c in store.reports.cases_clicked(Action.RESOLVED)] == [resolved]
    assert store.reports.cases_clicked(Action.ESCALATE) == []
    assert store.reports.texts_stored() and answered


def test_the_reports_count_a_weeks_articles(store: Store, clock: Clock) -> None:
    start = iso(clock())
    open_case(store)
    open_case(store, thread_ts="2.0")
    open_case(store, article_id="000123456", thread_ts="3.0")
    store.cases.open(source="dm", level="answer", question="old log", channel="D1")
    end = iso(clock() + timedelta(minutes=1))
    clock.advance(minutes=1)
    open_case(store, thread_ts="4.0")  # the next "week": not counted
    counts = sorted(store.reports.articles_between(start, end), key=lambda r: str(r[0]))
    assert counts == [("000123456", 1), ("000385822", 2), (None, 1)]
    assert store.reports.articles_between(end, start) == []


def test_the_reports_list_settled_cases_since_a_date(store: Store, clock: Clock) -> None:
    early = open_case(store)
    store.cases.record_click(early, "U1", Action.RESOLVED)
    clock.advance(days=3)
    since = iso(clock())[:10]  # learn --since takes a date
    resolved = open_case(store, thread_ts="2.0")
    store.cases.record_click(resolved, "U1", Action.RESOLVED)
    rejected = open_case(store, thread_ts="3.0", question="reset my password")
    store.cases.record_click(rejected, "U1", Action.SUGGESTION_REJECTED)
    open_case(store, thread_ts="4.0")  # answered: no outcome yet
    settled = store.reports.settled_cases(["resolved", "rejected"], since)
    assert [(c.id, c.status) for c in settled] == [(resolved, "resolved"), (rejected, "rejected")]
    assert settled[1].question == "reset my password" and settled[1].article_id == "000385822"
    everything = store.reports.settled_cases(["resolved"])
    assert [c.id for c in everything] == [early, resolved]
    assert store.reports.settled_cases([], since) == []


def test_no_text_stored_is_reported(open_store: OpenStore) -> None:
    store = open_store(store_question_text=False)
    open_case(store)
    store.gaps.record(source="dm", reason="no article matched", question="q")
    assert not store.reports.texts_stored()


# --- the whole database --------------------------------------------------------------


def test_purge_counts_then_deletes_old_cases_clicks_follow_ups_and_gaps(
    store: Store, clock: Clock
) -> None:
    old = open_case(store)
    store.cases.record_click(old, "U1", Action.RESOLVED)
    store.follow_ups.schedule(old)
    store.gaps.record(source="dm", reason="no article matched")
    clock.advance(days=100)
    new = open_case(store)
    planned = store.purge(timedelta(days=90), dry_run=True)
    assert (planned.cases, planned.gaps) == (1, 1) and store.cases.count() == 2
    done = store.purge(timedelta(days=90))
    assert (done.cases, done.gaps) == (1, 1)
    assert [c.id for c in store.cases.iter()] == [new] and list(store.gaps.iter()) == []
    assert store.follow_ups.get(old) is None and not store.cases.has_click(old, Action.RESOLVED)
    assert store.table_counts()["case_clicks"] == 0


def test_describe_names_kind_version_and_migration_level(store: Store) -> None:
    about = store.describe()
    assert about.kind == store.kind in ("sqlite", "postgresql")
    assert about.server_version[:1].isdigit()
    assert about.migration_level.startswith("m00") and about.pending_migrations == 0
    assert store.write_problem() is None
    store.check_writable()


def test_table_counts_count_every_table(store: Store) -> None:
    open_case(store)
    store.inbox.first_delivery("Ev1")
    counts = store.table_counts()
    assert counts["cases"] == 1 and counts["slack_events"] == 1 and counts["gaps"] == 0
    assert set(counts) >= {"cases", "case_clicks", "gaps", "follow_ups", "summary_claims",
                           "slack_events", "message_claims"}  # fmt: skip


def test_statuses_match_the_vocabulary(store: Store) -> None:
    case_id = open_case(store)
    store.cases.record_click(case_id, "U1", Action.SUGGESTION_REJECTED)
    assert store.cases.get(case_id).status == Status.REJECTED  # type: ignore[union-attr]


def test_a_closed_store_says_so(open_store: OpenStore) -> None:
    store = open_store()
    store.inbox.first_delivery("Ev1", "{}")
    open_case(store)  # this thread's own insert connection is open (SQLite)
    store.close()
    for call in (lambda: store.inbox.done("Ev1"), lambda: store.cases.count(),
                 lambda: store.cases.open(source="dm", level="answer")):  # fmt: skip
        with pytest.raises(StoreClosed):
            call()


def test_a_stalled_owed_event_is_taken_up_again_by_its_own_run(
    open_store: OpenStore, clock: Clock
) -> None:
    mine = open_store()
    mine.inbox.first_delivery("EvMine", "{}")
    mine.inbox.first_delivery("EvGone", "{}")
    set_owner(mine, "EvGone", GONE)  # a dead run's row: the start-up re-run's, not ours
    stalled = timedelta(minutes=3)
    assert mine.inbox.claim_stalled(stalled, MAX_AGE) == []  # an attempt may still be on
    clock.advance(minutes=4)
    assert [p.event_id for p in mine.inbox.claim_stalled(stalled, MAX_AGE)] == ["EvMine"]
    assert mine.inbox.claim_stalled(stalled, MAX_AGE) == []  # stamped: wait again
    clock.advance(minutes=4)
    assert [p.event_id for p in mine.inbox.claim_stalled(stalled, MAX_AGE)] == ["EvMine"]
    mine.inbox.done("EvMine")
    clock.advance(minutes=4)
    assert mine.inbox.claim_stalled(stalled, MAX_AGE) == []  # answered: nothing owed
