"""What an integrator sends to open a ticket, and the masked form of it that a workflow may hold."""

from typing import Any, ClassVar

from pydantic import BaseModel, Field, model_validator

from domain.boundary import SPACE, Boundary, Email, IsoDatetime
from domain.enums import Category, Channel, CustomerType, Kind, Priority
from domain.masking import mask_email, mask_name, mask_phone


class Customer(Boundary):
    """Raw contact. Lives in Postgres only: never in a workflow input, history, memo or search attribute."""

    id: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        pattern=f"^[^{SPACE}\\x00]+$",
        description="the integrator's own customer id: the same person across tickets and channels",
    )
    name: str = Field(min_length=1, max_length=100)
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9(][0-9 ()-]{3,18}[0-9)]$")
    email: Email | None = None
    type: CustomerType = CustomerType.INDIVIDUAL
    tier: str = Field(default="standard", min_length=1, max_length=32, pattern=r"^[a-z0-9_-]+$")
    preferred_contact: Channel | None = None

    schema_rules: ClassVar[dict[str, Any]] = {
        "anyOf": [
            {"required": ["phone"], "properties": {"phone": {"type": "string"}}},
            {"required": ["email"], "properties": {"email": {"type": "string"}}},
        ]
    }

    @model_validator(mode="after")
    def _reachable(self) -> "Customer":
        if self.phone is None and self.email is None:
            raise ValueError("a customer needs a phone or an e-mail to be called back")
        return self


class MaskedCustomer(BaseModel):
    """The customer as a workflow sees it: an id and masked forms."""

    customer_id: int
    display_name: str
    phone: str | None = None
    email: str | None = None
    type: CustomerType
    tier: str
    preferred_contact: Channel


class IntakeRequest(Boundary):
    """`POST /tickets` body."""

    channel: Channel
    external_id: str = Field(min_length=1, max_length=128)
    customer: Customer
    kind: Kind | None = Field(default=None, description="left out: the desk sorts the ticket from its words")
    category: Category | None = Field(default=None, description="left out: sorted like kind")
    priority: Priority | None = None
    description: str = Field(min_length=1, max_length=10_000, description="the customer's own words")
    request: str | None = Field(default=None, max_length=2_000, description="what the customer asks for")
    occurred_at: IsoDatetime | None = None
    product: str | None = Field(default=None, max_length=128)
    order_batch: str | None = Field(default=None, max_length=128)


def mask_customer(customer_id: int, customer: Customer, channel: Channel) -> MaskedCustomer:
    return MaskedCustomer(
        customer_id=customer_id,
        display_name=mask_name(customer.name),
        phone=mask_phone(customer.phone) if customer.phone else None,
        email=mask_email(customer.email) if customer.email else None,
        type=customer.type,
        tier=customer.tier,
        preferred_contact=customer.preferred_contact or channel,
    )
