"""Every command of the real click group, and every setting, is documented.

Commands may be in the README or in docs/*.md, as `emailstatus-bot <command path>`;
settings are in docs/configuration.md's table. A command or setting added without a line
of documentation fails here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from bot.cli import main
from bot.settings_registry import SETTINGS

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = "\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").glob("*.md")))


def command_paths(group: click.Group, prefix: str = "") -> Iterator[str]:
    for name, command in sorted(group.commands.items()):
        path = f"{prefix}{name}"
        if isinstance(command, click.Group):
            yield from command_paths(command, path + " ")
        else:
            yield path


COMMANDS = list(command_paths(main))


def test_the_walk_finds_the_commands_and_subcommands():
    assert {"ask", "serve", "cases list", "knowledge train", "config check"} <= set(COMMANDS)


@pytest.mark.parametrize("path", COMMANDS)
def test_every_command_is_documented(path: str):
    group, _, sub = path.partition(" ")
    # "cases export / backup / purge" in a table row documents each of them
    documented = f"emailstatus-bot {path}" in README + DOCS or any(
        f"emailstatus-bot {group} " in line and sub in line for line in (README + DOCS).splitlines()
    )
    assert documented, f"emailstatus-bot {path} is in neither README.md nor docs/"


@pytest.mark.parametrize("name", sorted(s.name for s in SETTINGS))
def test_every_setting_is_in_the_configuration_table(name: str):
    table = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert f"| `{name}` |" in table


def test_the_readme_is_a_five_minute_read_that_points_to_the_docs():
    assert len(README.splitlines()) <= 160
    for doc in ("operations", "configuration", "knowledge-authoring", "architecture", "benchmarks"):
        assert f"(docs/{doc}.md" in README, doc
    for promise in ("make run", "make test", "knowledge train", "make lock", "config check"):
        assert promise in README, promise
