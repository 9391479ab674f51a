"""One registry of settings: Settings, `config check`, .env.example and the docs agree with it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from bot.config import DATA_DIR, Settings
from bot.settings_registry import GENERATED, SETTINGS, setting


class Recording(Mapping[str, str]):
    """An environment that remembers every name the code looked up."""

    def __init__(self) -> None:
        self.read: list[str] = []

    def __getitem__(self, name: str) -> str:
        self.read.append(name)
        raise KeyError(name)

    def get(self, name: str, default: str | None = None) -> str | None:  # type: ignore[override]
        self.read.append(name)
        return default

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def test_settings_read_exactly_the_declared_names():
    env = Recording()
    Settings.from_env(env)
    assert set(env.read) == {s.name for s in SETTINGS}


def test_an_undeclared_name_cannot_be_read():
    with pytest.raises(KeyError, match="not declared"):
        setting("EMAILSTATUS_SOMETHING_NEW")


def test_every_declared_field_exists_and_has_help():
    fields = set(Settings.__dataclass_fields__)
    for declared in SETTINGS:
        assert declared.field is None or declared.field in fields, declared.name
        assert len(declared.help) > 20 and declared.section, declared.name
    assert len({s.name for s in SETTINGS}) == len(SETTINGS)


@pytest.mark.parametrize("path", list(GENERATED), ids=lambda p: p.name)
def test_generated_files_are_current(path: Path):
    """Run `python -m bot.settings_registry` after changing the registry."""
    assert path.read_text(encoding="utf-8") == GENERATED[path]()


def test_the_generated_files_list_every_setting():
    for path in GENERATED:
        text = path.read_text(encoding="utf-8")
        assert all(s.name in text for s in SETTINGS), path


def test_the_case_log_lives_in_one_home_whatever_the_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env({})
    assert Path(settings.db_path).is_absolute() and Path(settings.db_path).parent == DATA_DIR
    monkeypatch.chdir(Path(__file__).parent)
    assert Settings.from_env({}).db_path == settings.db_path
    assert not (tmp_path / "data").exists()
