"""`ask`, `match`, `eval` and `knowledge check`: the matcher from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bot.config import Settings
from bot.knowledge import (
    EXAMPLES_SUFFIX,
    Article,
    KnowledgeBase,
    Problem,
    examples_path,
    load_knowledge,
)

# The matcher (scikit-learn) and the store load in the commands that use them, so that
# `--help` and the commands that need neither start at once.
if TYPE_CHECKING:
    from bot.evaluation import Report
    from bot.examples import ExampleSet
    from bot.matching import Matcher


def load_articles(settings: Settings) -> KnowledgeBase:
    """The knowledge for CLI commands; problems go to stderr, never a traceback."""
    knowledge = load_knowledge(settings.knowledge_dir)
    for problem in knowledge.problems:
        click.echo(f"knowledge: {problem}", err=True)
    if not knowledge.articles:
        raise click.ClickException(f"no valid knowledge articles in {settings.knowledge_dir}")
    return knowledge


def load_matcher(settings: Settings) -> tuple[KnowledgeBase, Matcher]:
    """Knowledge and the trained matcher; examples-file problems go to stderr too."""
    from bot.matching import Matcher, Thresholds

    knowledge = load_articles(settings)
    thresholds = Thresholds.from_config(settings.answer_threshold, settings.suggest_threshold)
    matcher = Matcher(knowledge, thresholds)
    for problem in matcher.example_problems:
        click.echo(f"examples: {problem}", err=True)
    return knowledge, matcher


@click.command()
@click.argument("question")
@click.option("--version", "version", help="Outlook version to answer for (2007, 2010, 365…).")
@click.option("--explain", is_flag=True, help="Also print the score, level and why it matched.")
@click.option("--language", help="Answer in this language (en, de, nl…); default: the question's.")
def ask(question: str, version: str | None, explain: bool, language: str | None) -> None:
    """Print the answer to a question, as text. Nothing is logged.

    \b
    Example:
      emailstatus-bot ask "why does times opened stay at 0 for outlook 2010 users?"
    """
    from bot.conversation import ReplyKind, ask_as_dm
    from bot.engine import Engine
    from bot.render.text import answer_text
    from bot.store import Store
    from bot.versions import detect_version

    settings = Settings.from_env()
    knowledge, matcher = load_matcher(settings)
    chosen = detect_version(version, bare=True) if version else None
    if version and chosen is None:
        raise click.BadParameter(
            f"'{version}' is not an Outlook version I know", param_hint="--version"
        )
    if explain:
        _print_explanation(matcher, question)
    # Nothing is logged: the conversation runs on a case log in memory.
    engine = Engine(knowledge, Store(":memory:"), matcher)
    reply = ask_as_dm(engine, settings, question, version=chosen)
    if reply.kind is not ReplyKind.ANSWER or reply.answer is None:
        click.echo("No article matches this question. Try rephrasing, or ask a human.")
        sys.exit(1)
    answer = reply.answer
    if language:  # an explicit language wins over the question's own
        version_id = answer.guide.id if answer.guide is not None else chosen
        answer = engine.lifecycle.answer_for(answer.article_id, version_id, question, language)
    if reply.tentative:
        click.echo(f"(Not sure this is about: {reply.topic}. Here is the article anyway.)\n")
    click.echo(answer_text(answer))


def _print_explanation(matcher: Matcher, question: str) -> None:
    """Why the matcher decided what it did: classes, features, concepts, neighbours."""
    why = matcher.explain(question)
    match, limits = why.match, matcher.thresholds
    click.echo(
        f"level={match.level} score={match.score:.1f} article={match.article_id} "
        f"version={match.version} (answer at {limits.answer:g}, suggest at {limits.suggest:g})"
    )
    if match.part is not None:  # a longer message: one of its parts decided
        click.echo(f"decided by the part: {' '.join(match.part.split())[:160]}")
    click.echo("classifier probability per class:")
    for cls, probability in why.probabilities:
        click.echo(f"  {cls:<36} {probability:.3f}")
    click.echo("what pushed it (+ towards the chosen class, - away):")
    for feature, weight in why.pushes:
        click.echo(f"  {weight:+.2f}  {feature}")
    rules = why.concept_match
    found = ", ".join(r for r in rules.reasons) or "none"
    click.echo(f"concept rules alone: {rules.level} (score {rules.score:.0f}): {found}")
    click.echo("nearest training examples:")
    for cls, text, similarity in why.nearest:
        click.echo(f"  [{cls}] {similarity:.0f}  {' '.join(text.split())[:100]}")
    click.echo("")


@click.command()
@click.option("--jsonl", is_flag=True, required=True, help="Read JSON lines on stdin (required).")
def match(jsonl: bool) -> None:
    """Match JSON lines from stdin; write one JSON result line per input line.

    Input lines are objects with a "text" key. Output lines are
    {"match", "article", "score", "version", "level"}, or {"error": "..."} for a line
    that could not be read. Nothing else is written to stdout.

    \b
    Example:
      echo '{"text": "times opened stuck at 0, outlook 2016"}' | emailstatus-bot match --jsonl
    """
    _, matcher = load_matcher(Settings.from_env())
    for line in sys.stdin:
        if not line.strip():
            continue
        click.echo(json.dumps(_match_line(matcher, line), ensure_ascii=False))
        sys.stdout.flush()


def _match_line(matcher: Matcher, line: str) -> dict[str, object]:
    try:
        data = json.loads(line)
    except ValueError as exc:
        return {"error": f"invalid JSON: {exc}"}
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        return {"error": 'each line must be a JSON object with a string "text" key'}
    return matcher.match(data["text"]).as_contract()


@click.command(name="eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--gate", is_flag=True, help="Exit 1 when below the quality thresholds.")
@click.option("--misses/--no-misses", default=True, help="List the lines it got wrong.")
@click.option("--article", help="The article the on_topic lines mean (default: the primary one).")
def eval_command(file: Path, gate: bool, misses: bool, article: str | None) -> None:
    """Measure the matcher on a labelled JSONL file.

    Prints precision, recall, F1, the false-positive rate on off-topic lines, version
    accuracy, recall and false positives per kind and per language, then the misses.

    \b
    Example:
      emailstatus-bot eval tests/data/questions-dev.jsonl
    """
    from bot.evaluation import confusion_lines, evaluate, read_labelled

    knowledge, matcher = load_matcher(Settings.from_env())
    try:
        rows = read_labelled(file.read_text(encoding="utf-8").splitlines())
    except ValueError as exc:
        raise click.ClickException(f"{file}: {exc}") from exc
    report = evaluate(matcher, rows, article or knowledge.primary.id)
    if misses:
        _print_misses(report)
    _print_tables(report)
    for line in [*confusion_lines(report), ""]:  # routing between the articles
        click.echo(line)
    _print_cross_validation(matcher)
    _print_headline(report)
    failures = report.gate_failures()
    if gate and failures:
        click.echo("quality gate FAILED: " + "; ".join(failures), err=True)
        sys.exit(1)
    if gate:
        from bot.evaluation import GATE

        click.echo(
            f"quality gate passed (F1 >= {GATE['f1']}, FP rate <= {GATE['false_positive_rate']},"
            f" version accuracy >= {GATE['version_accuracy']})"
        )


def _print_misses(report: Report) -> None:
    click.echo(f"misses ({len(report.misses)}):")
    for what, row, result in report.misses:
        detail = f"score={result.score:.0f} level={result.level}"
        if what == "wrong version":
            detail = f"expected {row.version}, got {result.version}"
        text = " ".join(row.text.split())
        click.echo(f"  [{what}] [{row.kind}/{row.lang}] {detail}: {text[:120]}")
    click.echo("")


def _print_tables(report: Report) -> None:
    for title, table in (("kind", report.by_kind), ("lang", report.by_lang)):
        click.echo(f"{title:<14} {'lines':>5} {'on-topic':>8} {'recall':>7} {'false pos':>9}")
        for name, tally in sorted(table.items()):
            recall = "-" if tally.recall is None else f"{tally.recall:.3f}"
            click.echo(
                f"{name:<14} {tally.total:>5} {tally.on_topic:>8} {recall:>7} "
                f"{tally.false_positives:>9}"
            )
        click.echo("")


def _print_cross_validation(matcher: Matcher) -> None:
    """The k-fold figures on the training examples, printed next to the file's figures."""
    from bot.training import cross_validation_lines

    if matcher.trained is None:
        click.echo("cross-validation: none (no examples: the concept rules decide)\n")
        return
    cv = matcher.trained.cross_validation
    click.echo(
        f"training examples: {matcher.trained.training_size}, {cv.folds}-fold cross-validation"
        f" (out-of-fold; thresholds learned here: answer {cv.thresholds.answer:g},"
        f" suggest {cv.thresholds.suggest:g})"
    )
    for name, figures in (("answer", cv.answer), ("answer or suggest", cv.suggest)):
        click.echo(
            f"  {name:<18} precision {figures.precision:.3f}  recall {figures.recall:.3f}"
            f"  F1 {figures.f1:.3f}  false-positive rate {figures.false_positive_rate:.3f}"
        )
    for line in cross_validation_lines(cv):  # per article, and routing between them
        click.echo(line)
    click.echo("")


