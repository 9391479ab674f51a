"""Knowledge articles as YAML: dataclasses, loading and schema validation.

The schema is one table (``ARTICLE``) of ``Field`` rows; the checker walks it, so a new
field is one row, and a key that is not in the table is reported with a did-you-mean.
Every problem is reported as ``file:line: field: what is wrong`` so that a support
person editing YAML can fix it without reading Python. Loading never raises on bad
content; it returns the problems next to the articles that did load.
"""

from __future__ import annotations

import difflib
import re
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml

# -- the article model ------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    """One of the things an article's steps differ by (for 000385822: an Outlook version)."""

    id: str
    label: str
    heading: str
    steps: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    how_to_tell: str = ""


@dataclass(frozen=True)
class Uncovered:
    """What a variant the article does not cover gets (Mac, web, new Outlook, mobile…)."""

    label: str  # the picker button, e.g. "Mac, web, new Outlook or mobile"
    text: str  # said before the closest steps
    closest: str | None = None  # the variant whose steps are offered instead
    gap: str = "variant not covered by the article"  # the knowledge-gap reason recorded


@dataclass(frozen=True)
class Note:
    id: str
    text: str
    applies_when: tuple[str, ...] = ()
    # An answer note replaces the fix: the reply leads with it and shows no steps.
    answer: bool = False


@dataclass(frozen=True)
class OtherClients:
    """Mail clients the steps are not for: the reply gives the cause and says so."""

    terms: tuple[str, ...]
    text: str
    unless: tuple[str, ...] = ()  # words that show the question is about the article's client


@dataclass(frozen=True)
class Link:
    title: str
    url: str = ""


@dataclass(frozen=True)
class Point:
    """One fact of an answer written in our words, with where in the source it comes from."""

    text: str
    ref: str = ""


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


DEFAULT_VARIANT_QUESTION = "Which of these applies?"
DEFAULT_VARIANT_HINT = "Each has its own steps."
DEFAULT_CUSTOMER_TEXT = "Hello,\n\n{fix_summary} Here is how:\n\n{steps}\n\nThank you!"


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    topic: str
    source_name: str
    source_url: str
    cause: str
    fix_summary: str
    variants: tuple[Variant, ...]
    notes: tuple[Note, ...]
    links: tuple[Link, ...]
    matching: MatchingRules
    path: str = ""
    source_read: str = ""  # the date someone read the source to write this file
    source_published: str = ""
    aliases: tuple[str, ...] = ()  # short names for `/emailstatus <alias> <variant>`
    variant_question: str = ""  # "Which Outlook does the recipient use?"
    variant_noun: str = "one"  # "How to tell which Outlook you have"
    variant_hint: str = DEFAULT_VARIANT_HINT  # said after the question
    uncovered: Uncovered | None = None
    steps: tuple[str, ...] = ()  # for articles without variants
    points: tuple[Point, ...] = ()
    customer_text: str = DEFAULT_CUSTOMER_TEXT
    other_clients: OtherClients | None = None
    # Where the article's questions are asked ("Salesforce email tracking"): evidence the
    # matcher may add to a message that never names the product; never a reason by itself.
    context: str = ""

    @property
    def see_also(self) -> tuple[str, ...]:
        return tuple(link.title for link in self.links)

    def variant(self, variant_id: str | None) -> Variant | None:
        return next((v for v in self.variants if v.id == variant_id), None)

    version = variant


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

    @property
    def primary(self) -> Article:
        """The article bare lookups use (``/emailstatus 2010``, the picker, the topic line):
        the first with variants, else the first. Callers check that articles loaded."""
        return next((a for a in self.articles if a.variants), self.articles[0])


# -- the schema, as a table -------------------------------------------------------------------

Kind = Literal["text", "texts", "bool", "number", "map", "list", "table", "groups"]


@dataclass(frozen=True)
class Field:
    key: str
    kind: Kind
    required: bool = False
    fields: tuple[Field, ...] = ()  # for map, list (of maps) and table (of maps)
    value: Kind | None = None  # for a table whose values are not maps (examples: texts)


