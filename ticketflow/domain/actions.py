"""What people do to a ticket: the payloads of the workflow's updates and signals (one model an action)."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from ticketflow.domain.enums import Fishbone


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    by: str = Field(min_length=1, max_length=64, description="member id of the person acting")


class Acknowledge(_Action):
    """The assignee confirms receipt (seed 001: within 1 h)."""


class ProgressNote(_Action):
    note: str = Field(min_length=1, max_length=5_000)
    customer_visible: bool = Field(default=True, description="also tell the customer (seed 000: 同步信息)")


class Extend(_Action):
    """Move the resolution ETA, before it passes, with a reason the customer is told (seeds 000, 001)."""

    new_due: datetime
    reason: str = Field(min_length=1, max_length=1_000)


class WaitForCustomer(_Action):
    reason: str = Field(min_length=1, max_length=1_000)


class Resume(_Action):
    """The customer answered: the resolution clock runs again."""


class RootCause(BaseModel):
    """5W1H and the fishbone factor of seed 003; individual or common (个案 / 共性问题)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    who: str = Field(default="", max_length=500)
    when: str = Field(default="", max_length=500)
    where: str = Field(default="", max_length=500)
    what: str = Field(min_length=1, max_length=2_000)
    why: str = Field(min_length=1, max_length=2_000)
    how: str = Field(default="", max_length=2_000)
    factor: Fishbone
    common: bool = False


class Resolve(_Action):
    solution: str = Field(min_length=1, max_length=5_000)
    root_cause: RootCause


class ReviewDecision(_Action):
    """A supervisor approves the solution, or sends it back with a comment (seed 002)."""

    approve: bool
    comment: str = Field(default="", max_length=2_000)


class Reassign(_Action):
    to_member: str | None = Field(default=None, max_length=64)
    to_team: str | None = Field(default=None, max_length=64)
    reason: str = Field(min_length=1, max_length=1_000)


class Escalate(_Action):
    reason: str = Field(min_length=1, max_length=1_000)


class FeedbackAnswer(BaseModel):
    """The customer's answer to the callback: solved? how satisfied, 1–5 (seeds 001, 004)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    solved: bool
    score: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=2_000)
