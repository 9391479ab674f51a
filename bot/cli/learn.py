"""`learn`: turn what the case log teaches into reviewed examples for the matcher."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path

import click

from bot.config import Settings
from bot.knowledge import KnowledgeBase

OFFERED_FILE = "learn-offered.json"  # beside the case log


@click.command()
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the candidates from the case log to this YAML file, to review.",
)
@click.option(
    "--accept",
    "accept",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Merge a reviewed candidates file into the articles' examples files.",
)
@click.option(
    "--since",
    "since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Only cases and questions from this day on (YYYY-MM-DD).",
)
@click.option("--again", is_flag=True, help="Offer candidates an earlier --out offered too.")
@click.option("--team", help="Only this workspace's cases and questions (its team id, T...).")
def learn(
    out: Path | None, accept: Path | None, since: datetime | None, again: bool, team: str | None
) -> None:
    """Learn from the case log: candidates to review, then merge them.

    Cases that ended resolved ('That fixed it') become positives, suggestions answered
    'No' become negatives, and direct questions that matched nothing are listed for
    review. Each candidate is offered once, and never one an examples file already has.
    Nothing changes until you accept a reviewed file; then run `replay` to see what changes.

    \b
    Example:
      emailstatus-bot learn --out candidates.yaml --since 2026-11-01
      emailstatus-bot learn --accept candidates.yaml && emailstatus-bot replay
    """
    if (out is None) == (accept is None):
        raise click.UsageError("give exactly one of --out FILE or --accept FILE")
    from bot.cli.cases import open_store
    from bot.cli.core import load_articles  # the CLI's one way to load knowledge
    from bot.learning import Offered, find_candidates, write_candidates  # lazily

    settings = Settings.from_env()
    knowledge = load_articles(settings)
    if accept is not None:
        _accept(accept, knowledge)
        return
    assert out is not None
    if not settings.store_question_text:
        raise click.ClickException(
            "nothing to learn from: STORE_QUESTION_TEXT=false, so the case log keeps no questions."
        )
    offered = Offered.load(settings.data_dir / OFFERED_FILE)
    day = since.date().isoformat() if since is not None else None
    store = open_store(settings)
    try:
        if not store.reports.texts_stored():
            raise click.ClickException("nothing to learn from: the case log has no question text.")
        candidates = find_candidates(
            store, knowledge, since=day, offered=None if again else offered, team=team
        )
    finally:
        store.close()
    write_candidates(out, candidates)
    offered.remember(candidates)
    counts = Counter(c.label for c in candidates)
    click.echo(
        f"{len(candidates)} candidate(s) written to {out}: {counts['positive']} positive, "
        f"{counts['negative']} negative, {counts['review']} to review."
    )


def _accept(path: Path, knowledge: KnowledgeBase) -> None:
    from bot.learning import accept_candidates

    try:
        result = accept_candidates(path, knowledge)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    for target, added in result.added.items():
        click.echo(f"{target}: {added} line(s) added")
    click.echo(
        f"{sum(result.added.values())} added, {result.duplicates} already known, "
        f"{result.undecided} left for review. Next: emailstatus-bot replay"
    )


COMMANDS: list[click.Command] = [learn]