VARIANT = (
    Field("id", "text", required=True),
    Field("label", "text", required=True),
    Field("heading", "text"),
    Field("aliases", "texts"),
    Field("how_to_tell", "text"),
    Field("steps", "texts", required=True),
)
MATCHING = (
    Field("concepts", "table", fields=(
        Field("weight", "number", required=True), Field("terms", "texts", required=True))),
    Field("require", "groups"),
)  # fmt: skip
ARTICLE = (
    Field("id", "text", required=True),
    Field("title", "text", required=True),
    Field("topic", "text"),
    Field("context", "text"),
    Field("aliases", "texts"),
    Field("source", "map", required=True, fields=(
        Field("name", "text", required=True), Field("url", "text"),
        Field("published", "text"), Field("read", "text"))),
    Field("cause", "text", required=True),
    Field("fix_summary", "text", required=True),
    Field("points", "list", fields=(Field("text", "text", required=True), Field("ref", "text"))),
    Field("steps", "texts"),
    Field("variant_question", "text"),
    Field("variant_noun", "text"),
    Field("variant_hint", "text"),
    Field("variants", "list", fields=VARIANT),
    Field("uncovered", "map", fields=(
        Field("label", "text", required=True), Field("text", "text", required=True),
        Field("closest", "text"), Field("gap", "text"))),
    Field("other_clients", "map", fields=(
        Field("terms", "texts", required=True), Field("text", "text", required=True),
        Field("unless", "texts"))),
    Field("notes", "list", fields=(
        Field("id", "text", required=True), Field("text", "text", required=True),
        Field("applies_when", "texts"), Field("answer", "bool"))),
    Field("customer_text", "text"),
    Field("see_also", "list", fields=(Field("title", "text", required=True), Field("url", "text"))),
    Field("domains", "texts"),
    Field("matching", "map", fields=MATCHING),
)  # fmt: skip
TEMPLATE_FIELDS = {"steps", "cause", "fix_summary", "title"}


# -- loading ------------------------------------------------------------------------------------

KNOWLEDGE_PACKAGE = "emailstatus_knowledge"


def default_knowledge_dir() -> Path:
    """The knowledge shipped with the code: the checkout's knowledge/ folder, which the
    wheel installs as the package ``emailstatus_knowledge``. ``KNOWLEDGE_DIR`` overrides it."""
    try:
        return Path(str(resources.files(KNOWLEDGE_PACKAGE)))
    except ModuleNotFoundError:  # running from a checkout that is not installed
        return Path(__file__).resolve().parent.parent / "knowledge"


def load_knowledge(*paths: str | Path) -> KnowledgeBase:
    """Load every article ``*.yaml``/``*.yml`` file in the given folders or files."""
    kb = KnowledgeBase()
    for file in _yaml_files(paths, kb):
        article, problems = load_article(file)
        kb.problems.extend(problems)
        if article is not None:
            kb.articles.append(article)
    _check_unique_ids(kb)
    kb.problems.extend(unread_examples_files(paths, kb))
    return kb


EXAMPLES_SUFFIX = ".examples.yaml"


def is_article_file(path: Path) -> bool:
    """An article's YAML; ``<id>.examples.yaml`` next to it holds its labelled examples."""
    return path.suffix in (".yaml", ".yml") and not path.name.endswith(EXAMPLES_SUFFIX)


def examples_path(article_path: str | Path, article_id: str) -> Path:
    """Where an article's labelled examples live: ``<id>.examples.yaml`` beside it, or
    ``<file name>.examples.yaml`` (``outlook.yaml`` + ``outlook.examples.yaml``) when only
    that one exists. Training, `knowledge check` and `learn` all use this one rule."""
    path = Path(article_path)
    by_id = path.with_name(f"{article_id}{EXAMPLES_SUFFIX}")
    by_name = path.with_name(f"{path.stem}{EXAMPLES_SUFFIX}")
    return by_name if not by_id.exists() and by_name.exists() else by_id


