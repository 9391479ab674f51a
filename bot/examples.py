"""Labelled example messages that teach the matcher, stored next to each article.

``knowledge/<id>.examples.yaml`` holds groups of Slack-style messages. A *positive* group
is answered by that article; a *negative* group by no article at all (a near-miss family).
The file is data a support team edits: every problem is reported as
``file:line: field: message``, like the article checker, and loading never raises.

The writer (:func:`dump_examples`) produces one canonical layout, so ``learn --accept``
can merge new lines and the diff a reviewer reads stays small.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import get_close_matches
from enum import StrEnum
from pathlib import Path

import yaml

from bot.knowledge import (
    Problem,
    examples_path,
    too_deep,
    unsafe_yaml_problem,
    yaml_node,
    yaml_problem,
)
from bot.text import normalise

# The examples' own lines are normalised twice per load (the empty-line check, then the
# duplicate check) and again by every load in the same process: cached, as they are the
# knowledge files' text, never a person's question.
normalised_line = functools.lru_cache(maxsize=65536)(normalise)

GROUP_KEYS = ("label", "family", "lang", "source", "examples")
# ISO 639-1 codes of the languages support teams write in; extend when one is missing.
LANGUAGES = frozenset({
        "ar", "bg", "ca", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "he", "hi", "hr",
        "hu", "id", "it", "ja", "ko", "lt", "lv", "nl", "no", "pl", "pt", "ro", "ru", "sk", "sl",
        "sr", "sv", "th", "tr", "uk", "vi", "zh",
})  # fmt: skip
EXAMPLE_SOURCES = ("corpus-1", "team", "case-log")
HEADER = """\
# Labelled examples for article {article}: Slack messages as people really write them.
# positive: this article answers the message. negative: no article does (a near-miss family).
# The matcher learns from these at start-up. Add lines freely; `emailstatus-bot knowledge check`
# validates the file and `emailstatus-bot eval` shows what changed. Format: knowledge/README.md.
"""


class Label(StrEnum):
    POSITIVE = "positive"
    NEGATIVE = "negative"


@dataclass(frozen=True)
class Example:
    text: str
    label: Label
    lang: str
    family: str
    source: str
    article_id: str
    line: int = 0  # where it is written, for problems


@dataclass
class ExampleSet:
    examples: list[Example] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


# An article with far fewer positive lines than one it competes with loses its messages to
# that one (or to silence): the k-fold recall of the thin article shows it.
MIN_SHARE_OF_LARGEST = 0.2
MIN_PER_LANGUAGE = 8  # positive lines in a language the other articles are taught in


def balance_warnings(examples: ExampleSet) -> list[str]:
    """Articles whose positive examples are too few beside the articles they compete with:
    overall, and per language that another article is taught in."""
    positives: dict[str, dict[str, int]] = {}
    for e in examples.examples:
        if e.label is Label.POSITIVE:
            by_lang = positives.setdefault(e.article_id, {})
            by_lang[e.lang] = by_lang.get(e.lang, 0) + 1
    if len(positives) < 2:
        return []
    totals = {article: sum(langs.values()) for article, langs in positives.items()}
    langs = {lang for by_lang in positives.values() for lang in by_lang}
    warnings = []
    for article, by_lang in sorted(positives.items()):
        rival = max((a for a in totals if a != article), key=lambda a: totals[a])
        if totals[article] < MIN_SHARE_OF_LARGEST * totals[rival]:
            warnings.append(
                f"{article}: {totals[article]} positive examples beside {totals[rival]} for"
                f" {rival}; below {MIN_SHARE_OF_LARGEST:.0%} of it, its messages go to the"
                " larger article or to silence. Add examples (knowledge/README.md)."
            )
        thin = sorted(lang for lang in langs if by_lang.get(lang, 0) < MIN_PER_LANGUAGE)
        if thin:
            counts = ", ".join(f"{lang} {by_lang.get(lang, 0)}" for lang in thin)
            warnings.append(
                f"{article}: fewer than {MIN_PER_LANGUAGE} positive examples in a language"
                f" the other articles are taught in ({counts})."
            )
    return warnings


def examples_file(article_path: str | Path, article_id: str) -> Path:
    return examples_path(article_path, article_id)


def load_examples(files: Iterable[str | Path]) -> ExampleSet:
    """Every example in the given files; problems are collected, never raised."""
    result = ExampleSet()
    seen: dict[str, str] = {}
    for file in files:
        examples, problems = parse_examples_file(Path(file))
        result.problems.extend(problems)
        for example in examples:
            key = f"{example.article_id}\x00{normalised_line(example.text)}"
            if key in seen:
                why = f"duplicate of {seen[key]} (same words): {example.text[:60]!r}"
                result.problems.append(Problem(str(file), example.line, "examples", why))
                continue
            seen[key] = f"{file}:{example.line}"
            result.examples.append(example)
    return result


def parse_examples_file(path: Path) -> tuple[list[Example], list[Problem]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [], [Problem(str(path), 0, "file", f"cannot read: {exc}")]
    return parse_examples(text, str(path))


def parse_examples(text: str, filename: str) -> tuple[list[Example], list[Problem]]:
    unsafe = unsafe_yaml_problem(text, filename)
    if unsafe is not None:
        return [], [unsafe]
    try:
        root = yaml_node(text)
    except yaml.YAMLError as exc:
        return [], [yaml_problem(exc, filename)]  # the same line and words as for articles
    except RecursionError:  # deeper than libyaml lets the safety scan see
        return [], [too_deep(filename)]
    return _ExamplesChecker(filename).check(root)


class _ExamplesChecker:
    """Walks the YAML nodes (for line numbers) and builds examples."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.problems: list[Problem] = []

    def fail(self, node: yaml.Node | None, where: str, message: str) -> None:
        line = node.start_mark.line + 1 if node is not None else 1
        self.problems.append(Problem(self.filename, line, where, message))

    def check(self, root: yaml.Node | None) -> tuple[list[Example], list[Problem]]:
        fields = self.mapping(root, "file", ("article", "groups"))
        if fields is None:
            return [], self.problems
        article = self.scalar(fields.get("article"), "article", root)
        groups = fields.get("groups")
        if not isinstance(groups, yaml.SequenceNode) or not groups.value:
            self.fail(groups or root, "groups", "must be a non-empty list of groups")
            return [], self.problems
        examples = []
        for index, node in enumerate(groups.value):
            examples.extend(self.group(node, f"groups[{index}]", article))
        return (examples if not self.problems else []), self.problems

    def mapping(
        self, node: yaml.Node | None, where: str, allowed: tuple[str, ...]
    ) -> dict[str, yaml.Node] | None:
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, where, "must be a mapping of field: value")
            return None
        fields: dict[str, yaml.Node] = {}
        for key, value in node.value:
            name = str(key.value)
            if name not in allowed:
                hint = get_close_matches(name, allowed, n=1)
                suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
                self.fail(key, f"{where}.{name}", f"unknown key{suggestion}")
                # Read a misspelled key as the one meant: one problem, not a second "required".
                name = hint[0] if hint and hint[0] not in fields else name
            fields[name] = value
        return fields

    def scalar(self, node: yaml.Node | None, where: str, parent: yaml.Node | None) -> str:
        if node is None:
            self.fail(parent, where, f"'{where.rsplit('.', 1)[-1]}' is required")
            return ""
        if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
            self.fail(node, where, "must be a non-empty string")
            return ""
        return str(node.value).strip()

    def group(self, node: yaml.Node, where: str, article: str) -> list[Example]:
        fields = self.mapping(node, where, GROUP_KEYS)
        if fields is None:
            return []
        label = self.choice(fields, node, where, "label", tuple(Label))
        lang = self.choice(fields, node, where, "lang", tuple(sorted(LANGUAGES)))
        source = self.choice(fields, node, where, "source", EXAMPLE_SOURCES)
        family = self.scalar(fields.get("family"), f"{where}.family", node)
        texts = self.texts(fields.get("examples"), f"{where}.examples", node)
        if not (label and lang and source and family):
            return []
        return [Example(t, Label(label), lang, family, source, article, n) for t, n in texts]

    def choice(
        self, fields: dict[str, yaml.Node], node: yaml.Node, where: str, key: str,
        allowed: tuple[str, ...],
    ) -> str:  # fmt: skip
        value = self.scalar(fields.get(key), f"{where}.{key}", node)
        if value and value not in allowed:
            hint = get_close_matches(value, allowed, n=1)
            options = ", ".join(allowed)
            suggestion = f"did you mean '{hint[0]}'?" if hint else f"use one of {options}"
            self.fail(fields[key], f"{where}.{key}", f"'{value}' is not allowed; {suggestion}")
            return ""
        return value

    def texts(self, node: yaml.Node | None, where: str, parent: yaml.Node) -> list[tuple[str, int]]:
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            self.fail(node or parent, where, "must be a non-empty list of messages")
            return []
        texts = []
        for index, item in enumerate(node.value):
            value = str(item.value).strip() if isinstance(item, yaml.ScalarNode) else ""
            if not value or not normalised_line(value):
                self.fail(item, f"{where}[{index}]", "must be a message with words in it")
                continue
            texts.append((value, item.start_mark.line + 1))
        return texts


