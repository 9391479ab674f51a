"""The weekly chart is a real PNG of the expected size; matplotlib loads only when drawing."""

from __future__ import annotations

import struct
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.chart import DPI, HEIGHT_IN, WIDTH_IN, chart_png, write_chart
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


def test_an_empty_week_still_draws(log: Store) -> None:
    data = chart_png(summarise(log, IsoWeek(2026, 47), ZoneInfo("UTC")))
    assert png_size(data) == (1000, 400)


def test_importing_the_bot_does_not_load_matplotlib() -> None:
    code = (
        "import sys, bot.chart, bot.cli, bot.summary, bot.scheduler;"
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr
