"""The one case lifecycle: every write to a case, for every surface.

The engine opens cases through it, the ``Conversation`` moves them (a click, a typed
"that fixed it", a version named in a thread), the Slack layer reports a posted reply,
the start-up re-run undoes a case whose reply never went out, and the follow-up
scheduler records what it asked. So a click, a console ``/fixed`` and a follow-up
answer move a case the same way, with the same gaps recorded and the same metrics.

    answered ──resolve──────────▶ resolved
       │  └───not fixed─────────▶ unresolved      (any of these may follow another:
       │  └───escalate──────────▶ escalated        the latest click sets the status)
       └──────reject suggestion─▶ rejected
"""

from __future__ import annotations

from bot import metrics
from bot.answers import OTHER, Answer, compose
from bot.knowledge import KnowledgeBase
from bot.store import FINAL_ACTIONS, Action, Case, GapReason, Status, Store
from bot.vocabulary import Source, Where


class CaseLifecycle:
    def __init__(self, knowledge: KnowledgeBase, store: Store) -> None:
        self.knowledge = knowledge
        self.store = store

    # -- reading -------------------------------------------------------------------------

    def case(self, case_id: int | None) -> Case | None:
        return self.store.cases.get(case_id) if case_id is not None else None

    def in_thread(self, channel: str | None, thread_ts: str | None) -> Case | None:
        """The latest case answered in this thread, if any."""
        if not channel or not thread_ts:
            return None
        return self.store.cases.for_thread(channel, thread_ts)

    def answer_for(
        self, article_id: str, version: str | None, question: str = "", language: str | None = None
    ) -> Answer:
        """Re-compose an answer, e.g. after a version pick or a 'Yes' on a suggestion;
        in ``language`` when a person chose one, else in the question's."""
        article = self.knowledge.get(article_id) or self.knowledge.articles[0]
        return compose(article, version, question, language)

    def rejected(self, case: Case) -> bool:
        """Someone said 'No' to the suggestion: the bot stays out of that conversation."""
        return case.status == Status.REJECTED

    # -- transitions ---------------------------------------------------------------------

    def open(
        self, where: Where, question: str, *, level: str, article_id: str, score: float,
        detected_version: str | None,
    ) -> Case:  # fmt: skip
        """A new case (status 'answered'), with its follow-up scheduled where one fits."""
        case = self.store.cases.open(
            source=where.source, level=level, question=question, article_id=article_id,
            score=score, detected_version=detected_version, team=where.team,
            enterprise=where.enterprise, channel=where.channel, thread_ts=where.thread_ts,
            user=where.user,
        )  # fmt: skip
        if Source(case.source).follows_up:
            self.store.follow_ups.schedule(case.id)
        metrics.case_event(case.team, "opened")
        return case

    def choose_version(self, case: Case, version: str, user: str | None = None) -> Answer:
        """The asker named (or picked) their variant: the answer for that variant."""
        self.store.cases.choose_version(case.id, version)
        if version == OTHER:
            self.note_gap(case, GapReason.UNCOVERED_VERSION, user, version=OTHER)
        return self.answer_for(case.article_id or "", version, case.question or "")

    def posted(self, case_id: int, reply_ts: str) -> None:
        """The case's reply is out in Slack (a follow-up and a re-run look for it)."""
        if reply_ts:
            self.store.cases.set_reply_ts(case_id, reply_ts)

    def undo_unanswered(self, channel: str, thread_ts: str, user: str, since: str) -> int:
        """A killed process opened a case but never replied: drop it before the re-run."""
        return self.store.cases.drop_unanswered(channel, thread_ts, user, since)

    def settle(self, case_id: int, user: str, action: Action) -> bool:
        """Record what a person did, once per (case, user, action); False on repeats.

        A settling action moves the status (the store does that atomically); the
        feedback metric, and what a follow-up turned into, are counted here, once.
        """
        first = self.store.cases.record_click(case_id, user, action)
        if first and action in FINAL_ACTIONS:
            status = FINAL_ACTIONS[action]
            metrics.feedback(status)
            case = self.store.cases.get(case_id)
            metrics.case_event(case.team if case else None, str(status))
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

    def note_gap(
        self, case: Case, reason: GapReason, user: str | None, *, version: str | None = None
    ) -> None:
        self.store.gaps.record(
            source=case.source, reason=str(reason), question=case.question or "", score=case.score,
            version=version or case.version, team=case.team, enterprise=case.enterprise,
            channel=case.channel,
            user=user or case.user,
        )  # fmt: skip


def follow_up_sent(
    store: Store, case_id: int, message_ts: str | None, team: str | None = None
) -> None:
    """The 'follow-up sent' transition, for the scheduler (which holds only the store)."""
    store.follow_ups.mark_sent(case_id, message_ts)
    metrics.follow_up("sent")
    metrics.case_event(team, "follow_up_sent")


def follow_up_skipped(store: Store, case_id: int, reason: str) -> None:
    """The follow-up will never be asked (a click came first, the post was refused…)."""
    store.follow_ups.skip(case_id, reason)
