"""The ticket as its workflow holds it: the workflow's input, its deadlines, and the view queries return."""

from datetime import datetime

from pydantic import BaseModel, Field, JsonValue, field_validator

from domain.actions import FeedbackAnswer, RootCause
from domain.collaboration import CollaborationView
from domain.compensation import CompensationState
from domain.enums import Category, Channel, Kind, Priority, Status
from domain.intake import MaskedCustomer
from domain.policy import Policy, shared

WORKFLOW_NAME = "TicketWorkflow"


class TicketInput(BaseModel):
    """Workflow input. Holds no raw contact and no free text from the customer: those stay in Postgres."""

    ticket_no: str
    channel: Channel
    kind: Kind
    category: Category
    priority: Priority
    customer: MaskedCustomer
    opened_at: datetime
    product: str | None = None
    order_batch: str | None = None
    repeat_count: int = Field(default=0, description="the customer's earlier tickets of this category lately")
    follow_up_of: str | None = None
    needs_triage: bool = Field(default=False, description="sorted unsure: default team, supervisor told")
    policy: Policy = Field(description="snapshot taken at intake; later policy edits never reach this ticket")

    @field_validator("policy", mode="after")
    @classmethod
    def _one_copy(cls, policy: Policy) -> Policy:
        # Thousands of open tickets hold a handful of distinct snapshots: ~36 KiB each, kept once.
        return shared(policy)


class TicketEvent(BaseModel):
    """One event of a ticket's timeline: what the workflow writes and what the API lists."""

    seq: int
    at: datetime
    type: str
    actor: str | None = None
    data: dict[str, JsonValue] = {}


class Deadlines(BaseModel):
    """Every clock of a ticket; None when that clock is not running."""

    ack_due: datetime | None = None
    response_due: datetime | None = None
    resolve_due: datetime | None = None
    update_due: datetime | None = None
    escalation_due: datetime | None = None
    callback_due: datetime | None = None
    feedback_due: datetime | None = None
    call_due: datetime | None = None
    approval_due: datetime | None = None  # a compensation awaiting a supervisor's approval


class TicketView(BaseModel):
    """What the `view` query answers and what every update returns."""

    ticket_no: str
    status: Status
    priority: Priority
    kind: Kind
    category: Category
    channel: Channel
    customer: MaskedCustomer
    team: str | None = None
    collaborators: list[str] = []
    assignee: str | None = None
    escalation_level: int = 0
    sla_breached: bool = False
    deadlines: Deadlines = Deadlines()
    opened_at: datetime
    acknowledged_at: datetime | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    close_reason: str | None = None  # "satisfied" | "no_response"
    solution: str | None = None
    root_cause: RootCause | None = None
    compensation: CompensationState | None = None
    collaborations: list[CollaborationView] = []  # questions to other teams, each a child workflow
    feedback: FeedbackAnswer | None = None
    reopen_count: int = 0
    cause_disputed: bool = False  # the customer disputed the cause they were told; reopened to trace it again
    feedback_requests: int = 0  # callbacks and second attempts, each asking the customer how it went
    repeat_count: int = 0
    follow_up_of: str | None = None
    needs_triage: bool = False  # intake was unsure of its category or kind; a re-sort settles it
    event_seq: int = 0
    # Deadline (`resolve_due`, ...) → the policy calendar it counts in; empty for tickets without calendars.
    calendars: dict[str, str] = {}
