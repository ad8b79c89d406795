"""Collaboration requests (seeds 002, 004: 协同部门需24h内反馈): a question from a ticket to another team,
answered within a deadline in that team's calendar, reminded and escalated like a ticket."""

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from domain.actions import Action
from domain.durations import Duration
from domain.enums import Priority

COLLABORATION_WORKFLOW = "CollaborationWorkflow"


class CollaborationPolicy(BaseModel):
    """How long a collaborating team has to answer, counted in its calendar; when its member is reminded."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    answer_within: Duration = timedelta(hours=24)  # seeds 002, 004: 需24h内反馈
    remind_at: float = Field(default=0.8, gt=0, lt=1)  # of the time to answer
    # Team → the policy calendar its deadline counts in; others use targets.calendar.default.
    team_calendars: dict[str, str] = {}
    # Routing's collaborating teams are asked at intake (else they only gain read access), with this text.
    ask_at_intake: bool = False
    intake_question: str = Field(
        default="请协同处理该工单并反馈处理意见。Please help with this ticket and tell us what you find.",
        min_length=1,
        max_length=5_000,
    )


class CollaborationStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"


class AskCollaboration(Action):
    """The holder (or a supervisor) asks another team a question about the ticket."""

    team: str = Field(min_length=1, max_length=64)
    question: str = Field(min_length=1, max_length=5_000)
    attachment_ids: list[int] = Field(default=[], max_length=20)


class CollaborationAnswer(Action):
    """The collaborating team's answer: text, and files already attached to the ticket."""

    text: str = Field(min_length=1, max_length=5_000)
    attachment_ids: list[int] = Field(default=[], max_length=20)


class CollaborationInput(BaseModel):
    """The child workflow's input; its deadline and reminder are computed by the ticket in its policy."""

    ticket_no: str
    number: int  # 1, 2, …: the ticket's requests in order
    team: str
    question: str
    asked_by: str
    asked_at: datetime
    remind_at: datetime
    due: datetime
    priority: Priority


class CollaborationView(BaseModel):
    """One request and where it stands: what the child workflow answers and the ticket's view lists."""

    id: str  # the child workflow's id: <ticket_no>-C<number>
    number: int
    team: str
    question: str
    asked_by: str
    asked_at: datetime
    due: datetime
    status: CollaborationStatus = CollaborationStatus.OPEN
    assignee: str | None = None
    reminded: bool = False
    escalated: bool = False
    answer: str | None = None
    attachment_ids: list[int] = []
    answered_by: str | None = None
    answered_at: datetime | None = None
    on_time: bool | None = None


def request_id(ticket_no: str, number: int) -> str:
    return f"{ticket_no}-C{number}"