def unread_examples_files(paths: tuple[str | Path, ...], kb: KnowledgeBase) -> list[Problem]:
    """``*.examples.yaml`` files that training never reads: it reads ``<id>.examples.yaml``
    beside each loaded article (``bot.matching.article_examples``), nothing else. One line
    each, so that `knowledge check`, `config check` and training see the same files."""
    problems = []
    for folder in (Path(raw) for raw in paths):
        if not folder.is_dir():
            continue
        here = [a for a in kb.articles if a.path and Path(a.path).parent == folder]
        read = {examples_path(a.path, a.id).name for a in here}
        # An article that failed to load has its own problem: its examples need no second.
        loaded = {Path(a.path).stem for a in here}
        failed = {f"{p.stem}{EXAMPLES_SUFFIX}" for p in folder.iterdir()
                  if is_article_file(p) and p.stem not in loaded}  # fmt: skip
        for path in sorted(folder.glob(f"*{EXAMPLES_SUFFIX}")):
            if path.name in read or path.name in failed:
                continue
            stem = path.name.removesuffix(EXAMPLES_SUFFIX)
            why = (f"no article '{stem}' is loaded: training reads <article id>{EXAMPLES_SUFFIX}"
                   f" (or <article file name>{EXAMPLES_SUFFIX}) beside the article, and this"
                   " file is not one; rename it or move its lines")  # fmt: skip
            problems.append(Problem(str(path), 1, "article", why))
    return problems


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


# Knowledge files are small, hand-written YAML: limits that no real file comes near keep a
# mistaken or hostile file (an alias bomb, a million nested lists) to one clear line.
MAX_YAML_BYTES = 8 * 1024 * 1024  # the largest examples file today is well under 1 MB
MAX_YAML_DEPTH = 32  # articles nest four levels deep


def unsafe_yaml_problem(text: str, filename: str) -> Problem | None:
    """One line when ``text`` is too big, uses anchors/aliases or nests too deep; else None.

    An anchor may name a scalar (a translation file cites one page for many menu names),
    never a list or a mapping: anchored collections are how a few lines of YAML expand into
    gigabytes. The scan is PyYAML's event stream (libyaml when present), so it costs a
    fraction of the real parse and never builds the document.
    """
    if len(text) > MAX_YAML_BYTES:
        return Problem(filename, 0, "file", f"too large ({len(text) // 1024} KiB; at most "
                       f"{MAX_YAML_BYTES // (1024 * 1024)} MiB)")  # fmt: skip
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    depth = 0
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.CollectionStartEvent) and event.anchor:
                line = event.start_mark.line + 1 if event.start_mark else 0
                return Problem(filename, line, "yaml", "an anchor (&) on a list or mapping is "
                               "not allowed in knowledge files; write it out")  # fmt: skip
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    line = event.start_mark.line + 1 if event.start_mark else 0
                    return Problem(filename, line, "yaml",
                                   f"nested more than {MAX_YAML_DEPTH} levels deep")  # fmt: skip
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except RecursionError:  # PyYAML's pure-Python scanner recurses into flow collections
        return too_deep(filename)
    except yaml.YAMLError:
        return None  # the real parse reports it, at the right line
    return None


def yaml_node(text: str) -> yaml.Node | None:
    """The document's node tree (for line numbers)."""
    return _libyaml_first(text, lambda loader: yaml.compose(text, Loader=loader))


def yaml_data(text: str) -> Any:
    """The document as Python values, like ``yaml.safe_load``."""
    return _libyaml_first(text, lambda loader: yaml.load(text, Loader=loader))


def _libyaml_first(text: str, parse: Callable[[type], Any]) -> Any:
    """libyaml's safe loader when present (5-25x faster); on an error, the pure-Python
    loader's, whose message names the problem the same way on every machine."""
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        try:
            return parse(fast)
        except yaml.YAMLError:
            pass
    return parse(yaml.SafeLoader)


