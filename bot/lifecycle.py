"""The one case lifecycle: every transition a case can take, for every surface.

Slack listeners, the console and the Workflow Builder step call these methods (through
``Engine``, which mixes them in) instead of writing to the store themselves, so a
click, a console ``/fixed`` and a follow-up answer move a case the same way, with the
same gaps recorded and the same metrics counted.

    answered ──resolve──────────▶ resolved
       │  └───not fixed─────────▶ unresolved      (any of these may follow another:
       │  └───escalate──────────▶ escalated        the latest click sets the status)
       └──────reject suggestion─▶ rejected
"""

from __future__ import annotations

from bot import metrics
from bot.answers import Answer, compose
from bot.knowledge import KnowledgeBase
from bot.store import FINAL_ACTIONS, Action, Case, GapReason, Store

# Sources where the bot answers in a conversation it can come back to.
FOLLOW_UP_SOURCES = frozenset({"channel", "dm", "mention"})
# Clicks a person can make on an answer to say how it went.
FEEDBACK = (Action.RESOLVED, Action.UNRESOLVED, Action.ESCALATE)


class CaseLifecycle:
    knowledge: KnowledgeBase
    store: Store

    def case(self, case_id: int | None) -> Case | None:
        return self.store.cases.get(case_id) if case_id is not None else None

    def answer_for(
        self, article_id: str, version: str | None, question: str = "", language: str | None = None
    ) -> Answer:
        """Re-compose an answer, e.g. after a version pick or a 'Yes' on a suggestion;
        in ``language`` when a person chose one, else in the question's."""
        article = self.knowledge.get(article_id) or self.knowledge.articles[0]
        return compose(article, version, question, language)

    # -- transitions ---------------------------------------------------------------------

    def choose_version(self, case: Case, version: str, user: str | None = None) -> Answer:
        """The asker named (or picked) their Outlook: the answer for that version."""
        self.store.cases.choose_version(case.id, version)
        if version == "other":
            self.note_gap(case, GapReason.UNCOVERED_VERSION, user, version="other")
        return self.answer_for(case.article_id or "", version, case.question or "")

    def settle(self, case_id: int, user: str, action: Action) -> bool:
        """Record what a person did, once per (case, user, action); False on repeats.

        A settling action moves the status (the store does that atomically); the
        feedback metric, and what a follow-up turned into, are counted here, once.
        """
        first = self.store.cases.record_click(case_id, user, action)
        if first and action in FINAL_ACTIONS:
            status = FINAL_ACTIONS[action]
            metrics.feedback(status)
            follow_up = self.store.follow_ups.get(case_id)
            if follow_up is not None and follow_up["sent_at"]:
                metrics.follow_up(status)
        return first

    def resolve(self, case_id: int, user: str) -> bool:
        return self.settle(case_id, user, Action.RESOLVED)

    def not_fixed(self, case_id: int, user: str) -> bool:
        return self.settle(case_id, user, Action.UNRESOLVED)

    def escalate(self, case_id: int, user: str) -> bool:
        return self.settle(case_id, user, Action.ESCALATE)

    def accept_suggestion(self, case_id: int, user: str) -> bool:
        return self.settle(case_id, user, Action.SUGGESTION_ACCEPTED)

    def reject_suggestion(self, case: Case, user: str) -> bool:
        """'No, not about that': the case is rejected and the question becomes a gap."""
        first = self.settle(case.id, user, Action.SUGGESTION_REJECTED)
        if first:
            self.note_gap(case, GapReason.SUGGESTION_REJECTED, user)
        return first

    def customer_text(self, case_id: int, user: str) -> bool:
        return self.settle(case_id, user, Action.CUSTOMER_TEXT)

    def record_click(self, case_id: int, user: str, action: str) -> bool:
        """Old name of ``settle`` with a plain string, for callers not yet moved."""
        return self.settle(case_id, user, Action(action))

    def schedule_follow_up(self, case: Case) -> None:
        """An answer in a conversation may get one 'did it fix it?' later."""
        if case.source in FOLLOW_UP_SOURCES:
            self.store.follow_ups.schedule(case.id)

    def follow_up_sent(self, case_id: int, message_ts: str | None) -> None:
        record_follow_up_sent(self.store, case_id, message_ts)

    def note_gap(
        self, case: Case, reason: GapReason, user: str | None, *, version: str | None = None
    ) -> None:
        self.store.gaps.record(
            source=case.source, reason=str(reason), question=case.question or "", score=case.score,
            version=version or case.version, team=case.team, channel=case.channel,
            user=user or case.user,
        )  # fmt: skip


def record_follow_up_sent(store: Store, case_id: int, message_ts: str | None) -> None:
    """The 'follow-up sent' transition, for the scheduler (which holds only the store)."""
    store.follow_ups.mark_sent(case_id, message_ts)
    metrics.follow_up("sent")
