"""The hotspot workflow's activities: open an incident once, link tickets to it, name who to tell."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import structlog
from pydantic import BaseModel
from temporalio import activity
from temporalio.common import RetryPolicy

from domain.enums import Category
from infra.settings import Settings
from store import incidents as store

log = structlog.get_logger(__name__)

# Database writes: retried until Postgres answers again; every write here is idempotent.
INCIDENT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), backoff_coefficient=2.0, maximum_interval=timedelta(minutes=1)
)
INCIDENT_TIMEOUT = timedelta(seconds=30)
# Tried first as a local activity, inside the counter's workflow task (no activity task, no further
# workflow task a write); a slower Postgres hands the write to the retried activity above.
INCIDENT_LOCAL_TIMEOUT = timedelta(seconds=5)
INCIDENT_LOCAL_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200), backoff_coefficient=2.0, maximum_attempts=3
)


class OpenIncidentRequest(BaseModel):
    """`dedupe_key` is the workflow's own (workflow id + crossing number): a retry finds the same row."""

    dedupe_key: str
    category: Category
    product: str | None = None
    order_batch: str | None = None
    team: str | None = None
    opened_at: datetime


class OpenIncidentResult(BaseModel):
    incident_id: int
    created: bool
    team_members: list[str] = []  # the owning team's on-duty staff, to be told


class LinkRequest(BaseModel):
    incident_id: int
    ticket_nos: list[str]


class LinkResult(BaseModel):
    linked: int
    still_open: bool


class IncidentActivities:
    """Built once per worker; every method is an activity taking one model."""

    def __init__(self, pool: asyncpg.Pool, settings: Settings) -> None:
        self._pool = pool
        self._settings = settings

    def all(self) -> list[Callable[..., Any]]:
        return [self.open_incident, self.link_incident_tickets]

    @activity.defn(name="open_incident")
    async def open_incident(self, req: OpenIncidentRequest) -> OpenIncidentResult:
        """Open (or find again) the incident of one crossing."""
        incident_id, created = await store.open_incident(
            self._pool,
            req.dedupe_key,
            req.category.value,
            req.product,
            req.order_batch,
            req.team,
            req.opened_at,
        )
        members = await store.team_staff(self._pool, req.team) if req.team else []
        log.info(
            "hotspot incident",
            incident_id=incident_id,
            created=created,
            category=req.category.value,
            product=req.product,
            order_batch=req.order_batch,
            team=req.team,
        )
        return OpenIncidentResult(incident_id=incident_id, created=created, team_members=members)

    @activity.defn(name="link_incident_tickets")
    async def link_incident_tickets(self, req: LinkRequest) -> LinkResult:
        """Link tickets to the incident while it is open."""
        linked, still_open = await store.link(self._pool, req.incident_id, req.ticket_nos)
        return LinkResult(linked=linked, still_open=still_open)
