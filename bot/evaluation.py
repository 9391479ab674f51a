"""Score the matcher on labelled messages (format: ../shared/eval/README.md)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.language import LanguageScore, language_score
from bot.matching import Match, Matcher

GATE = {"f1": 0.95, "false_positive_rate": 0.03, "version_accuracy": 0.98}


@dataclass(frozen=True)
class Labelled:
    text: str
    on_topic: bool
    version: str | None
    lang: str
    kind: str
    article: str | None = None  # the right article (None: no article), when the line names it
    routed: bool = False  # whether the line names its article (an "article" key)


@dataclass
class Tally:
    total: int = 0
    on_topic: int = 0
    hits: int = 0  # on-topic lines answered
    false_positives: int = 0  # off-topic lines answered

    @property
    def recall(self) -> float | None:
        return self.hits / self.on_topic if self.on_topic else None


@dataclass
class Report:
    lines: int = 0
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    off_topic: int = 0
    version_right: int = 0
    on_topic_version_right: int = 0
    on_topic: int = 0
    other_article: int = 0  # lines answered with another article
    by_kind: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_lang: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    misses: list[tuple[str, Labelled, Match]] = field(default_factory=list)
    # expected article (or SILENT) -> what the matcher answered with (or SILENT) -> lines
    confusion: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    routed_lines: int = 0  # lines that name their article
    routed_right: int = 0  # ... answered with it, or left silent when no article answers

    @property
    def routing_accuracy(self) -> float | None:
        """The right article or silence, on lines labelled with their article."""
        return self.routed_right / self.routed_lines if self.routed_lines else None

    answer_language: LanguageScore = field(default_factory=LanguageScore)  # non-English lines

    @property
    def precision(self) -> float:
        answered = self.true_positives + self.false_positives
        return self.true_positives / answered if answered else 0.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.on_topic if self.on_topic else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def false_positive_rate(self) -> float:
        return self.false_positives / self.off_topic if self.off_topic else 0.0

    @property
    def version_accuracy(self) -> float:
        return self.version_right / self.lines if self.lines else 0.0

    @property
    def on_topic_version_accuracy(self) -> float:
        return self.on_topic_version_right / self.on_topic if self.on_topic else 0.0

    def gate_failures(self) -> list[str]:
        failures = []
        if self.f1 < GATE["f1"]:
            failures.append(f"F1 {self.f1:.3f} is below {GATE['f1']}")
        if self.false_positive_rate > GATE["false_positive_rate"]:
            failures.append(
                f"false-positive rate {self.false_positive_rate:.3f} "
                f"is above {GATE['false_positive_rate']}"
            )
        if self.version_accuracy < GATE["version_accuracy"]:
            failures.append(
                f"version accuracy {self.version_accuracy:.3f} is below {GATE['version_accuracy']}"
            )
        return failures


def read_labelled(lines: Iterable[str]) -> list[Labelled]:
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            rows.append(
                Labelled(
                    text=str(data["text"]),
                    on_topic=bool(data["on_topic"]),
                    version=data.get("version"),
                    lang=str(data.get("lang", "?")),
                    kind=str(data.get("kind", "?")),
                    article=data.get("article"),
                    routed="article" in data,
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"line {number}: not a labelled message ({exc})") from exc
    return rows


def evaluate(matcher: Matcher, rows: Iterable[Labelled], article_id: str) -> Report:
    """Score the matcher; a line counts as answered when ``article_id`` answers it.

    (An off-topic line that a neighbouring article answers is not a false positive here:
    the labels say whether *this* article is the answer.)
    """
    report = Report()
    rows = list(rows)
    report.answer_language = language_score((row.text, row.lang) for row in rows)
    for row in rows:
        match = matcher.match(row.text)
        _count(report, row, match, match.matched and match.article_id == article_id)
        _route(report, row, match, article_id)
    return report


SILENT = "(silent)"
OFF_TOPIC = "(off-topic)"  # an off-topic line that does not say which article, if any


def _route(report: Report, row: Labelled, match: Match, article_id: str) -> None:
    """The confusion table: what each line should get, against what it got."""
    decided = match.article_id if match.matched and match.article_id else SILENT
    if row.routed:
        expected = row.article or SILENT
        report.routed_lines += 1
        report.routed_right += decided == expected
    else:
        expected = article_id if row.on_topic else OFF_TOPIC
    report.confusion[expected][decided] += 1


def _count(report: Report, row: Labelled, match: Match, answered: bool) -> None:
    report.lines += 1
    report.other_article += match.matched and not answered
    version_right = match.version == row.version
    report.version_right += version_right
    for tally in (report.by_kind[row.kind], report.by_lang[row.lang]):
        tally.total += 1
        tally.on_topic += row.on_topic
        tally.hits += row.on_topic and answered
        tally.false_positives += (not row.on_topic) and answered
    if row.on_topic:
        report.on_topic += 1
        report.on_topic_version_right += version_right
        if answered:
            report.true_positives += 1
        else:
            report.false_negatives += 1
            report.misses.append(("missed", row, match))
    else:
        report.off_topic += 1
        if answered:
            report.false_positives += 1
            report.misses.append(("false positive", row, match))
    if not version_right:
        report.misses.append(("wrong version", row, match))


def confusion_lines(report: Report) -> list[str]:
    """The confusion table as text: one row per expected article, one column per answer."""
    if not report.confusion:
        return []
    lines = ["routing (rows: the right article; columns: what was answered):"]
    lines += confusion_table(report.confusion)
    accuracy = report.routing_accuracy
    if accuracy is not None:
        lines.append(
            f"routing accuracy (right article or silence, lines that name their article): "
            f"{accuracy:.3f} ({report.routed_right}/{report.routed_lines})"
        )
    return lines


def confusion_table(confusion: dict[str, Counter[str]] | dict[str, dict[str, int]]) -> list[str]:
    """Rows: expected; columns: decided. Long article ids are cut to keep it readable."""
    columns = sorted({d for row in confusion.values() for d in row})
    cut = 14

    def cell(text: str) -> str:
        return text[:cut].rjust(cut + 1)

    lines = [cell("expected") + "".join(cell(c) for c in columns)]
    for expected, row in sorted(confusion.items()):
        lines.append(cell(expected) + "".join(cell(str(row.get(c, 0))) for c in columns))
    return lines
