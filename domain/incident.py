"""A common-issue incident (seed 003 共性问题): what the store returns and the API shows."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel

from domain.actions import RootCause
from domain.enums import Category


class IncidentStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Incident(BaseModel):
    """One incident and the tickets linked to it."""

    id: int
    category: Category
    product: str | None = None
    order_batch: str | None = None
    team: str | None = None
    status: IncidentStatus
    opened_at: datetime
    closed_at: datetime | None = None
    closed_by: str | None = None
    note: str | None = None
    solution: str | None = None  # issue 22: what every linked ticket was resolved with
    root_cause: RootCause | None = None
    ticket_nos: list[str] = []