def too_deep(filename: str) -> Problem:
    return Problem(filename, 0, "yaml", f"nested more than {MAX_YAML_DEPTH} levels deep")


def parse_article(text: str, filename: str = "<text>") -> tuple[Article | None, list[Problem]]:
    unsafe = unsafe_yaml_problem(text, filename)
    if unsafe is not None:
        return None, [unsafe]
    try:
        node = yaml_node(text)
        data = yaml_data(text)
    except yaml.YAMLError as exc:
        return None, [yaml_problem(exc, filename)]
    except RecursionError:  # deeper than libyaml lets the scan above see
        return None, [too_deep(filename)]
    checker = _Checker(filename, _line_index(node))
    checked = checker.value(data, Field("", "map", fields=ARTICLE), "")
    if checker.problems:
        return None, checker.problems
    _cross_checks(checker, checked)
    if checker.problems:
        return None, checker.problems
    return build_article(checked, filename), []


def yaml_problem(exc: yaml.YAMLError, filename: str) -> Problem:
    """A YAML error at the line where the fault is, not where PyYAML gave up.

    An unclosed ``[``, ``{`` or quote on line 10 is only noticed lines later; for those
    PyYAML keeps the opening in ``context_mark``. In block structure the place it noticed
    (``problem_mark``) is the faulty line itself.
    """
    problem = getattr(exc, "problem_mark", None)
    context = getattr(exc, "context_mark", None)
    what = getattr(exc, "context", None) or ""
    reason = getattr(exc, "problem", None) or str(exc)
    if problem is None and context is None:
        return Problem(filename, 0, "yaml", f"not valid YAML: {reason}")
    spans = context is not None and any(w in what for w in ("flow", "quoted"))
    mark = context if spans or problem is None else problem
    assert mark is not None
    plain = next((words for raw, words in PLAIN_YAML_ERRORS if raw in reason), None)
    detail = plain or (f"{what}: {reason}" if what else reason)
    noticed = ""
    if problem is not None and problem.line != mark.line:
        text = (problem.buffer or "").rstrip("\0")  # PyYAML ends its buffer with a NUL
        last = max(len(text.splitlines()), 1)
        noticed = f" (noticed at line {min(problem.line + 1, last)})"  # not past the end
    return Problem(filename, mark.line + 1, "yaml", f"not valid YAML: {detail}{noticed}")


# PyYAML's wording → what to fix, in plain words (the rest keep PyYAML's own text).
PLAIN_YAML_ERRORS = (
    ("found unexpected end of stream", "a quote opened here is never closed"),
    ("expected ',' or ']'", "a '[' opened here is never closed"),
    ("expected ',' or '}'", "a '{' opened here is never closed"),
    ("mapping values are not allowed here",
     "a ':' inside a value: quote the text, or check the indentation"),
    ("found character '\\t'", "a tab: YAML indents with spaces only"),
    ("expected <block end>", "the indentation does not line up with the lines above"),
)  # fmt: skip


