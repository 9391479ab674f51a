"""`cases`, `summary` and `replay` commands (the case log)."""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bot.cli.choices import LazyChoice, case_statuses
from bot.cli.migrate import migrate_to_command
from bot.config import ConfigError, Settings
from bot.decision import Level

# The store (sqlite-utils, numpy) and the matcher (scikit-learn) load in the commands
# that use them, so that `--help` starts at once.
if TYPE_CHECKING:
    from bot.matching import Matcher
    from bot.store import Case, Store
    from bot.summary import WeekSummary

AGE = re.compile(r"^(\d+)\s*([hdw])$")
AGE_UNITS = {"h": "hours", "d": "days", "w": "weeks"}
LIST_HEADERS = ("id", "opened (UTC)", "source", "status", "article", "version", "question")
QUESTION_WIDTH = 34  # a table row then fits 100 columns; --json and --csv keep it whole
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def open_store(settings: Settings | None = None) -> Store:
    from bot.store import open_store as store_for

    settings = settings or Settings.from_env()
    return store_for(
        settings.db_path,
        database_url=settings.database_url,
        store_question_text=settings.store_question_text,
    )


MAX_AGE = timedelta(days=365 * 100)  # older than any case log; beyond, dates overflow


def parse_age(text: str) -> timedelta:
    """'90d', '12h', '2w' → timedelta."""
    found = AGE.match(text.strip().lower())
    if not found:
        raise click.BadParameter(f"'{text}' is not an age: use e.g. 90d, 12h or 2w")
    try:
        age = timedelta(**{AGE_UNITS[found.group(2)]: int(found.group(1))})
    except OverflowError:
        age = timedelta.max
    if age > MAX_AGE:
        raise click.BadParameter(
            f"'{text}' is too long an age: at most {MAX_AGE.days // 365} years"
        )
    return age


def parse_since(text: str, now: datetime) -> datetime:
    """An age ('7d') or a date/time ('2026-11-01', '2026-11-01T09:00'); naive means UTC."""
    if AGE.match(text.strip().lower()):
        return now - parse_age(text)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter(f"'{text}' is not a date (2026-11-01) or an age (7d)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _timezone(settings: Settings) -> Any:
    try:
        return settings.timezone()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


# -- cases -------------------------------------------------------------------------------


@click.group()
def cases() -> None:
    """Read, export, back up and purge the case log (EMAILSTATUS_DB).

    \b
    Example:
      emailstatus-bot cases list --since 7d
    """


@cases.command(name="list")
@click.option("--status", type=LazyChoice(case_statuses), help="Only cases with this status.")
@click.option("--since", help="Only cases opened since a date (2026-11-01) or an age (7d).")
@click.option("--limit", type=int, default=50, show_default=True, help="At most this many.")
@click.option("--json", "fmt", flag_value="json", help="Every column as a JSON array.")
@click.option("--csv", "fmt", flag_value="csv", help="Every column as CSV.")
@click.option("--team", help="Only this workspace's cases (its team id, T...).")
def list_command(
    status: str | None, since: str | None, limit: int, fmt: str | None, team: str | None
) -> None:
    """List cases, newest first: a table, or every column with --json or --csv.

    \b
    Example:
      emailstatus-bot cases list --status escalated --since 7d --csv > escalated.csv
    """
    from bot.store import utc_now

    store = open_store()
    start = parse_since(since, utc_now()) if since else None
    found = store.cases.list(status=status, since=start, limit=limit, team=team)
    if fmt:
        write_rows((asdict(case) for case in found), fmt)
        return
    if not found:
        click.echo("No cases.")
        return
    click.echo(cases_table(found))


def cases_table(found: list[Case]) -> str:
    from tabulate import tabulate

    rows = [
        (case.id, case.created_at[:16].replace("T", " "), case.source, case.status,
         case.article_id or "-", case.version or "-", shorten(case.question or "-", QUESTION_WIDTH))
        for case in found
    ]  # fmt: skip
    # disable_numparse: a version like 2010 is a label, not a number to right-align.
    return tabulate(rows, headers=LIST_HEADERS, disable_numparse=True)


def shorten(text: str, width: int) -> str:
    """One line of at most ``width`` characters; "…" says that the rest was cut."""
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1].rstrip() + "…"


