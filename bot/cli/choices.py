"""A click choice whose values are read when first needed.

Importing the CLI (and so `emailstatus-bot --help`) must stay cheap: the modules that
define some choices import the case store or the matcher, which take a second to load.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import click


class LazyChoice(click.Choice[str]):
    """``click.Choice(load())``, with ``load`` called on first use, not at import."""

    def __init__(self, load: Callable[[], Iterable[str]]) -> None:
        self._load = load
        self._loaded: tuple[str, ...] | None = None
        self.case_sensitive = True

    @property  # read-only: click assigns it only in the __init__ this class replaces
    def choices(self) -> tuple[str, ...]:  # type: ignore[override]
        if self._loaded is None:
            self._loaded = tuple(self._load())
        return self._loaded


def case_statuses() -> Iterable[str]:
    from bot.store import STATUSES

    return STATUSES


def config_modes() -> Iterable[str]:
    from bot.configcheck import MODES

    return MODES
