"""Replays the recorded hotspot counter histories: a non-deterministic change to the counter fails here."""

from pathlib import Path

import pytest

from workflows.hotspot_counter import HotspotWorkflow

from ..workflows.helpers import replay

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))
TEXTS = {p.stem: p.read_text() for p in HISTORIES}


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_recorded_hotspot_history_replays(path: Path) -> None:
    await replay(path.stem, TEXTS[path.stem], HotspotWorkflow)