@cases.command(name="export")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv",
              show_default=True, help="Output format.")  # fmt: skip
@click.option("--status", type=LazyChoice(case_statuses), help="Only cases with this status.")
@click.option("--since", help="Only cases opened since a date (2026-11-01) or an age (7d).")
@click.option("--team", help="Only this workspace's cases (its team id, T...).")
def export_command(fmt: str, status: str | None, since: str | None, team: str | None) -> None:
    """Write every case (all columns, oldest first) to stdout.

    \b
    Example:
      emailstatus-bot cases export --team T0123ABCD --format csv > cases.csv
    """
    from bot.store import utc_now

    store = open_store()
    start = parse_since(since, utc_now()) if since else None
    found = store.cases.iter(status=status, since=start, team=team)
    write_rows((asdict(case) for case in found), fmt)


def write_rows(rows: Iterable[dict[str, Any]], fmt: str) -> None:
    """Cases as CSV (every column, safe for spreadsheets) or a JSON array, to stdout."""
    from bot.store import Case

    if fmt == "csv":
        # CRLF rows (RFC 4180): the writer then also quotes a field holding a lone CR.
        columns = [f.name for f in fields(Case)]
        writer = csv.DictWriter(sys.stdout, fieldnames=columns, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows({key: csv_safe(value) for key, value in row.items()} for row in rows)
    else:
        for chunk in _json_array(rows):
            sys.stdout.write(chunk)
    sys.stdout.flush()


def csv_safe(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula, prefixed with ' so it stays text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _json_array(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """A JSON array written row by row, so a big export never sits in memory twice."""
    yield "["
    for index, row in enumerate(rows):
        yield ("," if index else "") + "\n  " + json.dumps(row, ensure_ascii=False)
    yield "\n]\n"


cases.add_command(migrate_to_command)  # bot/cli/migrate.py (PostgreSQL)


@cases.command(name="backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
def backup_command(path: Path, force: bool) -> None:
    """Copy the case log to PATH with SQLite's online backup API (safe while the bot runs).

    \b
    Example:
      emailstatus-bot cases backup backups/emailstatus-$(date +%F).db
    """
    if path.exists() and not force:
        raise click.ClickException(f"{path} exists; pass --force to overwrite it")
    from bot.store import Store

    store = open_store()
    if store.kind == "sqlite" and path.exists() and _same_file(path, Path(store.path)):
        store.close()  # --force would have deleted the live case log first
        raise click.ClickException(f"{path} is the case log itself; back up to another path")
    if path.exists():
        path.unlink()
    try:
        store.backup(path)
    except RuntimeError as exc:  # PostgreSQL without pg_dump: one line on how to back up
        raise click.ClickException(str(exc)) from exc
    if store.kind != "sqlite":
        click.echo(f"Backed up {store.path} to {path} with pg_dump; restore with pg_restore.")
        store.close()
        return
    copy = Store(path)
    try:
        count = copy.cases.count()
    finally:
        copy.close()
    click.echo(f"Backed up {count} cases to {path} ({path.stat().st_size // 1024} KiB).")


@cases.command(name="purge")
@click.option("--older-than", "older_than", required=True,
              help="Delete cases and knowledge gaps older than this: 90d, 12w, 48h.")  # fmt: skip
@click.option("--dry-run", is_flag=True, help="Only say how many would be deleted.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation on a terminal.")
def purge_command(older_than: str, dry_run: bool, yes: bool) -> None:
    """Delete old cases and knowledge gaps, and say how many.

    On a terminal it asks first; without one (cron, a pipe) it needs --yes.

    \b
    Example:
      emailstatus-bot cases purge --older-than 90d --dry-run
    """
    age = parse_age(older_than)
    store = open_store()
    plan = store.purge(age, dry_run=True)
    what = f"{plan.cases} case(s) and {plan.gaps} knowledge gap(s) opened before {plan.cutoff}"
    if dry_run:
        click.echo(f"Would delete {what} (older than {older_than}); nothing deleted.")
        return
    if not yes:
        if not interactive():  # a pipe or a script: no one to ask, so say so
            raise click.ClickException(f"would delete {what}; pass --yes to do it unasked")
        click.confirm(f"Delete {what}?", abort=True)
    result = store.purge_before(plan.cutoff)
    click.echo(
        f"Deleted {result.cases} case(s) and {result.gaps} knowledge gap(s) opened before "
        f"{result.cutoff} (older than {older_than})."
    )


def _same_file(one: Path, other: Path) -> bool:
    try:
        return one.resolve() == other.resolve() or one.samefile(other)
    except OSError:
        return False


def interactive() -> bool:
    """Is a person at the keyboard (not cron, a pipe or a test runner)?"""
    return sys.stdin.isatty()


# -- replay ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What a person saw (or would see): the level, the article and its Outlook version."""

    level: str
    article: str | None = None  # None: silent, or a case logged without its article
    version: str | None = None

    def differs_from(self, other: Outcome) -> bool:
        if self.level != other.level:
            return True
        if self.level == Level.SILENT.value:
            return False
        known = self.article is not None and other.article is not None
        return (known and self.article != other.article) or self.version != other.version

    def __str__(self) -> str:
        if self.level == Level.SILENT.value:
            return "silent"
        article = f" {self.article}" if self.article else ""
        return f"{self.level}{article}/{self.version or 'no version'}"


@dataclass(frozen=True)
class Replayed:
    kind: str  # "case" | "gap"
    id: int
    created_at: str
    question: str
    before: Outcome
    after: Outcome


def replay_changes(store: Store, matcher: Matcher) -> tuple[list[Replayed], int, int]:
    """(changes, questions replayed, skipped without stored text)."""
    from bot.store import GapReason

    changes: list[Replayed] = []
    replayed = skipped = 0
    logged = [("case", c.id, c.created_at, c.question, Outcome(c.level, c.article_id,
               c.detected_version)) for c in store.cases.iter()]  # fmt: skip
    # A gap the matcher missed was silent; other gaps (version not covered, a rejected
    # suggestion) were matched and already come back through their case.
    logged += [("gap", g["id"], g["created_at"], g["question"], Outcome(Level.SILENT.value))
               for g in store.gaps.iter() if g["reason"] == GapReason.NO_MATCH]  # fmt: skip
    for kind, ident, created, question, before in logged:
        if not question:
            skipped += 1
            continue
        replayed += 1
        match = matcher.match(question)
        after = Outcome(match.level.value, match.article_id, match.version)
        if match.level is Level.SILENT:
            after = Outcome(Level.SILENT.value)
        if after.differs_from(before):
            changes.append(Replayed(kind, ident, created, question, before, after))
    return changes, replayed, skipped


def take_overs(changes: list[Replayed]) -> dict[str, dict[str, int]]:
    """Per article: the questions it now answers or suggests that went elsewhere before,
    counted by where they went (another article, or silence)."""
    taken: dict[str, dict[str, int]] = {}
    for change in changes:
        after, before = change.after, change.before
        if after.article is None or before.article == after.article:
            continue
        if before.article is None and before.level != Level.SILENT.value:
            continue  # logged without its article: cannot tell
        origin = before.article or "silent"
        counts = taken.setdefault(after.article, {})
        counts[origin] = counts.get(origin, 0) + 1
    return taken


@click.command()
def replay() -> None:
    """Re-run every logged question through the current knowledge and matcher.

    Prints the questions a person would now see answered differently: another article,
    another level (answer, suggest, silent) or another Outlook version; then what each
    new or changed article takes over. Run it before merging a knowledge change.

    \b
    Example:
      KNOWLEDGE_DIR=./knowledge emailstatus-bot replay
    """
    from bot.cli.core import load_matcher  # the CLI's one way to load knowledge

    settings = Settings.from_env()
    _, matcher = load_matcher(settings)
    changes, replayed, skipped = replay_changes(open_store(settings), matcher)
    for change in changes:
        question = " ".join(change.question.split())[:90]
        click.echo(
            f"{change.kind} {change.id} ({change.created_at[:10]}): {change.before} → "
            f"{change.after}: {question}"
        )
    note = f" ({skipped} without stored question text skipped)" if skipped else ""
    click.echo(
        f"{len(changes)} of {replayed} logged questions would now be answered differently{note}."
    )
    for article_id, origins in sorted(take_overs(changes).items()):
        counts = ", ".join(f"{n} from {origin}" for origin, n in sorted(origins.items()))
        total = sum(origins.values())
        click.echo(f"{article_id} takes over {total} question(s): {counts}.")


# -- summary -----------------------------------------------------------------------------


@click.command()
@click.option(
    "--week",
    default="last",
    show_default=True,
    help="last (the last complete week), current, or an ISO week like 2026-W47.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--chart", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the chart to this file, in the format its extension names "
                   "(.png, .svg, .pdf, .jpg, .webp).")  # fmt: skip
@click.option("--post", is_flag=True, help="Post it to SUMMARY_CHANNEL (for cron / timers).")
@click.option("--force", is_flag=True, help="With --post: post even if the week was posted.")
@click.option("--team", help="One workspace's summary (its team id, T...); cases with no "
              "team (console) are counted in every workspace's.")  # fmt: skip
def summary(
    week: str, as_json: bool, chart: Path | None, post: bool, force: bool, team: str | None
) -> None:
    """The weekly case summary, in SUMMARY_TZ (default UTC).

    \b
    Example:
      emailstatus-bot summary --week 2026-W47 --json
    """
    from bot.render.summary import summary_json, summary_text
    from bot.store import utc_now
    from bot.summary import summary_for

    settings = Settings.from_env()
    tz = _timezone(settings)
    if chart is not None:
        from bot.chart import chart_format

        try:
            chart_format(chart)  # refuse before any work, not after printing the figures
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--chart") from exc
    if post and team:
        raise click.UsageError("--post with --team: each workspace's summary is posted by serve")
    store = open_store(settings)
    try:
        result = summary_for(store, week, tz, utc_now(), team)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--week") from exc
    if as_json:
        click.echo(json.dumps(summary_json(result), ensure_ascii=False, indent=2))
    else:
        click.echo(summary_text(result))
    if chart is not None:
        from bot.chart import write_chart

        write_chart(result, chart)
        click.echo(f"Chart written to {chart}.", err=True)
    if post:
        _post(settings, store, result, force)


def _post(settings: Settings, store: Store, result: WeekSummary, force: bool) -> None:
    problems = settings.token_problems()
    if not settings.summary_channel:
        problems.append("SUMMARY_CHANNEL is missing: set the channel ID to post to (C...).")
    if problems:
        raise click.ClickException("\n".join(problems))
    # Same claim as the in-process scheduler, so cron and `serve` never both post a week.
    if not force and not store.claims.claim(result.week, "cli"):
        click.echo(f"Week {result.week} was already posted; --force posts it again.", err=True)
        return
    from slack_sdk.errors import SlackApiError, SlackClientError

    from bot.slack.app import build_client
    from bot.slack.weekly import post_summary

    try:
        posted = post_summary(build_client(settings), settings.summary_channel, result)
    except SlackClientError as exc:
        if not force:
            store.claims.release(result.week)
        reason = exc.response.get("error") if isinstance(exc, SlackApiError) else exc
        raise click.ClickException(f"Slack refused the post: {reason}") from exc
    if not force:
        store.claims.mark_posted(result.week, posted.channel, posted.ts)
    click.echo(f"Posted week {result.week} to {posted.channel} (ts {posted.ts}).", err=True)


COMMANDS: list[click.Command] = [cases, summary, replay]
