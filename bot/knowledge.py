"""Knowledge articles as YAML: dataclasses, loading and schema validation.

Every problem is reported as ``file:line: field: what is wrong`` so that a support
person editing YAML can fix it without reading Python. Loading never raises on bad
content; it returns the problems next to the articles that did load.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

VERSION_IDS = ("2007", "2010", "2013+")


@dataclass(frozen=True)
class VersionGuide:
    id: str
    label: str
    heading: str
    steps: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    how_to_tell: str = ""


@dataclass(frozen=True)
class Note:
    id: str
    text: str
    applies_when: tuple[str, ...] = ()


@dataclass(frozen=True)
class Concept:
    """A group of words and phrases that all mean one thing to the matcher."""

    name: str
    weight: float
    terms: tuple[str, ...]


@dataclass(frozen=True)
class MatchingRules:
    concepts: tuple[Concept, ...]
    # Each inner tuple is "any of these concepts"; every inner tuple must hold.
    require: tuple[tuple[str, ...], ...]
    examples: tuple[str, ...]


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    topic: str
    source_name: str
    source_url: str
    cause: str
    fix_summary: str
    versions: tuple[VersionGuide, ...]
    notes: tuple[Note, ...]
    see_also: tuple[str, ...]
    matching: MatchingRules
    path: str = ""

    def version(self, version_id: str) -> VersionGuide | None:
        return next((v for v in self.versions if v.id == version_id), None)


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


@dataclass
class KnowledgeBase:
    articles: list[Article] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def get(self, article_id: str) -> Article | None:
        return next((a for a in self.articles if a.id == article_id), None)

    @property
    def ok(self) -> bool:
        return not self.problems


def load_knowledge(*paths: str | Path) -> KnowledgeBase:
    """Load every ``*.yaml``/``*.yml`` file in the given folders or files."""
    kb = KnowledgeBase()
    for file in _yaml_files(paths, kb):
        article, problems = load_article(file)
        kb.problems.extend(problems)
        if article is not None:
            kb.articles.append(article)
    _check_unique_ids(kb)
    return kb


EXAMPLES_SUFFIX = ".examples.yaml"


def is_article_file(path: Path) -> bool:
    """An article's YAML; ``<id>.examples.yaml`` next to it holds its labelled examples."""
    return path.suffix in (".yaml", ".yml") and not path.name.endswith(EXAMPLES_SUFFIX)


def _yaml_files(paths: tuple[str | Path, ...], kb: KnowledgeBase) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if is_article_file(p)))
        elif path.is_file():
            files.append(path)
        else:
            kb.problems.append(Problem(str(path), 0, "path", "no such file or folder"))
    return files


def _check_unique_ids(kb: KnowledgeBase) -> None:
    seen: dict[str, str] = {}
    for article in kb.articles:
        if article.id in seen:
            kb.problems.append(
                Problem(article.path, 1, "id", f"duplicate id, also used in {seen[article.id]}")
            )
        seen[article.id] = article.path
    duplicates = {p.file for p in kb.problems if p.field == "id" and "duplicate" in p.message}
    kb.articles = [a for a in kb.articles if a.path not in duplicates]


def load_article(path: str | Path) -> tuple[Article | None, list[Problem]]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(str(path), 0, "file", f"cannot read: {exc}")]
    return parse_article(text, str(path))


def parse_article(text: str, filename: str = "<text>") -> tuple[Article | None, list[Problem]]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        reason = getattr(exc, "problem", None) or str(exc)
        return None, [Problem(filename, line, "yaml", f"not valid YAML: {reason}")]
    checker = _Checker(filename, _line_index(node))
    article = checker.article(data)
    return (article if not checker.problems else None), checker.problems


def _line_index(node: yaml.Node | None, prefix: str = "") -> dict[str, int]:
    """Map dotted field paths (``versions[1].steps``) to 1-based line numbers."""
    lines: dict[str, int] = {}
    if node is None:
        return lines
    lines[prefix] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            path = f"{prefix}.{key.value}" if prefix else str(key.value)
            lines[path] = key.start_mark.line + 1
            lines.update({k: v for k, v in _line_index(value, path).items() if k != path})
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines.update(_line_index(item, f"{prefix}[{index}]"))
    return lines


