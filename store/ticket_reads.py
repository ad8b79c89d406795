"""One ticket from Postgres: its intake text, its raw contact, its timeline, its archive record."""

from datetime import datetime
from typing import Any

import asyncpg
from pydantic import BaseModel, JsonValue

from domain.enums import Channel, Status
from domain.ticket import TicketEvent, TicketView


class TicketRow(BaseModel):
    """What the read model adds to the workflow's view: the customer's own words, and who may see what."""

    ticket_no: str
    channel: Channel
    customer_id: int
    team: str | None = None
    collaborators: list[str] = []
    assignee: str | None = None
    status: Status
    description: str
    request: str | None = None
    occurred_at: datetime | None = None
    workflow_started: bool
    # The workflow's view as its last step left it (None until its first step is written).
    view: TicketView | None = None


class Contact(BaseModel):
    """Raw customer contact: only for the assigned handler and supervisors, and every read is audited."""

    customer_id: int
    name: str
    phone: str | None = None
    email: str | None = None


async def get_ticket_row(pool: asyncpg.Pool, ticket_no: str) -> TicketRow | None:
    row = await pool.fetchrow(
        "SELECT ticket_no, channel, customer_id, team, collaborators, assignee, status, description, request,"
        " occurred_at, workflow_started, view FROM tickets WHERE ticket_no = $1",
        ticket_no,
    )
    if row is None:
        return None
    return TicketRow(**{**dict(row), "collaborators": list(row["collaborators"] or [])})


async def get_contact(pool: asyncpg.Pool, customer_id: int) -> Contact | None:
    row = await pool.fetchrow("SELECT id, name, phone, email FROM customers WHERE id = $1", customer_id)
    if row is None:
        return None
    return Contact(customer_id=row["id"], name=row["name"], phone=row["phone"], email=row["email"])


async def get_events(
    pool: asyncpg.Pool, ticket_no: str, limit: int, before_seq: int | None
) -> list[TicketEvent]:
    """Newest first; `before_seq` pages back through older events."""
    rows = await pool.fetch(
        "SELECT seq, at, type, actor, data FROM ticket_events"
        " WHERE ticket_no = $1 AND ($2::int IS NULL OR seq < $2) ORDER BY seq DESC LIMIT $3",
        ticket_no,
        before_seq,
        limit,
    )
    return [
        TicketEvent(seq=r["seq"], at=r["at"], type=r["type"], actor=r["actor"], data=_object(r["data"]))
        for r in rows
    ]


def _object(value: Any) -> dict[str, JsonValue]:
    return value if isinstance(value, dict) else {"value": value}


async def get_archive_record(pool: asyncpg.Pool, ticket_no: str) -> dict[str, JsonValue] | None:
    """The archived record as stored (JSON); the API validates it into a view."""
    value = await pool.fetchval("SELECT record FROM archive WHERE ticket_no = $1", ticket_no)
    return _object(value) if value is not None else None
