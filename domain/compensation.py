"""Compensation on a resolution (seeds 000–002: 退款, 优惠券, 换货, 维修): what is offered, who must
approve it (above a threshold per type), and whether the customer accepted it."""

from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from domain.boundary import NOT_BLANK, Boundary
from domain.durations import Duration


class CompensationType(StrEnum):
    REFUND = "refund"  # 退款
    COUPON = "coupon"  # 优惠券
    REPLACEMENT = "replacement"  # 换货
    REPAIR = "repair"  # 维修
    OTHER = "other"


class CompensationStatus(StrEnum):
    PENDING_APPROVAL = "pending_approval"  # above its type's threshold: a supervisor decides
    APPROVED = "approved"  # by a supervisor, or within the threshold: offered to the customer
    REFUSED = "refused"  # by the supervisor: the ticket went back to its holder
    ACCEPTED = "accepted"  # by the customer
    DECLINED = "declined"  # by the customer: the ticket went back to its holder


class Compensation(Boundary):
    """What the holder offers with the solution."""

    type: CompensationType
    amount: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    reason: str = Field(min_length=1, max_length=1_000, pattern=NOT_BLANK)


class CompensationState(BaseModel):
    """The offer and where it stands."""

    offer: Compensation
    status: CompensationStatus
    needs_approval: bool
    decided_by: str | None = None
    comment: str = ""
    decided_at: datetime | None = None
    answered_at: datetime | None = None


class CompensationPolicy(BaseModel):
    """Seed 002 (提交至客服主管进行审核): amounts above these (in `currency`) wait for a supervisor; an
    offer in another currency always does. An approval waiting `approval_within` goes to the head."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    approval_above: dict[CompensationType, Decimal] = {
        CompensationType.REFUND: Decimal(100),
        CompensationType.COUPON: Decimal(50),  # seed 000's 5 and 10 yuan coupons need no one
        CompensationType.REPLACEMENT: Decimal(500),
        CompensationType.REPAIR: Decimal(500),
        CompensationType.OTHER: Decimal(0),
    }
    approval_within: Duration = timedelta(hours=4)

    def needs_approval(self, offer: Compensation) -> bool:
        if offer.currency != self.currency:
            return True
        return offer.amount > self.approval_above.get(offer.type, Decimal(0))
