"""A ticket's Postgres writes are local activities bounded to seconds: when Postgres keeps failing them,
the write moves to the retried activity, so no workflow task is held, and nothing is lost."""

import asyncpg
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.ticket_writes import LOCAL_RETRY, LOCAL_TIMEOUT
from domain.policy import Policy

from .helpers import Crew, events, eventually, open_ticket, policy_for, until

FAIL_EVENTS = """
CREATE OR REPLACE FUNCTION refuse_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'timeline unavailable'; END $$;
CREATE TRIGGER refuse_events BEFORE INSERT ON ticket_events FOR EACH ROW EXECUTE FUNCTION refuse_events();
"""


def test_local_writes_are_bounded_to_seconds_and_a_few_attempts() -> None:
    assert LOCAL_TIMEOUT.total_seconds() <= 10
    assert LOCAL_RETRY.maximum_attempts == 3


async def test_a_write_postgres_keeps_refusing_moves_to_the_retried_activity_and_lands_when_it_is_back(
    ts_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    worker: Worker,
    task_queue: str,
    policy: Policy,
    crew: Crew,
) -> None:
    await pool.execute(FAIL_EVENTS)
    try:
        handle = await open_ticket(ts_env, pool, task_queue, policy_for(policy, crew))

        async def handed_over() -> list[str]:
            return [
                e.activity_task_scheduled_event_attributes.activity_type.name
                async for e in handle.fetch_history_events()
                if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
            ]

        assert await eventually(handed_over, within=30) == ["record_step_and_try_notices"]
        assert await events(pool, handle.id) == []
    finally:
        await pool.execute("DROP TRIGGER IF EXISTS refuse_events ON ticket_events")
    view = await until(handle, lambda v: v.assignee is not None)
    assert view.assignee in crew.agents
    written = await eventually(lambda: events(pool, handle.id), within=30)
    assert [e["type"] for e in written] == ["opened", "assigned"]
    await handle.terminate("test done")
