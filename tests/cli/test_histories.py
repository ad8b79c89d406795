"""`ticketflow histories export` writes what a real cluster ran, and what it writes replays."""

import asyncio
import os
import sys
from pathlib import Path

import asyncpg
from temporalio.testing import WorkflowEnvironment

from domain.actions import Acknowledge, FeedbackAnswer, Resolve, RootCause
from domain.enums import Fishbone
from domain.policy import Policy
from infra.settings import Settings
from tests.workflows.helpers import make_crew, open_ticket, policy_for, replay, until
from worker.worker import workers
from workflows.ticket import TicketWorkflow as W


async def _export(env: WorkflowEnvironment, query: str, into: Path) -> tuple[int, str, str]:
    command = Path(sys.executable).parent / "ticketflow"
    proc = await asyncio.create_subprocess_exec(
        str(command),
        "histories",
        "export",
        str(into),
        "--query",
        query,
        env={**os.environ, "TICKETFLOW_TEMPORAL_ADDRESS": env.client.service_client.config.target_host},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_a_closed_ticket_exported_from_the_cluster_replays_against_todays_code(
    dev_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    settings: Settings,
    task_queue: str,
    policy: Policy,
    tmp_path: Path,
) -> None:
    crew = await make_crew(pool)
    cause = RootCause(what="未发货", why="库存同步延迟", factor=Fishbone.MACHINE)
    async with workers(dev_env.client, pool, settings, task_queue=task_queue):
        handle = await open_ticket(dev_env, pool, task_queue, policy_for(policy, crew))
        agent = (await until(handle, lambda v: v.assignee is not None)).assignee
        assert agent is not None
        await handle.execute_update(W.acknowledge, Acknowledge(by=agent))
        await handle.execute_update(W.resolve, Resolve(by=agent, solution="已补发", root_cause=cause))
        await handle.execute_update(W.feedback, FeedbackAnswer(solved=True, score=5))
        await handle.result()

    into = tmp_path / "histories"
    query = f'WorkflowId = "{handle.id}" AND ExecutionStatus = "Completed"'
    for _ in range(50):  # visibility follows the close by a moment
        code, out, err = await _export(dev_env, query, into)
        assert code == 0, err
        if "1 histories written" in out + err:
            break
        await asyncio.sleep(0.2)
    (exported,) = into.glob("*.json")
    assert exported.name.startswith(f"{handle.id}__")
    await replay(handle.id, exported.read_text(), W)


async def test_an_unreachable_cluster_is_one_line_naming_the_problem_not_a_traceback(tmp_path: Path) -> None:
    command = Path(sys.executable).parent / "ticketflow"
    proc = await asyncio.create_subprocess_exec(
        str(command),
        "histories",
        "export",
        str(tmp_path),
        env={**os.environ, "TICKETFLOW_TEMPORAL_ADDRESS": "127.0.0.1:1"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await proc.communicate()
    assert proc.returncode == 2
    assert "Traceback" not in err.decode()
    assert "histories export" in err.decode()
