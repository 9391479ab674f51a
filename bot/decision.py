"""What a matcher decides about one message: the level, the article, and why."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    ANSWER = "answer"
    SUGGEST = "suggest"
    SILENT = "silent"


@dataclass(frozen=True)
class Thresholds:
    """Score cut-offs (0-100). At or above ``answer`` the bot answers; at or above
    ``suggest`` it asks first; below, it stays silent."""

    answer: float = 60.0
    suggest: float = 50.0

    def __post_init__(self) -> None:
        if not 0 <= self.suggest <= self.answer <= 100:
            raise ValueError("thresholds must satisfy 0 <= suggest <= answer <= 100")

    def level(self, score: float, *, may_answer: bool = True) -> Level:
        """The level a score reaches; ``may_answer=False`` caps it at suggest."""
        if may_answer and score >= self.answer:
            return Level.ANSWER
        if score >= self.suggest:
            return Level.SUGGEST
        return Level.SILENT

    @classmethod
    def from_config(cls, answer: float | None, suggest: float | None) -> Thresholds | None:
        """Configured thresholds, or None to use the ones learned by cross-validation."""
        if answer is None and suggest is None:
            return None
        if answer is None or suggest is None:
            raise ValueError(
                "set both MATCH_ANSWER_THRESHOLD and MATCH_SUGGEST_THRESHOLD, or neither"
            )
        return cls(answer, suggest)


@dataclass(frozen=True)
class Match:
    level: Level
    article_id: str | None
    score: float
    version: str | None
    reasons: tuple[str, ...] = ()
    concepts: tuple[str, ...] = ()
    corrections: tuple[tuple[str, str], ...] = ()
    part: str | None = None  # the part of a longer message that decided, if one did

    @property
    def matched(self) -> bool:
        return self.level is Level.ANSWER

    def as_contract(self) -> dict[str, object]:
        """The fixed ``match --jsonl`` output shape."""
        return {
            "match": self.matched,
            "article": self.article_id if self.level is not Level.SILENT else None,
            "score": round(self.score, 1),
            "version": self.version,
            "level": self.level.value,
        }
