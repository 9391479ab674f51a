"""Workspaces kept apart below the listeners: suggestions per workspace, the follow-up
client per workspace, learn's candidates and the metrics labelled with their team."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from bot import metrics
from bot.config import Settings
from bot.conversation import Conversation
from bot.follow_up_scheduler import FollowUpRefused
from bot.knowledge import KnowledgeBase
from bot.learning import find_candidates
from bot.slack.weekly import follow_up_poster
from bot.slack.workspaces import Workspace
from bot.store import Action, Store
from bot.store.models import FollowUpPending
from bot.store.sqlite import WEEK_ROWS_OF, scoped
from bot.vocabulary import Source, Where
from tests.support.engines import make_engine
from tests.support.fake_slack import FakeSlackApi

FIXED = "opens never show for the buyer on outlook, sorted by the safe senders steps"


@pytest.fixture
def store() -> Iterator[Store]:
    found = Store()
    yield found
    found.close()


def test_suggestions_follow_each_workspaces_setting(knowledge: KnowledgeBase, store: Store) -> None:
    conversation = Conversation(make_engine(knowledge, store), Settings(suggestions_enabled=True))
    store.workspace_settings.save("T1", None, {"suggestions": "off"}, "U1")
    one, two = (Where(Source.CHANNEL, team=t, channel="C1") for t in ("T1", "T2"))
    assert not conversation.suggestions_allowed(one)
    assert conversation.suggestions_allowed(two)
    assert conversation.suggestions_allowed(Where(Source.DM, team="T1", channel="D1"))


class Clients:
    def __init__(self, slack: FakeSlackApi, teams: dict[str, str]) -> None:
        self.clients = {t: WebClient(token=k, base_url=slack.url) for t, k in teams.items()}

    def client_for(self, workspace: Workspace) -> WebClient | None:
        return self.clients.get(workspace.team_id or "")

    def workspaces(self) -> list[Workspace]:
        return [Workspace(team) for team in self.clients]


def pending(case_id: int, team: str) -> FollowUpPending:
    return FollowUpPending(
        case_id=case_id, answered_at="2026-11-18T12:00:00+00:00", source="channel",
        level="answer", status="answered", channel="C1", thread_ts="1.0", reply_ts="1.1",
        user="U1", article_id="000385822", version="2010", clicks=0, accepted=False, team=team,
    )  # fmt: skip


def test_a_follow_up_is_asked_with_its_workspaces_token(slack: FakeSlackApi) -> None:
    post = follow_up_poster(Clients(slack, {"T1": "xoxb-one", "T2": "xoxb-two"}))
    post(pending(1, "T2"))
    [asked] = slack.requests("chat.postMessage")
    assert asked.headers.get("Authorization") == "Bearer xoxb-two"
    with pytest.raises(FollowUpRefused, match="uninstalled"):
        post(pending(2, "T3"))  # a workspace that left: never another's token


def test_learn_candidates_name_their_workspace(knowledge: KnowledgeBase, store: Store) -> None:
    for team in ("T1", "T2"):
        case = store.cases.open(source="channel", level="answer", question=f"{FIXED} {team}",
                                article_id="000385822", team=team)  # fmt: skip
        store.cases.record_click(case.id, "U1", Action.RESOLVED)
    everything = find_candidates(store, knowledge)
    assert sorted(c.team for c in everything) == ["T1", "T2"]
    [only] = find_candidates(store, knowledge, team="T2")
    assert only.team == "T2" and only.text.endswith("T2")


def test_case_counts_are_labelled_with_their_workspace(
    knowledge: KnowledgeBase, store: Store
) -> None:
    def opened(team: str) -> float:
        sample = f'emailstatus_case_events_total{{event="opened",team="{team}"}}'
        for line in metrics.exposition()[0].decode().splitlines():
            if line.startswith(sample):
                return float(line.split()[-1])
        return 0.0

    before = opened("T7")
    make_engine(knowledge, store).lifecycle.open(
        Where(Source.DM, team="T7", channel="D1", user="U1"), "q", level="answer",
        article_id="000385822", score=90.0, detected_version=None,
    )  # fmt: skip
    assert opened("T7") == before + 1


def test_one_workspaces_week_reads_only_its_covering_index(store: Store) -> None:
    sql, extra = scoped(WEEK_ROWS_OF, "T1")
    plan = [
        str(row[-1]) for row in store.db.execute(f"explain query plan {sql}", ["a", "b", *extra])
    ]
    searches = [step for step in plan if step.startswith("SEARCH")]
    assert searches and all("COVERING INDEX idx_cases_team_week" in s for s in searches), plan
