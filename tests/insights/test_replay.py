"""Replays the recorded hotspot counter histories: a non-deterministic change to the counter fails here."""

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from ticketflow.worker.worker import sandbox_runner
from ticketflow.workflows.hotspot import HotspotWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))
TEXTS = {p.stem: p.read_text() for p in HISTORIES}


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_recorded_hotspot_history_replays(path: Path) -> None:
    replayer = Replayer(
        workflows=[HotspotWorkflow], workflow_runner=sandbox_runner(), data_converter=pydantic_data_converter
    )
    await replayer.replay_workflow(WorkflowHistory.from_json(path.stem, TEXTS[path.stem]))