def dump_examples(article_id: str, examples: Iterable[Example]) -> str:
    """The canonical file: groups in first-seen order, messages as JSON-quoted strings."""
    groups: dict[tuple[str, str, str, str], list[str]] = {}
    for e in examples:
        groups.setdefault((e.label.value, e.family, e.lang, e.source), []).append(e.text)
    out = [HEADER.format(article=article_id), f"article: {json.dumps(article_id)}", "groups:"]
    for (label, family, lang, source), texts in groups.items():
        out.append(f"  - label: {label}\n    family: {family}\n    lang: {lang}")
        out.append(f"    source: {source}\n    examples:")
        out.extend(f"      - {json.dumps(text, ensure_ascii=False)}" for text in texts)
    return "\n".join(out) + "\n"


def merge_examples(path: Path, article_id: str, new: list[Example]) -> tuple[int, int]:
    """Add new examples to an article's file, skipping lines it already has.

    Returns (added, skipped). Raises ValueError when the existing file has problems, so a
    broken file is never rewritten.
    """
    existing: list[Example] = []
    if path.exists():
        existing, problems = parse_examples_file(path)
        if problems:
            raise ValueError("; ".join(str(p) for p in problems))
    known = {normalise(e.text) for e in existing}
    added = 0
    for example in new:
        key = normalise(example.text)
        if key and key not in known:
            known.add(key)
            existing.append(example)
            added += 1
    path.write_text(dump_examples(article_id, existing), encoding="utf-8")
    return added, len(new) - added


def vetted_marker(cache_dir: Path | None, files: list[Path]) -> Path | None:
    """Where a check that found no problem in these examples files, byte for byte, and
    with this parser, leaves its mark (the model cache); None when it cannot say.

    Every `serve`, `run` and `config check` checks the examples before starting; parsing
    all of them took 0.3 to 0.45 s of CPU each time, for files that rarely change."""
    if cache_dir is None:
        return None
    digest = hashlib.sha256(Path(__file__).read_bytes())  # a changed parser: a new mark
    try:
        for file in files:
            digest.update(f"{file.name}\x00".encode() + file.read_bytes() + b"\x01")
    except OSError:
        return None  # unreadable: parsed and reported as usual
    return cache_dir / f"vetted-{digest.hexdigest()[:24]}"
