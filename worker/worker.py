"""The Temporal worker process: the ticket workflows on the deployment's task queue, the hotspot counters on
a queue of their own, and their activities."""

import asyncio
import concurrent.futures
import contextlib
import importlib.util
import py_compile
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import structlog
from temporalio import workflow
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

import workflows as workflows_package
from domain.hotspot_window import counter_queue
from domain.policy import load_policy, policy_hash
from infra.settings import Settings
from infra.temporal_client import connect
from store.db import create_pool
from worker import registry

log = structlog.get_logger(__name__)

# The ticket number reaches log lines through the record's extra (infra.logs), not the message text.
workflow.logger.workflow_info_on_message = False


def sandbox_runner() -> SandboxedWorkflowRunner:
    # Our domain models are pure and deterministic: passing them through spares re-importing pydantic
    # models in every workflow sandbox (memory and the 2 s workflow-task deadline on 2-core machines).
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules("domain", "pydantic")
    )


def compile_workflow_modules() -> None:
    """Write the bytecode of the workflow modules, if missing or stale: the sandbox imports them afresh for
    every run, and without a .pyc each import compiles the source again (docs/decisions.md)."""
    for source in Path(workflows_package.__file__ or "").parent.glob("*.py"):
        with contextlib.suppress(OSError, py_compile.PyCompileError):
            cached = Path(importlib.util.cache_from_source(str(source)))
            if not cached.exists() or cached.stat().st_mtime < source.stat().st_mtime:
                py_compile.compile(str(source), cfile=str(cached), doraise=True)


def build_worker(
    client: Client, pool: asyncpg.Pool, settings: Settings, task_queue: str | None = None, **tuning: Any
) -> Worker:
    """The ticket queue's worker; `tuning` overrides Worker arguments (the benchmarks try levers with it)."""
    compile_workflow_modules()
    args: dict[str, Any] = {
        "task_queue": task_queue or settings.task_queue,
        "workflows": list(registry.workflows()),
        "activities": list(registry.activities(pool, settings)),
        "workflow_runner": sandbox_runner() if settings.workflow_sandbox else UnsandboxedWorkflowRunner(),
        "max_cached_workflows": settings.worker_cached_workflows,
        "max_concurrent_workflow_tasks": settings.worker_workflow_tasks,
        "max_concurrent_workflow_task_polls": settings.worker_workflow_polls,
        "workflow_task_executor": concurrent.futures.ThreadPoolExecutor(
            max_workers=min(settings.worker_workflow_threads, settings.worker_workflow_tasks),
            thread_name_prefix="workflow-task",
        ),
    }
    return Worker(client, **{**args, **tuning})


def build_counter_worker(
    client: Client, pool: asyncpg.Pool, settings: Settings, task_queue: str | None = None
) -> Worker:
    """The hotspot counters' worker: their own queue, so a flood of tickets never starves the counting."""
    from workflows.hotspot_counter import HotspotWorkflow

    return Worker(
        client,
        task_queue=counter_queue(task_queue or settings.task_queue),
        workflows=[HotspotWorkflow],
        activities=list(registry.counter_activities(pool, settings)),
        # As the ticket worker: sandboxed in every test and replay, not in production (docs/decisions.md).
        workflow_runner=sandbox_runner() if settings.workflow_sandbox else UnsandboxedWorkflowRunner(),
        max_concurrent_workflow_tasks=2,
    )


@contextlib.asynccontextmanager
async def workers(
    client: Client, pool: asyncpg.Pool, settings: Settings, task_queue: str | None = None
) -> AsyncIterator[Worker]:
    """Both workers running; yields the ticket queue's, which registers the hotspot counters too, so a
    counter started on the ticket queue still runs."""
    async with (
        build_worker(client, pool, settings, task_queue) as main,
        build_counter_worker(client, pool, settings, task_queue),
    ):
        yield main


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Run until `stop` is set (or SIGINT/SIGTERM when none is given), then drain and close."""
    # Loaded first, so a bad policy stops the worker at start, not at the first weekly report.
    policy = policy_hash(load_policy(settings.policy_file))
    client = await connect(settings, settings.worker_metrics_address)
    pool = await create_pool(settings.database_url, max_size=settings.worker_db_pool_size)
    stop = stop or _stop_on_signals()
    try:
        async with workers(client, pool, settings):
            log.info(
                "worker started",
                task_queue=settings.task_queue,
                temporal=settings.temporal_address,
                namespace=settings.temporal_namespace,
                policy=policy,
            )
            await stop.wait()
        log.info("worker stopped")
    finally:
        await pool.close()


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop
