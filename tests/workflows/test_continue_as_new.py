"""A long ticket continues as new when the server suggests it, and carries its whole state across."""

import asyncpg
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from domain.actions import Acknowledge, ProgressNote
from domain.enums import Status
from domain.policy import Policy
from infra.settings import Settings
from worker.worker import workers
from workflows.ticket import TicketWorkflow

from .helpers import Crew, events, open_ticket, policy_for, until


async def test_forced_continue_as_new_keeps_the_ticket_state(
    dev_env: WorkflowEnvironment,  # suggests continue-as-new after 50 history events
    pool: asyncpg.Pool,
    settings: Settings,
    task_queue: str,
    policy: Policy,
    crew: Crew,
) -> None:
    async with workers(dev_env.client, pool, settings, task_queue=task_queue):
        handle = await open_ticket(dev_env, pool, task_queue, policy_for(policy, crew))
        first = await until(handle, lambda v: v.assignee is not None)
        first_run = (await handle.describe()).run_id
        await handle.execute_update(TicketWorkflow.acknowledge, Acknowledge(by=first.assignee))
        for n in range(12):
            await handle.execute_update(TicketWorkflow.progress, ProgressNote(by="x", note=f"note {n}"))
        latest = dev_env.client.get_workflow_handle(handle.id)
        before = await until(latest, lambda v: v.event_seq >= 15)

        # The first run ended by continuing as new; the ticket goes on under the same id.
        old = await dev_env.client.get_workflow_handle(handle.id, run_id=first_run).describe()
        assert old.status is WorkflowExecutionStatus.CONTINUED_AS_NEW
        now = await latest.describe()
        assert now.run_id != first_run and now.status is WorkflowExecutionStatus.RUNNING

        after = await latest.query(TicketWorkflow.view)
        assert after == before
        assert after.assignee == first.assignee and after.status is Status.IN_PROGRESS
        assert after.first_response_at is not None and after.deadlines == before.deadlines
        # ...and it keeps counting events where it left off, so no (ticket_no, seq) is ever reused.
        view = await latest.execute_update(TicketWorkflow.progress, ProgressNote(by="x", note="after"))
        assert view.event_seq == before.event_seq + 1
        seqs = [r["seq"] for r in await events(pool, handle.id)]
        assert seqs == list(range(1, view.event_seq + 1))
        await latest.terminate("test done")
