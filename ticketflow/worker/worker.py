"""The Temporal worker process: the ticket workflows and their activities, on one task queue."""

import asyncio
import contextlib
import importlib.util
import py_compile
import signal
from pathlib import Path

import asyncpg
import structlog
from temporalio import workflow
from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from ticketflow import workflows as workflows_package
from ticketflow.settings import Settings
from ticketflow.store.db import create_pool
from ticketflow.temporal_client import connect
from ticketflow.worker import registry

log = structlog.get_logger(__name__)

# The ticket number reaches log lines through the record's extra (ticketflow.logs), not the message text.
workflow.logger.workflow_info_on_message = False


def sandbox_runner() -> SandboxedWorkflowRunner:
    # Our domain models are pure and deterministic: passing them through spares re-importing pydantic
    # models in every workflow sandbox (memory and the 2 s workflow-task deadline on 2-core machines).
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules("ticketflow.domain", "pydantic")
    )


def compile_workflow_modules() -> None:
    """Write the bytecode of the workflow modules, if missing or stale.

    The sandbox imports a workflow's module afresh for every run; without a .pyc (PYTHONDONTWRITEBYTECODE
    is set on these machines) each import compiles the source again: 10 of its 16 ms for the ticket
    workflow, a CPU cost per ticket. A read-only install (a container image built with compileall) is fine.
    """
    for source in Path(workflows_package.__file__ or "").parent.glob("*.py"):
        with contextlib.suppress(OSError, py_compile.PyCompileError):
            cached = Path(importlib.util.cache_from_source(str(source)))
            if not cached.exists() or cached.stat().st_mtime < source.stat().st_mtime:
                py_compile.compile(str(source), cfile=str(cached), doraise=True)


def build_worker(
    client: Client, pool: asyncpg.Pool, settings: Settings, task_queue: str | None = None
) -> Worker:
    compile_workflow_modules()
    return Worker(
        client,
        task_queue=task_queue or settings.task_queue,
        workflows=list(registry.workflows()),
        activities=list(registry.activities(pool, settings)),
        workflow_runner=sandbox_runner(),
        max_cached_workflows=10_000,
    )


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Run until `stop` is set (or SIGINT/SIGTERM when none is given), then drain and close."""
    client = await connect(settings)
    pool = await create_pool(settings.database_url, max_size=20)
    stop = stop or _stop_on_signals()
    try:
        worker = build_worker(client, pool, settings)
        log.info("worker started", task_queue=settings.task_queue, temporal=settings.temporal_address)
        async with worker:
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