class _Checker:
    """Walks the loaded YAML, builds dataclasses and collects every problem."""

    def __init__(self, filename: str, lines: dict[str, int]) -> None:
        self.filename = filename
        self.lines = lines
        self.problems: list[Problem] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append(Problem(self.filename, self.line_of(path), path or "article", message))

    def line_of(self, path: str) -> int:
        """Line of the field, or of its nearest parent that exists in the file."""
        while path not in self.lines and path:
            parent = re.sub(r"(\.[^.\[]+|\[\d+\])$", "", path)
            path = "" if parent == path else parent
        return self.lines.get(path, 1)

    def text(self, data: dict[str, Any], path: str, key: str, required: bool = True) -> str:
        value = data.get(key)
        where = f"{path}.{key}" if path else key
        if value is None:
            if required:
                self.fail(where, f"'{key}' is required")
            return ""
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            self.fail(where, "must be a non-empty string")
            return ""
        return value.strip()

    def text_list(self, data: dict[str, Any], path: str, key: str, required: bool) -> list[str]:
        value = data.get(key)
        where = f"{path}.{key}" if path else key
        if value is None:
            if required:
                self.fail(where, f"'{key}' is required")
            return []
        if not isinstance(value, list) or not value:
            self.fail(where, "must be a non-empty list of strings")
            return []
        items = []
        for index, item in enumerate(value):
            if isinstance(item, int | float) and not isinstance(item, bool):
                item = str(item)
            if not isinstance(item, str) or not item.strip():
                self.fail(f"{where}[{index}]", "must be a non-empty string")
            else:
                items.append(item.strip())
        return items

    def mapping(self, value: Any, path: str) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.fail(path, "must be a mapping of field: value")
            return None
        return value

    def article(self, data: Any) -> Article | None:
        root = self.mapping(data, "")
        if root is None:
            return None
        source = self.mapping(root.get("source") or {}, "source") or {}
        return Article(
            id=self.text(root, "", "id"),
            title=self.text(root, "", "title"),
            topic=self.text(root, "", "topic", required=False) or self.text(root, "", "title"),
            source_name=self.text(source, "source", "name"),
            source_url=self.text(source, "source", "url", required=False),
            cause=self.text(root, "", "cause"),
            fix_summary=self.text(root, "", "fix_summary"),
            versions=self.versions(root.get("versions")),
            notes=self.notes(root.get("notes") or []),
            see_also=tuple(self.see_also(root.get("see_also") or [])),
            matching=self.matching(root.get("matching")),
            path=self.filename,
        )

    def versions(self, value: Any) -> tuple[VersionGuide, ...]:
        if not isinstance(value, list) or not value:
            self.fail("versions", "must be a non-empty list of versions")
            return ()
        guides = [self.version(item, f"versions[{i}]") for i, item in enumerate(value)]
        found = [g for g in guides if g is not None]
        for index, guide in enumerate(found):
            if guide.id not in VERSION_IDS:
                allowed = ", ".join(f'"{v}"' for v in VERSION_IDS)
                self.fail(f"versions[{index}].id", f"unknown version '{guide.id}'; use {allowed}")
        ids = [g.id for g in found]
        for dup in sorted({i for i in ids if ids.count(i) > 1}):
            self.fail("versions", f"version '{dup}' is listed twice")
        return tuple(found)

    def version(self, value: Any, path: str) -> VersionGuide | None:
        item = self.mapping(value, path)
        if item is None:
            return None
        return VersionGuide(
            id=self.text(item, path, "id"),
            label=self.text(item, path, "label"),
            heading=self.text(item, path, "heading", required=False)
            or self.text(item, path, "label"),
            steps=tuple(self.text_list(item, path, "steps", required=True)),
            aliases=tuple(self.text_list(item, path, "aliases", required=False)),
            how_to_tell=self.text(item, path, "how_to_tell", required=False),
        )

    def notes(self, value: Any) -> tuple[Note, ...]:
        if not isinstance(value, list):
            self.fail("notes", "must be a list")
            return ()
        notes = []
        for index, raw in enumerate(value):
            path = f"notes[{index}]"
            item = self.mapping(raw, path)
            if item is not None:
                notes.append(
                    Note(
                        id=self.text(item, path, "id"),
                        text=self.text(item, path, "text"),
                        applies_when=tuple(
                            self.text_list(item, path, "applies_when", required=False)
                        ),
                    )
                )
        return tuple(notes)

    def see_also(self, value: Any) -> list[str]:
        if not isinstance(value, list):
            self.fail("see_also", "must be a list")
            return []
        titles = []
        for index, raw in enumerate(value):
            path = f"see_also[{index}]"
            item = self.mapping(raw, path)
            if item is not None:
                titles.append(self.text(item, path, "title"))
        return titles

    def matching(self, value: Any) -> MatchingRules:
        empty = MatchingRules((), (), ())
        rules = self.mapping(value, "matching") if value is not None else None
        if rules is None:
            if value is None:
                self.fail("", "'matching' is required")
            return empty
        concepts = self.concepts(rules.get("concepts"))
        names = {c.name for c in concepts}
        require = self.require(rules.get("require") or [], names)
        examples = self.examples(rules.get("examples"))
        return MatchingRules(tuple(concepts), require, tuple(examples))

    def concepts(self, value: Any) -> list[Concept]:
        table = self.mapping(value, "matching.concepts") if value is not None else None
        if table is None:
            if value is None:
                self.fail("matching", "'concepts' is required")
            return []
        concepts = []
        for name, raw in table.items():
            path = f"matching.concepts.{name}"
            item = self.mapping(raw, path)
            if item is None:
                continue
            weight = item.get("weight")
            if not isinstance(weight, int | float) or isinstance(weight, bool):
                self.fail(f"{path}.weight", "must be a number (negative rules the article out)")
                continue
            terms = self.text_list(item, path, "terms", required=True)
            concepts.append(Concept(str(name), float(weight), tuple(terms)))
        return concepts

    def require(self, value: Any, names: set[str]) -> tuple[tuple[str, ...], ...]:
        if not isinstance(value, list):
            self.fail("matching.require", "must be a list of lists of concept names")
            return ()
        groups = []
        for index, group in enumerate(value):
            path = f"matching.require[{index}]"
            members = group if isinstance(group, list) else [group]
            for name in members:
                if name not in names:
                    self.fail(path, f"'{name}' is not a concept defined in matching.concepts")
            groups.append(tuple(str(n) for n in members))
        return tuple(groups)

    def examples(self, value: Any) -> list[str]:
        if value is None:
            return []
        table = self.mapping(value, "matching.examples")
        if table is None:
            return []
        examples: list[str] = []
        for lang in table:
            examples.extend(self.text_list(table, "matching.examples", str(lang), required=True))
        return examples
