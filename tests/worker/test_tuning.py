"""The worker keeps polls and task slots apart from the threads that run workflow code: 12 polls and 16
slots kept escalations on time at 6.7 new tickets a second, where the SDK's 5 polls let them queue for
seconds, while 8 threads keep single tasks clear of the 2 s deadlock detector (bench/RESULTS.md)."""

import asyncpg
from temporalio.testing import WorkflowEnvironment

from infra.settings import Settings
from worker.worker import build_worker


async def test_the_ticket_worker_polls_and_holds_more_tasks_than_it_has_threads(
    time_env: WorkflowEnvironment, pool: asyncpg.Pool, settings: Settings, task_queue: str
) -> None:
    defaults = Settings.model_fields
    assert defaults["worker_workflow_polls"].default == 12
    assert defaults["worker_workflow_tasks"].default == 16
    assert defaults["worker_workflow_threads"].default == 8
    tuned = settings.model_copy(
        update={"worker_workflow_polls": 12, "worker_workflow_tasks": 16, "worker_workflow_threads": 8}
    )
    config = build_worker(time_env.client, pool, tuned, task_queue).config()
    assert config.get("max_concurrent_workflow_task_polls") == 12
    assert config.get("max_concurrent_workflow_tasks") == 16
    executor = config.get("workflow_task_executor")
    assert executor is not None and executor._max_workers == 8


async def test_the_ticket_worker_keeps_at_most_the_set_number_of_open_tickets_in_memory(
    time_env: WorkflowEnvironment, pool: asyncpg.Pool, settings: Settings, task_queue: str
) -> None:
    # 2,000 cached tickets at ~120–170 KiB each keep a worker under 512 MiB (bench/backlog.py).
    assert Settings.model_fields["worker_cached_workflows"].default == 2_000
    capped = settings.model_copy(update={"worker_cached_workflows": 300})
    assert build_worker(time_env.client, pool, capped, task_queue).config().get("max_cached_workflows") == 300
