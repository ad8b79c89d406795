"""`GET /healthz`: 200 when Temporal and Postgres both answer, 503 naming the one that does not."""

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

router = APIRouter()

_TIMEOUT = 2.0


class Health(BaseModel):
    status: str
    temporal: str
    postgres: str


async def _check_temporal(request: Request) -> str:
    try:
        client = request.app.state.temporal
        await asyncio.wait_for(client.service_client.check_health(), _TIMEOUT)
        return "ok"
    except Exception as e:  # any failure means "down"; the message says which
        return f"down: {type(e).__name__}: {e}"[:200]


async def _check_postgres(request: Request) -> str:
    try:
        pool = request.app.state.pool
        await asyncio.wait_for(pool.fetchval("SELECT 1"), _TIMEOUT)
        return "ok"
    except Exception as e:
        return f"down: {type(e).__name__}: {e}"[:200]


@router.get("/healthz", response_model=Health, responses={503: {"model": Health}}, tags=["operations"])
async def healthz(request: Request) -> JSONResponse:
    temporal, postgres = await asyncio.gather(_check_temporal(request), _check_postgres(request))
    down = [name for name, state in (("temporal", temporal), ("postgres", postgres)) if state != "ok"]
    body = Health(
        status="ok" if not down else "down: " + ", ".join(down), temporal=temporal, postgres=postgres
    )
    return JSONResponse(status_code=503 if down else 200, content=body.model_dump())
