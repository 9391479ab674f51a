"""The extension-point map is complete: every real registry holds exactly what the map says."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.extension_points import EXTENSION_POINTS, extension_points_doc

DOC = Path(__file__).parents[2] / "docs" / "extension-points.md"


def test_the_map_covers_the_six_kinds_of_extension():
    names = [point.name for point in EXTENSION_POINTS]
    assert names == ["surface", "article", "language", "setting", "metric", "store"]


@pytest.mark.parametrize("point", EXTENSION_POINTS, ids=lambda p: p.name)
def test_each_registry_holds_what_the_map_says(point):
    """A new surface, article field, language, setting, metric or store: add it to the map."""
    assert sorted(point.registry()) == sorted(point.known)


def test_the_page_is_generated_from_the_map():
    """Run `python -m bot.extension_points` after changing the map."""
    assert DOC.read_text(encoding="utf-8") == extension_points_doc()