def _line_index(node: yaml.Node | None, prefix: str = "") -> dict[str, int]:
    """Map dotted field paths (``variants[1].steps``) to 1-based line numbers."""
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
    """Walks loaded YAML along the field table and collects one problem per real fault."""

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

    def value(self, value: Any, spec: Field, path: str) -> Any:
        """The checked value (``None`` where it is wrong), by the field's kind."""
        check = getattr(self, f"_{spec.kind}")
        return check(value, spec, path)

    def _text(self, value: Any, spec: Field, path: str) -> str | None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            self.fail(path, "must be a non-empty string")
            return None
        return value.strip()

    def _texts(self, value: Any, spec: Field, path: str) -> list[str] | None:
        if not isinstance(value, list) or (spec.required and not value):
            self.fail(path, "must be a non-empty list of strings")
            return None
        items = [self._text(item, spec, f"{path}[{i}]") for i, item in enumerate(value)]
        return [item for item in items if item is not None]

    def _bool(self, value: Any, spec: Field, path: str) -> bool | None:
        if not isinstance(value, bool):
            self.fail(path, "must be true or false")
            return None
        return value

    def _number(self, value: Any, spec: Field, path: str) -> float | None:
        if not isinstance(value, int | float) or isinstance(value, bool):
            self.fail(path, "must be a number (negative rules the article out)")
            return None
        return float(value)

    def _map(self, value: Any, spec: Field, path: str) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.fail(path, "must be a mapping of field: value")
            return None
        known = {f.key: f for f in spec.fields}
        for key in value:
            if str(key) not in known:
                self.fail(_join(path, str(key)), _unknown_key(str(key), list(known)))
        checked: dict[str, Any] = {}
        for row in spec.fields:
            where = _join(path, row.key)
            if value.get(row.key) is None:
                if row.required:
                    self.fail(where, f"'{row.key}' is required")
                continue
            checked[row.key] = self.value(value[row.key], row, where)
        return checked

    def _list(self, value: Any, spec: Field, path: str) -> list[Any] | None:
        if not isinstance(value, list):
            self.fail(path, "must be a list")
            return None
        item_spec = Field(spec.key, "map", fields=spec.fields)
        # Indexes stay those of the file, even when an item before is malformed.
        return [self._map(item, item_spec, f"{path}[{i}]") for i, item in enumerate(value)]

    def _table(self, value: Any, spec: Field, path: str) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.fail(path, "must be a mapping of name: value")
            return None
        row = Field(spec.key, spec.value or "map", required=True, fields=spec.fields)
        return {str(k): self.value(v, row, f"{path}.{k}") for k, v in value.items()}

    def _groups(self, value: Any, spec: Field, path: str) -> list[list[str]] | None:
        if not isinstance(value, list):
            self.fail(path, "must be a list of lists of concept names")
            return None
        groups = []
        for index, group in enumerate(value):
            members = group if isinstance(group, list) else [group]
            groups.append([str(m) for m in members])
            if not members:
                self.fail(f"{path}[{index}]", "must name at least one concept")
        return groups


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _unknown_key(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else f"; known keys: {', '.join(known)}"
    return f"unknown key '{key}'{hint}"


# -- checks across fields ------------------------------------------------------------------------

_DOMAIN = re.compile(r"(?:@|https?://)([a-z0-9-]+(?:\.[a-z0-9-]+)+)", re.IGNORECASE)


def _cross_checks(checker: _Checker, data: dict[str, Any]) -> None:
    variants = data.get("variants") or []
    ids = [v["id"] for v in variants]
    for index, variant_id in enumerate(ids):
        if variant_id in ids[:index]:
            checker.fail(f"variants[{index}].id", f"variant '{variant_id}' is listed twice")
    if variants and data.get("steps"):
        checker.fail("steps", "an article has either top-level 'steps' or 'variants', not both")
    closest = (data.get("uncovered") or {}).get("closest")
    if closest is not None and closest not in ids:
        checker.fail("uncovered.closest", f"'{closest}' is not a variant id of this article")
    if data.get("uncovered") and not variants:
        checker.fail("uncovered", "only an article with variants can have uncovered variants")
    _check_require(checker, data.get("matching") or {})
    _check_template(checker, data.get("customer_text"))
    _check_domains(checker, data)


def _check_require(checker: _Checker, matching: dict[str, Any]) -> None:
    # Every concept written in the file counts as defined, even one with a bad weight:
    # that fault is reported once, at the weight, not again at each require group.
    names = set(matching.get("concepts") or {})
    for index, group in enumerate(matching.get("require") or []):
        for name in group:
            if name not in names:
                close = difflib.get_close_matches(name, sorted(names), n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                checker.fail(
                    f"matching.require[{index}]",
                    f"'{name}' is not a concept defined in matching.concepts{hint}",
                )


def _check_template(checker: _Checker, template: str | None) -> None:
    if template is None:
        return
    try:
        used = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    except ValueError as exc:
        checker.fail("customer_text", f"not a valid template: {exc}")
        return
    for name in sorted(used - TEMPLATE_FIELDS):
        allowed = ", ".join("{" + f + "}" for f in sorted(TEMPLATE_FIELDS))
        checker.fail("customer_text", f"unknown placeholder {{{name}}}; use {allowed}")


def own_domains(data: dict[str, Any]) -> set[str]:
    """The article's own domains: ``domains``, else the source URL's (help.x.com → x.com)."""
    if data.get("domains"):
        return {d.lower().lstrip("@") for d in data["domains"]}
    host = urlsplit((data.get("source") or {}).get("url") or "").hostname or ""
    return {".".join(host.split(".")[-2:])} if host else set()


def _check_domains(checker: _Checker, data: dict[str, Any]) -> None:
    """A step that names another domain is most often a typo (``@salesforce.con``)."""
    own = own_domains(data)
    if not own:
        return
    places = [("steps", data.get("steps") or [])]
    places += [
        (f"variants[{i}].steps", v["steps"]) for i, v in enumerate(data.get("variants") or [])
    ]
    for path, steps in places:
        for index, step in enumerate(steps):
            for domain in _DOMAIN.findall(step):
                if not any(domain.lower() == d or domain.lower().endswith("." + d) for d in own):
                    mine = ", ".join(sorted(own))
                    checker.fail(
                        f"{path}[{index}]", f"mentions '{domain}', not this article's ({mine})"
                    )


# -- building the dataclasses ----------------------------------------------------------------------


def build_article(data: dict[str, Any], filename: str) -> Article:
    source = data["source"]
    return Article(
        id=data["id"],
        title=data["title"],
        topic=data.get("topic") or data["title"],
        context=data.get("context") or "",
        source_name=source["name"],
        source_url=source.get("url") or "",
        source_read=source.get("read") or "",
        source_published=source.get("published") or "",
        cause=data["cause"],
        fix_summary=data["fix_summary"],
        variants=tuple(_variant(v) for v in data.get("variants") or []),
        notes=tuple(_note(n) for n in data.get("notes") or []),
        links=tuple(Link(s["title"], s.get("url") or "") for s in data.get("see_also") or []),
        matching=_matching(data.get("matching") or {}),
        path=filename,
        aliases=tuple(data.get("aliases") or ()),
        variant_question=data.get("variant_question") or DEFAULT_VARIANT_QUESTION,
        variant_noun=data.get("variant_noun") or "one",
        variant_hint=data.get("variant_hint") or DEFAULT_VARIANT_HINT,
        uncovered=Uncovered(**data["uncovered"]) if data.get("uncovered") else None,
        steps=tuple(data.get("steps") or ()),
        points=tuple(Point(p["text"], p.get("ref") or "") for p in data.get("points") or []),
        customer_text=data.get("customer_text") or DEFAULT_CUSTOMER_TEXT,
        other_clients=(
            _other_clients(data["other_clients"]) if data.get("other_clients") else None
        ),
    )


def _variant(item: dict[str, Any]) -> Variant:
    return Variant(
        id=item["id"],
        label=item["label"],
        heading=item.get("heading") or item["label"],
        steps=tuple(item["steps"]),
        aliases=tuple(item.get("aliases") or ()),
        how_to_tell=item.get("how_to_tell") or "",
    )


def _other_clients(item: dict[str, Any]) -> OtherClients:
    return OtherClients(tuple(item["terms"]), item["text"], tuple(item.get("unless") or ()))


def _note(item: dict[str, Any]) -> Note:
    return Note(
        id=item["id"],
        text=item["text"],
        applies_when=tuple(item.get("applies_when") or ()),
        answer=bool(item.get("answer")),
    )


def _matching(rules: dict[str, Any]) -> MatchingRules:
    concepts = tuple(
        Concept(name, float(c["weight"]), tuple(c["terms"]))
        for name, c in (rules.get("concepts") or {}).items()
    )
    require = tuple(tuple(group) for group in rules.get("require") or [])
    return MatchingRules(concepts, require)
