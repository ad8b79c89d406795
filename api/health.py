"""Probes: `/livez` (the process answers), `/readyz` (Temporal and Postgres answer; `/healthz` the same)."""

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

from api.state import pool_of, settings_of, temporal_of
from domain.policy import policy_hash

router = APIRouter(tags=["operations"])

# Generous: under load a 2 s probe failed while both servers were merely busy.
_TIMEOUT = 5.0


class Live(BaseModel):
    status: str = "ok"


class Health(BaseModel):
    status: str
    temporal: str
    postgres: str
    workers: str = Field(description="how many workers poll the ticket queue; none means tickets wait")
    policy: str = Field(
        default="", description="hash of the policy loaded (`ticketflow policy check` prints it)"
    )


async def _check_temporal(request: Request) -> str:
    try:
        await asyncio.wait_for(temporal_of(request).service_client.check_health(), _TIMEOUT)
        return "ok"
    except Exception as e:  # any failure means "down"; the message says which
        return f"down: {type(e).__name__}: {e}"[:200]


async def _check_postgres(request: Request) -> str:
    try:
        await asyncio.wait_for(pool_of(request).fetchval("SELECT 1"), _TIMEOUT)
        return "ok"
    except Exception as e:
        return f"down: {type(e).__name__}: {e}"[:200]


async def _check_workers(request: Request) -> str:
    client, queue = temporal_of(request), settings_of(request).task_queue
    try:
        described = await asyncio.wait_for(
            client.workflow_service.describe_task_queue(
                DescribeTaskQueueRequest(
                    namespace=client.namespace,
                    task_queue=TaskQueue(name=queue),
                    task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
                )
            ),
            _TIMEOUT,
        )
    except Exception as e:
        return f"unknown: {type(e).__name__}: {e}"[:200]
    polling = len(described.pollers)
    return f"{polling} polling {queue}" if polling else f"none polling {queue}: new tickets wait"


@router.get("/livez", response_model=Live)
async def livez() -> Live:
    """The process is up and serving; it says nothing of Temporal or Postgres."""
    return Live()


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
async def readyz(request: Request) -> JSONResponse:
    """200 when Temporal and Postgres both answer, 503 naming the one that does not; `workers` says
    whether any worker polls the ticket queue (reads and intake work without one)."""
    temporal, postgres, workers = await asyncio.gather(
        _check_temporal(request), _check_postgres(request), _check_workers(request)
    )
    down = [name for name, state in (("temporal", temporal), ("postgres", postgres)) if state != "ok"]
    body = Health(
        status="ok" if not down else "down: " + ", ".join(down),
        temporal=temporal,
        postgres=postgres,
        workers=workers,
        policy=policy_hash(request.app.state.policy),
    )
    return JSONResponse(status_code=503 if down else 200, content=body.model_dump())


@router.get("/healthz", response_model=Health, responses={503: {"model": Health}})
async def healthz(request: Request) -> JSONResponse:
    """The same as `/readyz`, kept for the probes already pointed at it."""
    return await readyz(request)
