"""The store factory: SQLite unless DATABASE_URL names a PostgreSQL server."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings
from bot.store import open_store


def test_without_database_url_the_file_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    store = open_store(tmp_path / "cases.db")
    try:
        assert store.kind == "sqlite" and store.path == str(tmp_path / "cases.db")
        assert store.describe().location == store.path
    finally:
        store.close()
    assert (tmp_path / "cases.db").is_file()


@pytest.mark.parametrize("url", ["mysql://db/x", "sqlite:///x.db", "db.example.com"])
def test_a_database_url_that_is_not_postgresql_is_refused(tmp_path: Path, url: str) -> None:
    with pytest.raises(ValueError, match="postgresql://"):
        open_store(tmp_path / "cases.db", database_url=url)


def test_an_empty_database_url_means_sqlite(tmp_path: Path) -> None:
    settings = Settings.from_env({"DATABASE_URL": " "})
    store = open_store(tmp_path / "cases.db", database_url=settings.database_url)
    try:
        assert store.kind == "sqlite"
    finally:
        store.close()
