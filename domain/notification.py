"""Who a notification is for and what it says: the argument of the notify activity."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class Audience(StrEnum):
    """Recipients relative to a ticket; the notify activity resolves them through the directory."""

    MEMBER = "member"  # a named member (the assignee, a reviewer)
    TEAM_SUPERVISOR = "team_supervisor"  # the supervisor(s) of `team`
    DEPARTMENT_HEAD = "department_head"  # the head(s) of the department `team` belongs to
    DIRECTOR = "director"  # the service director(s)
    CUSTOMER = "customer"  # the ticket's customer, through their preferred contact


class NotifyRequest(BaseModel):
    """One message. `key` makes it idempotent: a retried activity never sends or records it twice."""

    key: str = Field(description="unique per message, e.g. '<ticket_no>:<event seq>:<audience>'")
    ticket_no: str
    audience: Audience
    member_id: str | None = None
    team: str | None = None
    template: str = Field(description="e.g. urgent_intake, escalated, ack_overdue, warning, callback")
    facts: dict[str, str] = {}
    urgent: bool = False


class NotifyResult(BaseModel):
    recipients: list[str] = []
    already_sent: bool = False
    call_task: bool = False  # a customer no message reaches: the holder was asked to call instead


class HeldNotice(BaseModel):
    """A notification held by its recipient's quiet hours, and when it goes out (a durable workflow timer)."""

    at: datetime
    request: NotifyRequest
