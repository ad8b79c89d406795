"""Replays every recorded lifecycle history: a non-deterministic change to the workflow fails here."""

from pathlib import Path

import pytest

from workflows.ticket import TicketWorkflow

from .helpers import replay

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))
TEXTS = {p.stem: p.read_text() for p in HISTORIES}


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_recorded_history_replays(path: Path) -> None:
    await replay(path.stem, TEXTS[path.stem], TicketWorkflow)
