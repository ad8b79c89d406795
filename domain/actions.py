"""What people do to a ticket: the payloads of the workflow's updates and signals (one model an action)."""

from datetime import datetime
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from domain.access import Caller
from domain.boundary import Boundary
from domain.compensation import Compensation
from domain.enums import Category, EvidenceKind, Fishbone, Kind, Priority


class Action(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    by: str = Field(min_length=1, max_length=64, description="member id of the person acting")
    # The API passes whom it authenticated; the workflow checks their access against its own state in the
    # update's validator, so no read can go stale between the check and the act. None: a trusted caller.
    caller: Caller | None = None


class Acknowledge(Action):
    """The assignee confirms receipt (seed 001: within 1 h)."""


class ProgressNote(Action):
    note: str = Field(min_length=1, max_length=5_000)
    customer_visible: bool = Field(default=True, description="also tell the customer (seed 000: 同步信息)")
    script: str | None = Field(default=None, max_length=64, description="the reply script it came from: ID@v")
    attachment_ids: list[int] = Field(
        default=[], max_length=20, description="files on the ticket it refers to"
    )


class Extend(Action):
    """Move the resolution ETA, before it passes, with a reason the customer is told (seeds 000, 001)."""

    new_due: datetime
    reason: str = Field(min_length=1, max_length=1_000)


class WaitForCustomer(Action):
    reason: str = Field(min_length=1, max_length=1_000)


class Resume(Action):
    """The customer answered: the resolution clock runs again."""


class Evidence(Boundary):
    """What was checked to lock the cause (seed 003: 数据比对, 系统核查, 跨部门协同)."""

    kind: EvidenceKind
    detail: str = Field(min_length=1, max_length=2_000)


MAX_WHYS = 5  # seed 003: ask "why" until the root, five times at most

Why = Annotated[str, Field(min_length=1, max_length=1_000)]


class RootCause(Boundary):
    """5W1H, the 5-Why chain and the fishbone factors of seed 003; individual or common (个案 / 共性问题);
    the evidence it was checked with and whether it is verified, by whom (the workflow stamps who)."""

    who: str = Field(default="", max_length=500)
    when: str = Field(default="", max_length=500)
    where: str = Field(default="", max_length=500)
    what: str = Field(min_length=1, max_length=2_000)
    why: str = Field(min_length=1, max_length=2_000)
    how: str = Field(default="", max_length=2_000)
    factor: Fishbone = Field(description="the main fishbone factor")
    factors: list[Fishbone] = Field(
        default=[], max_length=len(Fishbone), description="every contributing factor, the main one first"
    )
    whys: list[Why] = Field(default=[], max_length=MAX_WHYS, description="the 5-Why chain, symptom to root")
    evidence: list[Evidence] = Field(default=[], max_length=10)
    common: StrictBool = False
    verified: StrictBool = False
    verified_by: str | None = Field(
        default=None, max_length=64, description="who verified it: set by the ticket, not the caller"
    )

    schema_rules: ClassVar[dict[str, Any]] = {
        "anyOf": [
            {"properties": {"verified": {"const": False}}},
            {"required": ["evidence"], "properties": {"evidence": {"minItems": 1}}},
        ]
    }

    @model_validator(mode="after")
    def _checked(self) -> "RootCause":
        if self.verified and not self.evidence:
            raise ValueError("a verified cause names its evidence (data comparison, logs, cross-department)")
        # The main factor first, each factor once: the report counts a ticket once per factor.
        self.factors = list(dict.fromkeys([self.factor, *self.factors]))
        return self


class Resolve(Action):
    solution: str = Field(min_length=1, max_length=5_000)
    root_cause: RootCause | None = Field(
        default=None, description="required for the kinds of the policy's root_cause.required_for"
    )
    compensation: Compensation | None = None
    script: str | None = Field(default=None, max_length=64, description="the reply script it came from: ID@v")


class CompensationDecision(Action):
    """A supervisor approves the compensation offered, or refuses it with the reason (seed 002)."""

    approve: bool
    comment: str = Field(default="", max_length=2_000)


class ReviewDecision(Action):
    """A supervisor approves the solution, or sends it back with a comment (seed 002)."""

    approve: bool
    comment: str = Field(default="", max_length=2_000)


class Reassign(Action):
    to_member: str | None = Field(default=None, max_length=64)
    to_team: str | None = Field(default=None, max_length=64)
    reason: str = Field(min_length=1, max_length=1_000)


class Escalate(Action):
    reason: str = Field(min_length=1, max_length=1_000)


class FeedbackAnswer(BaseModel):
    """The customer's answer to the callback: solved? how satisfied, 1–5 (seeds 001, 004)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    solved: bool
    score: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=2_000)
    round: int | None = Field(default=None, ge=1, description="the callback a link answers; None: the latest")
    accepts_compensation: bool | None = Field(default=None, description="the offered compensation, if any")
    disputes_cause: bool = Field(
        default=False, description="the customer disagrees with the cause they were told"
    )


class CustomerMessage(BaseModel):
    """The customer wrote again (their channel's thread, or the signed link): contact details masked."""

    model_config = ConfigDict(extra="forbid")

    id: int = Field(ge=1, description="the message's row in Postgres, where it is kept as written")
    text: str = Field(min_length=1, max_length=10_000)
    via: str = Field(description="intake (the channel's thread) or link", pattern="^(intake|link)$")
    attachment_ids: list[int] = Field(
        default=[], max_length=20, description="files on the ticket it refers to"
    )


class CallOutcome(Action):
    """A handler called the customer (a call task): reached or not, and, if reached, their answer."""

    reached: StrictBool
    solved: StrictBool | None = None
    score: int | None = Field(default=None, ge=1, le=5)
    comment: str = Field(default="", max_length=2_000)
    accepts_compensation: StrictBool | None = None

    def answer(self) -> FeedbackAnswer | None:
        """The customer's feedback, when the call reached them and they gave it."""
        if not self.reached or self.solved is None or self.score is None:
            return None
        return FeedbackAnswer(
            solved=self.solved,
            score=self.score,
            comment=self.comment,
            accepts_compensation=self.accepts_compensation,
        )


class Resort(Action):
    """Correct a misfiled ticket's category, kind or priority, with a reason (holder or supervisor): routing,
    clocks and counts follow, and the correction becomes a training example (seeds 000, 003)."""

    category: Category | None = None
    kind: Kind | None = None
    priority: Priority | None = None
    reason: str = Field(min_length=1, max_length=1_000)
