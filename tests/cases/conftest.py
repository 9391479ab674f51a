"""Fixtures for the case-log tests: an injectable clock and a real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.store import Store
from tests.cases.support import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 18, 12, 0, tzinfo=UTC))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "cases.db"


@pytest.fixture
def log(db_path: Path, clock: Clock) -> Iterator[Store]:
    case_log = Store(db_path, clock=clock)
    yield case_log
    case_log.close()
