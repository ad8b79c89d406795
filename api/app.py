"""The FastAPI application: one Temporal client and one asyncpg pool for the process (lifespan)."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import structlog
from fastapi import FastAPI
from temporalio.client import Client

from api import (
    actions,
    admin,
    attachments,
    classifier,
    collaboration,
    compensation,
    contract,
    corrective,
    customers,
    errors,
    feedback,
    health,
    incident_actions,
    inspections,
    intake,
    knowledge,
    reports,
    resort,
    scripts,
    suggestions,
    tickets,
)
from api.body_limit import BodyLimit
from api.hotspot_signals import HotspotCounter, prefix_for
from api.request_log import RequestLog
from domain.policy import Policy, load_policy, policy_hash
from infra.settings import Settings, get_settings
from infra.temporal_client import connect
from store.contents import contents_for
from store.db import create_pool

log = structlog.get_logger(__name__)


# Seconds an idle connection stays open: longer than a load balancer's or client pool's idle time (60 s
# is common), so the server never closes a connection just as the other side reuses it (a ReadError).
KEEP_ALIVE_S = 75


def create_app(
    settings: Settings | None = None,
    *,
    client: Client | None = None,
    pool: asyncpg.Pool | None = None,
    policy: Policy | None = None,
) -> FastAPI:
    """Build the app. Tests pass their own client and pool; servers let the lifespan connect."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_pool = pool is None
        app.state.settings = settings
        app.state.policy = policy or load_policy(settings.policy_file)
        log.info("api starting", policy=policy_hash(app.state.policy), namespace=settings.temporal_namespace)
        app.state.temporal = client or await connect(settings)
        app.state.pool = pool or await create_pool(settings.database_url, max_size=settings.api_db_pool_size)
        app.state.contents = contents_for(settings)
        app.state.hotspots = HotspotCounter(
            app.state.temporal,
            settings.task_queue,
            rule=app.state.policy.hotspot,
            id_prefix=prefix_for(settings.task_queue),
            spacing=settings.hotspot_signal_spacing,
        )
        app.state.warming = asyncio.create_task(classifier.warm_up(app, app.state.policy))
        try:
            yield
        finally:
            app.state.warming.cancel()
            await app.state.hotspots.aclose()
            if own_pool:
                await app.state.pool.close()

    app = FastAPI(
        title="ticketflow",
        version="0.1.0",
        description="Durable customer-service tickets: every ticket is a Temporal workflow.",
        lifespan=lifespan,
    )
    # An upload's multipart framing (boundaries, part headers) rides on top of the file's own limit.
    upload_bytes = settings.attachment_max_bytes + 64 * 1024
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, upload_bytes=upload_bytes)
    app.add_middleware(RequestLog)
    errors.install(app)
    app.include_router(health.router)
    app.include_router(intake.router)
    app.include_router(tickets.router)
    app.include_router(actions.router)
    app.include_router(feedback.router)
    app.include_router(admin.router)
    app.include_router(reports.router)
    app.include_router(customers.router)
    app.include_router(attachments.router)
    app.include_router(collaboration.router)
    app.include_router(compensation.router)
    app.include_router(corrective.router)
    app.include_router(incident_actions.router)
    app.include_router(inspections.router)
    app.include_router(resort.router)
    app.include_router(knowledge.router)
    app.include_router(suggestions.router)
    app.include_router(scripts.router)
    contract.install(app)
    return app
