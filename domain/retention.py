"""Retention (seed 001: 保存期限不少于2年): the purge's input and what it reports back."""

from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from domain.durations import Duration

PURGE_WORKFLOW_NAME = "PurgeWorkflow"


class PurgeInput(BaseModel):
    """The schedule's argument: how long archived tickets are kept (the policy's retention.keep)."""

    keep: Duration = timedelta(days=730)
    batch_size: int = Field(default=500, ge=1, le=10_000)


class PurgeRequest(BaseModel):
    """Purge every ticket archived as closed before `before`."""

    before: datetime
    batch_size: int = Field(default=500, ge=1, le=10_000)


class PurgeResult(BaseModel):
    """How many tickets were deleted and how many customers anonymized."""

    before: datetime
    tickets: int = 0
    customers: int = 0


def cutoff(now: datetime, keep: timedelta) -> datetime:
    """Tickets closed before this instant are past retention."""
    return now - keep
