"""The weekly chart is a real PNG of the expected size; matplotlib loads only when drawing."""

from __future__ import annotations

import struct
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.chart import DPI, EMPTY_HEIGHT_IN, HEIGHT_IN, WIDTH_IN, chart_png, render, write_chart
from bot.store import Store
from bot.summary import IsoWeek, summarise
from tests.cases.support import Clock, Row, build

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ROOT = Path(__file__).resolve().parents[2]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"  # the first chunk, as the PNG spec requires
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_chart_is_a_png_of_the_expected_size(log: Store, clock: Clock, tmp_path: Path) -> None:
    at = datetime(2026, 11, 17, 10, tzinfo=UTC)
    build(log, clock, [Row(at, action="case_resolved"), Row(at + timedelta(days=1), version="2007"),
                       Row(at, action="case_escalate", version=None)])  # fmt: skip
    summary = summarise(log, IsoWeek(2026, 47), ZoneInfo("Europe/Paris"))
    path = write_chart(summary, tmp_path / "charts" / "week.png")
    data = path.read_bytes()
    assert png_size(data) == (int(WIDTH_IN * DPI), int(HEIGHT_IN * DPI))
    assert data.endswith(b"IEND\xaeB`\x82")


def test_an_empty_week_is_a_clean_card(log: Store) -> None:
    data = chart_png(summarise(log, IsoWeek(2026, 47), ZoneInfo("UTC")))
    assert png_size(data) == (int(WIDTH_IN * DPI), int(EMPTY_HEIGHT_IN * DPI))  # no axes
    svg = render(summarise(log, IsoWeek(2026, 47), ZoneInfo("UTC")), "svg").decode()
    assert "No cases this week" in svg and "<!-- none -->" not in svg
    assert "−0.04" not in svg and "-0.04" not in svg


def test_the_legend_keeps_every_outcome_with_its_count(log: Store, clock: Clock) -> None:
    """Before, an outcome with no case this week left the legend: a 0 escalated is news."""
    at = datetime(2026, 11, 17, 10, tzinfo=UTC)
    build(log, clock, [Row(at, action="case_resolved"), Row(at, action="suggestion_rejected"),
                       Row(at)])  # fmt: skip
    svg = render(summarise(log, IsoWeek(2026, 47), ZoneInfo("UTC")), "svg").decode()
    for label in ("resolved (1)", "rejected (1)", "answered, no outcome yet (1)",
                  "unresolved (0)", "escalated (0)"):  # fmt: skip
        assert label in svg, label


def test_the_chart_breaks_cases_down_by_article(log: Store, clock: Clock) -> None:
    at = datetime(2026, 11, 17, 10, tzinfo=UTC)
    build(log, clock, [Row(at), Row(at, article="000999001")])
    svg = render(summarise(log, IsoWeek(2026, 47), ZoneInfo("UTC")), "svg").decode()
    assert "Cases by article" in svg and "000999001" in svg and "000385822" in svg


@pytest.mark.parametrize(
    ("name", "magic"),
    [("w.png", PNG_SIGNATURE), ("w.jpg", b"\xff\xd8\xff"), ("w.JPEG", b"\xff\xd8\xff"),
     ("w.svg", b"<?xml"), ("w.pdf", b"%PDF"), ("w.webp", b"RIFF")],
)  # fmt: skip
def test_write_chart_writes_the_format_its_extension_names(
    log: Store, tmp_path: Path, name: str, magic: bytes
) -> None:
    path = write_chart(summarise(log, IsoWeek(2026, 47), ZoneInfo("UTC")), tmp_path / name)
    assert path.read_bytes().startswith(magic)


@pytest.mark.parametrize("name", ["week.txt", "week", "week.png.bak"])
def test_write_chart_refuses_an_unknown_extension(log: Store, tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="can be written as"):
        write_chart(summarise(log, IsoWeek(2026, 47), ZoneInfo("UTC")), tmp_path / name)
    assert not (tmp_path / name).exists()


def test_importing_the_bot_does_not_load_matplotlib() -> None:
    code = (
        "import sys, bot.chart, bot.cli, bot.summary, bot.scheduler;"
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr
