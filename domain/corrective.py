"""Corrective actions (seeds 003, 004): what changes, by whom and when, and whether it worked."""

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from domain.enums import Category
from domain.policy import CorrectivePolicy

CORRECTIVE_WORKFLOW_NAME = "CorrectiveActionWorkflow"


def workflow_id(action_id: int) -> str:
    return f"corrective-{action_id}"


class CorrectiveStatus(StrEnum):
    OPEN = "open"
    OVERDUE = "overdue"  # past its due date, the owner's head told
    DONE = "done"  # done with evidence; the effect check is pending
    EFFECTIVE = "effective"
    REOPENED = "reopened"  # the effect check found it not effective: open again, with a new due date


WORKING = (CorrectiveStatus.OPEN, CorrectiveStatus.OVERDUE, CorrectiveStatus.REOPENED)


class CorrectiveInput(BaseModel):
    """The workflow's input: the action as a supervisor opened it, with the policy it runs under."""

    action_id: int
    owner: str
    team: str = Field(description="the owner's team: its department head hears when the action is overdue")
    change: str = Field(description="what will change")
    due: datetime
    category: Category
    product: str | None = None
    ticket_no: str | None = None
    incident_id: int | None = None
    opened_by: str
    opened_at: datetime
    policy: CorrectivePolicy = CorrectivePolicy()


class Done(BaseModel):
    """The owner reports the action done, with what shows it (a release note, a new rule, a training)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    by: str = Field(min_length=1, max_length=64)
    evidence: str = Field(min_length=1, max_length=5_000)


class Period(BaseModel):
    start: datetime
    end: datetime


class EffectQuery(BaseModel):
    """The effect check's question: tickets of the category (and product) opened in each period."""

    category: Category
    product: str | None = None
    before: Period
    after: Period


class EffectCounts(BaseModel):
    before: int
    after: int


class Effect(BaseModel):
    """The effect check's verdict with its numbers (tickets a day over each period)."""

    checked_at: datetime
    before: Period
    after: Period
    tickets_before: int
    tickets_after: int
    rate_before: float = Field(description="tickets a day, before")
    rate_after: float = Field(description="tickets a day, after")
    effective: bool


class CorrectiveView(BaseModel):
    """What the `view` query and every update answer."""

    action_id: int
    status: CorrectiveStatus
    owner: str
    team: str
    change: str
    due: datetime
    category: Category
    product: str | None = None
    reminders: int = 0
    escalated: bool = False
    done_at: datetime | None = None
    done_by: str | None = None
    evidence: str | None = None
    effects: list[Effect] = []


def periods(done_at: datetime, policy: CorrectivePolicy) -> tuple[Period, Period]:
    """The equal periods the effect check compares: just before the action was done, and just after."""
    span = policy.effect_after
    return Period(start=done_at - span, end=done_at), Period(start=done_at, end=done_at + span)


def effect(
    counts: EffectCounts, before: Period, after: Period, at: datetime, policy: CorrectivePolicy
) -> Effect:
    """Effective when the rate after fell below the rate before by at least `min_reduction`."""
    days_before = (before.end - before.start) / timedelta(days=1)
    days_after = (after.end - after.start) / timedelta(days=1)
    rate_before = counts.before / days_before
    rate_after = counts.after / days_after
    return Effect(
        checked_at=at,
        before=before,
        after=after,
        tickets_before=counts.before,
        tickets_after=counts.after,
        rate_before=round(rate_before, 4),
        rate_after=round(rate_after, 4),
        effective=rate_after < rate_before * (1 - policy.min_reduction),
    )


def reminder_times(due: datetime, policy: CorrectivePolicy) -> list[datetime]:
    """When the owner is reminded, earliest first."""
    return sorted(due - before for before in policy.remind_before)