def _print_headline(report: Report) -> None:
    click.echo(f"lines: {report.lines} (on-topic {report.on_topic}, off-topic {report.off_topic})")
    click.echo(
        f"precision: {report.precision:.3f}  recall: {report.recall:.3f}  F1: {report.f1:.3f}"
    )
    click.echo(
        f"false-positive rate (off-topic): {report.false_positive_rate:.3f}"
        f" ({report.false_positives}/{report.off_topic})"
    )
    click.echo(
        f"version accuracy: all lines {report.version_accuracy:.3f},"
        f" on-topic {report.on_topic_version_accuracy:.3f}"
    )
    if report.other_article:
        click.echo(f"answered with another article: {report.other_article} line(s)")
    spoken = report.answer_language
    if spoken.accuracy is not None:
        click.echo(f"answer language (non-English lines): {spoken.accuracy:.3f}"
                   f" ({spoken.right}/{spoken.lines})")  # fmt: skip


@click.group()
def knowledge() -> None:
    """Work with the knowledge articles (YAML files)."""


@knowledge.command(name="check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def knowledge_check(paths: tuple[Path, ...]) -> None:
    """Validate knowledge YAML; print every problem as file:line: field: message.

    With no PATH, checks KNOWLEDGE_DIR (default: the knowledge/ folder).

    \b
    Example:
      emailstatus-bot knowledge check knowledge/
    """
    from bot.examples import balance_warnings, load_examples

    targets = paths or (Path(Settings.from_env().knowledge_dir),)
    articles = [t for t in targets if not t.name.endswith(EXAMPLES_SUFFIX)]
    kb = load_knowledge(*articles) if articles else KnowledgeBase()
    examples = load_examples(_examples_files(targets, kb))
    problems = [*kb.problems, *examples.problems, *_orphan_examples(kb, examples)]
    problems += _translation_problems(kb, targets)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem(s) found.", err=True)
        sys.exit(1)
    click.echo(f"ok: {len(kb.articles)} article(s) valid.")
    for article_id, counts in sorted(_example_counts(examples).items()):
        langs = ", ".join(sorted(counts["langs"]))
        click.echo(
            f"ok: {article_id}: {counts['positive']} positive and {counts['negative']} negative"
            f" example(s) ({langs})"
        )
    for warning in balance_warnings(examples):  # thin articles: a warning, not a failure
        click.echo(f"warning: {warning}")


def _translation_problems(kb: KnowledgeBase, targets: tuple[Path, ...]) -> list[Problem]:
    """Each checked folder's translations/, held to its articles (docs/languages.md)."""
    from bot.i18n import FOLDER
    from bot.translation_check import check_translations

    folders = [t / FOLDER for t in targets if t.is_dir() and (t / FOLDER).is_dir()]
    return [p for folder in folders for p in check_translations(kb.articles, folder)]


def _examples_files(targets: tuple[Path, ...], kb: KnowledgeBase) -> list[Path]:
    """In a folder, the examples files training reads (``examples_path``: any other one is
    already a problem of ``kb``); a file named on the command line, as it is."""
    files: list[Path] = []
    for target in targets:
        if target.is_dir():
            read = {
                examples_path(a.path, a.id) for a in kb.articles if Path(a.path).parent == target
            }
            files += sorted(path for path in read if path.exists())
        elif target.name.endswith(EXAMPLES_SUFFIX):
            files.append(target)
    return files


def _orphan_examples(kb: KnowledgeBase, examples: ExampleSet) -> list[Problem]:
    """Examples for an article that is not there teach nothing: say so."""
    if not kb.articles:
        return []
    known = {a.id for a in kb.articles}
    orphans = sorted({e.article_id for e in examples.examples} - known)
    return [Problem(f"{a}{EXAMPLES_SUFFIX}", 1, "article", f"no article '{a}' is loaded")
            for a in orphans]  # fmt: skip


def _example_counts(examples: ExampleSet) -> dict[str, dict[str, Any]]:
    counts: dict[str, dict[str, Any]] = {}
    for e in examples.examples:
        entry = counts.setdefault(e.article_id, {"positive": 0, "negative": 0, "langs": set()})
        entry[e.label.value] += 1
        entry["langs"].add(e.lang)
    return counts


@knowledge.command(name="train")
def knowledge_train() -> None:
    """Train the matcher on the examples now (or load it), and print its figures.

    The fitted model is cached in MODEL_CACHE_DIR under a hash of what it learned, so
    the bot's next start loads it instead of training (the image runs this at build).

    \b
    Example:
      emailstatus-bot knowledge train
    """
    _, matcher = load_matcher(Settings.from_env())
    if matcher.trained is None:
        raise click.ClickException("no labelled examples next to the articles: nothing to train")
    trained = matcher.trained
    click.echo(
        f"model {trained.fingerprint}: {trained.training_size} examples, classes "
        f"{', '.join(trained.model.classes)}; {trained.source} in {trained.seconds:.1f} s"
    )
    _print_cross_validation(matcher)


@knowledge.command(name="list")
def knowledge_list() -> None:
    """List the loaded articles with their source, the date it was read, and variants.

    Reads KNOWLEDGE_DIR (default: the knowledge shipped with the bot).

    \b
    Example:
      emailstatus-bot knowledge list
    """
    folder = Settings.from_env().knowledge_dir
    kb = load_knowledge(folder)
    click.echo(f"knowledge: {folder}")
    for line in knowledge_rows(kb.articles):
        click.echo(line)
    for line in language_rows(kb.articles, Path(folder)):
        click.echo(line)
    for problem in kb.problems:
        click.echo(f"problem: {problem}", err=True)


WIDTH = 100  # columns: `knowledge list` fits a terminal that wide


def knowledge_rows(articles: list[Article]) -> list[str]:
    """Three lines an article: id and title; variants and date; the source."""
    lines = []
    for a in articles:
        head = f"{a.id}  {a.title}"
        lines.append(head if len(head) <= WIDTH else head[: WIDTH - 1].rstrip() + "…")
        variants = ", ".join(v.id for v in a.variants) or "no variants"
        lines.append(f"  {variants}; {_source_date(a)}")
        source = f"  {a.source_url or a.source_name}"
        # A URL cannot be cut; without its scheme it still opens when pasted.
        lines.append(source if len(source) <= WIDTH else source.replace("https://", "", 1))
    return lines


def language_rows(articles: list[Article], folder: Path) -> list[str]:
    """Per article and language: which versions' steps carry that Outlook's own menu names."""
    from bot.i18n import FOLDER
    from bot.translation_check import coverage

    rows = [(c.article_id, c.language, ", ".join(c.sourced) or "-", ", ".join(c.english) or "-")
            for c in coverage(articles, folder / FOLDER)]  # fmt: skip
    if not rows:
        return []
    from tabulate import tabulate

    headers = ["article", "language", "own menu names", "English menu names"]
    return ["", *tabulate(rows, headers=headers, tablefmt="plain").splitlines()]


def _source_date(article: Article) -> str:
    if article.source_read:
        return f"read {article.source_read}"
    return f"published {article.source_published}" if article.source_published else "no date"


COMMANDS: list[click.Command] = [ask, match, eval_command, knowledge]
