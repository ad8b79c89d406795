"""The report page in headless Chromium: it renders on its own (no network, no script), the charts are
drawn, and the numbers on the page are the JSON's."""

import asyncio
import json
import re
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from api.report_page import render_weekly
from domain.report import week_bounds
from store import reports

from . import report_data
from .report_data import WEEK

CHROMIUM = next(
    (p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p), None
)

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install -y chromium)"
)


async def _chromium(*args: str) -> str:
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory(prefix="tfchrome") as profile:
        proc = await asyncio.create_subprocess_exec(
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            f"--user-data-dir={profile}",
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, err.decode(errors="replace")[-2000:]
    return out.decode()


async def test_the_page_renders_with_its_charts_and_the_json_numbers(
    pool: asyncpg.Pool, tmp_path: Path
) -> None:
    await report_data.load(pool)
    start, end = week_bounds(WEEK, "Asia/Shanghai")
    report = await reports.weekly(
        pool,
        week=WEEK,
        timezone="Asia/Shanghai",
        start=start,
        end=end,
        generated_at=datetime(2026, 11, 23, 1, tzinfo=UTC),
        satisfied_at=4,
        top_issues=10,
    )
    body = json.loads(report.model_dump_json())
    page = tmp_path / "report.html"
    page.write_text(render_weekly(report), encoding="utf-8")

    dom = await _chromium("--dump-dom", page.as_uri())
    charts = re.findall(r'<svg[^>]*class="chart"[^>]*data-chart="([^"]+)"', dom)
    assert set(charts) >= {
        "volume-kind",
        "volume-category",
        "volume-priority",
        "volume-channel",
        "volume-team",
        "sla",
        "durations-median",
        "escalations",
        "satisfaction",
        "root-causes",
        "team-load",
    }
    metrics = dict(re.findall(r'data-metric="([a-z_]+)">([^<]*)<', dom))
    assert metrics["week"] == body["week"]
    assert metrics["opened"] == str(body["volume"]["total"])
    assert metrics["closed"] == str(body["closed"])
    assert metrics["csat_average"] == f"{body['satisfaction']['average']:.2f}"
    assert metrics["satisfied_share"] == f"{body['satisfaction']['satisfied_share'] * 100:.1f}%"
    assert metrics["reopen_rate"] == f"{body['reopen_rate'] * 100:.1f}%"
    assert metrics["no_response_rate"] == f"{body['no_response_rate'] * 100:.1f}%"
    # Every bar carries the figure it draws: the category chart is the JSON's volume by category.
    category_svg = dom.split('data-chart="volume-category"', 1)[1].split("</svg>", 1)[0]
    bars = re.findall(r'data-label="([^"]+)" data-value="([^"]+)"', category_svg)
    assert [(k, int(v)) for k, v in bars] == [(c["key"], c["count"]) for c in body["volume"]["by_category"]]
    sla_svg = dom.split('data-chart="sla"', 1)[1].split("</svg>", 1)[0]
    drawn = [(k, float(v)) for k, v in re.findall(r'data-label="([^"]+)" data-value="([^"]+)"', sla_svg)]
    assert drawn == [(s["target"], round(s["rate"] * 100, 1)) for s in body["sla"]]

    # And it paints: a screenshot of the page is a real image, not an empty canvas.
    shot = tmp_path / "report.png"
    await _chromium(f"--screenshot={shot}", "--window-size=1200,2400", page.as_uri())
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
