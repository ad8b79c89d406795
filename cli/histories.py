"""`ticketflow histories export`: histories from a real cluster, as the JSON files replay tests read."""

import json
import re
from pathlib import Path

from temporalio.client import Client, WorkflowHistory

UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def file_name(workflow_id: str, run_id: str) -> str:
    """`<workflow id>__<run id>.json`, with anything a file name should not hold replaced by `_`."""
    return f"{UNSAFE.sub('_', workflow_id)}__{UNSAFE.sub('_', run_id)}.json"


async def fetch(client: Client, query: str, limit: int) -> list[tuple[str, WorkflowHistory]]:
    """The run id and history of every execution `query` lists (visibility query syntax), at most `limit`."""
    found: list[tuple[str, WorkflowHistory]] = []
    async for execution in client.list_workflows(query, limit=limit):
        handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
        found.append((execution.run_id, await handle.fetch_history()))
    return found


def write(histories: list[tuple[str, WorkflowHistory]], into: Path) -> list[Path]:
    into.mkdir(parents=True, exist_ok=True)
    written = []
    for run_id, history in histories:
        path = into / file_name(history.workflow_id, run_id)
        path.write_text(json.dumps(json.loads(history.to_json()), indent=1))
        written.append(path)
    return written
